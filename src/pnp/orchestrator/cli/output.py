"""How the CLI shows things: rich tables for people, JSON (proto field names) for scripts."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

from rich.console import Console
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from pnp.orchestrator.api.status_snapshot import ORDER_STATE_NAMES
from pnp.orchestrator.cli.json_style import json_style
from pnp.v1 import module_pb2, order_pb2, plan_pb2

# Piped output (CI logs, `| less`) gets a generous fixed width instead of rich's 80
# columns, so operation ids are not cut off.
#
# Markup is off: names, paths and parameter values come from users and may contain
# "[...]"; styles are applied with Text objects instead.
console = Console(highlight=False, markup=False, width=None if sys.stdout.isatty() else 160)
errors = Console(
    stderr=True, highlight=False, markup=False, width=None if sys.stderr.isatty() else 160
)


def bold(text: str) -> Text:
    return Text(text, style="bold")


def styled(*parts: str | tuple[str, str]) -> Text:
    """Plain strings and (text, style) pairs, never parsed as markup."""
    return Text.assemble(*parts)


def as_dict(message) -> dict:
    """A pnp.v1 message as JSON for scripts, by the CLI's one convention (``json_style``):
    proto field names, every field present, numbers as numbers (protobuf's JSON writes
    64-bit integers as strings), enum values as lower-case words (``"empty"``, ``"not
    allowed to start"``), times as RFC 3339 UTC strings."""
    return json_style(message)


def emit_json(value) -> None:
    sys.stdout.write(json.dumps(value, indent=2, sort_keys=False) + "\n")
    sys.stdout.flush()


def emit_json_line(value) -> None:
    """One compact JSON object per line, flushed: for long-running commands' announcements."""
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


def _enum(enum_type, value: int, prefix: str) -> str:
    return enum_type.Name(value).removeprefix(prefix).replace("_", " ").lower()


def _time(stamp) -> str:
    if not stamp.seconds and not stamp.nanos:
        return "-"
    return stamp.ToDatetime(tzinfo=UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def duration_text(seconds: float) -> str:
    seconds = round(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days}d {text}" if days else text


def offset_text(seconds: float) -> str:
    """Time after a plan's origin; running work started before it, so it can be negative."""
    return ("-" if seconds < 0 else "+") + duration_text(abs(seconds))


# -- modules ------------------------------------------------------------------------------


def drain_note(draining: bool, released: bool) -> str:
    """What `pnp modules` and `pnp status` both add to a module's liveness, in one form:
    " (released)" once drained and told it may leave, " (draining)" before."""
    if released:
        return " (released)"
    return " (draining)" if draining else ""


def modules_table(modules) -> Table:
    table = Table(title=f"{len(modules)} module(s)", title_justify="left")
    for column in ("module", "kind", "dock", "liveness", "state", "epoch", "capabilities"):
        table.add_column(column)
    for module in modules:
        d = module.descriptor
        table.add_row(
            d.module_id,
            d.kind or d.model,
            d.dock,
            _enum(module_pb2.ModuleLiveness, module.liveness, "MODULE_LIVENESS_")
            + drain_note(module.draining, module.released),
            _enum(module_pb2.ItemState, module.item_state, "ITEM_STATE_"),
            str(module.epoch),
            ", ".join(c.name for c in d.capabilities),
        )
    return table


def module_detail(module) -> Tree:
    d = module.descriptor
    tree = Tree(styled((d.module_id, "bold"), f" {d.vendor} {d.model} (serial {d.serial})"))
    tree.add(f"dock {d.dock}, footprint {_enum(module_pb2.Footprint, d.footprint, 'FOOTPRINT_')}")
    tree.add(
        f"{_enum(module_pb2.ModuleLiveness, module.liveness, 'MODULE_LIVENESS_')}, "
        f"epoch {module.epoch}, lease until {_time(module.lease_expires_at)}"
    )
    u = d.utilities
    tree.add(
        f"utilities: {u.power_kw:g} kW, air {u.air_nl_per_min:g} Nl/min, "
        f"water {u.water_l_per_min:g} L/min"
    )
    capabilities = tree.add("capabilities")
    for capability in d.capabilities:
        tm = capability.time_model
        node = capabilities.add(
            styled(
                (capability.name, "bold"),
                f": setup {tm.setup_seconds:g} s, "
                f"{tm.seconds_per_unit:g} s per cycle of {tm.batch_capacity or 1}",
            )
        )
        for p in capability.parameters:
            kind = p.WhichOneof("constraint")
            if kind == "range":
                text = f"{p.name} {p.range.min:g}..{p.range.max:g} {p.range.unit}".rstrip()
            elif kind == "allowed":
                text = f"{p.name} in {{{', '.join(p.allowed.values)}}}"
            else:
                text = f"{p.name} (any)"
            node.add(text + (" [required]" if p.required else ""))
        for c in tm.changeovers:
            node.add(f"changeover {c.seconds:g} s when {c.parameter} changes")
    return tree


# -- orders -------------------------------------------------------------------------------


def orders_table(orders) -> Table:
    table = Table(title=f"{len(orders)} order(s)", title_justify="left")
    for column in ("order", "name", "product", "qty", "due", "priority", "state"):
        table.add_column(column)
    for order in orders:
        table.add_row(
            order.order_id,
            order.name,
            order.product,
            str(order.quantity),
            _time(order.due),
            str(order.priority),
            ORDER_STATE_NAMES.get(order.state, "?"),
        )
    return table


def order_detail(order, line_graph, step_states=()) -> Tree:
    """The order, its steps (each with where it stands, when ``step_states`` are given)
    and its line."""
    tree = Tree(
        styled(
            (order.order_id, "bold"),
            f" {order.name}: {order.quantity} x {order.product}, "
            f"{ORDER_STATE_NAMES.get(order.state, '?')}",
        )
    )
    tree.add(f"due {_time(order.due)}, priority {order.priority}, lots of {order.lot_size}")
    steps = tree.add("steps")
    standing = {s.step_id: s for s in step_states}
    for step in order.steps:
        parameters = ", ".join(f"{k}={_value(v)}" for k, v in sorted(step.parameters.items()))
        after = f" after {', '.join(step.after)}" if step.after else ""
        where = f": {standing[step.id].text()}" if step.id in standing else ""
        steps.add(f"{step.id}: {step.capability}({parameters}){after}{where}")
    if order.unmatched:
        tree.add(unmatched_tree(order.unmatched))
    tree.add(line_graph_tree(line_graph))
    return tree


def unmatched_tree(unmatched) -> Tree:
    node = Tree(Text("cannot be planned", style="bold red"))
    for u in unmatched:
        node.add(f"step {u.step_id} ({u.capability}): {u.reason}")
    return node


def _value(value: order_pb2.ParameterValue) -> str:
    kind = value.WhichOneof("kind")
    if kind == "number":
        return f"{value.number:g}"
    if kind == "flag":
        return "true" if value.flag else "false"
    return value.text


def line_graph_tree(graph: plan_pb2.LineGraph) -> Tree:
    tree = Tree(bold("line graph"))
    if not graph.nodes:
        tree.add("not planned yet")
        return tree
    for node in graph.nodes:
        tree.add(f"{node.module_id} @ {node.dock}: {', '.join(node.operation_ids)}")
    for edge in graph.edges:
        tree.add(
            f"{edge.from_module_id} -> {edge.to_module_id} "
            f"({edge.transport_seconds:g} s transport): {', '.join(edge.flows)}"
        )
    return tree


def line_graph_dot(graph: plan_pb2.LineGraph) -> str:
    lines = [f'digraph "{graph.order_id}" {{', "  rankdir=LR;"]
    for node in graph.nodes:
        label = "\\n".join([f"{node.module_id} @ {node.dock}", *node.operation_ids])
        lines.append(f'  "{node.module_id}" [shape=box, label="{label}"];')
    for edge in graph.edges:
        lines.append(
            f'  "{edge.from_module_id}" -> "{edge.to_module_id}" '
            f'[label="{edge.transport_seconds:g} s"];'
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- plans --------------------------------------------------------------------------------


def plan_summary(plan) -> str:
    status = _enum(plan_pb2.PlanStatus, plan.status, "PLAN_STATUS_")
    text = (
        f"plan v{plan.version}: {status}, {len(plan.assignments)} operation(s), "
        f"makespan {duration_text(plan.makespan_seconds)}, "
        f"weighted tardiness {duration_text(plan.weighted_tardiness_seconds)}, "
        f"solved in {plan.solve_seconds:.2f} s"
    )
    if plan.unplanned_order_ids:
        text += f"; not planned (no capable module): {', '.join(plan.unplanned_order_ids)}"
    return text


def plan_table(plan) -> Table:
    table = Table(title=plan_summary(plan), title_justify="left")
    for column in ("module", "operation", "units", "start", "end", "duration"):
        table.add_column(column)
    origin = plan.origin.ToDatetime(tzinfo=UTC)
    # In time order, as the floor will work through it; a module's rows by its column.
    for a in sorted(plan.assignments, key=lambda a: (a.start.ToNanoseconds(), a.module_id)):
        start = a.start.ToDatetime(tzinfo=UTC)
        end = a.end.ToDatetime(tzinfo=UTC)
        table.add_row(
            a.module_id,
            a.operation_id,
            str(a.units),
            offset_text((start - origin).total_seconds()),
            offset_text((end - origin).total_seconds()),
            duration_text((end - start).total_seconds()),
        )
    return table


def kpi_summary(kpis) -> str:
    return (
        f"KPIs: {kpis.orders_completed}/{kpis.orders} orders completed, "
        f"{kpis.orders_on_time} on time, makespan {duration_text(kpis.makespan_seconds)} "
        f"(factory time), {kpis.failed_attempts} failed attempt(s)"
    )


def kpi_table(kpis) -> Table:
    table = Table(title="utilization per module", title_justify="left")
    table.add_column("module")
    table.add_column("utilization", justify="right")
    for module_id, share in sorted(kpis.utilization.items()):
        table.add_row(module_id, f"{share:.0%}")
    return table


def now_text() -> str:
    return datetime.now(UTC).strftime("%H:%M:%S")
