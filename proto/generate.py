"""Regenerate the Python code of the pnp.v1 contract from proto/pnp/v1/*.proto.

Run from anywhere: `python proto/generate.py [OUT_DIR]` (default: sdk/src, so the code
lands in sdk/src/pnp/v1, the contract half of the pnp-factory-sdk distribution). The
generated code is committed; tests/contract/test_codegen_drift.py runs this into a
temporary folder and fails when the committed code differs. Pinned
grpcio-tools==1.81.1: newer releases generate code that needs protobuf 7, which
ortools does not allow yet.
"""

from __future__ import annotations

import sys
from pathlib import Path

PROTO_ROOT = Path(__file__).resolve().parent
DEFAULT_OUT = PROTO_ROOT.parent / "sdk" / "src"


def proto_files() -> list[Path]:
    return sorted((PROTO_ROOT / "pnp" / "v1").glob("*.proto"))


def generate(out_dir: Path) -> None:
    from grpc_tools import protoc  # a dev/codegen dependency, not a runtime one

    wkt_include = Path(protoc.__file__).resolve().parent / "_proto"
    out_dir.mkdir(parents=True, exist_ok=True)
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{wkt_include}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *[str(p.relative_to(PROTO_ROOT)) for p in proto_files()],
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed; see the messages above")


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT)
