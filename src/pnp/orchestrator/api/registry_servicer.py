"""pnp.v1.ModuleRegistry: modules register, hold a session, and leave.

Under mutual TLS each call acts only for the module id in the caller's certificate
(``Access.require_module``, checked before anything else is read), and registrations
are rate-limited per certificate.

Every answer and directive carries the term this orchestrator holds as leader
(``store.leader_term``, read each time: it changes when a standby takes over), so that
modules keep the newest term and refuse a deposed leader (``pnp.v1.cluster``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import Callable

import grpc
from google.protobuf import duration_pb2

from pnp.orchestrator.api import convert
from pnp.orchestrator.api.access import Access
from pnp.orchestrator.api.endpoint_guard import EndpointGuard
from pnp.orchestrator.api.status import abort_with, maps_errors
from pnp.orchestrator.domain.events import Directive
from pnp.orchestrator.errors import (
    BadInput,
    PermissionDenied,
    PnpError,
    ResourceExhausted,
    Violation,
)
from pnp.orchestrator.security.limits import REGISTRATION_RATE
from pnp.orchestrator.security.rate_limits import PeerRateLimiter
from pnp.orchestrator.service.factory import Factory
from pnp.v1 import registry_pb2, registry_pb2_grpc

log = logging.getLogger(__name__)


def _duration(seconds: float) -> duration_pb2.Duration:
    duration = duration_pb2.Duration()
    duration.FromNanoseconds(round(seconds * 1e9))
    return duration


class ModuleRegistryServicer(registry_pb2_grpc.ModuleRegistryServicer):
    def __init__(
        self,
        factory: Factory,
        access: Access | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        *,
        endpoint_guard: EndpointGuard,
    ) -> None:
        self.factory = factory
        self.access = access or Access(enforced=False)
        self.endpoints = endpoint_guard
        self.registrations = PeerRateLimiter(REGISTRATION_RATE)
        self._monotonic = monotonic

    @maps_errors
    async def RegisterModule(self, request, context):
        peer = self.access.accountable(context)
        if peer is not None and not self.registrations.allow(peer, self._monotonic()):
            wait = self.registrations.retry_after(peer)
            raise ResourceExhausted(
                f"too many registrations from {peer}: at most {REGISTRATION_RATE.burst} at "
                f"once, then {REGISTRATION_RATE.per_second:g} per second; retry in {wait:.1f} s"
            )
        self.access.require_module(context, request.descriptor.module_id)
        description = convert.description_from_proto(request.descriptor)
        description = await self.endpoints.check(
            description, self.factory.layout, self.access.caller_hosts(context)
        )
        # Under mutual TLS the certificate is the identity: its holder may take its id
        # over wherever it is plugged in. Without, another unit needs ``replace``.
        entry = await self.factory.register_module(
            description, request.boot_id, replace=request.replace or self.access.enforced
        )
        settings = self.factory.settings
        return registry_pb2.RegisterModuleResponse(
            module_id=entry.module_id,
            epoch=entry.epoch,
            lease_ttl=_duration(settings.lease_ttl),
            heartbeat_interval=_duration(settings.heartbeat_interval),
            leader_term=self.factory.store.leader_term,
        )

    @maps_errors
    async def DeregisterModule(self, request, context):
        self.access.require_module(context, request.module_id)
        await self.factory.deregister_module(request.module_id, request.epoch)
        return registry_pb2.DeregisterModuleResponse()

    async def Session(self, request_iterator, context):
        """Bidirectional: hello first, then heartbeats/reports up and acks/directives down.

        The reader (this coroutine) writes each heartbeat's acknowledgement itself; a
        writer task sends directives (drain, release, configure), which must go down
        while the module is silent between heartbeats. A gRPC stream takes one write at a
        time, so the two take turns (``_Writes``). Acknowledging in the reader, rather
        than through the writer's queue, saves a queue and a task switch per heartbeat:
        with thousands of modules this is the hot path. When the stream ends for any
        reason the module becomes suspect.
        """
        try:
            first = await context.read()
            if first is grpc.aio.EOF:
                return
            if first.WhichOneof("message") != "hello":
                raise BadInput(
                    "the first session message must be a hello",
                    [Violation("hello", "send SessionHello(module_id, epoch) first")],
                )
            module_id, epoch = first.hello.module_id, first.hello.epoch
            self.access.require_module(context, module_id)
            session = self.factory.open_session(module_id, epoch)
        except PnpError as error:
            await abort_with(context, error)
        token = session.token
        store = self.factory.store
        writes = _Writes(context)
        writer = asyncio.create_task(
            _write_directives(writes, session.outbox, lambda: store.leader_term),
            name=f"session-{module_id}",
        )
        # A failed write means the stream is gone: it ends this reader too. (Cheaper than
        # waiting on a read task and the writer for every message: this is the hot path.)
        handler = asyncio.current_task()
        writer.add_done_callback(
            lambda task: task.cancelled() or task.exception() is None or handler.cancel()
        )
        renewed: tuple[float, duration_pb2.Duration] = (math.nan, duration_pb2.Duration())
        try:
            while True:
                message = await context.read()
                if message is grpc.aio.EOF:
                    break
                kind = message.WhichOneof("message")
                if kind == "heartbeat":
                    revoked = self.access.revocation(context)
                    if revoked is not None:  # lost now, and its links closed, then cut
                        await self.factory.module_revoked(module_id, epoch)
                        raise PermissionDenied(revoked)
                    remaining = self.factory.heartbeat(module_id, epoch, token)
                    if remaining != renewed[0]:  # always the lease TTL: converted once
                        renewed = (remaining, _duration(remaining))
                    ack = registry_pb2.SessionResponse(
                        heartbeat_ack=registry_pb2.HeartbeatAck(
                            sequence=message.heartbeat.sequence,
                            lease_remaining=renewed[1],
                            leader_term=store.leader_term,
                        )
                    )
                    if not await writes.send(ack):
                        break  # the stream is gone
                elif kind == "state":
                    self.factory.report_state(
                        module_id,
                        epoch,
                        token,
                        convert.item_state_from_proto(message.state.item_state),
                    )
        except PnpError as error:  # e.g. fenced by a newer boot: the module is told why
            writer.cancel()
            await abort_with(context, error)
        finally:
            writer.cancel()
            self.factory.close_session(module_id, epoch, token)


class _Writes:
    """One session stream's writes, one at a time (gRPC allows no more), in turn between
    the reader's acknowledgements and the writer's directives. Uncontended, which is
    nearly always, taking the turn does not suspend."""

    def __init__(self, context) -> None:
        self._context = context
        self._turn = asyncio.Lock()

    async def send(self, message: registry_pb2.SessionResponse) -> bool:
        """Writes ``message``; False when the stream is gone (the call ended)."""
        async with self._turn:
            try:
                await self._context.write(message)
            except Exception:  # gRPC raises several internal types for a call that ended;
                return False  # all mean the same here: nobody is left to write to
        return True


async def _write_directives(
    writes: _Writes, outbox: asyncio.Queue, leader_term: Callable[[], int]
) -> None:
    while True:
        directive = await outbox.get()
        message = registry_pb2.SessionResponse(directive=_directive(directive, leader_term()))
        if not await writes.send(message):
            raise ConnectionError("the session stream is gone")  # ends the reader too


_DIRECTIVE_KINDS = {
    "configure": registry_pb2.DIRECTIVE_KIND_CONFIGURE,
    "drain": registry_pb2.DIRECTIVE_KIND_DRAIN,
    "release": registry_pb2.DIRECTIVE_KIND_RELEASE,
    "abort": registry_pb2.DIRECTIVE_KIND_ABORT,
}


def _directive(directive: Directive, leader_term: int) -> registry_pb2.Directive:
    return registry_pb2.Directive(
        kind=_DIRECTIVE_KINDS[directive.kind],
        epoch=directive.epoch,
        reason=directive.reason,
        configuration_json=json.dumps(dict(directive.configuration)),
        leader_term=leader_term,
    )
