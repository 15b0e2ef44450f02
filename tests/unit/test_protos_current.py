"""The committed stubs are exactly what the one generator writes from the committed .proto files."""

from pathlib import Path

from tools.gen_protos import PROTOS, generate


def test_committed_stubs_are_current(tmp_path: Path) -> None:
    generated = {p.relative_to(tmp_path) for p in generate(tmp_path)}
    committed = {p.relative_to(PROTOS) for p in PROTOS.rglob("*") if p.suffix in {".py", ".pyi"}}
    assert generated == committed, "stub files differ: run `make protos` and commit"
    stale = [str(p) for p in sorted(generated) if (tmp_path / p).read_bytes() != (PROTOS / p).read_bytes()]
    assert not stale, f"stale stubs (run `make protos` and commit): {stale}"
