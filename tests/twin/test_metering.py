"""Metered use, checked against a second way of counting written here, not in the code.

Every time in these histories is a whole second, so the expected figures are found by
walking the period second by second and asking, for each second, what the module was
doing: a plain reading of the definitions (docs/digital-twin.md) rather than the
interval arithmetic the metering uses. The two must agree exactly.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from pnp.orchestrator.domain.attempts import Attempt, AttemptState
from pnp.orchestrator.errors import BadInput
from pnp.orchestrator.twin.metering import Grouping, UsageRecords, UsageState, meter
from pnp.orchestrator.twin.records import DrainMark, LeaseSpan, Period, PowerSample

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def at(second: int) -> datetime:
    return T0 + timedelta(seconds=second)


def attempt(execution_id, module_id, order_id, start, end, state, units=2) -> Attempt:
    return Attempt(
        execution_id=execution_id,
        operation_id=f"{order_id}-op-{execution_id}",
        order_id=order_id,
        module_id=module_id,
        epoch=1,
        capability="cutting.laser",
        parameters={},
        units=units,
        state=state,
        started_at=at(start),
        ended_at=None if end is None else at(end),
    )


# Two lasers from Acme, a welder from Weld & Co. laser-a is lost at 500 and comes back at
# 600 (a new epoch), and is asked to drain at 900; the welder arrives late, at 300.
HISTORY = UsageRecords(
    now=at(1200),
    leases=[
        LeaseSpan("laser-a", 1, "Acme", at(0), at(500)),
        LeaseSpan("laser-a", 2, "Acme", at(600), None),
        LeaseSpan("laser-b", 1, "Acme", at(0), None),
        LeaseSpan("welder", 1, "Weld & Co", at(300), None),
    ],
    attempts=[
        attempt("e1", "laser-a", "o1", 100, 200, AttemptState.COMPLETE),
        attempt("e2", "laser-a", "o2", 450, 520, AttemptState.FAILED),  # lost under it
        attempt("e3", "laser-b", "o2", 530, 700, AttemptState.COMPLETE, units=3),
        attempt("e4", "laser-a", "o1", 800, 1000, AttemptState.COMPLETE),
        attempt("e5", "welder", "o1", 1050, None, AttemptState.RUNNING),
        attempt("e6", "laser-b", "o3", 1100, 1150, AttemptState.SUPERSEDED),
    ],
    drains=[DrainMark("laser-a", at(900))],
    power=[
        PowerSample("e1", at(100), 40.0),
        PowerSample("e1", at(150), 20.0),
        PowerSample("e2", at(460), 30.0),
        PowerSample("e3", at(530), 10.0),
        PowerSample("e3", at(600), 12.0),
        PowerSample("e4", at(800), 40.0),
        PowerSample("e5", at(1050), 8.0),
        PowerSample("e5", at(1100), 9.0),
    ],
)


def expected_by_walking(records: UsageRecords, start: int, end: int):
    """Per module and per order: seconds by state, units, kWh, cycles, failures."""
    now = int((records.now - T0).total_seconds())

    def sec(moment):
        return None if moment is None else int((moment - T0).total_seconds())

    modules = {lease.module_id for lease in records.leases}
    per_module = {}
    per_order = defaultdict(lambda: defaultdict(float))
    for module_id in sorted(modules):
        leases = [
            (sec(x.granted_at), sec(x.ended_at) or now)
            for x in records.leases
            if x.module_id == module_id
        ]
        arrived = min(s for s, _ in leases)
        mine = [a for a in records.attempts if a.module_id == module_id]
        drains = [sec(d.at) for d in records.drains if d.module_id == module_id]
        counts = defaultdict(float)
        for t in range(max(start, arrived), min(end, now)):
            lease = next(((s, e) for s, e in leases if s <= t < e), None)
            running = [a for a in mine if sec(a.started_at) <= t < (sec(a.ended_at) or now)]
            if lease is None:
                counts["out_of_service"] += 1
            elif running:
                counts["executing"] += 1
                for a in running:
                    per_order[a.order_id]["executing"] += 1
            elif any(d <= t and lease[0] <= d < lease[1] for d in drains):
                counts["held"] += 1
            else:
                counts["idle"] += 1
        for a in mine:
            power = sorted(
                (sec(p.time), p.kilowatts)
                for p in records.power
                if p.execution_id == a.execution_id
            )
            kwh = 0.0
            for t in range(max(start, sec(a.started_at)), min(end, sec(a.ended_at) or now)):
                readings = [kw for when, kw in power if when <= t]
                kwh += (readings[-1] if readings else 0.0) / 3600.0
            counts["energy_kwh"] += kwh
            per_order[a.order_id]["energy_kwh"] += kwh
            ended = a.ended_at is not None and start <= sec(a.ended_at) < end
            if ended and a.state is AttemptState.COMPLETE:
                counts["units"] += a.units
                per_order[a.order_id]["units"] += a.units
            if ended and a.state in (AttemptState.COMPLETE, AttemptState.FAILED):
                counts["cycles"] += 1
                per_order[a.order_id]["cycles"] += 1
            if ended and a.state is AttemptState.FAILED:
                counts["failures"] += 1
                per_order[a.order_id]["failures"] += 1
        per_module[module_id] = counts
    return per_module, per_order


def figures(usage) -> dict[str, float]:
    return {
        **{s.value: usage.seconds_by_state[s] for s in UsageState},
        "units": usage.units,
        "energy_kwh": usage.energy_kwh,
        "cycles": usage.cycles,
        "failures": usage.failures,
    }


def walked(counts) -> dict[str, float]:
    keys = ["executing", "idle", "held", "out_of_service", "units", "energy_kwh"]
    return {k: counts.get(k, 0.0) for k in [*keys, "cycles", "failures"]}


PERIODS = [(0, 1200), (0, 3600), (150, 650), (480, 530), (900, 1100), (1190, 1300)]


@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_usage_by_module_reconciles_second_by_second(start, end):
    per_module, _ = expected_by_walking(HISTORY, start, end)
    rows = meter(HISTORY, Period(at(start), at(end)), Grouping.MODULE)
    got = {row.key: figures(row.usage) for row in rows}
    # A module that had not arrived before the period ended has no row.
    want = {m: walked(c) for m, c in per_module.items() if any(walked(c).values())}
    assert got.keys() == want.keys()
    for module_id in want:
        assert got[module_id] == pytest.approx(want[module_id], abs=1e-9), module_id


@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_usage_by_order_reconciles_second_by_second(start, end):
    _, per_order = expected_by_walking(HISTORY, start, end)
    rows = meter(HISTORY, Period(at(start), at(end)), Grouping.ORDER)
    got = {row.key: figures(row.usage) for row in rows}
    want = {o: walked(c) for o, c in per_order.items() if any(walked(c).values())}
    assert got.keys() == want.keys()
    for order_id in want:
        assert got[order_id] == pytest.approx(want[order_id], abs=1e-9), order_id


def test_usage_by_vendor_is_the_sum_of_its_modules():
    period = Period(at(0), at(1200))
    by_module = {r.key: r for r in meter(HISTORY, period, Grouping.MODULE)}
    by_vendor = {r.key: r.usage for r in meter(HISTORY, period, Grouping.VENDOR)}
    assert sorted(by_vendor) == ["Acme", "Weld & Co"]
    acme = by_module["laser-a"].usage.plus(by_module["laser-b"].usage)
    assert figures(by_vendor["Acme"]) == pytest.approx(figures(acme))
    assert figures(by_vendor["Weld & Co"]) == pytest.approx(figures(by_module["welder"].usage))


def test_a_modules_hours_add_up_to_its_time_at_the_factory():
    rows = meter(HISTORY, Period(at(0), at(1200)), Grouping.MODULE)
    for row in rows:
        arrived = 300 if row.key == "welder" else 0
        assert sum(row.usage.seconds_by_state.values()) == pytest.approx(1200 - arrived)


def test_the_hand_worked_bill_of_laser_a():
    """The same figures worked out by hand, so the walk itself is checked too."""
    [row] = [
        r for r in meter(HISTORY, Period(at(0), at(1200)), Grouping.MODULE) if r.key == "laser-a"
    ]
    hours = {s: row.usage.seconds_by_state[s] for s in UsageState}
    # executing: 100-200, 450-500 (lost at 500), 800-1000; held: 900-1200 less 900-1000.
    assert hours == {
        UsageState.EXECUTING: 100 + 50 + 200,
        UsageState.HELD: 200,
        UsageState.OUT_OF_SERVICE: 100,
        UsageState.IDLE: 1200 - 350 - 200 - 100,
    }
    assert (row.usage.units, row.usage.cycles, row.usage.failures) == (4, 3, 1)
    # e1: 40 kW for 50 s + 20 kW for 50 s; e2: 30 kW for 60 s; e4: 40 kW for 200 s.
    assert row.usage.energy_kwh == pytest.approx((2000 + 1000 + 1800 + 8000) / 3600)


def test_an_empty_or_zoneless_period_is_refused():
    with pytest.raises(BadInput, match="later than"):
        Period(at(10), at(10))
    with pytest.raises(BadInput, match="zone"):
        Period(datetime(2026, 12, 1), datetime(2026, 12, 2))
