"""The bare baseline for fan-out: an aiohttp WebSocket server that sends each POSTed payload
to every connected client, nothing more. Same library as the emulator.

`python -m bench.broadcast_server` prints {"event": "ready", "port": N} and serves until SIGTERM.
"""

import asyncio
import json
import signal

from aiohttp import web

clients: set[web.WebSocketResponse] = set()


async def connect(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(compress=False)  # as the emulator: no permessage-deflate
    await ws.prepare(request)
    clients.add(ws)
    try:
        async for _ in ws:
            pass  # clients only listen
    finally:
        clients.discard(ws)
    return ws


async def publish(request: web.Request) -> web.Response:
    payload = await request.text()
    for ws in list(clients):
        await ws.send_str(payload)
    return web.json_response({"delivered": len(clients)}, status=201)


async def main() -> None:
    app = web.Application()
    app.router.add_get("/", connect)
    app.router.add_post("/publish", publish)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, shutdown_timeout=1)
    await site.start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print(json.dumps({"event": "ready", "port": runner.addresses[0][1]}), flush=True)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
