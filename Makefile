# Two commands: `make run` (the whole suite on the embedded store) and `make test`. Both build .venv first.
SHELL := /bin/bash
VENV := .venv
# The first Python 3.13 that actually runs: a pyenv shim may exist yet fail unless pyenv selects 3.13.
PYTHON313 := $(shell for p in python3.13 "$$(pyenv prefix 3.13.0 2>/dev/null)/bin/python3.13" /usr/local/bin/python3.13 /usr/bin/python3.13; do \
	"$$p" -c 'import sys; assert sys.version_info[:2] == (3, 13)' >/dev/null 2>&1 && { echo "$$p"; break; }; done)
PY := $(VENV)/bin/python
SITE := $(VENV)/lib/python3.13/site-packages
# The browser the audience builder's tests drive (Debian's; Playwright never downloads one here).
CHROMIUM := /usr/bin/chromium

.PHONY: venv run test protos bench screenshots clean

# The dependencies, then the project itself for its console script .venv/bin/cdp (the admin CLI; see pyproject.toml).
$(VENV)/.installed: requirements.txt pyproject.toml
	@test -n "$(PYTHON313)" || { echo "Python 3.13 not found: install it (e.g. pyenv install 3.13.0)"; exit 1; }
	test -x $(PY) || $(PYTHON313) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps .
	touch $@

# The project's two import roots (the code, and the generated stubs' `cdp` package), as an editable install
# would add them; rewritten each time so a moved checkout still works.
venv: $(VENV)/.installed
	@printf '%s\n%s\n' "$(CURDIR)" "$(CURDIR)/protos" > $(SITE)/cdp-project.pth

run: venv
	$(PY) -m tools.run

test: venv
	@tools/ensure_chromium.sh $(CHROMIUM)
	$(PY) -m pytest

# The README's screenshots of the audience builder, taken by its browser tests.
screenshots: venv
	CDP_SCREENSHOTS=docs/screenshots $(PY) -m pytest tests/e2e/test_ui.py -q

protos: venv
	$(PY) -m tools.gen_protos

# Every benchmark at the sizes in bench/run.py (about 10 minutes here), then docs/benchmarks.md and its charts.
bench: venv
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) var
