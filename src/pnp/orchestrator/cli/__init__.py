"""The ``pnp`` command: the composition root of orchestrator, simulator and client."""
