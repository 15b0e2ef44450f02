"""Generate the Python stubs for every contract under protos/: the one way stubs are made.

    python -m tools.gen_protos            # write beside the .proto files (commit the result)
    python -m tools.gen_protos --out DIR  # write elsewhere (the test that proves the committed stubs current)
"""

import argparse
import sys
from importlib.resources import files
from pathlib import Path

from grpc_tools import protoc

PROTOS = Path(__file__).resolve().parent.parent / "protos"


def generate(out: Path) -> list[Path]:
    """Write *_pb2.py, *_pb2.pyi and *_pb2_grpc.py for every .proto, plus the packages' __init__.py files."""
    sources = sorted(PROTOS.rglob("*.proto"))
    include = str(files("grpc_tools") / "_proto")
    args = [
        "grpc_tools.protoc",
        f"-I{PROTOS}",
        f"-I{include}",
        f"--python_out={out}",
        f"--pyi_out={out}",
        f"--grpc_python_out={out}",
        *(str(s.relative_to(PROTOS)) for s in sources),
    ]
    out.mkdir(parents=True, exist_ok=True)
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    for source in sources:
        package = out / source.relative_to(PROTOS).parent
        while package != out:
            (package / "__init__.py").touch()
            package = package.parent
    return sorted(p for p in out.rglob("*") if p.suffix in {".py", ".pyi"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROTOS)
    written = generate(parser.parse_args().out)
    print(f"wrote {len(written)} files", file=sys.stderr)


if __name__ == "__main__":
    main()
