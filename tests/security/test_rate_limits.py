"""The registration rate limit, as a pure function of time."""

from __future__ import annotations

from pnp.orchestrator.security.rate_limits import PeerRateLimiter, RateLimit


def test_a_burst_is_allowed_then_the_steady_rate():
    limiter = PeerRateLimiter(RateLimit(per_second=2.0, burst=3))
    assert [limiter.allow("m", 0.0) for _ in range(4)] == [True, True, True, False]
    assert limiter.retry_after("m") == 0.5
    assert limiter.allow("m", 0.5)
    assert not limiter.allow("m", 0.5)


def test_peers_have_buckets_of_their_own():
    limiter = PeerRateLimiter(RateLimit(per_second=1.0, burst=1))
    assert limiter.allow("a", 0.0)
    assert not limiter.allow("a", 0.0)
    assert limiter.allow("b", 0.0)


def test_the_table_of_peers_stays_bounded():
    limiter = PeerRateLimiter(RateLimit(per_second=1.0, burst=1), max_peers=100)
    for i in range(10_000):
        limiter.allow(f"peer-{i}", 0.0)
    assert len(limiter._buckets) == 100
