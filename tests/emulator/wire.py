"""A bare protocol client (aiohttp WebSocket) for tests that need exact frames."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import aiohttp
import msgpack


class WireClient:
    def __init__(self, session: aiohttp.ClientSession, ws, fmt: str):
        self.session, self.ws, self.format = session, ws, fmt

    @classmethod
    async def connect(cls, emulator, fmt: str = "json", **params) -> WireClient:
        params.setdefault("key", emulator.key)
        params = {k: v for k, v in params.items() if v is not None}
        params.update(format=fmt, v="6")
        session = aiohttp.ClientSession()
        ws = await session.ws_connect(f"{emulator.ws_url}/?{urlencode(params)}", max_msg_size=0)
        return cls(session, ws, fmt)

    async def send(self, pm: dict) -> None:
        if self.format == "msgpack":
            await self.ws.send_bytes(msgpack.packb(pm, use_bin_type=True))
        else:
            await self.ws.send_str(json.dumps(pm))

    async def send_raw(self, raw) -> None:
        await (self.ws.send_bytes(raw) if isinstance(raw, bytes) else self.ws.send_str(raw))

    async def recv(self, timeout: float = 5.0) -> dict | None:
        """The next protocol message, or None once the socket is closed."""
        msg = await self.ws.receive(timeout=timeout)
        if msg.type == aiohttp.WSMsgType.TEXT:
            return json.loads(msg.data)
        if msg.type == aiohttp.WSMsgType.BINARY:
            return msgpack.unpackb(msg.data, raw=False)
        return None

    async def expect(self, action: int, timeout: float = 5.0, skip=(0,)) -> dict:
        """Wait for `action`, skipping heartbeats; fail on anything else."""
        while True:
            pm = await self.recv(timeout)
            assert pm is not None, f"socket closed while waiting for action {action}"
            if pm["action"] == action:
                return pm
            assert pm["action"] in skip, f"expected action {action}, got {pm}"

    async def drain(self, quiet: float = 0.3) -> list[dict]:
        frames = []
        try:
            while (pm := await self.recv(quiet)) is not None:
                frames.append(pm)
        except TimeoutError:
            pass
        return frames

    async def drop(self) -> None:
        """Cut the socket without CLOSE, as a network failure would."""
        await self.ws.close()
        await self.session.close()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.drop()
