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
memory, its own. Servers read it lazily for as long as they run: delete it only when no
module runs (it is built again on the next start).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.metadata
import logging
import os
import shelve
import shutil
import sys
import tempfile
import threading
from pathlib import Path

from asyncua import Server

log = logging.getLogger(__name__)

_SHELF = "standard-address-space"
_OFF = {"", "0", "off", "no", "false"}
_ROOT = "i=84"  # the Root node's id as the shelf keys it
_build_lock = threading.Lock()
_readable: set[Path] = set()  # cache folders this process has opened and read


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
        await asyncio.to_thread(ensure, directory)
    except Exception as error:  # OSError, dbm.error, pickle's: never worse than no cache
        log.warning("no OPC UA address-space cache at %s (%s); starting without", root, error)
        await server.init()
        return
    await server.init(shelf_file=directory / _SHELF)


def ensure(directory: Path) -> bool:
    """Makes sure a readable cache is at ``directory``, building it if need be; True when
    this call built it. Blocking: run it in a thread. Safe to call from several threads
    and processes at once. A cache that is there but unreadable (tampered with: a build
    appears whole or not at all) raises; it is never replaced, as servers may be reading
    it: delete it, when no module runs, to have it built again."""
    if directory in _readable or _readable_now(directory):
        return False
    directory.parent.mkdir(parents=True, exist_ok=True)
    with _build_lock, _process_lock(directory.parent / f".{directory.name}.lock") as alone:
        if _readable_now(directory):  # built meanwhile, by another thread or process
            return False
        if directory.exists():
            raise OSError(f"{directory} is unreadable: delete it to have it built again")
        prefix = f".{directory.name}."
        if alone:  # nobody else is building: any staging folder is a crashed build's
            for stale in directory.parent.glob(f"{prefix}*"):
                if stale.is_dir():
                    shutil.rmtree(stale, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=prefix, dir=directory.parent))
        try:
            _write_shelf(staging / "new" / _SHELF)
            try:
                os.rename(staging / "new", directory)
            except OSError:
                if not _readable_now(directory):
                    raise
                # Another process without the lock (no fcntl) got there first: keep theirs.
                return False
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    log.info("built the OPC UA address-space cache at %s", directory)
    return True


def _readable_now(directory: Path) -> bool:
    """The cache opens and has the Root node (checked once per process and directory)."""
    try:
        with shelve.open(str(directory / _SHELF), "r") as shelf:
            shelf[_ROOT]
    except Exception:  # missing, half there, written by another dbm, corrupt
        return False
    _readable.add(directory)
    return True


def _write_shelf(path: Path) -> None:
    # asyncua's own way (InternalServer.load_standard_address_space): fill an address space
    # from the generated code, then write it to a shelf.
    from asyncua.server.address_space import AddressSpace, NodeManagementService
    from asyncua.server.standard_address_space import standard_address_space

    path.parent.mkdir(exist_ok=True)
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
    """An exclusive lock across processes; yields whether it is really held."""
    try:
        import fcntl
    except ImportError:  # not POSIX: the atomic rename alone keeps the cache whole
        yield False
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
