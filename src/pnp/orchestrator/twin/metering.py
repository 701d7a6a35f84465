"""Metered use of modules: the bill for leased modules (power by the hour).

For a period, each module's time is split into four states, which add up to the time
the module was at the factory within the period (from its first registration on):

- ``out_of_service``: no live lease (not registered, lost, deregistered);
- ``executing``: running an attempt (any outcome: the machine time was used);
- ``held``: registered but held back from new work, from a drain request until the
  lease ended;
- ``idle``: registered, not executing, not held.

Units are those of attempts that completed within the period; cycles are attempts that
ended in it (complete or failed), failures those that failed. Energy integrates the
module's ``PowerKw`` telemetry: OPC UA data-change subscriptions report a value when it
changes, so each reading holds until the next one of the same execution (or the
attempt's end), and the integral is exact for what was reported. Energy is only known
while an execution records telemetry.

Grouped by order, only what an attempt did belongs to an order: executing hours, units,
energy, cycles and failures; idle, held and out-of-service hours are the modules'.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from pnp.orchestrator.domain.attempts import Attempt, AttemptState
from pnp.orchestrator.twin.intervals import Spans, intersect, measure, seconds, subtract, union
from pnp.orchestrator.twin.records import DrainMark, LeaseSpan, Period, PowerSample

_Keyed = TypeVar("_Keyed", LeaseSpan, Attempt, DrainMark)


class UsageState(enum.Enum):
    EXECUTING = "executing"
    IDLE = "idle"
    HELD = "held"
    OUT_OF_SERVICE = "out_of_service"


class Grouping(enum.Enum):
    MODULE = "module"
    VENDOR = "vendor"
    ORDER = "order"


@dataclass(frozen=True)
class Usage:
    """Metered figures of one module, vendor or order over a period."""

    seconds_by_state: dict[UsageState, float] = field(
        default_factory=lambda: dict.fromkeys(UsageState, 0.0)
    )
    units: int = 0
    energy_kwh: float = 0.0
    cycles: int = 0
    failures: int = 0

    def hours(self, state: UsageState) -> float:
        return self.seconds_by_state[state] / 3600.0

    def plus(self, other: Usage) -> Usage:
        return Usage(
            {s: self.seconds_by_state[s] + other.seconds_by_state[s] for s in UsageState},
            self.units + other.units,
            self.energy_kwh + other.energy_kwh,
            self.cycles + other.cycles,
            self.failures + other.failures,
        )


@dataclass(frozen=True)
class UsageRow:
    key: str  # the module id, vendor or order id
    usage: Usage
    vendor: str = ""  # the module's vendor (rows by module)


@dataclass(frozen=True)
class UsageRecords:
    """Everything metering reads: the store's history as plain values. ``now`` closes
    what is still open (live leases, running attempts)."""

    now: datetime
    leases: Sequence[LeaseSpan]
    attempts: Sequence[Attempt]
    drains: Sequence[DrainMark] = ()
    power: Sequence[PowerSample] = ()


def meter(records: UsageRecords, period: Period, by: Grouping) -> list[UsageRow]:
    """The usage rows of ``period``, one per module, vendor or order, sorted by key."""
    per_module = module_usage(records, period)
    if by is Grouping.MODULE:
        vendors = _vendors(records.leases)
        return [UsageRow(m, u, vendors.get(m, "")) for m, u in sorted(per_module.items())]
    if by is Grouping.VENDOR:
        vendors = _vendors(records.leases)
        totals: dict[str, Usage] = {}
        for module_id, usage in per_module.items():
            vendor = vendors.get(module_id, "")
            totals[vendor] = totals[vendor].plus(usage) if vendor in totals else usage
        return [UsageRow(v, u) for v, u in sorted(totals.items())]
    return [UsageRow(o, u) for o, u in sorted(_order_usage(records, period).items())]


def module_usage(records: UsageRecords, period: Period) -> dict[str, Usage]:
    """Per module that was at the factory within the period, its usage."""
    leases = _by_module(records.leases)
    attempts = _by_module(records.attempts)
    drains = _by_module(records.drains)
    energy = _energy_by_attempt(records, period)
    usage = {}
    for module_id, spans in leases.items():
        arrived = min(seconds(lease.granted_at) for lease in spans)
        window = _window(period, records.now, start=max(seconds(period.start), arrived))
        if not window:
            continue
        mine = attempts.get(module_id, [])
        live = intersect(union(_lease_interval(lease, records.now) for lease in spans), window)
        executing = intersect(union(_attempt_interval(a, records.now) for a in mine), live)
        held = subtract(
            intersect(_held_zone(drains.get(module_id, []), spans, records.now), live), executing
        )
        ended = [a for a in mine if _ended_within(a, period)]
        usage[module_id] = Usage(
            {
                UsageState.EXECUTING: measure(executing),
                UsageState.HELD: measure(held),
                UsageState.IDLE: measure(subtract(subtract(live, executing), held)),
                UsageState.OUT_OF_SERVICE: measure(subtract(window, live)),
            },
            units=sum(a.units for a in ended if a.state is AttemptState.COMPLETE),
            energy_kwh=sum(energy.get(a.execution_id, 0.0) for a in mine),
            cycles=sum(1 for a in ended if a.state in (AttemptState.COMPLETE, AttemptState.FAILED)),
            failures=sum(1 for a in ended if a.state is AttemptState.FAILED),
        )
    return usage


def _order_usage(records: UsageRecords, period: Period) -> dict[str, Usage]:
    live_of = {
        module_id: union(_lease_interval(lease, records.now) for lease in spans)
        for module_id, spans in _by_module(records.leases).items()
    }
    window = _window(period, records.now, start=seconds(period.start))
    energy = _energy_by_attempt(records, period)
    totals: dict[str, Usage] = defaultdict(Usage)
    for attempt in records.attempts:
        ran = intersect(
            intersect(union([_attempt_interval(attempt, records.now)]), window),
            live_of.get(attempt.module_id, ()),
        )
        ended = _ended_within(attempt, period)
        if not ran and not ended:
            continue
        complete = ended and attempt.state is AttemptState.COMPLETE
        failed = ended and attempt.state is AttemptState.FAILED
        totals[attempt.order_id] = totals[attempt.order_id].plus(
            Usage(
                {**dict.fromkeys(UsageState, 0.0), UsageState.EXECUTING: measure(ran)},
                units=attempt.units if complete else 0,
                energy_kwh=energy.get(attempt.execution_id, 0.0),
                cycles=int(complete or failed),
                failures=int(failed),
            )
        )
    return dict(totals)


def _energy_by_attempt(records: UsageRecords, period: Period) -> dict[str, float]:
    """kWh per execution id within the period: each reading held until the next."""
    readings: dict[str, list[PowerSample]] = defaultdict(list)
    for sample in records.power:
        readings[sample.execution_id].append(sample)
    energy = {}
    for attempt in records.attempts:
        samples = sorted(readings.get(attempt.execution_id, []), key=lambda s: s.time)
        if not samples:
            continue
        ran = intersect(
            union([_attempt_interval(attempt, records.now)]),
            union([(seconds(period.start), seconds(period.end))]),
        )
        ends = [seconds(s.time) for s in samples[1:]]
        ends.append(_attempt_interval(attempt, records.now)[1])
        kilowatt_seconds = sum(
            sample.kilowatts * measure(intersect(union([(seconds(sample.time), end)]), ran))
            for sample, end in zip(samples, ends, strict=True)
        )
        energy[attempt.execution_id] = kilowatt_seconds / 3600.0
    return energy


def _window(period: Period, now: datetime, start: float) -> Spans:
    return union([(start, min(seconds(period.end), seconds(now)))])


def _lease_interval(lease: LeaseSpan, now: datetime) -> tuple[float, float]:
    return seconds(lease.granted_at), seconds(lease.ended_at or now)


def _attempt_interval(attempt: Attempt, now: datetime) -> tuple[float, float]:
    return seconds(attempt.started_at), seconds(attempt.ended_at or now)


def _held_zone(drains: Iterable[DrainMark], leases: Iterable[LeaseSpan], now: datetime) -> Spans:
    """From each drain request to the end of the lease it fell in."""
    zone = []
    for drain in drains:
        at = seconds(drain.at)
        for lease in leases:
            start, end = _lease_interval(lease, now)
            if start <= at < end:
                zone.append((at, end))
    return union(zone)


def _ended_within(attempt: Attempt, period: Period) -> bool:
    return attempt.ended_at is not None and period.start <= attempt.ended_at < period.end


def _vendors(leases: Iterable[LeaseSpan]) -> dict[str, str]:
    """Each module's vendor, as its newest registration declared it."""
    newest: dict[str, LeaseSpan] = {}
    for lease in leases:
        if lease.module_id not in newest or lease.epoch > newest[lease.module_id].epoch:
            newest[lease.module_id] = lease
    return {module_id: lease.vendor for module_id, lease in newest.items()}


def _by_module(items: Iterable[_Keyed]) -> dict[str, list[_Keyed]]:
    grouped: dict[str, list[_Keyed]] = defaultdict(list)
    for item in items:
        grouped[item.module_id].append(item)
    return grouped
