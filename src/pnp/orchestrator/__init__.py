"""The pnp orchestrator: the server, its domain logic, and the `pnp` CLI.

Layers, from the inside out (docs/architecture.md draws them):

- ``domain``: recipes, layouts, module descriptors, capability matching; pure Python.
- ``registry``: leases and epochs; pure, with an injected clock.
- ``planning``: turns open orders and live modules into a scheduler problem and back.
- ``store``: SQLAlchemy adapter (SQLite by default).
- ``service``: the factory's imperative shell tying the above together.
- ``api``: grpc.aio servicers; protobuf lives only here and in ``cli``.
- ``cli``: the ``pnp`` command, the composition root.
"""
