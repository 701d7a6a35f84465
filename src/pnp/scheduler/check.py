"""An independent checker: does a result really schedule its problem?

Written from the problem statement alone. It imports only the public data classes,
never the model, the heuristics or ``metrics``, and recomputes every figure itself,
so a bug in the solver cannot hide in here too. Tests run it on every schedule they
get; the benchmarks run it on ours and on the peer solver's.

``check_schedule`` returns a list of human-readable violations; empty means sound.
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from collections.abc import Sequence

from pnp.scheduler.problem import Mode, Problem
from pnp.scheduler.result import Result, ScheduledOperation, SolveStatus


def check_schedule(problem: Problem, result: Result) -> list[str]:
    """Everything wrong with ``result`` as a schedule of ``problem`` (empty when sound)."""
    if result.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        return [] if not result.schedule else [f"status {result.status.value} but a schedule"]
    found = schedule_violations(problem, result.schedule)
    if found:
        return found
    found += _reported_figures(problem, result)
    return found


def schedule_violations(problem: Problem, schedule: Sequence[ScheduledOperation]) -> list[str]:
    """Hard-constraint violations of a bare schedule (no reported figures checked)."""
    if [s.operation for s in schedule] != list(range(len(problem.operations))):
        return [f"schedule must list operations 0..{len(problem.operations) - 1} in order"]
    modes = [_mode_used(problem, s) for s in schedule]
    found: list[str] = []
    for s, mode in zip(schedule, modes, strict=True):
        found += _placement_violations(problem, s, mode)
    if found:
        return found  # later checks assume every operation has a mode
    found += _precedence_violations(problem, schedule)
    by_machine: dict[int, list[ScheduledOperation]] = defaultdict(list)
    for s in schedule:
        by_machine[s.machine].append(s)
    for machine, placed in by_machine.items():
        found += _capacity_violations(problem, machine, placed)
        found += _changeover_violations(problem, machine, placed, modes)
    return found


def _name(problem: Problem, index: int) -> str:
    return problem.operations[index].name


def _mode_used(problem: Problem, s: ScheduledOperation) -> Mode | None:
    for mode in problem.operations[s.operation].modes:
        if mode.machine == s.machine and mode.duration == s.end - s.start:
            return mode
    return None


def _placement_violations(problem: Problem, s: ScheduledOperation, mode: Mode | None) -> list[str]:
    op = problem.operations[s.operation]
    machine = problem.machines[s.machine] if 0 <= s.machine < len(problem.machines) else None
    if machine is None or mode is None:
        return [f"{op.name} runs {s.end - s.start}s on machine {s.machine}: no such mode"]
    found = []
    if op.frozen is not None:
        if (s.machine, s.start) != (op.frozen.machine, op.frozen.start):
            found.append(
                f"{op.name} is frozen at {op.frozen} but placed on {s.machine} at {s.start}"
            )
        return found  # facts: release and availability do not apply to them
    if s.start < max(0, problem.jobs[op.job].release):
        found.append(f"{op.name} starts at {s.start}, before its release or time 0")
    if machine.availability is not None and not any(
        (w.start is None or w.start <= s.start) and (w.end is None or s.end <= w.end)
        for w in machine.availability
    ):
        found.append(f"{op.name} [{s.start}, {s.end}) is outside {machine.name}'s availability")
    return found


def _precedence_violations(problem: Problem, schedule: Sequence[ScheduledOperation]) -> list[str]:
    found = []
    for p in problem.precedences:
        before, after = schedule[p.before], schedule[p.after]
        if problem.operations[p.before].frozen and problem.operations[p.after].frozen:
            continue  # both happened already; history is not re-checked
        wait = p.min_delay
        if problem.transport is not None:
            wait += problem.transport[before.machine][after.machine]
        if after.start < before.end + wait:
            found.append(
                f"{_name(problem, p.after)} starts at {after.start}, but "
                f"{_name(problem, p.before)} ends at {before.end} and needs {wait}s more"
            )
    return found


def _capacity_violations(
    problem: Problem, machine: int, placed: list[ScheduledOperation]
) -> list[str]:
    capacity = problem.machines[machine].capacity
    name = problem.machines[machine].name
    running_ones = sorted((s for s in placed if s.end > s.start), key=lambda s: s.start)
    found = []
    # Sweep: at every start, count what is running (ends at the same instant free a slot).
    events = sorted(
        [(s.start, 1, s.operation) for s in running_ones]
        + [(s.end, -1, s.operation) for s in running_ones]
    )
    running = 0
    for _, change, index in events:
        running += change
        if running > capacity:
            found.append(
                f"{name} runs more than {capacity} at once when {_name(problem, index)} starts"
            )
    if capacity == 1:
        # A zero-length operation may touch another's start or end, not sit inside it.
        starts = [s.start for s in running_ones]
        for s in placed:
            if s.end == s.start:
                k = bisect.bisect_left(starts, s.start) - 1
                if k >= 0 and running_ones[k].end > s.start:
                    found.append(
                        f"{_name(problem, s.operation)} (zero length) sits inside "
                        f"{_name(problem, running_ones[k].operation)} on {name}"
                    )
    return found


def _changeover_violations(
    problem: Problem, machine: int, placed: list[ScheduledOperation], modes: list[Mode | None]
) -> list[str]:
    spec = problem.machines[machine]
    if spec.capacity != 1 or not any(c.seconds > 0 for c in spec.changeovers):
        return []
    setups = {(c.from_family, c.to_family): c.seconds for c in spec.changeovers}
    ordered = sorted(placed, key=lambda s: (s.start, s.end, s.operation))
    found = []
    for a, b in itertools.pairwise(ordered):
        if problem.operations[a.operation].frozen and problem.operations[b.operation].frozen:
            continue
        fa, fb = modes[a.operation].family, modes[b.operation].family  # type: ignore[union-attr]
        need = setups.get((fa, fb), 0) if fa is not None and fb is not None else 0
        if b.start < a.end + need:
            found.append(
                f"{_name(problem, b.operation)} starts at {b.start} on {spec.name}, but the "
                f"changeover {fa} -> {fb} after {_name(problem, a.operation)} (ends {a.end}) "
                f"takes {need}s"
            )
    return found


def _reported_figures(problem: Problem, result: Result) -> list[str]:
    schedule = result.schedule
    found = []
    makespan = max((s.end for s in schedule), default=0)
    if result.makespan != makespan:
        found.append(f"makespan reported {result.makespan}, actual {makespan}")
    completion: dict[int, int] = {}
    for s in schedule:
        j = problem.operations[s.operation].job
        completion[j] = max(completion.get(j, s.end), s.end)
    tardiness = sum(
        job.weight * max(0, end - due)
        for j, end in completion.items()
        if (due := (job := problem.jobs[j]).due) is not None
    )
    if result.weighted_tardiness != tardiness:
        found.append(f"weighted tardiness reported {result.weighted_tardiness}, actual {tardiness}")
    moved = sum(
        1
        for s in schedule
        if problem.operations[s.operation].frozen is None
        and problem.previous_plan
        and (previous := problem.previous_plan[s.operation]) is not None
        and previous.machine != s.machine
    )
    if result.moved_operations != moved:
        found.append(f"moved operations reported {result.moved_operations}, actual {moved}")
    objective = (
        result.tardiness_weight * tardiness
        + result.stability_weight * moved
        + result.makespan_weight * makespan
    )
    if result.objective != objective:
        found.append(f"objective {result.objective} does not match the figures ({objective})")
    if result.bound is None or result.objective is None or result.bound > result.objective:
        found.append(f"bound {result.bound} is not a lower bound of {result.objective}")
    if result.status is SolveStatus.OPTIMAL and result.gap != 0:
        found.append(f"optimal result with gap {result.gap}")
    return found
