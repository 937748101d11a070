"""The realtime connection state machine, free of I/O.

The WebSocket layer hands each decoded frame to `Realtime.receive` together with
a `Transport` (anything with `send(pm)` and `close()`), and reports a lost socket
with `Realtime.transport_lost`. Timers go through a `Scheduler`
(`call_later(seconds, fn)` returning something with `cancel()`), so tests can
drive time by hand.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict, deque
from dataclasses import dataclass, field, replace

from .apps import App, Registry, random_id
from .auth import Credentials, operations_for
from .errors import AblyError, bad_request, capability_denied, unauthorized
from .messaging import (
    Router,
    Subscriber,
    event_frame,
    granted_modes,
    parse_rewind,
    split_qualifier,
    wants,
)
from .protocol import ALL_MODES, Action, Flag, error_frame

SYNC_PAGE_SIZE = 100
REAUTH_LEAD_S = 30  # how long before token expiry the server asks for a new one
MAX_REMEMBERED_REPLIES = 1000
MAX_CHANNELS_PER_CONNECTION = 200  # Ably's default limit; each attachment holds memory
KNOWN_ACTIONS = {int(a) for a in Action}
# Actions a client may send that expect an ACK/NACK but that we don't implement.
UNSUPPORTED_ACKED_ACTIONS = {Action.OBJECT, Action.ANNOTATION}


@dataclass
class Settings:
    presence_leave_delay_ms: int = 15_000
    connection_state_ttl_ms: int = 120_000
    max_idle_interval_ms: int = 15_000
    max_message_size: int = 64 * 1024
    max_frame_size: int = 512 * 1024


@dataclass
class Attachment:
    wire_name: str  # the name as the client sent it (may carry a [?params] qualifier)
    modes: Flag
    params: dict
    live: bool = True  # False after a resume, until the client re-attaches


@dataclass
class Connection:
    id: str
    key: str
    app: App
    creds: Credentials
    client_id: str | None
    echo: bool
    leave_delay_ms: int
    max_idle_ms: int
    transport: object = None
    resumed: bool = False  # this transport continued an earlier one (resume or recover)
    attachments: dict = field(default_factory=dict)  # channel name -> Attachment
    presence_channels: set = field(default_factory=set)
    replies: OrderedDict = field(default_factory=OrderedDict)  # msgSerial -> ACK/NACK sent
    # Keys issued before the current one: a transport can die before its CONNECTED (with the new
    # key) arrives, and the client then resumes with the key it last saw.
    earlier_keys: deque = field(default_factory=lambda: deque(maxlen=4))
    timers: dict = field(default_factory=dict)  # purpose -> handle

    def send(self, pm: dict) -> None:
        if self.transport is not None:
            self.transport.send(pm)

    def cancel_timer(self, name: str) -> None:
        handle = self.timers.pop(name, None)
        if handle is not None:
            handle.cancel()


def _query_flag(value, default: bool) -> bool:
    if value is None:
        return default
    return str(value).lower() not in ("false", "0", "no")


def _query_ms(value, default: int, minimum: int) -> int:
    try:
        return max(int(value), minimum) if value not in (None, "") else default
    except ValueError:
        raise bad_request(f"Invalid transport parameter value {value!r}", 40003) from None


def _require_mode(conn: Connection, channel_name: str, mode: Flag, what: str) -> None:
    """A channel attached with explicit modes may only be used as those modes allow."""
    attachment = conn.attachments.get(channel_name)
    if attachment is not None and not attachment.modes & mode:
        raise AblyError(40160, 401, f"Channel '{channel_name}' was attached without {what} mode")


def _unsupported():
    raise AblyError(40000, 400, "This emulator does not support objects or annotations")


class Realtime:
    def __init__(self, registry: Registry, scheduler, settings: Settings | None = None):
        self.registry = registry
        self.scheduler = scheduler
        self.settings = settings or Settings()
        self.router = Router(registry.clock)
        self.connections: dict[str, Connection] = {}
        # Client actions we act on; others (ACK, CONNECT, ACTIVATE, ...) are ignored.
        self._handlers = {
            Action.HEARTBEAT: self._on_heartbeat,
            Action.CLOSE: self._on_close,
            Action.DISCONNECT: self._on_disconnect,
            Action.ATTACH: self._on_attach,
            Action.DETACH: self._on_detach,
            Action.MESSAGE: self._on_message,
            Action.PRESENCE: self._on_presence,
            Action.SYNC: self._on_sync,
            Action.AUTH: self._on_auth,
        }

    # ================================================== connecting

    def open(self, query: dict, transport) -> Connection | None:
        """A new socket: authenticate, resume/recover if asked, send CONNECTED."""
        try:
            creds = self._authenticate(query)
            client_id = self._connection_client_id(creds, query.get("clientId"))
            echo = _query_flag(query.get("echo"), True)
            leave_delay = _query_ms(query.get("remainPresentFor"), self.settings.presence_leave_delay_ms, 0)
            max_idle = _query_ms(query.get("heartbeatInterval"), self.settings.max_idle_interval_ms, 1000)
        except AblyError as error:
            transport.send(error_frame(error))
            transport.close()
            return None

        continuity_key = query.get("resume") or query.get("recover")
        conn, failure = None, None
        if continuity_key:
            conn = self._take_over(continuity_key, creds, client_id, transport)
            if conn is None:
                failure = AblyError(80008, 400, "Unable to recover connection: connection key unknown or expired")
        if conn is None:
            conn = Connection(
                id=random_id(12), key="", app=self.registry.app_of(creds), creds=creds, client_id=client_id,
                echo=echo, leave_delay_ms=leave_delay, max_idle_ms=max_idle, transport=transport,
            )
            self.connections[conn.id] = conn
        else:
            conn.echo, conn.leave_delay_ms, conn.max_idle_ms = echo, leave_delay, max_idle
        if conn.key:
            conn.earlier_keys.append(conn.key)
        conn.key = f"{conn.id}!{secrets.token_urlsafe(12)}"
        self._schedule_token_expiry(conn)
        conn.send(self._connected_frame(conn, failure))
        return conn

    def _authenticate(self, query: dict) -> Credentials:
        token = query.get("access_token") or query.get("accessToken")
        if token:
            return self.registry.credentials_for_token(token)
        if query.get("key"):
            return self.registry.credentials_for_key(query["key"], None)
        raise unauthorized("No authentication: connect with a key or an access token", 40101)

    @staticmethod
    def _connection_client_id(creds: Credentials, requested: str | None) -> str | None:
        if requested in (None, ""):
            return creds.client_id
        if requested == "*":
            raise bad_request("Invalid clientId: '*' is reserved", 40012)
        if creds.is_key or creds.client_id in ("*", requested):
            return requested
        raise AblyError(40102, 401, f"Incompatible clientId '{requested}' for these credentials")

    def _take_over(self, key: str, creds: Credentials, client_id, transport) -> Connection | None:
        conn = self.connections.get(key.partition("!")[0])
        known_key = conn is not None and (key == conn.key or key in conn.earlier_keys)
        if not known_key or conn.app is not self.registry.app_of(creds):
            return None
        if conn.client_id not in (None, client_id) and client_id is not None:
            return None
        old = conn.transport
        conn.transport = transport
        if old is not None:
            old.close()  # superseded by this socket
        conn.creds = creds
        conn.client_id = client_id if client_id is not None else conn.client_id
        conn.resumed = True
        conn.cancel_timer("ttl")
        conn.cancel_timer("leave")
        for attachment in conn.attachments.values():
            attachment.live = False
        for name in conn.attachments:
            self._update_subscriber(conn, name)
        return conn

    def _connected_frame(self, conn: Connection, error: AblyError | None = None) -> dict:
        details = {
            "connectionKey": conn.key,
            "clientId": conn.client_id,
            "maxMessageSize": self.settings.max_message_size,
            "maxFrameSize": self.settings.max_frame_size,
            "maxInboundRate": 250,
            "maxOutboundRate": 100,
            "serverId": "emulator",
            "connectionStateTtl": self.settings.connection_state_ttl_ms,
            "maxIdleInterval": conn.max_idle_ms,
        }
        pm = {"action": Action.CONNECTED, "connectionId": conn.id, "connectionKey": conn.key,
              "connectionDetails": details}
        if error is not None:
            pm["error"] = error.to_wire()
        return pm

    def _schedule_token_expiry(self, conn: Connection) -> None:
        """Ask for a new token ahead of expiry (AUTH, RTN22); disconnect with 40142 at expiry."""
        conn.cancel_timer("token")
        conn.cancel_timer("reauth")
        token = conn.creds.token
        if token is None:
            return
        remaining = max(token.expires - self.registry.clock(), 0) / 1000
        lead = min(REAUTH_LEAD_S, remaining / 2)
        conn.timers["reauth"] = self.scheduler.call_later(remaining - lead, lambda: self._request_reauth(conn))
        conn.timers["token"] = self.scheduler.call_later(remaining, lambda: self._token_expired(conn))

    def _request_reauth(self, conn: Connection) -> None:
        conn.timers.pop("reauth", None)
        conn.send({"action": Action.AUTH})

    def _token_expired(self, conn: Connection) -> None:
        conn.timers.pop("token", None)
        transport = conn.transport
        if transport is None:
            return
        conn.send({"action": Action.DISCONNECTED, "error": AblyError(40142, 401, "Token expired").to_wire()})
        self.transport_lost(conn, transport)
        transport.close()

    # ================================================== socket lifecycle

    def transport_lost(self, conn: Connection, transport) -> None:
        """The socket went away without CLOSE: keep state for a resume, start timers."""
        if conn.transport is not transport or conn.id not in self.connections:
            return
        conn.transport = None
        for name in conn.attachments:
            self._update_subscriber(conn, name)
        if conn.presence_channels:
            conn.timers["leave"] = self.scheduler.call_later(
                conn.leave_delay_ms / 1000, lambda: self._leave_everywhere(conn))
        conn.timers["ttl"] = self.scheduler.call_later(
            self.settings.connection_state_ttl_ms / 1000, lambda: self._discard(conn))

    def _leave_everywhere(self, conn: Connection) -> None:
        conn.timers.pop("leave", None)
        for name in list(conn.presence_channels):
            channel = conn.app.existing_channel(name)
            if channel is not None:
                self.router.leave_all(conn.app, channel, conn.id)
        conn.presence_channels.clear()

    def _discard(self, conn: Connection) -> None:
        for name in list(conn.timers):
            conn.cancel_timer(name)
        self._leave_everywhere(conn)
        for name in conn.attachments:
            self.router.detach(conn.app, name, conn.id)
        conn.attachments.clear()
        self.connections.pop(conn.id, None)

    def close_app(self, app: App) -> None:
        """The app was deleted: drop its connections."""
        for conn in [c for c in self.connections.values() if c.app is app]:
            transport = conn.transport
            if transport is not None:
                conn.send(error_frame(AblyError(40400, 404, "App deleted")))
                transport.close()
            self._discard(conn)

    # ================================================== frames

    def receive(self, conn: Connection, transport, pm: dict) -> None:
        """Handle one decoded frame from `transport`."""
        if conn.transport is not transport:
            return  # a superseded socket: ignore what it still sends
        action = pm.get("action")
        try:
            if action not in KNOWN_ACTIONS:
                raise bad_request(f"Unknown protocol action {action!r}")
            handler = self._handlers.get(action)
            if handler is not None:
                handler(conn, pm)
            elif action in UNSUPPORTED_ACKED_ACTIONS and "msgSerial" in pm:
                self._acked(conn, pm, _unsupported)
        except AblyError as error:
            self.fail(conn, error)

    def fail(self, conn: Connection, error: AblyError) -> None:
        """Fatal protocol error: ERROR, then close; other connections are unaffected."""
        transport = conn.transport
        conn.send(error_frame(error))
        self._discard(conn)
        if transport is not None:
            transport.close()

    def _on_heartbeat(self, conn: Connection, pm: dict) -> None:
        reply = {"action": Action.HEARTBEAT}
        if pm.get("id") is not None:
            reply["id"] = pm["id"]
        conn.send(reply)

    def _on_close(self, conn: Connection, pm: dict) -> None:
        transport = conn.transport
        conn.send({"action": Action.CLOSED})
        self._discard(conn)
        transport.close()

    def _on_disconnect(self, conn: Connection, pm: dict) -> None:
        transport = conn.transport
        self.transport_lost(conn, transport)
        transport.close()

    def _on_auth(self, conn: Connection, pm: dict) -> None:
        auth = pm.get("auth")
        token = auth.get("accessToken") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token:
            raise bad_request("AUTH needs auth.accessToken", 40000)
        try:
            creds = self.registry.credentials_for_token(token)
        except AblyError as error:
            transport = conn.transport
            conn.send({"action": Action.DISCONNECTED, "error": error.to_wire()})
            self.transport_lost(conn, transport)
            transport.close()
            return
        if self.registry.app_of(creds) is not conn.app or creds.client_id not in ("*", conn.client_id):
            raise AblyError(40102, 401, "Incompatible clientId or app for this connection")
        conn.creds = creds
        self._schedule_token_expiry(conn)
        for name, attachment in list(conn.attachments.items()):
            if not operations_for(creds.capability, name):
                self._drop_attachment(conn, name)
                conn.send(error_frame(capability_denied("subscribe", name), attachment.wire_name))
        conn.send(self._connected_frame(conn))

    # ================================================== channels

    def _on_attach(self, conn: Connection, pm: dict) -> None:
        wire_name = pm.get("channel")
        try:
            name, qualifier_params = split_qualifier(wire_name)
            ops = operations_for(conn.creds.capability, name)
            if not ops:
                raise capability_denied("subscribe", name)
            params = dict(qualifier_params)
            if isinstance(pm.get("params"), dict):
                params.update({str(k): str(v) for k, v in pm["params"].items()})
            rewind_count, rewind_ms = parse_rewind(params.get("rewind"))
        except AblyError as error:
            if isinstance(wire_name, str) and wire_name:
                conn.send(error_frame(error, wire_name))
                return
            raise
        allowed = granted_modes(ops)
        requested = Flag(pm.get("flags") or 0) & ALL_MODES if isinstance(pm.get("flags"), int) else Flag(0)
        modes = (requested & allowed) if requested else allowed
        if name not in conn.attachments and len(conn.attachments) >= MAX_CHANNELS_PER_CONNECTION:
            conn.send(error_frame(AblyError(
                90010, 400, f"Maximum number of channels per connection ({MAX_CHANNELS_PER_CONNECTION}) exceeded"),
                wire_name))
            return
        channel = conn.app.channel(name)
        channel.prune(self.registry.clock())
        previous = conn.attachments.get(name)
        conn.attachments[name] = Attachment(wire_name, modes, params)

        flags = modes
        replay = []
        error = None
        serial = pm.get("channelSerial")
        if previous is not None and previous.live:
            flags |= Flag.RESUMED  # re-attaching a channel that never stopped delivering: nothing missed
        elif serial:
            # Continue from the client's last serial, but only on a resumed/recovered connection;
            # otherwise continuity is lost and the client backfills from history.
            seq = channel.parse_serial(serial)
            events = channel.events_after(seq) if seq is not None else None
            if conn.resumed and events is not None:
                flags |= Flag.RESUMED
                replay = events
            elif conn.resumed:
                error = AblyError(90003, 400, "Unable to resume channel: continuity lost")
        elif previous is None and (rewind_count is not None or rewind_ms is not None):
            replay = self._rewind(channel, rewind_count, rewind_ms)
            if replay:
                flags |= Flag.HAS_BACKLOG
        members = channel.present_items() if modes & Flag.PRESENCE_SUBSCRIBE else []
        if members:
            flags |= Flag.HAS_PRESENCE

        attached = {"action": Action.ATTACHED, "channel": wire_name, "flags": int(flags),
                    "channelSerial": channel.serial()}
        known = {k: v for k, v in params.items() if k in ("rewind", "delta", "echo", "occupancy")}
        if known:
            attached["params"] = known
        if error is not None:
            attached["error"] = error.to_wire()
        conn.send(attached)
        subscriber = self._subscriber(conn, conn.attachments[name])
        for event in replay:
            if wants(subscriber, event):
                conn.send(event_frame(event, channel, wire_name))
        if members:
            self._send_sync(conn, wire_name, members)
        self._update_subscriber(conn, name)

    def _rewind(self, channel, count: int | None, window_ms: int | None) -> list:
        """Message events for a rewind, trimmed to exactly `count` messages."""
        now = self.registry.clock()
        events = [e for e in channel.log if e.kind == "message"
                  and (window_ms is None or now - e.timestamp <= window_ms)]
        if count is None:
            count = 100
        picked, remaining = [], count
        for event in reversed(events):
            if remaining <= 0:
                break
            if len(event.items) > remaining:
                event = replace(event, items=event.items[-remaining:])
            picked.append(event)
            remaining -= len(event.items)
        return list(reversed(picked))

    def _send_sync(self, conn: Connection, wire_name: str, members: list[dict]) -> None:
        sync_id = random_id(8)
        pages = [members[i:i + SYNC_PAGE_SIZE] for i in range(0, len(members), SYNC_PAGE_SIZE)] or [[]]
        for number, page in enumerate(pages):
            cursor = str(number + 1) if number + 1 < len(pages) else ""
            conn.send({"action": Action.SYNC, "channel": wire_name, "channelSerial": f"{sync_id}:{cursor}",
                       "presence": page})

    def _on_sync(self, conn: Connection, pm: dict) -> None:
        name, _ = split_qualifier(pm.get("channel"))
        attachment = conn.attachments.get(name)
        channel = conn.app.existing_channel(name)
        if attachment is not None:
            self._send_sync(conn, attachment.wire_name, channel.present_items() if channel else [])

    def _on_detach(self, conn: Connection, pm: dict) -> None:
        wire_name = pm.get("channel")
        name, _ = split_qualifier(wire_name)
        self._drop_attachment(conn, name)
        conn.send({"action": Action.DETACHED, "channel": wire_name})

    def _drop_attachment(self, conn: Connection, name: str) -> None:
        conn.attachments.pop(name, None)
        self.router.detach(conn.app, name, conn.id)
        channel = conn.app.existing_channel(name)
        if channel is not None and name in conn.presence_channels:
            self.router.leave_all(conn.app, channel, conn.id)
            conn.presence_channels.discard(name)

    def _subscriber(self, conn: Connection, attachment: Attachment) -> Subscriber:
        # Echo can be turned off for the whole connection or, with the `echo` param, per channel.
        echo = conn.echo and attachment.params.get("echo", "true").lower() != "false"
        return Subscriber(conn.id, echo, attachment.modes, attachment.wire_name,
                          attachment.live and conn.transport is not None, conn.send)

    def _update_subscriber(self, conn: Connection, name: str) -> None:
        attachment = conn.attachments.get(name)
        if attachment is None:
            self.router.detach(conn.app, name, conn.id)
        else:
            self.router.attach(conn.app, name, self._subscriber(conn, attachment))

    # ================================================== publishing

    def _acked(self, conn: Connection, pm: dict, operation) -> None:
        """Run a msgSerial-numbered operation once; ACK or NACK it (again, for a re-send)."""
        serial = pm.get("msgSerial")
        if not isinstance(serial, int) or isinstance(serial, bool) or serial < 0:
            raise bad_request("A MESSAGE or PRESENCE needs a non-negative integer msgSerial")
        reply = conn.replies.get(serial)
        if reply is None:
            try:
                res = operation()
                reply = {"action": Action.ACK, "msgSerial": serial, "count": 1, "res": [res]}
            except AblyError as error:
                reply = {"action": Action.NACK, "msgSerial": serial, "count": 1, "error": error.to_wire()}
            conn.replies[serial] = reply
            while len(conn.replies) > MAX_REMEMBERED_REPLIES:
                conn.replies.popitem(last=False)
        conn.send(reply)

    def _on_message(self, conn: Connection, pm: dict) -> None:
        def publish():
            name, _ = split_qualifier(pm.get("channel"))
            _require_mode(conn, name, Flag.PUBLISH, "publish")
            serials = self.router.publish(
                conn.app, name, pm.get("messages") or [], conn.creds, conn.client_id,
                connection_id=conn.id, id_prefix=f"{conn.id}:{pm['msgSerial']}",
                max_size=self.settings.max_message_size)
            return {"serials": serials}
        self._acked(conn, pm, publish)

    def _on_presence(self, conn: Connection, pm: dict) -> None:
        def enter_or_leave():
            name, _ = split_qualifier(pm.get("channel"))
            _require_mode(conn, name, Flag.PRESENCE, "presence")
            self.router.presence(
                conn.app, name, pm.get("presence") or [], conn.creds, conn.client_id,
                connection_id=conn.id, id_prefix=f"{conn.id}:{pm['msgSerial']}",
                max_size=self.settings.max_message_size)
            conn.presence_channels.add(name)
            return {"serials": [None] * len(pm.get("presence") or [])}
        self._acked(conn, pm, enter_or_leave)
