"""An independent check of what actually happened, from the recorded attempts.

Written against the wire contract only (pnp.v1 Attempt, Order, Module): it does not
import the orchestrator. It checks that every operation of every order completed
exactly once, on a module whose capability envelope covers the step, after its
predecessors completed, and that no module ran two attempts at once.
"""

from __future__ import annotations

import itertools
import json
import math
from collections import defaultdict

from pnp.v1 import attempt_pb2
from tests.e2e.plan_checker import covers


def check_history(orders, attempts, modules) -> list[str]:
    problems: list[str] = []
    descriptors = {m.descriptor.module_id: m.descriptor for m in modules}
    complete = [a for a in attempts if a.state == attempt_pb2.ATTEMPT_STATE_COMPLETE]
    by_operation = defaultdict(list)
    for attempt in complete:
        by_operation[attempt.operation_id].append(attempt)

    for order in orders:
        lots = math.ceil(order.quantity / (order.lot_size or order.quantity))
        for lot in range(1, lots + 1):
            for step in order.steps:
                op_id = _operation_id(order.order_id, step.id, lot, lots)
                done = by_operation.get(op_id, [])
                if len(done) != 1:
                    problems.append(f"{op_id} completed {len(done)} times, expected once")
                    continue
                attempt = done[0]
                module = descriptors.get(attempt.module_id)
                capability = (
                    next((c for c in module.capabilities if c.name == step.capability), None)
                    if module
                    else None
                )
                parameters = {
                    k: getattr(v, v.WhichOneof("kind")) for k, v in step.parameters.items()
                }
                if capability is None or not covers(capability, parameters):
                    problems.append(f"{op_id} ran on {attempt.module_id}, which cannot do it")
                if json.loads(attempt.parameters_json) != parameters:
                    problems.append(f"{op_id} ran with other parameters than the recipe's")
                for before in step.after:
                    earlier = by_operation.get(_operation_id(order.order_id, before, lot, lots), [])
                    if (
                        earlier
                        and earlier[0].ended_at.ToNanoseconds() > attempt.started_at.ToNanoseconds()
                    ):
                        problems.append(f"{op_id} started before {earlier[0].operation_id} ended")

    per_module = defaultdict(list)
    for attempt in attempts:
        if attempt.HasField("ended_at"):
            per_module[attempt.module_id].append(
                (
                    attempt.started_at.ToNanoseconds(),
                    attempt.ended_at.ToNanoseconds(),
                    attempt.operation_id,
                )
            )
    for module_id, spans in per_module.items():
        spans.sort()
        for (_, end, first), (start, _, second) in itertools.pairwise(spans):
            if start < end:
                problems.append(f"{module_id} ran {first} and {second} at once")
    return problems


def _operation_id(order_id: str, step_id: str, lot: int, lots: int) -> str:
    # The operation naming of the contract: "<order>/<step>", "#<lot>" when there are lots.
    return f"{order_id}/{step_id}" if lots == 1 else f"{order_id}/{step_id}#{lot}"
