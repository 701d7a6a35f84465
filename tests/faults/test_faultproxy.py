"""The fault proxy does what each fault says, on a real echo server over loopback.

Where a test shows that bytes are *held*, it waits a short while and sees nothing
arrive: on a slow machine that wait only gets easier to pass, and the heal that
follows must then deliver every held byte, in order.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from tests.faultproxy import Direction, FaultProxy

pytestmark = pytest.mark.servers

QUIET = 0.3  # seconds in which held bytes must not arrive


@contextlib.asynccontextmanager
async def echo_behind_proxy():
    """An echo server (it answers each line with the line) behind a fault proxy."""
    received: asyncio.Queue[bytes] = asyncio.Queue()  # what the server was sent

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while line := await reader.readline():
                received.put_nowait(line)
                writer.write(line)
                await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with FaultProxy(("127.0.0.1", port)) as proxy:
        yield proxy, received
    server.close()


async def dial(proxy: FaultProxy):
    return await asyncio.open_connection(proxy.host, proxy.port)


async def nothing_within(awaitable, seconds: float = QUIET) -> None:
    task = asyncio.ensure_future(awaitable)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    assert not done, f"expected nothing, got {task.result()!r}"
    task.cancel()


async def test_a_straight_wire_forwards_both_ways_and_counts():
    async with echo_behind_proxy() as (proxy, _):
        reader, writer = await dial(proxy)
        writer.write(b"hello\n")
        assert await asyncio.wait_for(reader.readline(), 5) == b"hello\n"
        assert proxy.stats.connections == 1
        assert proxy.stats.bytes == {Direction.UP: 6, Direction.DOWN: 6}
        writer.close()


async def test_delay_makes_every_byte_late_in_order():
    async with echo_behind_proxy() as (proxy, _):
        reader, writer = await dial(proxy)
        proxy.delay(0.2, Direction.UP)
        loop = asyncio.get_running_loop()
        began = loop.time()
        writer.write(b"one\ntwo\n")
        assert await asyncio.wait_for(reader.readline(), 5) == b"one\n"
        assert loop.time() - began >= 0.2
        assert await asyncio.wait_for(reader.readline(), 5) == b"two\n"
        writer.close()


async def test_drop_holds_both_ways_on_an_open_connection_until_healed():
    async with echo_behind_proxy() as (proxy, received):
        reader, writer = await dial(proxy)
        writer.write(b"before\n")
        assert await asyncio.wait_for(reader.readline(), 5) == b"before\n"
        assert received.get_nowait() == b"before\n"
        proxy.drop()
        writer.write(b"during\n")
        await nothing_within(received.get())
        proxy.heal()
        assert await asyncio.wait_for(received.get(), 5) == b"during\n"
        assert await asyncio.wait_for(reader.readline(), 5) == b"during\n"
        assert proxy.open_connections == 1  # the same connection throughout
        writer.close()


async def test_a_one_way_cut_lets_requests_in_but_no_answers_out():
    async with echo_behind_proxy() as (proxy, received):
        reader, writer = await dial(proxy)
        proxy.drop(Direction.DOWN)
        writer.write(b"ping\n")
        assert await asyncio.wait_for(received.get(), 5) == b"ping\n"  # the server got it
        await nothing_within(reader.readline())  # the answer is held
        proxy.heal()
        assert await asyncio.wait_for(reader.readline(), 5) == b"ping\n"
        writer.close()


async def test_blackhole_leaves_a_new_connection_unanswered_until_healed():
    async with echo_behind_proxy() as (proxy, received):
        proxy.blackhole()
        reader, writer = await dial(proxy)  # the kernel accepts; nothing is behind it
        writer.write(b"anyone\n")
        await nothing_within(received.get())
        proxy.heal()
        assert await asyncio.wait_for(received.get(), 5) == b"anyone\n"
        assert await asyncio.wait_for(reader.readline(), 5) == b"anyone\n"
        writer.close()


async def test_reset_tears_open_connections_down_and_refuse_keeps_doing_it():
    async with echo_behind_proxy() as (proxy, _):
        reader, writer = await dial(proxy)
        writer.write(b"x\n")
        await asyncio.wait_for(reader.readline(), 5)
        assert proxy.reset(refuse=True) == 1
        with pytest.raises(ConnectionResetError):
            await asyncio.wait_for(reader.read(), 5)
        writer.close()
        reader, writer = await dial(proxy)  # refused: reset as soon as it is accepted
        with pytest.raises(ConnectionResetError):
            await asyncio.wait_for(reader.read(), 5)
        writer.close()
        proxy.heal()
        reader, writer = await dial(proxy)
        writer.write(b"back\n")
        assert await asyncio.wait_for(reader.readline(), 5) == b"back\n"
        writer.close()


async def test_connections_made_before_the_upstream_is_known_wait_for_it():
    async with echo_behind_proxy() as (behind, _), FaultProxy() as proxy:
        reader, writer = await dial(proxy)
        writer.write(b"early\n")
        await nothing_within(reader.readline(), 0.1)
        proxy.set_upstream(behind.host, behind.port)
        assert await asyncio.wait_for(reader.readline(), 5) == b"early\n"
        writer.close()
