"""An independent checker: does a Result really schedule its Problem?

Written from the problem statement alone; it imports only the public data classes,
never the scheduler's model, so a bug in the model cannot hide in here too.
"""

from __future__ import annotations

from collections import defaultdict

from scheduler import Problem, Result, SolveStatus


def violations(problem: Problem, result: Result) -> list[str]:
    """Everything wrong with ``result`` as a schedule of ``problem`` (empty when sound)."""
    if result.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        return [] if not result.schedule else [f"status {result.status} but a schedule given"]
    found: list[str] = []
    schedule = result.schedule
    if [s.operation for s in schedule] != list(range(len(problem.operations))):
        return [f"schedule must list operations 0..{len(problem.operations) - 1} in order"]

    for s in schedule:
        op = problem.operations[s.operation]
        durations = [m.duration for m in op.modes if m.machine == s.machine]
        if not durations:
            found.append(f"{op.name} placed on machine {s.machine}, which none of its modes uses")
        elif s.end - s.start not in durations:
            found.append(f"{op.name} lasts {s.end - s.start}s on machine {s.machine}")
        if s.start < max(0, problem.jobs[op.job].release):
            found.append(f"{op.name} starts at {s.start}, before its release or time 0")

    for p in problem.precedences:
        before, after = schedule[p.before], schedule[p.after]
        wait = p.min_delay
        if problem.transport is not None:
            wait += problem.transport[before.machine][after.machine]
        if after.start < before.end + wait:
            found.append(
                f"{problem.operations[p.after].name} starts at {after.start}, but "
                f"{problem.operations[p.before].name} ends at {before.end} and needs {wait}s more"
            )

    by_machine = defaultdict(list)
    for s in schedule:
        by_machine[s.machine].append(s)
    for machine, placed in by_machine.items():
        for i, a in enumerate(placed):
            for b in placed[i + 1 :]:
                # A zero-length operation may touch another's start or end, not sit inside it.
                if a.start < b.end and b.start < a.end:
                    found.append(
                        f"operations {a.operation} and {b.operation} overlap on machine {machine}"
                    )

    makespan = max((s.end for s in schedule), default=0)
    if result.makespan != makespan:
        found.append(f"makespan reported {result.makespan}, actual {makespan}")
    tardiness = weighted_tardiness(problem, result)
    if result.weighted_tardiness != tardiness:
        found.append(f"weighted tardiness reported {result.weighted_tardiness}, actual {tardiness}")
    if result.objective != result.tardiness_weight * tardiness + makespan:
        found.append(f"objective {result.objective} does not match tardiness and makespan")
    if result.bound is None or result.bound > result.objective:
        found.append(f"bound {result.bound} is not a lower bound of {result.objective}")
    if result.status is SolveStatus.OPTIMAL and result.gap != 0:
        found.append(f"optimal result with gap {result.gap}")
    return found


def weighted_tardiness(problem: Problem, result: Result) -> int:
    completion: dict[int, int] = {}
    for s in result.schedule:
        job = problem.operations[s.operation].job
        completion[job] = max(completion.get(job, 0), s.end)
    return sum(
        problem.jobs[j].weight * max(0, end - problem.jobs[j].due)
        for j, end in completion.items()
        if problem.jobs[j].due is not None
    )


def assert_valid(problem: Problem, result: Result) -> None:
    found = violations(problem, result)
    assert not found, "invalid schedule:\n  " + "\n  ".join(found)
