"""An independent check of a plan, written against the wire contract only.

It does not import the orchestrator or the scheduler: it reads the plan, the orders and
the modules as pnp.v1 messages, and the layout as raw YAML, and recomputes everything
it needs (lots, capability coverage, durations, transport shortest paths) on its own.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import defaultdict
from pathlib import Path

import yaml


def transport_table(layout_path: Path) -> dict[tuple[str, str], float]:
    """Shortest transport seconds between every pair of docks (Dijkstra from each)."""
    spec = yaml.safe_load(layout_path.read_text())["spec"]
    neighbours: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for link in spec["links"]:
        neighbours[link["from"]].append((link["to"], link["seconds"]))
        neighbours[link["to"]].append((link["from"], link["seconds"]))
    docks = [d["id"] for d in spec["docks"]]
    table = {}
    for source in docks:
        best = {source: 0.0}
        queue = [(0.0, source)]
        while queue:
            cost, dock = heapq.heappop(queue)
            if cost > best.get(dock, math.inf):
                continue
            for other, seconds in neighbours[dock]:
                if cost + seconds < best.get(other, math.inf):
                    best[other] = cost + seconds
                    heapq.heappush(queue, (cost + seconds, other))
        for target, cost in best.items():
            table[source, target] = cost
    return table


def _value(parameter_value):
    kind = parameter_value.WhichOneof("kind")
    return getattr(parameter_value, kind)


def covers(capability, parameters: dict) -> bool:
    specs = {p.name: p for p in capability.parameters}
    for spec in capability.parameters:
        if spec.required and spec.name not in parameters:
            return False
    for name, value in parameters.items():
        spec = specs.get(name)
        if spec is None:
            return False
        kind = spec.WhichOneof("constraint")
        if kind == "range" and not (
            isinstance(value, float) and spec.range.min <= value <= spec.range.max
        ):
            return False
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        if kind == "allowed" and text not in spec.allowed.values:
            return False
    return True


def check_plan(plan, orders, modules, transport=None) -> list[str]:
    """Every violation found; an empty list means the plan is valid."""
    problems: list[str] = []
    by_module = {m.descriptor.module_id: m.descriptor for m in modules}
    placed = {(a.order_id, a.step_id, a.lot): a for a in plan.assignments}
    if len(placed) != len(plan.assignments):
        problems.append("an operation is assigned more than once")

    for order in orders:
        if order.order_id in plan.unplanned_order_ids:
            continue
        lots = math.ceil(order.quantity / (order.lot_size or order.quantity))
        for lot in range(1, lots + 1):
            units = min(order.lot_size, order.quantity - (lot - 1) * order.lot_size)
            for step in order.steps:
                a = placed.get((order.order_id, step.id, lot))
                if a is None:
                    problems.append(f"{order.order_id} step {step.id} lot {lot} is not planned")
                    continue
                module = by_module.get(a.module_id)
                capability = (
                    next((c for c in module.capabilities if c.name == step.capability), None)
                    if module
                    else None
                )
                parameters = {k: _value(v) for k, v in step.parameters.items()}
                if capability is None or not covers(capability, parameters):
                    problems.append(f"{a.operation_id} is on {a.module_id}, which cannot do it")
                    continue
                tm = capability.time_model
                expected = math.ceil(
                    tm.setup_seconds
                    + math.ceil(units / (tm.batch_capacity or 1)) * tm.seconds_per_unit
                )
                if a.end.ToSeconds() - a.start.ToSeconds() != expected:
                    problems.append(
                        f"{a.operation_id} lasts the wrong time (expected {expected} s)"
                    )
                for before_id in step.after:
                    b = placed.get((order.order_id, before_id, lot))
                    if b is None:
                        continue
                    gap = 0.0
                    if transport is not None and b.module_id != a.module_id:
                        gap = transport[by_module[b.module_id].dock, by_module[a.module_id].dock]
                    if b.end.ToSeconds() + gap > a.start.ToSeconds():
                        problems.append(
                            f"{a.operation_id} starts before {b.operation_id} ends "
                            f"(+{gap:g} s transport)"
                        )

    per_module = defaultdict(list)
    for a in plan.assignments:
        per_module[a.module_id].append((a.start.ToSeconds(), a.end.ToSeconds(), a.operation_id))
    for module_id, intervals in per_module.items():
        intervals.sort()
        for (_s1, e1, o1), (s2, _e2, o2) in itertools.pairwise(intervals):
            if s2 < e1:
                problems.append(f"{module_id} runs {o1} and {o2} at once")
    return problems
