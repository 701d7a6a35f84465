"""docs/vendors.md, followed literally, gives the module that passes the kit.

Its last section is the whole module; it must be the SDK's example file byte for
byte, which tests/modules/test_vendor_example.py runs through the conformance kit and
gives real work from an orchestrator. Its code speaks only the SDK's public API.
"""

from __future__ import annotations

import re

import pnp.sdk
from tests.contract.tools import REPO

GUIDE = REPO / "docs" / "vendors.md"
EXAMPLE = REPO / "sdk" / "src" / "pnp" / "sdk" / "examples" / "torque_station.py"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", GUIDE.read_text(), flags=re.DOTALL)


def test_the_guides_whole_module_is_the_tested_example():
    marker = "<!-- the whole module: sdk/src/pnp/sdk/examples/torque_station.py -->\n```python\n"
    text = GUIDE.read_text()
    assert marker in text
    listed = text.split(marker, 1)[1].split("```", 1)[0]
    assert listed == EXAMPLE.read_text()


def test_the_guide_imports_only_the_sdks_public_names():
    for block in _blocks("python"):
        for names in re.findall(r"^from pnp\.sdk import \(?([^)]*?)\)?$", block, flags=re.M | re.S):
            for name in re.split(r"[,\s]+", names.strip()):
                assert not name or name in pnp.sdk.__all__, name
        assert "from modules" not in block and "import modules" not in block


def test_the_guide_names_the_distributions_that_exist():
    text = GUIDE.read_text()
    assert "pip install pnp-factory-sdk" in text
    assert "pip install pnp\n" not in text and "pip install pnp " not in text
