#!/usr/bin/env bash
# The audience builder's browser tests drive Debian's chromium (Playwright cannot download a browser here):
# installed from Debian's packages when missing, as root or through sudo; otherwise a clear message.
set -euo pipefail
chromium=${1:-/usr/bin/chromium}
[ -x "$chromium" ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if command -v apt-get >/dev/null && { [ -z "$sudo" ] || command -v sudo >/dev/null; }; then
  echo "installing Debian's chromium for the browser tests" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q && $sudo apt-get install -y -q chromium && [ -x "$chromium" ] && exit 0
fi
echo "make test needs chromium at $chromium for the audience builder's browser tests (apt-get install -y chromium)" >&2
exit 1
