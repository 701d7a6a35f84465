"""The flexible job shop (FJSP) benchmark format ``.fjs``, read from text.

The standard benchmark sets (Brandimarte, Hurink, Dauzère-Pérès, Behnke...) come in
this format, so it is how the scheduler is measured against published results and
against other solvers. The caller opens the file; this module only parses the text it
is given, so the scheduler keeps doing no I/O.

The format is a stream of whitespace-separated numbers: a header ``jobs machines
average-flexibility``, then per job the number of operations and, per operation, the
number of eligible machines followed by ``machine duration`` pairs (machines 1-based).
Operations of a job run in the order listed. We read tokens, never lines, because
files in the wild wrap lines differently; the third header number is for information
only and often wrong, so it is skipped without being checked.
"""

from __future__ import annotations

from dataclasses import dataclass

from pnp.scheduler.problem import Job, Machine, Mode, Operation, Precedence, Problem


class FjspFormatError(ValueError):
    """The text is not a well-formed ``.fjs`` instance; the message says where."""


@dataclass(frozen=True)
class FjspInstance:
    """An FJSP instance as read: ``jobs[j][k]`` lists ``(machine, duration)`` pairs of
    operation ``k`` of job ``j``, machines 0-based."""

    name: str
    machine_count: int
    jobs: tuple[tuple[tuple[tuple[int, int], ...], ...], ...]

    @property
    def operation_count(self) -> int:
        return sum(len(job) for job in self.jobs)

    def to_problem(self) -> Problem:
        """The makespan problem: operations named ``j<job>.<step>`` (1-based, as in the
        literature), machines ``m<k>`` (1-based), one chain of precedences per job."""
        machines = tuple(Machine(f"m{k + 1}") for k in range(self.machine_count))
        jobs = tuple(Job(f"j{j + 1}") for j in range(len(self.jobs)))
        operations: list[Operation] = []
        precedences: list[Precedence] = []
        for j, job in enumerate(self.jobs):
            for k, modes in enumerate(job):
                if k > 0:
                    precedences.append(Precedence(len(operations) - 1, len(operations)))
                operations.append(
                    Operation(f"j{j + 1}.{k + 1}", j, tuple(Mode(m, d) for m, d in modes))
                )
        return Problem(machines, jobs, tuple(operations), tuple(precedences))


def parse_fjs(text: str, name: str = "fjsp") -> FjspInstance:
    """Parse the text of a ``.fjs`` file; raise ``FjspFormatError`` naming the token."""
    tokens = _Tokens(text, name)
    job_count = tokens.integer("number of jobs", minimum=0)
    machine_count = tokens.integer("number of machines", minimum=1)
    tokens.skip("average flexibility")
    jobs = []
    for j in range(job_count):
        operation_count = tokens.integer(f"job {j + 1}: number of operations", minimum=0)
        operations = []
        for k in range(operation_count):
            where = f"job {j + 1}, operation {k + 1}"
            mode_count = tokens.integer(f"{where}: number of machines", minimum=1)
            modes = []
            for _ in range(mode_count):
                machine = tokens.integer(f"{where}: machine", minimum=1, maximum=machine_count)
                duration = tokens.integer(f"{where}: duration", minimum=0)
                modes.append((machine - 1, duration))
            operations.append(tuple(modes))
        jobs.append(tuple(operations))
    tokens.expect_end(job_count)
    return FjspInstance(name=name, machine_count=machine_count, jobs=tuple(jobs))


class _Tokens:
    """A cursor over the whitespace-separated tokens, with errors that say where."""

    def __init__(self, text: str, name: str) -> None:
        self._tokens = text.split()
        self._position = 0
        self._name = name

    def _next(self, what: str) -> str:
        if self._position >= len(self._tokens):
            raise FjspFormatError(
                f"{self._name}: text ends after {len(self._tokens)} tokens, expected {what}"
            )
        token = self._tokens[self._position]
        self._position += 1
        return token

    def skip(self, what: str) -> None:
        self._next(what)

    def integer(self, what: str, minimum: int, maximum: int | None = None) -> int:
        token = self._next(what)
        where = f"{self._name}: token {self._position} ({what})"
        try:
            value = int(token)
        except ValueError:
            raise FjspFormatError(f"{where}: {token!r} is not an integer") from None
        if value < minimum or (maximum is not None and value > maximum):
            allowed = f">= {minimum}" if maximum is None else f"in {minimum}..{maximum}"
            raise FjspFormatError(f"{where}: {value} must be {allowed}")
        return value

    def expect_end(self, job_count: int) -> None:
        left = len(self._tokens) - self._position
        if left:
            raise FjspFormatError(
                f"{self._name}: {left} tokens left over after the {job_count} jobs the "
                f"header announces, starting at token {self._position + 1} "
                f"({self._tokens[self._position]!r})"
            )
