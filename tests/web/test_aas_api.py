"""The AAS HTTP API next to the console: a plain HTTP client reads the shells by the
specification's paths (base64url identifiers), and basyx's own JSON decoder reads what
it gets back, so the documents are real AAS v3, not look-alikes."""

from __future__ import annotations

import asyncio
import base64
import json
import urllib.error
import urllib.request

import pytest
from basyx.aas import model
from basyx.aas.adapter.json.json_deserialization import StrictAASFromJsonDecoder

from pnp.orchestrator.web.server import start_console
from tests.conftest import start_factory

MODULE = "laser-cutter-a1"


@pytest.fixture
async def floor(tmp_path):
    running = await start_factory(tmp_path)
    console = await start_console(running.factory, "127.0.0.1:0")
    try:
        await running.plug_in("laser-cutter", "A1")
        yield running, console.url.rstrip("/")
    finally:
        await console.stop()
        await running.close()


def b64(identifier: str) -> str:
    return base64.urlsafe_b64encode(identifier.encode()).rstrip(b"=").decode()


def _get(url: str) -> tuple[int, object]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


async def get(url: str) -> tuple[int, object]:
    return await asyncio.to_thread(_get, url)


def decoded(document: object):
    """What basyx makes of a JSON document (strict: any deviation raises)."""
    return json.loads(json.dumps(document), cls=StrictAASFromJsonDecoder)


async def test_every_module_is_a_shell_read_by_the_specifications_paths(floor):
    running, base = floor
    status, page = await get(f"{base}/shells")
    assert status == 200 and page["paging_metadata"] == {}
    [shell] = [decoded(s) for s in page["result"]]
    assert isinstance(shell, model.AssetAdministrationShell)
    assert shell.id == f"urn:pnp:aas:{MODULE}"
    description = running.factory.module(MODULE).entry.description
    assert shell.asset_information.global_asset_id == (
        f"urn:pnp:asset:{description.vendor}:{description.model}:{description.serial}".replace(
            " ", "%20"
        )
    )

    status, one = await get(f"{base}/shells/{b64(shell.id)}")
    assert status == 200 and decoded(one).id == shell.id
    status, refs = await get(f"{base}/shells/{b64(shell.id)}/submodel-refs")
    # References carry no modelType, so they are read as the specification writes them.
    assert {r["type"] for r in refs["result"]} == {"ModelReference"}
    submodel_ids = sorted(r["keys"][0]["value"] for r in refs["result"])
    assert submodel_ids == sorted(
        f"{shell.id}:{name}"
        for name in ("Nameplate", "TechnicalData", "Capabilities", "OperationalData")
    )


async def test_the_nameplate_and_technical_data_say_what_the_module_declared(floor):
    running, base = floor
    description = running.factory.module(MODULE).entry.description
    status, nameplate = await get(f"{base}/submodels/{b64(f'urn:pnp:aas:{MODULE}:Nameplate')}")
    assert status == 200 and isinstance(decoded(nameplate), model.Submodel)
    status, values = await get(f"{base}/submodels/{b64(f'urn:pnp:aas:{MODULE}:Nameplate')}/$value")
    assert values == {
        "ManufacturerName": description.vendor,
        "ManufacturerProductDesignation": description.model,
        "SerialNumber": description.serial,
        "ModuleId": MODULE,
        "Kind": "laser-cutter",
    }
    _, technical = await get(
        f"{base}/submodels/{b64(f'urn:pnp:aas:{MODULE}:TechnicalData')}/$value"
    )
    assert technical["Footprint"] == description.footprint
    assert technical["Dock"] == "A1"
    assert technical["Utilities"]["PowerKw"] == description.utilities.power_kw


async def test_each_capability_carries_its_envelope_and_the_skill_that_realises_it(floor):
    running, base = floor
    description = running.factory.module(MODULE).entry.description
    capabilities_id = b64(f"urn:pnp:aas:{MODULE}:Capabilities")
    status, document = await get(f"{base}/submodels/{capabilities_id}")
    submodel = decoded(document)
    capability_set = submodel.get_referable("CapabilitySet")
    assert len(capability_set.value) == len(description.capabilities)
    for offer in description.capabilities:
        container = capability_set.get_referable(offer.name.replace(".", "_"))
        assert isinstance(container.get_referable("Capability"), model.Capability)
        assert container.get_referable("CapabilityName").value == offer.name
        constraints = container.get_referable("PropertySet")
        for parameter in offer.parameters:
            constraint = constraints.get_referable(parameter.name)
            if parameter.allowed is not None:
                assert [p.value for p in constraint.value] == list(parameter.allowed)
            elif parameter.minimum is not None:
                assert (constraint.min, constraint.max) == (parameter.minimum, parameter.maximum)
        realised_by = container.get_referable("RealizedBy")
        assert realised_by.second.key[0].value.endswith(f"#Module/Skills/{offer.name}")
    # One element by its idShort path, value only.
    first = description.capabilities[0]
    path = f"CapabilitySet.{first.name.replace('.', '_')}.TimeModel"
    status, time_model = await get(
        f"{base}/submodels/{capabilities_id}/submodel-elements/{path}/$value"
    )
    assert status == 200
    assert time_model["SetupSeconds"] == first.time_model.setup_seconds
    assert time_model["SecondsPerUnit"] == first.time_model.seconds_per_unit


async def test_unknown_or_badly_encoded_identifiers_get_the_specifications_error_result(floor):
    _, base = floor
    status, answer = await get(f"{base}/shells/{b64('urn:pnp:aas:no-such-module')}")
    assert status == 404
    [message] = answer["messages"]
    assert message["messageType"] == "Error" and message["code"] == "404"
    assert "no-such-module" in message["text"]
    status, answer = await get(f"{base}/shells/%25%25%25")
    assert status == 400 and "base64url" in answer["messages"][0]["text"]
