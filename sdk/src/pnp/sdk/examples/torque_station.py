"""A complete vendor module in about a page: a torque-controlled screwing station.

Run it next to an orchestrator (``pnp serve``):

    python -m pnp.sdk.examples.torque_station --dock B2

It serves its skill over OPC UA at once, registers on its dock over gRPC, and takes
work. ``pnp module check opc.tcp://127.0.0.1:<port>`` runs the conformance kit on it.
With ``--tls-dir`` (or ``$PNP_TLS_DIR``), a factory PKI folder holding ``ca.pem`` and
the module's ``modules/<id>.pem|.key``, it runs secured (docs/security.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random

from pnp.sdk import (
    ENV_TLS_DIR,
    CapabilitySpec,
    Module,
    ModuleSecurity,
    ModuleType,
    ParameterEnvelope,
    SkillContext,
    TimeModel,
)

# 1. Describe what the module can do: capability, parameter envelope, time model.
TORQUE_STATION = ModuleType(
    vendor="Example Robotics",
    model="TS-1 Torque Station",
    footprint="ISO_10FT",
    capabilities=(
        CapabilitySpec(
            name="assembly.fastening",
            parameters=(ParameterEnvelope(name="torque_nm", min=2, max=60, unit="N*m"),),
            time=TimeModel(setup_s=20, per_unit_s=40),
        ),
    ),
)


def build(
    module_id: str,
    dock: str,
    orchestrator: str,
    time_scale: float = 1.0,
    security: ModuleSecurity | None = None,
) -> Module:
    module = Module(
        TORQUE_STATION,
        module_id=module_id,
        dock=dock,
        orchestrator=orchestrator,
        time_scale=time_scale,
        security=security,
    )
    module.set_telemetry("PowerKw", 0.4)

    # 2. Write the skill: an async function of the context. Use ctx.sleep (or
    #    ctx.checkpoint) so Hold, Suspend, Stop and Abort take effect; return the results.
    @module.skill("assembly.fastening")
    async def fasten(ctx: SkillContext) -> dict:
        torque = ctx.parameters.get("torque_nm", 10)
        measured = []
        for screw in range(ctx.units):
            await ctx.sleep(40)  # factory seconds per unit, as the time model says
            measured.append(round(torque * random.uniform(0.98, 1.02), 2))
            ctx.progress((screw + 1) / ctx.units)
        ctx.telemetry("ScrewsFastened", len(measured))
        return {"torque_nm": measured}

    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--id", default="torque-station-1")
    parser.add_argument("--dock", required=True)
    parser.add_argument("--orchestrator", default="127.0.0.1:50051")
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--tls-dir", default=os.environ.get(ENV_TLS_DIR))
    args = parser.parse_args()
    security = ModuleSecurity.from_directory(args.tls_dir, args.id) if args.tls_dir else None
    # 3. Run it: OPC UA at once, registration with retries, until Ctrl-C.
    module = build(args.id, args.dock, args.orchestrator, args.time_scale, security)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(module.run())


if __name__ == "__main__":
    main()
