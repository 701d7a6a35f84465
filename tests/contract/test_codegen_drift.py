"""The committed pnp.v1 code is exactly what the pinned generator makes of the .proto files."""

from __future__ import annotations

import subprocess
import sys

from tests.contract.tools import REPO

PROTOS = REPO / "proto" / "pnp" / "v1"
GENERATED = REPO / "sdk" / "src" / "pnp" / "v1"


def test_generated_code_matches_the_protos(tmp_path):
    subprocess.run([sys.executable, str(REPO / "proto" / "generate.py"), str(tmp_path)], check=True)
    fresh = sorted(
        p.relative_to(tmp_path / "pnp" / "v1") for p in (tmp_path / "pnp" / "v1").glob("*_pb2*")
    )
    committed = sorted(p.relative_to(GENERATED) for p in GENERATED.glob("*_pb2*"))
    assert fresh == committed, "generated files differ in name: run `make proto` and commit"
    stale = [
        str(name)
        for name in fresh
        if (tmp_path / "pnp" / "v1" / name).read_bytes() != (GENERATED / name).read_bytes()
    ]
    assert not stale, f"stale generated code {stale}: run `make proto` and commit the result"


def test_every_proto_has_its_generated_module():
    protos = list(PROTOS.glob("*.proto"))
    assert protos, f"no .proto files in {PROTOS}"
    for proto in protos:
        assert (GENERATED / f"{proto.stem}_pb2.py").exists(), proto.name
