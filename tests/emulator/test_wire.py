"""Exact protocol behaviour over a bare WebSocket: heartbeats, bad input, resume, limits."""

import asyncio

import aiohttp
import httpx
import pytest
from ably.sync import AblyRestSync

from emulator.protocol import Action, Flag
from tests.support.http import basic_auth

from .wire import WireClient


async def wait_until_unlisted(emulator, channel_name: str, timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    async with httpx.AsyncClient(headers=basic_auth(emulator.key)) as http:
        while True:
            listed = (await http.get(f"{emulator.url}/channels", params={"prefix": channel_name, "by": "id"})).json()
            if channel_name not in listed:
                return
            assert asyncio.get_running_loop().time() < deadline, f"{channel_name} stayed active"
            await asyncio.sleep(0.1)


async def connected(emulator, **params):
    client = await WireClient.connect(emulator, **params)
    return client, await client.expect(Action.CONNECTED)


async def test_heartbeat_after_idle_and_ping_echo(emulator):
    """When heartbeats come is unit-tested on fake time (test_connection_unit.py); here, that one arrives."""
    client, pm = await connected(emulator, heartbeatInterval="1000")
    async with client:
        assert pm["connectionDetails"]["maxIdleInterval"] == 1000
        assert await client.recv(10) == {"action": Action.HEARTBEAT}
        await client.send({"action": Action.HEARTBEAT, "id": "ping-42"})
        assert await client.expect(Action.HEARTBEAT) == {"action": Action.HEARTBEAT, "id": "ping-42"}


@pytest.mark.parametrize(
    "fmt, raw",
    [
        ("json", "{this is not json"),
        ("json", '{"action": "attach"}'),
        ("json", '{"action": 99}'),
        ("msgpack", b"\xc1\xc1"),
    ],
)
async def test_malformed_frames_close_only_that_connection(emulator, channel_name, fmt, raw):
    bystander, _ = await connected(emulator, fmt="msgpack")
    bad, _ = await connected(emulator, fmt=fmt)
    async with bystander, bad:
        await bad.send_raw(raw)
        error = await bad.expect(Action.ERROR)
        assert error["error"]["statusCode"] == 400 and error["error"]["message"]
        assert await bad.recv() is None  # closed by the server
        await bystander.send({"action": Action.ATTACH, "channel": channel_name})
        assert (await bystander.expect(Action.ATTACHED))["channel"] == channel_name


async def test_oversized_message_is_nacked_and_oversized_frame_is_fatal(emulator, channel_name):
    client, _ = await connected(emulator)
    async with client:
        await client.send(
            {
                "action": Action.MESSAGE,
                "channel": channel_name,
                "msgSerial": 0,
                "messages": [{"data": "x" * (64 * 1024 + 1)}],
            }
        )
        nack = await client.expect(Action.NACK)
        assert nack["error"]["code"] == 40009 and nack["msgSerial"] == 0
        await client.send(
            {"action": Action.MESSAGE, "channel": channel_name, "msgSerial": 1, "messages": [{"data": "fine"}]}
        )
        assert (await client.expect(Action.ACK))["msgSerial"] == 1
        await client.send(
            {
                "action": Action.MESSAGE,
                "channel": channel_name,
                "msgSerial": 2,
                "messages": [{"data": "x" * (600 * 1024)}],
            }
        )
        assert (await client.expect(Action.ERROR))["error"]["code"] == 40009
        assert await client.recv() is None


async def test_binary_crosses_between_json_and_msgpack(emulator, channel_name):
    sub, _ = await connected(emulator, fmt="json")
    pub, _ = await connected(emulator, fmt="msgpack")
    async with sub, pub:
        await sub.send({"action": Action.ATTACH, "channel": channel_name})
        await sub.expect(Action.ATTACHED)
        await pub.send(
            {
                "action": Action.MESSAGE,
                "channel": channel_name,
                "msgSerial": 0,
                "messages": [{"name": "b", "data": b"\x00\x01\xfe", "encoding": "utf-8/cipher+aes-128-cbc"}],
            }
        )
        msg = (await sub.expect(Action.MESSAGE))["messages"][0]
        assert msg["data"] == "AAH+" and msg["encoding"] == "utf-8/cipher+aes-128-cbc/base64"


async def test_resume_after_drop_replays_in_order_and_expired_key_fails(emulator, channel_name):
    sub, connected_pm = await connected(emulator, clientId="sub")
    pub, _ = await connected(emulator)
    await sub.send({"action": Action.ATTACH, "channel": channel_name})
    serial = (await sub.expect(Action.ATTACHED))["channelSerial"]
    await pub.send({"action": Action.MESSAGE, "channel": channel_name, "msgSerial": 0, "messages": [{"name": "m0"}]})
    live = await sub.expect(Action.MESSAGE)
    serial = live["channelSerial"]
    await sub.drop()
    for i in range(1, 4):
        await pub.send(
            {"action": Action.MESSAGE, "channel": channel_name, "msgSerial": i, "messages": [{"name": f"m{i}"}]}
        )
        await pub.expect(Action.ACK)

    key = connected_pm["connectionDetails"]["connectionKey"]
    again, pm = await connected(emulator, clientId="sub", resume=key)
    async with again:
        assert pm["connectionId"] == connected_pm["connectionId"] and "error" not in pm
        assert pm["connectionDetails"]["connectionKey"] != key
        await again.send({"action": Action.ATTACH, "channel": channel_name, "channelSerial": serial})
        attached = await again.expect(Action.ATTACHED)
        assert attached["flags"] & Flag.RESUMED
        names = [(await again.expect(Action.MESSAGE))["messages"][0]["name"] for _ in range(3)]
        assert names == ["m1", "m2", "m3"]
        await pub.send(
            {"action": Action.MESSAGE, "channel": channel_name, "msgSerial": 4, "messages": [{"name": "m4"}]}
        )
        assert (await again.expect(Action.MESSAGE))["messages"][0]["name"] == "m4"
        assert await again.drain() == []  # exactly once
        new_key = pm["connectionDetails"]["connectionKey"]
    await pub.drop()

    # A dropped connection keeps its channels active until its state TTL (4 s in this suite) ends:
    # once the channel is no longer listed, the connection is gone.
    await wait_until_unlisted(emulator, channel_name)
    late, pm = await connected(emulator, clientId="sub", resume=new_key)
    async with late:
        assert pm["connectionId"] != connected_pm["connectionId"]
        assert pm["error"]["code"] == 80008
        await late.send({"action": Action.ATTACH, "channel": channel_name, "channelSerial": serial})
        assert not (await late.expect(Action.ATTACHED))["flags"] & Flag.RESUMED


async def test_close_gets_closed(emulator):
    client, _ = await connected(emulator)
    async with client:
        await client.send({"action": Action.CLOSE})
        assert (await client.expect(Action.CLOSED))["action"] == Action.CLOSED
        assert await client.recv() is None


async def test_token_expiry_disconnects_with_40142(emulator):
    rest = AblyRestSync(key=emulator.key, endpoint=emulator.host, port=emulator.port, tls=False)
    token = rest.auth.request_token({"ttl": 800}).token
    client, _pm = await connected(emulator, key=None, access_token=token)
    async with client:
        # Under 30 s of life left: Ably lets the token run out rather than asking for a new one.
        disconnected = await client.expect(Action.DISCONNECTED, timeout=3)
        assert disconnected["error"]["code"] == 40142 and disconnected["error"]["statusCode"] == 401
        assert await client.recv() is None
    async with await WireClient.connect(emulator, key=None, accessToken=token) as expired:
        assert (await expired.expect(Action.ERROR))["error"]["code"] == 40142
    assert httpx.get(f"{emulator.url}/ws-up").status_code in (400, 426)  # needs an upgrade


async def test_ws_up_connectivity_check(emulator):
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"{emulator.ws_url}/ws-up") as ws:
            msg = await ws.receive(timeout=3)
            assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)


async def test_remain_present_for_sets_the_leave_delay_per_connection(emulator, channel_name):
    watcher, _ = await connected(emulator)
    async with watcher:
        await watcher.send({"action": Action.ATTACH, "channel": channel_name})
        await watcher.expect(Action.ATTACHED)
        for delay_ms in (200, 2500):
            member, _ = await connected(emulator, clientId=f"m{delay_ms}", remainPresentFor=str(delay_ms))
            await member.send(
                {"action": Action.PRESENCE, "channel": channel_name, "msgSerial": 0, "presence": [{"action": 2}]}
            )
            await member.expect(Action.ACK, skip=(0, Action.PRESENCE))
            assert (await watcher.expect(Action.PRESENCE))["presence"][0]["action"] == 2
            await member.drop()
            loop = asyncio.get_running_loop()
            dropped = loop.time()
            leave = await watcher.expect(Action.PRESENCE, timeout=5)
            assert leave["presence"][0]["action"] == 3
            assert delay_ms / 1000 - 0.05 <= loop.time() - dropped < delay_ms / 1000 + 0.7
