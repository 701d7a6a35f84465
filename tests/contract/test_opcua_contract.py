"""The OPC UA half of the contract (pnp.v1.opcua) and the module server agree.

A real module is browsed with a plain asyncua client: every node the contract names is
there, under its browse name and its string NodeId, with its data type; its methods
take the arguments the contract gives; CurrentState and StateNumber name the same
PackML state. The pure tests tie the enums to each other and to the gRPC half.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest
from asyncua import Client, ua

from pnp.sdk import packml
from pnp.sdk.catalog import load_catalog
from pnp.sdk.conformance import sample_parameters
from pnp.sdk.module import Module
from pnp.sdk.sim import SimulatedModule, SimulatedModuleConfig
from pnp.sdk.skill import UNITS_KEY
from pnp.v1 import module_pb2
from pnp.v1.opcua import (
    BUSY_STATES,
    DATA_TYPES,
    FINISHED_STATES,
    METHOD_ARGUMENTS,
    NAMESPACE_URI,
    TELEMETRY_DATA_TYPE,
    ExecutionOutcome,
    ItemState,
    ModuleNode,
    PackMLState,
    Refusal,
    SkillMethod,
    SkillVariable,
    node_identifier,
)

# Two skills, so that nothing in the model holds for the first skill only.
KIND = "multi-laser"
MODULE_ID = "contract-1"

# -- the contract on its own -------------------------------------------------------------


def test_every_state_label_names_its_state():
    for state in PackMLState:
        assert PackMLState.from_label(state.label) is state
    assert len({state.label for state in PackMLState}) == len(PackMLState)
    assert PackMLState.from_label("Unknown") is None
    assert PackMLState.from_label("execute") is None  # labels are case-sensitive


def test_packml_states_carry_their_standard_numbers():
    assert sorted(PackMLState) == list(range(1, 18))
    assert (PackMLState.IDLE, PackMLState.EXECUTE, PackMLState.HELD) == (4, 6, 11)
    assert PackMLState.COMPLETE.label == "Complete"  # the wire format, stated once


def test_item_states_are_the_grpc_item_states_one_to_one():
    grpc_names = set(module_pb2.ItemState.keys()) - {"ITEM_STATE_UNSPECIFIED"}
    assert {f"ITEM_STATE_{state.name}" for state in ItemState} == grpc_names


def test_finished_and_busy_states_partition_what_a_skill_can_hold():
    assert {ExecutionOutcome(state.name.lower()) for state in FINISHED_STATES} == {
        ExecutionOutcome.COMPLETE,
        ExecutionOutcome.STOPPED,
        ExecutionOutcome.ABORTED,
    }
    assert not BUSY_STATES & FINISHED_STATES
    assert PackMLState.IDLE not in BUSY_STATES | FINISHED_STATES
    assert packml.BUSY == BUSY_STATES


def test_every_packml_command_is_a_skill_method():
    assert {command.value for command in packml.Command} == set(SkillMethod) - {
        SkillMethod.QUERY_EXECUTION
    }
    assert packml.Command.COMPLETE.value is SkillMethod.TO_COMPLETE


def test_names_the_contract_uses_exist_in_opc_ua():
    assert set(METHOD_ARGUMENTS) == set(SkillMethod)
    for refusal in Refusal:
        assert isinstance(getattr(ua.StatusCodes, refusal), int)
    for data_type in (*DATA_TYPES.values(), TELEMETRY_DATA_TYPE):
        assert data_type in ua.VariantType.__members__
    assert set(DATA_TYPES) == (set(ModuleNode) | set(SkillVariable)) - {
        ModuleNode.MODULE,
        ModuleNode.SKILLS,
        ModuleNode.TELEMETRY,
    }
    assert node_identifier("m-1", "Module", "Skills", "a.b") == "m-1.Module.Skills.a.b"


# -- a real module, browsed --------------------------------------------------------------


@contextlib.asynccontextmanager
async def serving(module: Module):
    task = asyncio.create_task(module.run())
    try:
        await asyncio.wait_for(module.serving.wait(), 10)
        yield module
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.fixture
async def client():
    module_type = load_catalog().module_type(KIND)
    slowest = max(c.time.seconds_for(1) for c in module_type.capabilities)
    config = SimulatedModuleConfig(
        kind=KIND,
        dock="A1",
        module_id=MODULE_ID,
        orchestrator=None,
        opcua_port=0,
        time_scale=slowest / 0.05,  # one unit in 50 ms; a lot of 100 000 runs for long
    )
    async with serving(SimulatedModule(config)) as module:
        opcua = Client(module.endpoint, timeout=10)
        await opcua.connect()
        try:
            yield opcua
        finally:
            await opcua.disconnect()


async def children_by_name(node) -> dict[str, object]:
    return {(await child.read_browse_name()).Name: child for child in await node.get_children()}


async def assert_node(node, idx: int, *path: str) -> None:
    assert node.nodeid == ua.NodeId(node_identifier(MODULE_ID, *path), idx)
    name = await node.read_browse_name()
    assert (name.Name, name.NamespaceIndex) == (path[-1], idx)
    if path[-1] in DATA_TYPES:
        assert (await node.read_data_type_as_variant_type()).name == DATA_TYPES[path[-1]]


@pytest.mark.servers
async def test_the_module_serves_every_node_the_contract_names(client):
    idx = await client.get_namespace_index(NAMESPACE_URI)
    module = await client.nodes.objects.get_child(f"{idx}:{ModuleNode.MODULE}")
    await assert_node(module, idx, ModuleNode.MODULE)

    children = await children_by_name(module)
    assert set(children) == set(ModuleNode) - {ModuleNode.MODULE}
    for name, node in children.items():
        await assert_node(node, idx, ModuleNode.MODULE, name)
    assert await children[ModuleNode.MODULE_ID].read_value() == MODULE_ID
    assert await children[ModuleNode.ITEM_STATE].read_value() in set(ItemState)

    telemetry = await children_by_name(children[ModuleNode.TELEMETRY])
    assert telemetry  # the simulator publishes power and counters from the start
    for name, node in telemetry.items():
        await assert_node(node, idx, ModuleNode.MODULE, ModuleNode.TELEMETRY, name)
        assert (await node.read_data_type_as_variant_type()).name == TELEMETRY_DATA_TYPE

    skills = await children_by_name(children[ModuleNode.SKILLS])
    capabilities = [c.name for c in load_catalog().module_type(KIND).capabilities]
    assert sorted(skills) == sorted(capabilities)
    for capability, skill in skills.items():
        base = (ModuleNode.MODULE, ModuleNode.SKILLS, capability)
        await assert_node(skill, idx, *base)
        members = await children_by_name(skill)
        assert set(members) == set(SkillVariable) | set(SkillMethod)
        for variable in SkillVariable:
            node = members[variable]
            await assert_node(node, idx, *base, variable)
            assert await node.read_node_class() == ua.NodeClass.Variable
        for method in SkillMethod:
            node = members[method]
            await assert_node(node, idx, *base, method)
            assert await node.read_node_class() == ua.NodeClass.Method
            assert await argument_names(node) == METHOD_ARGUMENTS[method]


async def argument_names(method) -> tuple[tuple[str, ...], tuple[str, ...]]:
    properties = await children_by_name(method)
    names = []
    for kind in ("InputArguments", "OutputArguments"):
        arguments = await properties[kind].read_value() if kind in properties else []
        names.append(tuple(argument.Name for argument in arguments))
    return names[0], names[1]


@pytest.mark.servers
async def test_current_state_and_state_number_agree_with_packml(client):
    idx = await client.get_namespace_index(NAMESPACE_URI)
    capability = load_catalog().module_type(KIND).capabilities[0].name
    skill = await client.nodes.objects.get_child(
        [f"{idx}:{ModuleNode.MODULE}", f"{idx}:{ModuleNode.SKILLS}", f"{idx}:{capability}"]
    )
    nodes = {
        variable: await skill.get_child(f"{idx}:{variable}")
        for variable in (
            SkillVariable.CURRENT_STATE,
            SkillVariable.STATE_NUMBER,
            SkillVariable.ENVELOPE,
        )
    }

    async def call(method: SkillMethod, *args):
        return await skill.call_method(f"{idx}:{method}", *args)

    async def settles_in(state: PackMLState) -> None:
        async with asyncio.timeout(10):
            while await nodes[SkillVariable.CURRENT_STATE].read_value() != state.label:
                await asyncio.sleep(0.02)
        # StateNumber is written before CurrentState: it already agrees.
        label, number = await client.read_values(
            [nodes[SkillVariable.CURRENT_STATE], nodes[SkillVariable.STATE_NUMBER]]
        )
        assert PackMLState.from_label(label) is state
        assert number == state
        assert PackMLState(number) is state

    async def refusal(method: SkillMethod, *args) -> str:
        with pytest.raises(ua.UaStatusCodeError) as refused:
            await call(method, *args)
        return type(refused.value).__name__

    await settles_in(PackMLState.IDLE)
    assert await refusal(SkillMethod.UNHOLD) == Refusal.BAD_INVALID_STATE
    assert await refusal(SkillMethod.START, "bad", "[not json") == Refusal.BAD_INVALID_ARGUMENT

    envelope = json.loads(await nodes[SkillVariable.ENVELOPE].read_value())
    long = json.dumps({**sample_parameters(envelope), UNITS_KEY: 100_000})
    assert await call(SkillMethod.START, "contract-run", long) is True
    await settles_in(PackMLState.EXECUTE)
    outcome, _results = await call(SkillMethod.QUERY_EXECUTION, "contract-run")
    assert outcome == ExecutionOutcome.RUNNING
    for method, state in (
        (SkillMethod.HOLD, PackMLState.HELD),
        (SkillMethod.UNHOLD, PackMLState.EXECUTE),
        (SkillMethod.SUSPEND, PackMLState.SUSPENDED),
        (SkillMethod.UNSUSPEND, PackMLState.EXECUTE),
        (SkillMethod.ABORT, PackMLState.ABORTED),
        (SkillMethod.CLEAR, PackMLState.STOPPED),
        (SkillMethod.RESET, PackMLState.IDLE),
    ):
        await call(method)
        await settles_in(state)
    outcome, _results = await call(SkillMethod.QUERY_EXECUTION, "contract-run")
    assert outcome == ExecutionOutcome.ABORTED
    outcome, _results = await call(SkillMethod.QUERY_EXECUTION, "never-started")
    assert outcome == ExecutionOutcome.UNKNOWN
