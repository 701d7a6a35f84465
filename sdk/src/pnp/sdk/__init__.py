"""What a module vendor installs: describe a module, register it, keep its session alive.

- ``descriptors``: typed capability envelopes, time models and utility needs, and their
  conversion to the ``pnp.v1`` contract.
- ``catalog``: the simulator's module kinds (``catalog.yaml``).
- ``session``: the gRPC client side of ``pnp.v1.ModuleRegistry`` (register with backoff,
  heartbeats, directives, re-registration after a lost session).
- ``sim``: the reference simulated module used by the demo and the tests.

This package imports only ``pnp.v1`` and itself, so vendors never install the orchestrator.
"""
