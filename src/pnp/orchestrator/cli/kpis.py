"""Production KPIs from what happened (attempts) and what was promised (due dates)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from pnp.v1 import attempt_pb2


@dataclass(frozen=True)
class Kpis:
    orders: int
    orders_completed: int
    orders_on_time: int
    makespan_seconds: float
    utilization: dict[str, float]  # module id -> busy share of the makespan
    failed_attempts: int

    def as_dict(self) -> dict:
        return {
            "orders": self.orders,
            "orders_completed": self.orders_completed,
            "orders_on_time": self.orders_on_time,
            "makespan_seconds": round(self.makespan_seconds, 1),
            "utilization": {k: round(v, 3) for k, v in sorted(self.utilization.items())},
            "failed_attempts": self.failed_attempts,
        }


def compute_kpis(orders, attempts, module_ids: list[str]) -> Kpis:
    """``orders`` and ``attempts`` are pnp.v1 messages; times are factory time."""
    complete = [a for a in attempts if a.state == attempt_pb2.ATTEMPT_STATE_COMPLETE]
    started = [a.started_at.ToDatetime() for a in attempts]
    ended = [a.ended_at.ToDatetime() for a in attempts if a.HasField("ended_at")]
    makespan = (max(ended) - min(started)).total_seconds() if started and ended else 0.0
    busy: dict[str, float] = defaultdict(float)
    for a in attempts:
        if a.HasField("ended_at"):
            busy[a.module_id] += (
                a.ended_at.ToDatetime() - a.started_at.ToDatetime()
            ).total_seconds()
    completed = [o for o in orders if o.HasField("completed_at")]
    on_time = [
        o
        for o in completed
        if not o.HasField("due") or o.completed_at.ToSeconds() <= o.due.ToSeconds()
    ]
    return Kpis(
        orders=len(orders),
        orders_completed=len(completed),
        orders_on_time=len(on_time),
        makespan_seconds=makespan,
        utilization={m: (busy[m] / makespan if makespan else 0.0) for m in module_ids},
        failed_attempts=len(attempts)
        - len(complete)
        - sum(
            1
            for a in attempts
            if a.state in (attempt_pb2.ATTEMPT_STATE_STARTING, attempt_pb2.ATTEMPT_STATE_RUNNING)
        ),
    )
