"""Abuse from raw WebSocket clients does not hurt anyone else.

While clients blast thousands of frames, send frames over the size
limits and send garbage, a well-behaved ably-js client and REST publishing keep working, the bad
connections get Ably errors or are closed, and the emulator's memory stays bounded. A subscriber
that stops reading is dropped rather than buffered for without limit.

FLOOD_FRAMES and FLOOD_BAD_CONNECTIONS size the run (`make soak` uses larger values); the memory
bound is the same at every size.
"""

import asyncio
import contextlib
import itertools
import json
import os
import random
import re

import aiohttp
import httpx
import msgpack
import pytest

from devtools.emulator import running_emulator
from devtools.processes import memory_mib
from emulator.protocol import Action
from tests.reliability.helpers import ChatWatcher

FLOOD_FRAMES = int(os.environ.get("FLOOD_FRAMES", "20000"))
BAD_CONNECTIONS = int(os.environ.get("FLOOD_BAD_CONNECTIONS", "20"))  # of each kind below
# Ably's limit is 512 KiB a frame; beyond 2 MiB aiohttp itself refuses to read the frame.
OVER_ABLY_LIMIT = 600 * 1024
OVER_AIOHTTP_LIMIT = 3 * 1024 * 1024
# Measured peak is far lower (see the printed figure); this catches memory growing with the flood.
PEAK_RSS_LIMIT_MIB = 150


@pytest.fixture
def emulator():
    """An emulator of the test's own, so that its memory figures are the test's alone."""
    with running_emulator() as emulator:
        yield emulator


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as session:
        yield session


async def open_raw(session, emulator, fmt="json"):
    ws = await session.ws_connect(f"{emulator.ws_url}/?key={emulator.key}&format={fmt}&v=6", max_msg_size=0)
    connected = await ws.receive(timeout=10)
    assert (json.loads(connected.data) if fmt == "json" else msgpack.unpackb(connected.data))[
        "action"
    ] == Action.CONNECTED
    return ws


async def outcome(ws) -> tuple[list[dict], int | None]:
    """Reads until the server closes the socket: the Ably frames it sent, and the close code."""
    frames = []
    while True:
        msg = await ws.receive(timeout=30)
        if msg.type == aiohttp.WSMsgType.TEXT:
            frames.append(json.loads(msg.data))
        elif msg.type == aiohttp.WSMsgType.BINARY:
            frames.append(msgpack.unpackb(msg.data))
        else:
            return frames, ws.close_code


async def blast(session, emulator) -> None:
    """FLOOD_FRAMES publishes as fast as the socket takes them; every one is ACKed."""
    ws = await open_raw(session, emulator)

    async def send_all():
        for serial in range(FLOOD_FRAMES):
            await ws.send_str(
                json.dumps(
                    {
                        "action": Action.MESSAGE,
                        "channel": "flood",
                        "msgSerial": serial,
                        "messages": [{"name": "junk", "data": "x" * 200}],
                    }
                )
            )

    async def count_acks():
        acks = 0
        while acks < FLOOD_FRAMES:
            msg = await ws.receive(timeout=30)
            assert msg.type == aiohttp.WSMsgType.TEXT, f"closed after {acks} ACKs"
            acks += json.loads(msg.data)["action"] == Action.ACK

    await asyncio.gather(send_all(), count_acks())
    await ws.close()


def message_of(size: int) -> str:
    """A MESSAGE frame on the flood channel whose data is `size` characters."""
    frame = {"action": Action.MESSAGE, "channel": "flood", "msgSerial": 0, "messages": [{"data": "x" * size}]}
    return json.dumps(frame)


async def oversized_frames(session, emulator) -> None:
    for _ in range(BAD_CONNECTIONS):
        ws = await open_raw(session, emulator)
        await ws.send_str(message_of(OVER_ABLY_LIMIT))
        frames, _ = await outcome(ws)
        assert [f["error"]["code"] for f in frames] == [40009]

        ws = await open_raw(session, emulator)
        with contextlib.suppress(ConnectionError):  # the server may hang up before the frame is all sent
            await ws.send_str(message_of(OVER_AIOHTTP_LIMIT))
        frames, close_code = await outcome(ws)
        assert frames == []
        assert close_code in (aiohttp.WSCloseCode.MESSAGE_TOO_BIG, aiohttp.WSCloseCode.ABNORMAL_CLOSURE)


async def garbage_frames(session, emulator) -> None:
    rng = random.Random(6)
    for number in range(BAD_CONNECTIONS):
        fmt = ("json", "msgpack")[number % 2]
        ws = await open_raw(session, emulator, fmt)
        junk = rng.randbytes(rng.randint(1, 64 * 1024))
        await (ws.send_bytes(junk) if fmt == "msgpack" else ws.send_str(junk.decode("latin-1")))
        frames, _ = await outcome(ws)
        # Random bytes can be valid msgpack (a lone integer, say): still not a protocol message.
        assert [f["action"] for f in frames] == [Action.ERROR] and frames[0]["error"]["statusCode"] == 400


async def garbage_bytes(emulator) -> None:
    """Not even HTTP: junk straight onto the TCP port."""
    rng = random.Random(7)
    for _ in range(BAD_CONNECTIONS):
        reader, writer = await asyncio.open_connection(emulator.host, emulator.port)
        writer.write(rng.randbytes(4096) + b"\r\n\r\n")
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 10)  # until the server closes the connection
        assert answer == b"" or re.match(rb"HTTP/1\.[01] 400 ", answer), answer[:100]
        writer.close()


async def keep_publishing(emulator, stop: asyncio.Event) -> list[str]:
    """The well-behaved side: a REST publish every 20 ms for as long as the abuse lasts."""
    ids = []
    async with httpx.AsyncClient(auth=tuple(emulator.key.split(":")), timeout=30) as client:
        while not stop.is_set():
            message_id = f"steady-{len(ids):05d}"
            response = await client.post(
                f"{emulator.url}/channels/chat/messages",
                json={"name": "message", "id": message_id, "data": {"n": len(ids)}},
            )
            assert response.status_code == 201, response.text
            ids.append(message_id)
            await asyncio.sleep(0.02)
    return ids


async def sample_rss(pid: int, stop: asyncio.Event) -> float:
    highest = 0.0
    while not stop.is_set():
        highest = max(highest, memory_mib(pid))
        await asyncio.sleep(0.05)
    return highest


async def test_abusive_clients_leave_others_working_and_memory_bounded(emulator, session):
    idle_rss = memory_mib(emulator.process.pid)
    with ChatWatcher(emulator.url, emulator.key) as watcher:
        stop = asyncio.Event()
        publishing = asyncio.create_task(keep_publishing(emulator, stop))
        sampling = asyncio.create_task(sample_rss(emulator.process.pid, stop))
        try:
            await asyncio.gather(
                blast(session, emulator),
                oversized_frames(session, emulator),
                garbage_frames(session, emulator),
                garbage_bytes(emulator),
            )
        finally:
            stop.set()
            published = await publishing
            highest_sampled = await sampling
        await asyncio.to_thread(
            watcher.wait_until,
            lambda: len(watcher.message_ids) >= len(published),
            30,
            "the well-behaved client had every message",
        )
        received, states = list(watcher.message_ids), list(watcher.states)
    peak_rss = memory_mib(emulator.process.pid, "VmHWM")

    print(
        f"\nflood: {FLOOD_FRAMES} frames blasted and ACKed, {BAD_CONNECTIONS} connections "
        f"each with frames over Ably's limit, over aiohttp's limit, garbage frames and garbage bytes; "
        f"meanwhile {len(received)}/{len(published)} messages reached the well-behaved client; emulator RSS idle "
        f"{idle_rss:.0f} MiB, highest sampled {highest_sampled:.0f} MiB, peak {peak_rss:.0f} MiB"
    )
    assert received == published, "the well-behaved client lost, duplicated or reordered messages"
    assert states == ["connecting", "connected"], "the well-behaved client was disconnected"
    assert emulator.process.poll() is None
    assert peak_rss < PEAK_RSS_LIMIT_MIB


async def publish_many(session, emulator, channel: str, count: int, size: int) -> None:
    publisher = await open_raw(session, emulator)
    for serial in range(count):
        await publisher.send_str(
            json.dumps(
                {"action": Action.MESSAGE, "channel": channel, "msgSerial": serial, "messages": [{"data": "x" * size}]}
            )
        )
    acks = 0
    while acks < count:
        acks += json.loads((await publisher.receive(timeout=60)).data)["action"] == Action.ACK
    await publisher.close()


@pytest.mark.parametrize(
    "count, size",
    [
        pytest.param(20_000, 1024, id="many-small-messages"),
        pytest.param(1_500, 60 * 1024, id="fewer-large-messages"),
    ],
)
async def test_a_subscriber_that_stops_reading_is_dropped(emulator, session, count, size):
    channel = f"slow-{size}"
    slow = await open_raw(session, emulator)
    await slow.send_str(json.dumps({"action": Action.ATTACH, "channel": channel}))
    assert json.loads((await slow.receive(timeout=10)).data)["action"] == Action.ATTACHED
    rss_before = memory_mib(emulator.process.pid)
    # aiohttp stops reading the socket once 64 KiB wait unread; then the kernel's buffers fill.
    await publish_many(session, emulator, channel, count, size)
    rss_stuck = memory_mib(emulator.process.pid)

    delivered = 0
    while delivered < count and (msg := await slow.receive(timeout=30)).type == aiohttp.WSMsgType.TEXT:
        delivered += json.loads(msg.data)["action"] == Action.MESSAGE
    close_code = slow.close_code
    print(
        f"\nslow subscriber, {count} x {size // 1024} KiB messages: {delivered} delivered before the socket "
        f"closed (code {close_code}); emulator RSS {rss_before:.0f} -> {rss_stuck:.0f} MiB while it did not read"
    )
    assert delivered < count, "the emulator buffered everything for a client that was not reading"


async def test_a_client_that_publishes_without_ever_reading_is_disconnected(emulator, session):
    ws = await open_raw(session, emulator)
    await ws.send_str(json.dumps({"action": Action.ATTACH, "channel": "echoes"}))
    assert json.loads((await ws.receive(timeout=10)).data)["action"] == Action.ATTACHED

    async def publish_forever():  # each publish comes back twice, as an Action.ACK and as its echo
        for serial in itertools.count():
            await ws.send_str(
                json.dumps(
                    {
                        "action": Action.MESSAGE,
                        "channel": "echoes",
                        "msgSerial": serial,
                        "messages": [{"data": "x" * 1024}],
                    }
                )
            )

    try:
        with pytest.raises(ConnectionError):
            await asyncio.wait_for(publish_forever(), timeout=10)
    finally:
        with contextlib.suppress(TimeoutError):  # a close stuck behind unsent frames drops the socket
            await asyncio.wait_for(ws.close(), 1)
