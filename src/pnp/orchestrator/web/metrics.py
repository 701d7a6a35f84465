"""/metrics: the factory in the Prometheus text format.

A collector reads the factory when scraped (nothing is counted on the side, so the
figures cannot drift from what the console shows), into a registry of its own: the
process-wide default registry would mix in whatever else runs in the process, and two
orchestrators in one test process would collide in it.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from pnp.orchestrator.api.status_snapshot import FactoryStatus
from pnp.orchestrator.service.factory import Factory
from pnp.orchestrator.web.documents import current_plan, snapshot
from pnp.orchestrator.web.event_stream import StreamCursors

CONTENT_TYPE = CONTENT_TYPE_LATEST

LIVENESS = ("alive", "suspect", "lost", "gone")
ORDER_STATES = (
    "NotAllowedToStart",
    "AllowedToStart",
    "Running",
    "Interrupted",
    "Completed",
    "Closed",
    "Aborted",
)
ATTEMPT_OUTCOMES = ("starting", "running", "complete", "failed")


class FactoryCollector(Collector):
    """Gauges over the latest status snapshot, taken just before each scrape."""

    def __init__(self, factory: Factory, cursors: StreamCursors) -> None:
        self.factory = factory
        self.cursors = cursors
        self.status: FactoryStatus | None = None  # set by ``ConsoleMetrics.scrape``
        self.solve_seconds = 0.0
        self.outcomes: dict[str, int] = {}  # attempts per state, read with the snapshot

    def collect(self):
        status = self.status
        if status is None:
            return
        modules = GaugeMetricFamily(
            "pnp_modules", "Modules known to the orchestrator, by liveness.", labels=["liveness"]
        )
        for liveness in LIVENESS:
            modules.add_metric([liveness], sum(1 for m in status.modules if m.liveness == liveness))
        yield modules
        yield GaugeMetricFamily(
            "pnp_modules_draining",
            "Modules draining: no new work, finishing what they run.",
            value=sum(1 for m in status.modules if m.draining and not m.released),
        )
        yield GaugeMetricFamily(
            "pnp_modules_released",
            "Modules drained and released: they may be unplugged.",
            value=sum(1 for m in status.modules if m.released),
        )
        orders = GaugeMetricFamily("pnp_orders", "Orders by state.", labels=["state"])
        for state in ORDER_STATES:
            orders.add_metric([state], sum(1 for o in status.orders if o.state == state))
        yield orders
        attempts = GaugeMetricFamily(
            "pnp_attempts", "Operation attempts by outcome.", labels=["outcome"]
        )
        for outcome in ATTEMPT_OUTCOMES:
            attempts.add_metric([outcome], self.outcomes.get(outcome, 0))
        yield attempts
        yield GaugeMetricFamily(
            "pnp_plan_version", "Version of the current plan.", value=status.plan_version
        )
        yield GaugeMetricFamily(
            "pnp_plan_solve_seconds",
            "Wall-clock seconds the solver took for the current plan.",
            value=self.solve_seconds,
        )
        last = self.factory.events.last_sequence
        yield GaugeMetricFamily(
            "pnp_event_log_sequence", "Sequence number of the latest event emitted.", value=last
        )
        yield GaugeMetricFamily(
            "pnp_event_log_lag_events",
            "Events emitted that the slowest open console stream has not sent yet.",
            value=self.cursors.lag(last),
        )
        yield GaugeMetricFamily(
            "pnp_console_streams", "Open console event streams.", value=len(self.cursors)
        )


class ConsoleMetrics:
    """The console's own registry, holding the factory collector."""

    def __init__(self, factory: Factory, cursors: StreamCursors) -> None:
        self.factory = factory
        self.collector = FactoryCollector(factory, cursors)
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self.collector)

    async def scrape(self) -> bytes:
        status = await snapshot(self.factory)
        plan = await current_plan(self.factory)
        outcomes = await self.factory.attempt_outcomes()  # counted in the store
        # No await between taking the snapshot and rendering it: one scrape, one moment.
        self.collector.status, self.collector.solve_seconds = status, plan.solve_seconds
        self.collector.outcomes = outcomes
        return generate_latest(self.registry)
