"""The cache of asyncua's standard address space (pnp.sdk.opcua_cache): a server loaded
from it holds the same address space as one built from scratch; it is built once, whole,
by one of many racing builders; it is keyed by asyncua version; without it a server
still starts."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from asyncua import Server, ua

from pnp.sdk import opcua_cache
from pnp.sdk.opcua_cache import cache_directory, default_cache_root, ensure, init_server

# Values the server sets from the clock as it starts: ServerStatus and its StartTime,
# CurrentTime and BuildInfo.BuildDate.
CLOCK_READINGS = {ua.NodeId(i) for i in range(2256, 2267)}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A cache root with the cache built, for the tests that only read it: the user's,
    which every module in this suite loads too (with PNP_OPCUA_CACHE=off, our own)."""
    root = default_cache_root() or tmp_path_factory.mktemp("opcua-cache")
    ensure(cache_directory(root))
    return root


@pytest.mark.servers
async def test_a_server_from_the_cache_has_the_address_space_of_one_built_from_scratch(built):
    fresh, cached = Server(), Server()
    await init_server(fresh, False)
    await init_server(cached, built)
    # Lazily loaded: the server holds only the nodes it has touched so far.
    assert len(cached.iserver.aspace.keys()) < len(fresh.iserver.aspace.keys()) / 10

    node_ids = list(fresh.iserver.aspace.keys())
    assert len(node_ids) > 5000  # the whole standard address space
    for node_id in node_ids:
        expected, loaded = fresh.iserver.aspace[node_id], cached.iserver.aspace[node_id]
        assert loaded.references == expected.references, node_id
        assert loaded.attributes.keys() == expected.attributes.keys(), node_id
        if node_id in CLOCK_READINGS:
            continue
        for attribute, value in expected.attributes.items():
            read = loaded.attributes[attribute].value
            assert (read and read.Value) == (value.value and value.value.Value), node_id
    # And as a client browses it: the Server object, namespaces and all.
    children = [await s.nodes.objects.get_children() for s in (fresh, cached)]
    assert [n.nodeid for n in children[1]] == [n.nodeid for n in children[0]]
    assert await cached.get_namespace_array() == await fresh.get_namespace_array()


async def test_servers_loaded_from_one_cache_do_not_share_what_they_change(built):
    first, second = Server(), Server()
    await init_server(first, built)
    await init_server(second, built)
    await first.register_namespace("urn:first")
    assert "urn:first" in await first.get_namespace_array()
    assert "urn:first" not in await second.get_namespace_array()


def test_racing_builders_in_threads_and_processes_build_the_cache_once(tmp_path):
    """Two processes and two threads at once; a crashed build's leftovers are swept."""
    directory = cache_directory(tmp_path)
    leftover = directory.parent / f".{directory.name}.crashed"
    (leftover / "new").mkdir(parents=True)
    (leftover / "new" / "standard-address-space").write_text("half written")
    script = (
        "import sys; from pathlib import Path; from pnp.sdk.opcua_cache import ensure; "
        "print(ensure(Path(sys.argv[1])))"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(directory)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    built: list[bool] = []
    threads = [threading.Thread(target=lambda: built.append(ensure(directory))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    built += [process.communicate(timeout=60)[0].strip() == "True" for process in processes]

    assert built.count(True) == 1
    assert sorted(p.name for p in directory.parent.iterdir()) == [
        f".{directory.name}.lock",
        directory.name,
    ]  # no staging folder left behind, the crashed one's included
    assert not ensure(directory)  # there now: nothing to do


def test_another_asyncua_version_gets_a_cache_of_its_own(tmp_path, monkeypatch):
    ours = cache_directory(tmp_path)
    monkeypatch.setattr(opcua_cache.importlib.metadata, "version", lambda _: "9.9.9")
    theirs = cache_directory(tmp_path)
    assert theirs != ours and theirs.parent == ours.parent
    assert "asyncua-9.9.9-" in theirs.name and sys.implementation.cache_tag in theirs.name


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", None), ("off", None), ("0", None), ("/srv/pnp-cache", Path("/srv/pnp-cache"))],
)
def test_pnp_opcua_cache_moves_the_cache_or_turns_it_off(value, expected, monkeypatch):
    monkeypatch.setenv("PNP_OPCUA_CACHE", value)
    assert default_cache_root() == expected


def test_by_default_the_cache_is_the_users(monkeypatch, tmp_path):
    monkeypatch.delenv("PNP_OPCUA_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_root() == tmp_path / "pnp"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_root() == Path.home() / ".cache" / "pnp"


async def test_without_a_usable_cache_a_server_starts_the_slow_way_and_says_why(tmp_path, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    server = Server()
    with caplog.at_level(logging.WARNING, logger="pnp.sdk.opcua_cache"):
        await init_server(server, blocker)
    assert "no OPC UA address-space cache" in caplog.text
    assert len(server.iserver.aspace.keys()) > 5000  # built from scratch


def test_a_tampered_cache_is_left_alone_and_named(built, tmp_path):
    directory = cache_directory(tmp_path)
    shutil.copytree(cache_directory(built), directory)
    (directory / "standard-address-space.dat").write_bytes(b"")
    with pytest.raises(OSError, match="delete it to have it built again"):
        ensure(directory)
    assert (directory / "standard-address-space.dir").is_file()  # not replaced under readers
