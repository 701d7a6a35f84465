"""Limits on what arrives over the network, beyond those on recipes and descriptors.

Recipe limits live with the recipe (``domain.recipes``, ``domain.yaml_source``) and
descriptor limits with the descriptor (``domain.modules``); ``docs/security.md``
lists them all in one table.
"""

from __future__ import annotations

from pnp.orchestrator.security.rate_limits import RateLimit

# The largest legitimate request is a recipe (256 KiB of YAML) or a descriptor with 64
# capabilities; anything above 4 MiB is refused by gRPC before it is parsed. (Counts
# inside a message are checked before walking it: see MAX_CAPABILITIES.)
MAX_RECEIVE_MESSAGE_BYTES = 4 * 1024 * 1024
# Responses (plans, order lists) may be larger than requests.
MAX_SEND_MESSAGE_BYTES = 16 * 1024 * 1024
# Each module holds one Session stream, planners follow events, and after a takeover
# every module registers again while its old stream may not have closed yet: room for
# 5000 modules (the HA issue's bound) twice over, and a cap on what a flood can tie up.
MAX_CONCURRENT_RPCS = 12288
# A what-if plans the whole factory again: this many modules added or taken out at most.
MAX_WHAT_IF_CHANGES = 64
# A module registers once per boot and after outages, with backoff (0.1 s, 0.2 s, ...).
REGISTRATION_RATE = RateLimit(per_second=2.0, burst=10)
