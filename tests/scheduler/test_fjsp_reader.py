"""The ``.fjs`` reader: a token stream, 1-based machines, zero durations, clear errors."""

from __future__ import annotations

import re

import pytest

from pnp.scheduler import FjspFormatError, Precedence, parse_fjs

# Two jobs, three machines. Job 1: op 1 on m1 (5) or m3 (4); op 2 on m2 (0).
# Job 2: one op on m3 (7). The third header number is deliberately wrong.
TWO_JOBS = """2 3 9.75
2 2 1 5 3 4 1 2 0
1 1 3 7
"""


def test_jobs_operations_and_modes_are_read_with_machines_made_0_based():
    instance = parse_fjs(TWO_JOBS, "tiny")
    assert instance.name == "tiny"
    assert instance.machine_count == 3
    assert instance.jobs == (
        (((0, 5), (2, 4)), ((1, 0),)),
        (((2, 7),),),
    )
    assert instance.operation_count == 3


def test_line_breaks_do_not_matter_only_tokens_do():
    wrapped = "2 3 1\n2 2 1 5\n3 4\n1\n2 0 1 1 3\n7"
    assert parse_fjs(wrapped).jobs == parse_fjs(TWO_JOBS).jobs


def test_the_third_header_number_is_ignored_whatever_it_is():
    assert parse_fjs(TWO_JOBS.replace("9.75", "1")).jobs == parse_fjs(TWO_JOBS).jobs


def test_the_problem_chains_each_jobs_operations_in_file_order():
    problem = parse_fjs(TWO_JOBS).to_problem()
    problem.validate()
    assert [m.name for m in problem.machines] == ["m1", "m2", "m3"]
    assert [o.name for o in problem.operations] == ["j1.1", "j1.2", "j2.1"]
    assert [o.job for o in problem.operations] == [0, 0, 1]
    assert problem.precedences == (Precedence(0, 1),)
    assert problem.operations[1].modes[0].duration == 0
    assert problem.transport is None
    assert all(j.due is None for j in problem.jobs)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2 3 1\n1 1 1 5\n", "text ends after 7 tokens, expected job 2: number of operations"),
        ("1 3 1\n1 1 1 5 9\n", "1 tokens left over after the 1 jobs"),
        ("1 3 1\n1 1 4 5\n", "token 6 (job 1, operation 1: machine): 4 must be in 1..3"),
        ("1 3 1\n1 1 0 5\n", "0 must be in 1..3"),
        ("1 3 1\n1 1 1 -5\n", "token 7 (job 1, operation 1: duration): -5 must be >= 0"),
        ("1 3 1\n1 0\n", "job 1, operation 1: number of machines): 0 must be >= 1"),
        ("1 3 1\n1 1 1 x\n", "'x' is not an integer"),
        ("", "text ends after 0 tokens, expected number of jobs"),
    ],
)
def test_malformed_text_is_refused_naming_the_token(text, message):
    with pytest.raises(FjspFormatError, match=re.escape(message)):
        parse_fjs(text, "bad")


def test_format_errors_are_value_errors_and_name_the_instance():
    with pytest.raises(ValueError, match=r"^mk99: "):
        parse_fjs("1", "mk99")
