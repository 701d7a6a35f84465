"""The replicated orchestrator's part of the contract: how a client finds the leader,
and how a leader's fencing term travels.

Only one replica of an orchestrator (the leader) serves; a standby answers every call
with gRPC status UNAVAILABLE and names the leader in the trailing metadata under
``LEADER_METADATA_KEY`` (``host:port``, empty while no leader is known). Clients that
were given a comma-separated list of addresses try the named leader first, then the
rest of the list.

Each leader holds a term, a number that only rises across takeovers. The term reaches
modules over their registry session and with every OPC UA ``Start``; a module refuses a
``Start`` or a directive that carries an older term than the newest it has seen, so a
deposed leader that wakes up cannot start work.
"""

from __future__ import annotations

# Trailing metadata of a standby's UNAVAILABLE answer: the leader's "host:port".
LEADER_METADATA_KEY = "pnp-leader"
# Request metadata a leader may attach to its calls: its fencing term, as decimal text.
TERM_METADATA_KEY = "pnp-term"
# The separator of an address list in --orchestrator and PNP_ORCHESTRATOR.
ADDRESS_SEPARATOR = ","
