"""A module tells the orchestrator where to dial its OPC UA server: the served address,
or the one it advertises (a port forward, NAT, a test's fault proxy)."""

from __future__ import annotations

from pnp.sdk.sim import SimulatedModule, SimulatedModuleConfig


def module(**config) -> SimulatedModule:
    return SimulatedModule(
        SimulatedModuleConfig(kind="laser-cutter", dock="A1", orchestrator=None, **config)
    )


def test_the_descriptor_carries_the_served_endpoint_by_default():
    plain = module(opcua_port=4840)
    assert plain.descriptor().opcua_endpoint == "opc.tcp://127.0.0.1:4840"


def test_an_advertised_endpoint_replaces_it_in_the_descriptor_only():
    behind_nat = module(opcua_port=4840, advertised_endpoint="opc.tcp://10.0.4.17:14840")
    assert behind_nat.descriptor().opcua_endpoint == "opc.tcp://10.0.4.17:14840"
    assert behind_nat.endpoint == "opc.tcp://127.0.0.1:4840"  # still served here


def test_pnp_module_run_refuses_an_advertised_endpoint_that_is_not_opc_ua():
    from tests.cli.pnp_process import pnp_here

    result = pnp_here(
        "module", "run", "laser-cutter", "--dock", "A1", "--advertise-opcua", "http://x:1"
    )
    assert result.returncode == 2
    assert "--advertise-opcua" in result.stderr and "opc.tcp://" in result.stderr
