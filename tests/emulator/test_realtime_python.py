"""ably-python's AblyRealtime against the emulator (JSON and msgpack)."""

import asyncio

import pytest
from ably import AblyRealtime, AblyRest
from ably.util.exceptions import AblyException


def realtime(emulator, **options):
    # ably-python builds its WebSocket URL without the port, so the port rides in the endpoint.
    options.setdefault("key", emulator.key)
    return AblyRealtime(endpoint=f"{emulator.host}:{emulator.port}", tls=False, **options)


def rest(emulator, **options):
    return AblyRest(
        key=emulator.key, endpoint=emulator.host, port=emulator.port, tls=False, use_token_auth=True, **options
    )


async def connected(client):
    await asyncio.wait_for(client.connection.once_async("connected"), 5)
    return client


async def next_item(queue, timeout=5):
    return await asyncio.wait_for(queue.get(), timeout)


@pytest.mark.parametrize("binary", [True, False])
async def test_publish_subscribe_between_connections(emulator, channel_name, binary):
    sub = await connected(realtime(emulator, use_binary_protocol=binary, client_id="sub"))
    pub = await connected(realtime(emulator, use_binary_protocol=not binary, client_id="pub"))
    try:
        received = asyncio.Queue()
        await sub.channels.get(channel_name).subscribe(received.put_nowait)
        channel = pub.channels.get(channel_name)
        await channel.publish("json", {"a": [1, 2]})
        await channel.publish("bytes", b"\x00\x01")
        first, second = await next_item(received), await next_item(received)
        assert (first.name, first.data, first.client_id) == ("json", {"a": [1, 2]}, "pub")
        assert (second.name, bytes(second.data)) == ("bytes", b"\x00\x01")
        assert first.connection_id == pub.connection.connection_manager.connection_id and first.timestamp
    finally:
        await sub.close()
        await pub.close()


async def test_rest_publish_reaches_realtime_subscriber(emulator, channel_name):
    sub = await connected(realtime(emulator))
    try:
        received = asyncio.Queue()
        await sub.channels.get(channel_name).subscribe("message", received.put_nowait)
        async with rest(emulator) as publisher:
            data = {"username": "ann", "text": "hello", "date": "2026-01-01T00:00:00Z", "type": "message"}
            await publisher.channels.get(channel_name).publish("message", data)
        msg = await next_item(received)
        assert msg.data == data and msg.name == "message"
    finally:
        await sub.close()


async def test_publish_without_capability_is_nacked(emulator, channel_name):
    async with rest(emulator) as issuer:
        # TokenDetails, not a TokenRequest: ably-python realtime can't reach REST on a non-80 port.
        async def auth_callback(params):
            return await issuer.auth.request_token(
                {"client_id": "reader", "capability": {channel_name: ["subscribe", "presence", "history"]}}
            )

        client = await connected(realtime(emulator, key=None, auth_callback=auth_callback))
        try:
            channel = client.channels.get(channel_name)
            await channel.attach()
            with pytest.raises(AblyException) as e:
                await channel.publish("nope", "x")
            assert e.value.code == 40160
            assert client.connection.state.value == "connected"
        finally:
            await client.close()


async def test_presence_between_python_clients(emulator, channel_name):
    alice = await connected(realtime(emulator, client_id="alice"))
    bob = await connected(realtime(emulator, client_id="bob"))
    try:
        await alice.channels.get(channel_name).presence.enter({"typing": False})
        events = asyncio.Queue()
        bob_channel = bob.channels.get(channel_name)
        # Skip PRESENT: the SDK reports members learnt from the attach SYNC that way.
        await bob_channel.presence.subscribe(lambda m: m.action != 1 and events.put_nowait(m))
        members = await bob_channel.presence.get()
        assert [(m.client_id, m.data) for m in members] == [("alice", {"typing": False})]
        await alice.channels.get(channel_name).presence.update({"typing": True})
        update = await next_item(events)
        assert (update.action, update.data) == (4, {"typing": True})  # UPDATE
        await alice.channels.get(channel_name).presence.leave()
        leave = await next_item(events)
        assert (leave.action, leave.client_id) == (3, "alice")  # LEAVE
    finally:
        await alice.close()
        await bob.close()


async def test_realtime_token_renewal(emulator, channel_name):
    async with rest(emulator) as issuer:
        issued = []

        async def auth_callback(params):
            issued.append(params)
            return await issuer.auth.request_token({"client_id": "renewing", "ttl": 1500})

        client = await connected(realtime(emulator, key=None, auth_callback=auth_callback))
        try:
            await asyncio.sleep(2.5)  # the first token has expired by now
            channel = client.channels.get(channel_name)
            await asyncio.wait_for(channel.attach(), 5)
            await asyncio.wait_for(channel.publish("after-renewal", "ok"), 5)
            assert len(issued) >= 2
            assert client.connection.state.value == "connected"
        finally:
            await client.close()


async def test_rewind_as_a_channel_name_qualifier(emulator, channel_name):
    async with rest(emulator) as publisher:
        for name in ("a", "b", "c"):
            await publisher.channels.get(channel_name).publish(name, name)
    client = await connected(realtime(emulator))
    try:
        received = asyncio.Queue()
        await client.channels.get(f"[?rewind=2]{channel_name}").subscribe(received.put_nowait)
        assert [(await next_item(received)).name for _ in range(2)] == ["b", "c"]
    finally:
        await client.close()


async def test_resume_after_the_socket_drops(emulator, channel_name):
    client = await connected(realtime(emulator, client_id="resumer"))
    try:
        manager = client.connection.connection_manager
        connection_id = manager.connection_id
        received, changes = [], []
        channel = client.channels.get(channel_name)
        await channel.subscribe(lambda m: received.append(m.data))
        channel.on(lambda change: changes.append((change.current.value, change.resumed)))
        async with rest(emulator) as publisher:
            await publisher.channels.get(channel_name).publish("n", "0")
            await asyncio.sleep(0.2)
            await manager.transport.websocket.close()  # the socket goes; no CLOSE is sent
            for i in range(1, 4):
                await publisher.channels.get(channel_name).publish("n", str(i))
        for _ in range(100):
            if len(received) >= 4:
                break
            await asyncio.sleep(0.05)
        assert received == ["0", "1", "2", "3"]
        assert manager.connection_id == connection_id
        assert changes[-1] == ("attached", True)
    finally:
        await client.close()


async def test_presence_on_an_invalid_channel_name_is_a_channel_error(emulator):
    client = await connected(realtime(emulator, client_id="namer"))
    try:
        with pytest.raises(AblyException) as e:
            await asyncio.wait_for(client.channels.get(":hell").presence.enter("here"), 5)
        assert e.value.code == 40010
        await asyncio.sleep(0.2)
        assert client.connection.state.value == "connected"
    finally:
        await client.close()


@pytest.mark.parametrize("token", ["Sdnurv_some_invalid_token_nkds9r7", "invalid-token"])
async def test_a_token_never_issued_fails_the_connection_with_40101(emulator, token):
    client = realtime(emulator, key=None, token=token)
    try:
        change = await asyncio.wait_for(client.connection.once_async("failed"), 5)
        assert (change.reason.code, change.reason.status_code) == (40101, 401)
    finally:
        await client.close()
