"""The aiohttp application: one port for REST and the realtime WebSocket."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import string
import sys
import time
from dataclasses import dataclass

from aiohttp import WSMsgType, web

from . import DEFAULT_KEY
from .access import AccessPolicy, exposure_warning
from .apps import DEFAULT_CLOSE_DELAY_MS, Registry, Retention
from .auth import DEFAULT_TIMESTAMP_WINDOW_MS
from .connection import Connection, ConnectionSettings
from .errors import AblyError
from .http_render import cors_headers, error_response, preflight, refuse_unless_allowed
from .messaging import Fanout
from .persistence import HistoryJournal, HistoryStore
from .protocol import JSON, MSGPACK, decode_frame, encode_frame, error_frame
from .realtime import Realtime
from .rest import RestApi
from .service import Service

log = logging.getLogger("emulator")

PRUNE_INTERVAL_S = 10
# A client that stops reading is dropped (it may resume) rather than buffered without limit.
MAX_QUEUED_BYTES = 8 * 1024 * 1024


def now_ms() -> int:
    return int(time.time() * 1000)


class RandomIds:
    """The id source for a running emulator: unguessable, since ids and keys grant access."""

    _ALNUM = string.ascii_letters + string.digits

    def short_id(self, length: int) -> str:
        return "".join(secrets.choice(self._ALNUM) for _ in range(length))

    def secret(self, nbytes: int) -> str:
        return secrets.token_urlsafe(nbytes)


class AsyncioScheduler:
    def call_later(self, delay_s: float, fn):
        return asyncio.get_running_loop().call_later(delay_s, _guarded, fn)


def _guarded(fn) -> None:
    try:
        fn()
    except Exception:  # a timer bug must not take the server down
        log.exception("timer callback failed")


class WebSocketTransport:
    """Queues encoded frames for one socket; a writer task sends them in order."""

    def __init__(self, ws: web.WebSocketResponse, fmt: str, socket: asyncio.Transport | None):
        self.ws = ws
        self.format = fmt
        self.socket = socket
        self.queue: asyncio.Queue = asyncio.Queue()
        self.queued_bytes = 0
        self.closing = False
        self.writer = asyncio.create_task(self._write())

    def send(self, pm: dict) -> None:
        if self.closing:
            return
        try:
            frame = encode_frame(pm, self.format)
        except Exception:
            log.exception("could not encode frame for action %s", pm.get("action"))
            return
        if self.queued_bytes + len(frame) > MAX_QUEUED_BYTES:
            log.warning("dropping a connection that is not reading its frames")
            self.abort()
            return
        self.queued_bytes += len(frame)
        self.queue.put_nowait(frame)

    def close(self) -> None:
        if not self.closing:
            self.closing = True
            self.queue.put_nowait(None)

    def abort(self) -> None:
        """Drop the socket now: a closing handshake would wait behind frames the peer never reads."""
        self.close()
        if self.socket is not None:  # None once the connection is already gone
            self.socket.abort()

    async def _write(self) -> None:
        try:
            while (frame := await self.queue.get()) is not None:
                self.queued_bytes -= len(frame)
                if isinstance(frame, str):
                    await self.ws.send_str(frame)
                else:
                    await self.ws.send_bytes(frame)
        except (ConnectionError, RuntimeError):
            pass  # the peer went away; the reader notices too
        finally:
            self.closing = True
            with contextlib.suppress(ConnectionError, RuntimeError):  # an aborted socket cannot say goodbye
                await self.ws.close()


@dataclass
class Options:
    """How to run the emulator: the CLI's flags default to these fields and those of ConnectionSettings and
    Retention."""

    host: str = "127.0.0.1"
    port: int = 8081
    key: str = DEFAULT_KEY
    settings: ConnectionSettings | None = None
    retention: Retention | None = None
    timestamp_window_ms: int = DEFAULT_TIMESTAMP_WINDOW_MS
    channel_close_delay_ms: int = DEFAULT_CLOSE_DELAY_MS
    history_file: str | None = None
    allowed_origins: tuple[str, ...] = ()
    # Channels of the default app with the mutable-messages rule: names, or patterns like `chat:*`.
    mutable_messages: tuple[str, ...] = ()
    # Channels of the default app with the persist-all-messages rule, in the same form.
    persisted: tuple[str, ...] = ()


class Emulator:
    def __init__(self, options: Options):
        ids = RandomIds()
        settings = options.settings or ConnectionSettings()
        self.access = AccessPolicy(options.host, options.allowed_origins)
        self.registry = Registry(
            now_ms, ids, options.retention or Retention(), options.timestamp_window_ms, options.channel_close_delay_ms
        )
        self.default_key = self.registry.add_key_str(options.key)
        default_app = self.registry.apps[self.default_key.app_id]
        default_app.mutable_rules.update(options.mutable_messages)
        default_app.persisted_rules.update(options.persisted)
        self.journal = (
            HistoryJournal(HistoryStore(options.history_file), self.default_key.app_id)
            if options.history_file
            else None
        )
        fanout = Fanout(now_ms, ids, sink=self.journal.record if self.journal else None)
        self.service = Service(self.registry, fanout, settings.max_message_size)
        self.realtime = Realtime(self.service, AsyncioScheduler(), ids, settings, heartbeats=True)
        self.rest = RestApi(self.service)
        self.sockets: set[web.WebSocketResponse] = set()

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self.middleware], client_max_size=2 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        app.on_startup.append(self._start_background_work)
        app.on_shutdown.append(self._close_sockets)
        return app

    @web.middleware
    async def middleware(self, request: web.Request, handler):
        try:
            refuse_unless_allowed(request, self.access)
        except AblyError as error:
            return error_response(request, error)  # without CORS headers: the page may not read it
        try:
            response = await handler(request)
        except AblyError as error:
            response = error_response(request, error)
        except ConnectionError:
            # The client went away, e.g. mid-handshake: nothing can reach it, and nothing went wrong here.
            log.info("client disconnected during %s %s", request.method, request.path)
            return web.Response(status=499, reason="Client Closed Request")
        except web.HTTPRequestEntityTooLarge:
            response = error_response(request, AblyError(40009, 413, "Request body too large"))
        except web.HTTPException as exc:
            response = error_response(request, AblyError(exc.status * 100, exc.status, exc.reason))
        except Exception:
            log.exception("internal error on %s %s", request.method, request.path)
            response = error_response(request, AblyError(50000, 500, "Internal error"))
        if not isinstance(response, web.WebSocketResponse):
            response.headers.update(cors_headers(request))
        return response

    async def handle(self, request: web.Request):
        path = request.raw_path.split("?", 1)[0]
        if request.method == "OPTIONS":
            return preflight(request)
        if request.method == "GET" and path == "/ws-up":
            return await self._ws_up(request)
        if request.method == "GET" and path == "/":
            if request.headers.get("Upgrade", "").lower() == "websocket":
                return await self._realtime(request)
            return web.Response(text="Ably emulator: REST and realtime WebSocket on this port\n")
        return await self.rest.dispatch(request, path)

    async def _ws_up(self, request):
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.close()
        return ws

    async def _realtime(self, request: web.Request):
        query = dict(request.query)
        fmt = MSGPACK if query.get("format") == MSGPACK else JSON
        max_frame = self.realtime.settings.max_frame_size
        # aiohttp's own limit sits above ours so an oversize frame gets an Ably error, not a bare close.
        # No permessage-deflate: compressing every frame for every subscriber cost more CPU and
        # memory than the fan-out itself (bench/results.md), and loopback needs no compression.
        ws = web.WebSocketResponse(max_msg_size=4 * max_frame, compress=False)
        await ws.prepare(request)
        self.sockets.add(ws)
        transport = WebSocketTransport(ws, fmt, request.transport)
        try:
            conn = self.realtime.open(query, transport)
        except Exception:
            log.exception("internal error opening a connection")
            transport.send(error_frame(AblyError(50000, 500, "Internal error")))
            transport.close()
            conn = None
        try:
            if conn is not None:
                await self._read_frames(ws, conn, transport, max_frame)
        finally:
            if conn is not None:
                self.realtime.transport_lost(conn, transport)
            transport.close()
            await transport.writer
            self.sockets.discard(ws)
        return ws

    async def _read_frames(self, ws, conn: Connection, transport, max_frame: int) -> None:
        async for msg in ws:
            if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                break
            if len(msg.data) > max_frame:
                self.realtime.fail(conn, AblyError(40009, 413, f"Frame exceeds the {max_frame} byte limit"))
                break
            try:
                pm = decode_frame(msg.data, transport.format)
            except AblyError as error:
                self.realtime.fail(conn, error)
                break
            try:
                self.realtime.receive(conn, transport, pm)
            except Exception:
                log.exception("internal error handling action %s", pm.get("action"))
                self.realtime.fail(conn, AblyError(50000, 500, "Internal error"))
            if transport.closing:
                break

    def _prune(self) -> None:
        now = self.registry.clock()
        for emulated_app in list(self.registry.apps.values()):
            emulated_app.prune(now, self.service.fanout.channels_in_use(emulated_app))
        if self.journal:
            # The longest retention; shorter-lived channels are trimmed again when loaded.
            retention = self.registry.retention
            self.journal.prune(now - max(retention.default_ms, retention.persisted_ms))

    async def _start_background_work(self, app) -> None:
        """Before the port opens: reload journalled history, then start pruning and journalling."""
        writer = None
        if self.journal:
            default_app = self.registry.apps[self.default_key.app_id]
            for saved in await self.journal.load():
                default_app.restore_channel(saved.name, saved.epoch, saved.seq, saved.events, now_ms())
            writer = asyncio.create_task(self.journal.run())

        async def prune():
            while True:
                await asyncio.sleep(PRUNE_INTERVAL_S)
                _guarded(self._prune)  # a failure must not end pruning for good

        pruner = asyncio.create_task(prune())

        async def stop(_):
            pruner.cancel()
            if self.journal and writer:  # the writer runs exactly while journalling
                await self.journal.close(writer)

        app.on_cleanup.append(stop)

    async def _close_sockets(self, app) -> None:
        for ws in list(self.sockets):
            await ws.close(code=1001, message=b"server shutting down")


async def serve(options: Options, stop: asyncio.Event, ready=None) -> None:
    emulator = Emulator(options)
    warning = exposure_warning(options.host)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    runner = web.AppRunner(emulator.make_app(), handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, options.host, options.port, shutdown_timeout=2)
    await site.start()
    port = runner.addresses[0][1]
    if ready is not None:
        ready(emulator, options.host, port)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
