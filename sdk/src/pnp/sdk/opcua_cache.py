"""A per-user cache of asyncua's standard OPC UA address space.

Every asyncua server starts by building the standard address space (some 6,000 nodes
of types, the Server object and so on) from generated code: about a second of CPU per
module. asyncua can load it from a ``shelve`` file instead, lazily, one node at a time
as the server touches it; built once, the cache makes a module's OPC UA server start in
a few tens of milliseconds.

The cache lives in ``$PNP_OPCUA_CACHE`` if set (empty, ``off`` or ``0`` turns it off),
else ``$XDG_CACHE_HOME/pnp``, else ``~/.cache/pnp``, in a directory named after the
asyncua version, the Python implementation and the dbm flavour that wrote it, so an
upgrade never reads a stale one. It is built once, by whoever needs it first: into a
temporary directory renamed into place in one step, so a reader sees a complete cache or
none; several processes may race to build it (the first rename wins, the others discard
theirs; on POSIX a lock file makes them wait for the first instead). Once in place it is
never written again: every server opens it read-only and keeps the nodes it changes in
memory, its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.metadata
import logging
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

from asyncua import Server

log = logging.getLogger(__name__)

_SHELF = "standard-address-space"
_OFF = {"", "0", "off", "no", "false"}
_build_lock = threading.Lock()


def default_cache_root() -> Path | None:
    """Where caches go when nothing else is said; None when ``PNP_OPCUA_CACHE`` turns them off."""
    configured = os.environ.get("PNP_OPCUA_CACHE")
    if configured is not None:
        return None if configured.strip().lower() in _OFF else Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "pnp"


def cache_directory(root: Path) -> Path:
    """The cache for this asyncua, this Python and this dbm under ``root``."""
    version = importlib.metadata.version("asyncua")
    return root / "opcua" / f"asyncua-{version}-{sys.implementation.cache_tag}-{_dbm_flavour()}"


async def init_server(server: Server, cache: Path | bool = True) -> None:
    """``server.init()``, with the standard address space from the cache under ``cache``
    (True: the default place; False: no cache), building the cache first if need be.
    Without a usable cache (a read-only home, a full disk) it says so and initialises
    the slow way."""
    root = default_cache_root() if cache is True else (Path(cache) if cache else None)
    if root is None:
        await server.init()
        return
    directory = cache_directory(root)
    try:
        if not (directory / _SHELF).is_file():
            await asyncio.to_thread(build, directory)
    except OSError as error:
        log.warning("OPC UA address-space cache unavailable (%s); starting without it", error)
        await server.init()
        return
    await server.init(shelf_file=directory / _SHELF)


def build(directory: Path) -> None:
    """Builds the cache at ``directory`` unless it is there already (blocking: run it in
    a thread). Safe to call from several threads and processes at once."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    with _build_lock, _process_lock(directory.parent / f".{directory.name}.lock"):
        if (directory / _SHELF).is_file():
            return
        staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
        try:
            _write_shelf(staging / _SHELF)
            try:
                os.rename(staging, directory)
            except OSError:
                if not (directory / _SHELF).is_file():
                    raise
                # Another process without the lock (no fcntl) got there first: keep theirs.
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    log.info("built the OPC UA address-space cache at %s", directory)


def _write_shelf(path: Path) -> None:
    # asyncua's own way (InternalServer.load_standard_address_space): fill an address space
    # from the generated code, then write it to a shelf.
    from asyncua.server.address_space import AddressSpace, NodeManagementService
    from asyncua.server.standard_address_space import standard_address_space

    space = AddressSpace()
    standard_address_space.fill_address_space(NodeManagementService(space))
    space.make_aspace_shelf(path)
    # asyncua loads a shelf only when ``path`` (gdbm) or ``path.db`` (ndbm) is a file;
    # dbm.dumb writes path.dat and path.dir, so leave an empty file at ``path`` to be found.
    path.touch(exist_ok=True)


def _dbm_flavour() -> str:
    # The backend shelve writes with: dbm's first importable one, in dbm's own order.
    for name in ("dbm.sqlite3", "dbm.gnu", "dbm.ndbm", "dbm.dumb"):
        try:
            importlib.import_module(name)
        except ImportError:
            continue
        return name.removeprefix("dbm.")
    return "unknown"


@contextlib.contextmanager
def _process_lock(path: Path):
    try:
        import fcntl
    except ImportError:  # not POSIX: the atomic rename alone keeps the cache whole
        yield
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
