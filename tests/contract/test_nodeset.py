"""The published NodeSet2 file is what pnp.v1.opcua says, and a stack we did not write loads it.

The file is generated (``proto/generate_nodeset.py``, ``make proto``) from the same
definitions the SDK's server serves; regenerating it must give the committed bytes.
asyncua's XML importer loads it into a fresh server, where ModuleType and SkillType
have every variable, data type, method and argument the contract names. (node-opcua
loads it too: tests/interop/test_node_module.py.)
"""

from __future__ import annotations

import subprocess
import sys

from asyncua import Server, ua

from pnp.v1.opcua import (
    ARGUMENT_DATA_TYPES,
    DATA_TYPES,
    METHOD_ARGUMENTS,
    NAMESPACE_URI,
    SKILL_PROPERTIES,
    ModuleNode,
    SkillMethod,
    SkillVariable,
)
from tests.contract.tools import REPO

NODESET = REPO / "sdk" / "src" / "pnp" / "v1" / "pnp-module.NodeSet2.xml"
GENERATOR = REPO / "proto" / "generate_nodeset.py"


def test_the_committed_nodeset_is_what_the_generator_makes_of_the_contract(tmp_path):
    subprocess.run([sys.executable, str(GENERATOR), str(tmp_path)], check=True)
    fresh = (tmp_path / NODESET.name).read_bytes()
    assert fresh == NODESET.read_bytes(), (
        f"{NODESET.name} is stale: run `make proto` (proto/generate_nodeset.py) and commit it"
    )


def test_generating_twice_gives_the_same_bytes(tmp_path):
    for folder in ("a", "b"):
        subprocess.run([sys.executable, str(GENERATOR), str(tmp_path / folder)], check=True)
    assert (tmp_path / "a" / NODESET.name).read_bytes() == (
        tmp_path / "b" / NODESET.name
    ).read_bytes()


async def _imported_types(server: Server) -> tuple[int, dict[str, object]]:
    await server.import_xml(str(NODESET))
    idx = await server.get_namespace_index(NAMESPACE_URI)
    base_object_type = server.get_node(ua.NodeId(ua.ObjectIds.BaseObjectType))
    types = {}
    for node in await base_object_type.get_children(refs=ua.ObjectIds.HasSubtype):
        name = await node.read_browse_name()
        if name.NamespaceIndex == idx:
            types[name.Name] = node
    return idx, types


async def _children(node, reference: int) -> dict[str, object]:
    found = {}
    for child in await node.get_children(refs=reference):
        found[(await child.read_browse_name()).Name] = child
    return found


async def _data_type_name(server: Server, variable) -> str:
    data_type = server.get_node(await variable.read_data_type())
    return (await data_type.read_browse_name()).Name


async def _arguments(method, which: str) -> list[tuple[str, int]]:
    try:
        prop = await method.get_child(f"0:{which}")
    except ua.UaStatusCodeError:
        return []
    return [(argument.Name, argument.DataType.Identifier) for argument in await prop.read_value()]


async def test_asyncua_imports_the_nodeset_and_finds_the_module_and_skill_types():
    server = Server()
    await server.init()
    _, types = await _imported_types(server)
    assert set(types) == {"ModuleType", "SkillType"}

    module_type = types["ModuleType"]
    components = await _children(module_type, ua.ObjectIds.HasComponent)
    assert list(components) == [
        ModuleNode.MODULE_ID,
        ModuleNode.VENDOR,
        ModuleNode.MODEL,
        ModuleNode.ITEM_STATE,
        ModuleNode.SKILLS,
        ModuleNode.TELEMETRY,
    ]
    for name in (ModuleNode.MODULE_ID, ModuleNode.VENDOR, ModuleNode.MODEL, ModuleNode.ITEM_STATE):
        assert await _data_type_name(server, components[name]) == DATA_TYPES[name]
    skills = await _children(components[ModuleNode.SKILLS], ua.ObjectIds.Organizes)
    [placeholder] = skills.values()
    assert await placeholder.read_type_definition() == types["SkillType"].nodeid

    skill_type = types["SkillType"]
    variables = await _children(skill_type, ua.ObjectIds.HasComponent) | await _children(
        skill_type, ua.ObjectIds.HasProperty
    )
    for variable in SkillVariable:
        assert await _data_type_name(server, variables[variable]) == DATA_TYPES[variable]
    properties = await _children(skill_type, ua.ObjectIds.HasProperty)
    assert set(properties) == set(SKILL_PROPERTIES)
    for method in SkillMethod:
        node = variables[method]
        assert await node.read_node_class() == ua.NodeClass.Method
        inputs, outputs = METHOD_ARGUMENTS[method]
        expected_in = [(str(a), _builtin(ARGUMENT_DATA_TYPES[a])) for a in inputs]
        expected_out = [(str(a), _builtin(ARGUMENT_DATA_TYPES[a])) for a in outputs]
        assert await _arguments(node, "InputArguments") == expected_in, method
        assert await _arguments(node, "OutputArguments") == expected_out, method


async def test_nodeids_are_numeric_in_the_model_namespace():
    server = Server()
    await server.init()
    idx, types = await _imported_types(server)
    assert types["ModuleType"].nodeid == ua.NodeId(1000, idx)
    assert types["SkillType"].nodeid == ua.NodeId(2000, idx)


def _builtin(name: str) -> int:
    return getattr(ua.VariantType, name).value
