"""The planner's live web console: `pnp serve --web HOST:PORT`.

Served from the orchestrator process, on its event loop, beside the gRPC server: one
page (``static/``: HTML, CSS and plain JavaScript, no build step, nothing from the
internet) that draws the floor, the orders, the Gantt chart and the event stream from
JSON endpoints (``documents``), kept live by server-sent events (``event_stream``),
plus ``/metrics`` for Prometheus (``metrics``) and ``/healthz``. It sits beside
``pnp.orchestrator.api`` and reads the factory through the same conversions.
"""
