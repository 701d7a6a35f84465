"""pnp.v1.leader: how every client reads an orchestrator address list and finds the leader."""

from __future__ import annotations

import pytest

from pnp.v1.leader import AddressError, LeaderSeeker, parse_address, parse_addresses


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:50051", "127.0.0.1:50051"),
        ("127.0.0.1", "127.0.0.1:50051"),  # no port: the default one
        (" orchestrator-a.factory.example:7000 ", "orchestrator-a.factory.example:7000"),
        ("[::1]:50052", "[::1]:50052"),
        ("[fe80::1%eth0]", "[fe80::1%eth0]:50051"),
        ("localhost:1", "localhost:1"),
        ("localhost:65535", "localhost:65535"),
    ],
)
def test_an_address_is_host_and_port_with_a_default_port(text, expected):
    assert parse_address(text) == expected


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("localhost:99999", "the port 99999 is not within 1..65535"),
        ("localhost:0", "the port 0 is not within 1..65535"),
        ("localhost:http", "the port 'http' is not a number"),
        ("localhost:", "the port '' is not a number"),
        (":50051", "no host"),
        ("", "an empty address"),
        ("::1", "in brackets: [::1]:PORT"),
        ("[::1", "[ADDRESS]:PORT"),
        ("[::1]50051", "expected ':PORT'"),
        ("http://host:1", "expected HOST:PORT"),
        ("host/path:1", "is not a host name or IP address"),
        ("two words:1", "is not a host name or IP address"),
    ],
)
def test_a_bad_address_says_what_is_wrong(text, names):
    with pytest.raises(AddressError) as error:
        parse_address(text)
    assert names in str(error.value)


def test_a_list_is_comma_separated_checked_entry_by_entry_and_without_repeats():
    assert parse_addresses("a:1, b , a:1,[::1]:3") == ("a:1", "b:50051", "[::1]:3")
    with pytest.raises(AddressError, match="99999"):
        parse_addresses("a:1,b:99999")
    with pytest.raises(AddressError, match="empty"):
        parse_addresses("a:1,,b:2")


def test_the_seeker_stays_with_the_replica_that_answers():
    seeker = LeaderSeeker(["a:1", "b:1"])
    assert seeker.current == "a:1"
    seeker.answered()
    assert seeker.current == "a:1"


def test_a_standby_s_redirect_is_followed_at_once_even_outside_the_list():
    seeker = LeaderSeeker(["standby:1", "other:1"])
    assert seeker.failed(redirect="leader:1") is True
    assert seeker.current == "leader:1"
    # The named leader is gone too: the list goes on where it was.
    assert seeker.failed() is True
    assert seeker.current == "other:1"


def test_without_a_redirect_the_next_address_is_tried_then_a_pause_after_a_full_round():
    seeker = LeaderSeeker(["a:1", "b:1", "c:1"])
    assert [seeker.failed(), seeker.current] == [True, "b:1"]
    assert [seeker.failed(), seeker.current] == [True, "c:1"]
    assert [seeker.failed(), seeker.current] == [False, "a:1"]  # all failed: back off
    assert [seeker.failed(), seeker.current] == [True, "b:1"]  # a new round


def test_a_redirect_to_an_address_that_just_failed_is_not_a_reason_to_hurry():
    # The leader died; the standby does not know yet and still names it.
    seeker = LeaderSeeker(["leader:1", "standby:1"])
    assert seeker.failed() is True and seeker.current == "standby:1"
    assert seeker.failed(redirect="leader:1") is False
    assert seeker.current == "leader:1"


def test_one_address_is_tried_again_only_after_a_pause():
    seeker = LeaderSeeker(["only:1"])
    assert seeker.failed(redirect="") is False
    assert seeker.current == "only:1"
