"""Per-peer token buckets: how often one caller may do something costly (register).

A legitimate module registers once per boot and again after an outage, with backoff;
a burst of ``burst`` calls is allowed, then ``per_second`` on average. A peer over
its budget is refused until its bucket refills. The table of peers is bounded (the
least recently seen are forgotten first), so a flood of fresh peers cannot grow it.
Time is injected: ``allow`` takes the monotonic ``now``.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimit:
    per_second: float
    burst: int


@dataclass
class _Bucket:
    tokens: float
    updated: float


class PeerRateLimiter:
    def __init__(self, limit: RateLimit, max_peers: int = 10_000) -> None:
        self.limit = limit
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._max_peers = max_peers

    def allow(self, peer: str, now: float) -> bool:
        """Takes one token from ``peer``'s bucket; False when it is empty."""
        bucket = self._buckets.pop(peer, None) or _Bucket(float(self.limit.burst), now)
        elapsed = max(0.0, now - bucket.updated)
        refilled = bucket.tokens + elapsed * self.limit.per_second
        bucket.tokens = min(float(self.limit.burst), refilled)
        bucket.updated = now
        allowed = bucket.tokens >= 1.0
        if allowed:
            bucket.tokens -= 1.0
        self._buckets[peer] = bucket
        while len(self._buckets) > self._max_peers:
            self._buckets.popitem(last=False)
        return allowed

    def retry_after(self, peer: str) -> float:
        """Seconds until ``peer`` has a token again (0 when it has one now)."""
        bucket = self._buckets.get(peer)
        if bucket is None or bucket.tokens >= 1.0:
            return 0.0
        return (1.0 - bucket.tokens) / self.limit.per_second
