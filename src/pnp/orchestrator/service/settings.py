"""The factory's tunables: lease timing, planning effort, OPC UA credentials."""

from __future__ import annotations

from dataclasses import dataclass

from pnp.orchestrator.security.tls_files import TlsFiles


@dataclass(frozen=True)
class FactorySettings:
    # Defaults for a factory LAN: a lost module is noticed in seconds, not minutes.
    heartbeat_interval: float = 0.5
    lease_ttl: float = 2.0
    solve_time_limit: float = 5.0
    # Replans forced by a loss or failure must put a repaired plan in force fast; the
    # next ordinary replan improves on it with the full time limit.
    repair_time_limit: float = 0.5
    solve_workers: int = 2
    # Solve in worker processes (True) or a thread of ours (False: cheaper to start, for
    # tests; but planning's Python then competes with the event loop for the GIL).
    solve_in_processes: bool = True
    seed: int = 0
    # After a (re)start, work in flight on modules that have not registered again yet is
    # left alone this long (real seconds; at least two lease periods): modules retry
    # with backoff (the SDK's is capped at 5 s) and must not be declared lost meanwhile.
    restart_grace: float = 10.0
    # An attempt failed because its module was lost is remembered this long (real
    # seconds): if the module comes back and says it finished it, that result counts
    # and a re-run elsewhere is superseded (counted once).
    return_grace: float = 60.0
    # Factory seconds per real second; match the simulated modules' --time-scale.
    time_scale: float = 1.0
    # The orchestrator's certificate for its OPC UA links to modules; None: NoSecurity.
    opcua_security: TlsFiles | None = None
    # Where module OPC UA endpoints may live (CIDR texts); None: the layout's
    # module_networks, else loopback and the private ranges (security/endpoints.py).
    module_networks: tuple[str, ...] | None = None
