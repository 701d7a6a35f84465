"""The module side of ``pnp.v1.ModuleRegistry``: stay registered, whatever happens.

``RegistryClient.run()`` registers the module, opens its session, heartbeats at the
interval the orchestrator granted (never with a heartbeat unacknowledged: a beat due
while the last one waits for its acknowledgement is skipped), and hands directives to
the module. When the orchestrator is unreachable or the session drops, it waits
(exponential backoff with seeded jitter) and registers again with the same boot id,
which keeps the same epoch.
A refusal that retrying cannot fix (a bad descriptor, a dock that is taken, a newer
boot of the same module) ends ``run()`` with ``RegistrationRefused``.

The target may be a list of orchestrator replicas (``host:port,host:port``): the client
finds the leader itself (``pnp.v1.leader``): a standby's answer names the leader, and
an address that does not serve sends it on to the next one. Every answer carries the
leader's term; the client keeps the highest in ``leader_term`` (``pnp.sdk.fencing``),
ignores directives with an older term and leaves an orchestrator whose term is older
(a deposed leader) for the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import grpc

from pnp.sdk.fencing import LeaderTerm
from pnp.v1 import module_pb2, registry_pb2, registry_pb2_grpc
from pnp.v1.leader import LeaderSeeker, leader_hint, parse_addresses

log = logging.getLogger(__name__)

# Lateness of our own wake-ups beyond this is a stall of this module's event loop.
STALL_TOLERANCE = 0.05

DirectiveHandler = Callable[[registry_pb2.Directive], Awaitable[None]]

# Statuses that mean "this registration will never be accepted as it is".
_PERMANENT = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.UNAUTHENTICATED,
    grpc.StatusCode.UNIMPLEMENTED,
}


class RegistrationRefused(Exception):
    """The orchestrator refused this module for a reason retrying cannot fix."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Backoff:
    initial: float = 0.2
    maximum: float = 5.0
    factor: float = 2.0
    # While a standby answers, the cluster lives and a takeover is due within its lease:
    # ask again within this long, without the growing delay (so the module is back
    # within about this long of the new leader taking over).
    standby_retry: float = 1.0

    def delays(self, rng: random.Random):
        delay = self.initial
        while True:
            # Full jitter keeps a hundred modules from reconnecting in lockstep.
            yield rng.uniform(delay / 2, delay)
            delay = min(self.maximum, delay * self.factor)


class RegistryClient:
    """Keeps one module registered with the orchestrator at ``target`` (an address, or a
    comma-separated list of replicas' addresses; ``AddressError`` when one is not
    ``host:port``)."""

    def __init__(
        self,
        target: str,
        descriptor: module_pb2.ModuleDescriptor,
        *,
        boot_id: str | None = None,
        on_directive: DirectiveHandler | None = None,
        rpc_timeout: float = 5.0,
        backoff: Backoff = Backoff(),
        seed: int | None = None,
        credentials: grpc.ChannelCredentials | None = None,
        leader_term: LeaderTerm | None = None,
        replace: bool = False,
    ) -> None:
        """``replace``: ask the first registration to take the id over from another unit
        holding it (a deliberate swap); later ones (reconnects) do not, so two modules
        started with it cannot take the id from each other back and forth."""
        self.target = target
        self._replace = replace
        self.seeker = LeaderSeeker(parse_addresses(target))
        # The fence, shared with the module's OPC UA server (default: its own).
        self.leader_term = leader_term or LeaderTerm()
        # None: plain text (local development). With credentials: mutual TLS, and the
        # orchestrator accepts this client only as the module id in its certificate.
        self._credentials = credentials
        self.descriptor = descriptor
        self.boot_id = boot_id or uuid.uuid4().hex
        self.registration: registry_pb2.RegisterModuleResponse | None = None
        self.registered = asyncio.Event()  # set once the session's first heartbeat is acked
        self._on_directive = on_directive
        self._rpc_timeout = rpc_timeout
        self._backoff = backoff
        self._rng = random.Random(seed)
        self._request_id = uuid.uuid4().hex
        self.item_state: int = module_pb2.ITEM_STATE_NOT_EXECUTING
        self._state_changed = asyncio.Event()

    @property
    def module_id(self) -> str:
        return self.descriptor.module_id

    def report_item_state(self, item_state: int) -> None:
        """Send the module's MachineryItemState on the session (now, or once connected)."""
        self.item_state = item_state
        self._state_changed.set()

    async def run(self) -> None:
        """Register and hold the session until cancelled; re-register after any outage,
        with the leader wherever it is now."""
        delays = self._backoff.delays(self._rng)
        standby_answered = False  # since the last success
        while True:
            address = self.seeker.current
            redirect: str | None = None
            try:
                async with self._channel(address) as channel:
                    stub = registry_pb2_grpc.ModuleRegistryStub(channel)
                    registration = await stub.RegisterModule(
                        registry_pb2.RegisterModuleRequest(
                            descriptor=self.descriptor,
                            boot_id=self.boot_id,
                            request_id=self._request_id,
                            replace=self._replace,
                        ),
                        timeout=self._rpc_timeout,
                    )
                    self._replace = False  # taken over: from now on it is ours
                    if not self.leader_term.admits(registration.leader_term):
                        raise Deposed(registration.leader_term, self.leader_term.highest)
                    self.registration = registration
                    self.seeker.answered()
                    delays = self._backoff.delays(self._rng)  # reset after a success
                    standby_answered = False
                    await self._hold_session(stub, registration)
            except grpc.aio.AioRpcError as error:
                if error.code() in _PERMANENT:
                    raise RegistrationRefused(error.code(), error.details() or "") from None
                redirect = leader_hint(error)
                standby_answered = standby_answered or redirect is not None
                log.info(
                    "%s: orchestrator at %s does not serve (%s%s), retrying",
                    self.module_id,
                    address,
                    error.code().name,
                    f"; the leader is at {redirect}" if redirect else "",
                )
            except (SessionLost, Deposed) as lost:
                log.info("%s: %s at %s, registering again", self.module_id, lost, address)
            except (OSError, RuntimeError, asyncio.InvalidStateError, TimeoutError) as error:
                # A channel torn down under a call can surface as other errors than
                # AioRpcError; none of them is a refusal, so: back off and try again.
                log.warning("%s: session failed (%r), registering again", self.module_id, error)
            self.registered.clear()
            # gRPC or a teardown may turn our cancellation into one of the errors above:
            # honour it anyway, or this loop would register the module for ever.
            if asyncio.current_task().cancelling():  # type: ignore[union-attr]
                raise asyncio.CancelledError
            if self.seeker.failed(redirect):
                # Another replica not tried yet: go there soon (jittered, so that a floor
                # of modules leaving a dead leader does not arrive in one instant).
                await asyncio.sleep(self._rng.uniform(0, self._backoff.initial))
            elif standby_answered:
                retry = self._backoff.standby_retry
                await asyncio.sleep(self._rng.uniform(retry / 4, retry))
            else:
                await asyncio.sleep(next(delays))

    async def deregister(self) -> None:
        """Tell the orchestrator this module leaves; best effort, with a deadline."""
        if self.registration is None:
            return
        async with self._channel(self.seeker.current) as channel:
            stub = registry_pb2_grpc.ModuleRegistryStub(channel)
            await stub.DeregisterModule(
                registry_pb2.DeregisterModuleRequest(
                    module_id=self.registration.module_id,
                    epoch=self.registration.epoch,
                    request_id=uuid.uuid4().hex,
                ),
                timeout=self._rpc_timeout,
            )

    def _channel(self, address: str) -> grpc.aio.Channel:
        if self._credentials is None:
            return grpc.aio.insecure_channel(address)
        return grpc.aio.secure_channel(address, self._credentials)

    async def _hold_session(
        self,
        stub: registry_pb2_grpc.ModuleRegistryStub,
        registration: registry_pb2.RegisterModuleResponse,
    ) -> None:
        interval = registration.heartbeat_interval.ToTimedelta().total_seconds()
        ttl = registration.lease_ttl.ToTimedelta().total_seconds()
        # The session is long-lived, so it carries no deadline; liveness comes from the
        # acknowledgements instead: no ack within one TTL means the session is dead.
        call = stub.Session()
        last_ack = asyncio.get_running_loop().time()
        acked = 0  # the sequence of the newest heartbeat acknowledged

        async def write(request: registry_pb2.SessionRequest) -> None:
            # A write waits for the stream to take it; an orchestrator that vanished
            # mid-stream must not hold the module here for longer than a lease.
            try:
                async with asyncio.timeout(ttl):
                    await call.write(request)
            except TimeoutError:
                raise SessionLost(f"the session took no message for {ttl:.1f} s") from None

        await write(
            registry_pb2.SessionRequest(
                hello=registry_pb2.SessionHello(
                    module_id=registration.module_id, epoch=registration.epoch
                )
            )
        )
        self._state_changed.set()  # a new session starts with the current state

        async def heartbeats() -> None:
            # The one writer of the stream: state reports as they change, heartbeats
            # at the granted interval (gRPC streams take one write at a time). Nothing
            # else runs here: a heartbeat must not wait behind the module's own work.
            nonlocal last_ack
            loop = asyncio.get_running_loop()
            sequence = 0
            next_beat = loop.time()
            while True:
                if self._state_changed.is_set():
                    self._state_changed.clear()
                    await write(
                        registry_pb2.SessionRequest(
                            state=registry_pb2.StateReport(item_state=self.item_state)
                        )
                    )
                if loop.time() >= next_beat:
                    if loop.time() - last_ack > ttl:
                        raise SessionLost(f"no heartbeat acknowledged for {ttl:.1f} s")
                    # At most one heartbeat unacknowledged: an orchestrator that falls
                    # behind (a herd, a starved CPU) reads one queued beat per session,
                    # not every beat sent meanwhile, so it catches up instead of
                    # answering beats long stale while new calls wait behind them.
                    if acked >= sequence:
                        sequence += 1
                        await write(
                            registry_pb2.SessionRequest(
                                heartbeat=registry_pb2.Heartbeat(sequence=sequence)
                            )
                        )
                    next_beat = loop.time() + interval
                due = max(loop.time(), next_beat)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._state_changed.wait(), timeout=due - loop.time())
                late = loop.time() - due
                if late > STALL_TOLERANCE:
                    # Our own loop stalled (a busy skill, a GC pause): acks that came
                    # meanwhile are still unread, so the orchestrator is not blamed.
                    last_ack += late

        sender = asyncio.create_task(heartbeats())
        try:
            while True:
                reader = asyncio.ensure_future(call.read())
                done, _ = await asyncio.wait({reader, sender}, return_when=asyncio.FIRST_COMPLETED)
                if sender in done:
                    reader.cancel()
                    sender.result()  # raises why the heartbeats stopped
                message = reader.result()
                if message is grpc.aio.EOF:
                    raise SessionLost("the orchestrator closed the session")
                if message.HasField("heartbeat_ack"):
                    term = message.heartbeat_ack.leader_term
                    if not self.leader_term.admits(term):
                        # Another leader took over since: this one only thinks it leads.
                        raise Deposed(term, self.leader_term.highest)
                    last_ack = asyncio.get_running_loop().time()
                    acked = max(acked, message.heartbeat_ack.sequence)
                    self.registered.set()
                elif message.HasField("directive"):
                    directive = message.directive
                    if directive.epoch != registration.epoch:
                        # Meant for another boot of this module: fenced, not obeyed.
                        log.warning(
                            "%s: ignoring a directive for epoch %d (ours is %d)",
                            self.module_id,
                            directive.epoch,
                            registration.epoch,
                        )
                        continue
                    if not self.leader_term.admits(directive.leader_term):
                        log.warning(
                            "%s: ignoring a %s directive from a deposed leader "
                            "(term %d, newest seen %d)",
                            self.module_id,
                            registry_pb2.DirectiveKind.Name(directive.kind),
                            directive.leader_term,
                            self.leader_term.highest,
                        )
                        continue
                    if self._on_directive is not None:
                        await self._on_directive(directive)
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, grpc.aio.AioRpcError, SessionLost):
                await sender
            call.cancel()


class SessionLost(Exception):
    """The session ended or went silent; the client registers again."""


class Deposed(Exception):
    """The orchestrator answered with an older term than one the module has seen: it was
    the leader once and has been replaced. The client goes on to the other replicas."""

    def __init__(self, term: int, newest: int) -> None:
        super().__init__(f"a deposed leader (term {term}, newest seen {newest})")
        self.term = term
        self.newest = newest
