"""The aiohttp layer in-process: what a client that vanishes at the wrong moment leaves behind."""

import asyncio
import logging
import socket

from emulator.server import Emulator, Options, serve

UPGRADE = (
    b"GET /?key=local.dev:local-dev-secret&v=2 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


def send_and_hang_up(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(UPGRADE)


async def test_a_client_gone_mid_handshake_is_a_disconnect_not_an_internal_error(caplog, monkeypatch):
    # The race (the socket closes before the handler starts the handshake) is made certain by
    # holding the handler until the server has seen the hang-up.
    gone = asyncio.Event()
    handle = Emulator.handle

    async def handle_after_the_hang_up(self, request):
        await asyncio.wait_for(gone.wait(), 5)
        while request.transport is not None:
            await asyncio.sleep(0.01)
        return await handle(self, request)

    monkeypatch.setattr(Emulator, "handle", handle_after_the_hang_up)

    caplog.set_level(logging.INFO)
    stop, started = asyncio.Event(), asyncio.get_running_loop().create_future()
    server = asyncio.create_task(serve(Options(port=0), stop, lambda emu, host, port: started.set_result((emu, port))))
    emulator, port = await asyncio.wait_for(started, 10)
    try:
        await asyncio.to_thread(send_and_hang_up, port)
        gone.set()
        deadline = asyncio.get_running_loop().time() + 5
        while not any("client disconnected" in r.getMessage() for r in caplog.records):
            assert asyncio.get_running_loop().time() < deadline, "the disconnect was never logged"
            await asyncio.sleep(0.01)
    finally:
        stop.set()
        await server
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert emulator.service.connections == {}
