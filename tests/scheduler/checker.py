"""``assert_valid``: every test that solves checks the result with the public checker.

The checker (``scheduler.check``) is written independently of the model and the
heuristics; ``test_checker`` shows it catches each kind of broken schedule, and
``brute_force`` is a second, exhaustive opinion on small instances.
"""

from __future__ import annotations

from pnp.scheduler import Problem, Result, check_schedule


def assert_valid(problem: Problem, result: Result) -> None:
    found = check_schedule(problem, result)
    assert not found, "invalid schedule:\n  " + "\n  ".join(found)
