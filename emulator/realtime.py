"""The realtime connection state machine, free of I/O.

The WebSocket layer hands each decoded frame to `Realtime.receive` together with the `Transport`
it came on, and reports a lost socket with `Realtime.transport_lost`. Timers go through a
`Scheduler` and ids come from an `IdSource` (see `io_ports.py`), so tests drive time by hand.
Channel work is delegated to `RealtimeChannels`; this module is the connection's lifecycle:
connect, resume and recover, token expiry and renewal, heartbeats, close and failure.
Its five timers (see `connection.Timer`) all go through the Scheduler.
"""

from __future__ import annotations

from .auth import Credentials
from .connection import (
    Connection,
    ConnectionEvent,
    Connections,
    ConnectionSettings,
    ConnectionState,
    Timer,
    UnusableConnectionKey,
)
from .errors import AblyError, bad_request, unauthorized
from .io_ports import IdSource, Scheduler, Transport
from .protocol import Action, error_frame
from .realtime_channels import RealtimeChannels, run_acked
from .service import Service

# Ably asks for a new token (AUTH) this long before the current one expires; a token with less
# life left than that is simply let run out (DISCONNECTED 40142), and the client renews then.
REAUTH_LEAD_S = 30
KNOWN_ACTIONS = {int(a) for a in Action}
# Actions a client may send that expect an ACK/NACK but that we don't implement, and their refusal.
UNSUPPORTED_ACKED_ACTIONS = {
    Action.OBJECT: lambda: AblyError(40000, 400, "This emulator does not support objects"),
}


def _query_flag(value, default: bool) -> bool:
    if value is None:
        return default
    return str(value).lower() not in ("false", "0", "no")


def _query_ms(value, default: int, minimum: int) -> int:
    try:
        return max(int(value), minimum) if value not in (None, "") else default
    except ValueError:
        raise bad_request(f"Invalid transport parameter value {value!r}", 40003) from None


def _refused(error: AblyError):
    """An acked operation that always fails with `error`."""

    def operation():
        raise error

    return operation


class Realtime:
    def __init__(
        self,
        service: Service,
        scheduler: Scheduler,
        ids: IdSource,
        settings: ConnectionSettings | None = None,
        heartbeats: bool = False,
    ):
        """`heartbeats`: send a HEARTBEAT after `maxIdleInterval` of silence on a connection (a server
        turns them on; unit tests that count frames leave them off unless they test them)."""
        self.service = service
        self.heartbeats = heartbeats
        self.registry = service.registry
        self.clock = service.registry.clock
        self.scheduler = scheduler
        self.ids = ids
        self.settings = settings or ConnectionSettings()
        self.channels = RealtimeChannels(service, ids, self.settings)
        service.on_app_deleted(self.close_app)
        # Client actions we act on; others (ACK, CONNECT, ACTIVATE, ...) are ignored.
        self._handlers = {
            Action.HEARTBEAT: self._on_heartbeat,
            Action.CLOSE: self._on_close,
            Action.DISCONNECT: self._on_disconnect,
            Action.ATTACH: self.channels.attach,
            Action.DETACH: self.channels.detach,
            Action.MESSAGE: self.channels.publish,
            Action.PRESENCE: self.channels.presence,
            Action.ANNOTATION: self.channels.annotate,
            Action.SYNC: self.channels.sync,
            Action.AUTH: self._on_auth,
        }

    @property
    def connections(self) -> Connections:
        return self.service.connections

    # ================================================== connecting

    def open(self, query: dict, transport: Transport) -> Connection | None:
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
            conn, failure = self._continue(continuity_key, creds, client_id, transport)
        if conn is None:
            conn = Connection(
                id=self.ids.short_id(12),
                connection_key="",
                app=self.registry.app_of(creds),
                creds=creds,
                client_id=client_id,
                echo=echo,
                leave_delay_ms=leave_delay,
                max_idle_ms=max_idle,
                transport=transport,
                clock=self.clock,
            )
            self.connections.add(conn)
        else:
            conn.echo, conn.leave_delay_ms, conn.max_idle_ms = echo, leave_delay, max_idle
        if conn.connection_key:
            conn.earlier_keys.append(conn.connection_key)
        conn.connection_key = f"{conn.id}!{self.ids.secret(12)}"
        self._schedule_token_expiry(conn)
        conn.send(self._connected_frame(conn, failure))
        if self.heartbeats:
            self._schedule_heartbeat(conn, conn.max_idle_ms / 1000)
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

    def _continue(self, key, creds: Credentials, client_id, transport: Transport):
        """Resume or recover: (the connection taken over, None) or (None, why not)."""
        try:
            conn = self.connections.lookup(key, self.registry.app_of(creds), client_id)
        except UnusableConnectionKey as unusable:
            if unusable.malformed:
                return None, AblyError(80018, 400, "Invalid connectionKey: unable to recover connection")
            return None, AblyError(80008, 400, "Unable to recover connection: connection key unknown or expired")
        old = conn.transition(ConnectionEvent.CONTINUED, transport)
        conn.continued = True
        if old is not None:
            old.close()  # superseded by this socket
        conn.creds = creds
        conn.client_id = client_id if client_id is not None else conn.client_id
        conn.cancel_timer(Timer.STATE_TTL)
        conn.cancel_timer(Timer.PRESENCE_LEAVE)
        self.channels.await_reattach(conn)
        return conn, None

    def _connected_frame(self, conn: Connection, error: AblyError | None = None) -> dict:
        details = {
            "connectionKey": conn.connection_key,
            "clientId": conn.client_id,
            "maxMessageSize": self.settings.max_message_size,
            "maxFrameSize": self.settings.max_frame_size,
            "maxInboundRate": 250,
            "maxOutboundRate": 100,
            "serverId": "emulator",
            "connectionStateTtl": self.settings.connection_state_ttl_ms,
            "maxIdleInterval": conn.max_idle_ms,
        }
        pm = {
            "action": Action.CONNECTED,
            "connectionId": conn.id,
            "connectionKey": conn.connection_key,
            "connectionDetails": details,
        }
        if error is not None:
            pm["error"] = error.to_wire()
        return pm

    # ================================================== token expiry

    def _schedule_token_expiry(self, conn: Connection) -> None:
        conn.cancel_timer(Timer.REAUTH)
        conn.cancel_timer(Timer.TOKEN_EXPIRY)
        token = conn.creds.token
        if token is None:
            return
        remaining_s = max(token.expires - self.clock(), 0) / 1000
        if remaining_s > REAUTH_LEAD_S:
            conn.start_timer(
                Timer.REAUTH, self.scheduler.call_later(remaining_s - REAUTH_LEAD_S, lambda: self._request_reauth(conn))
            )
        conn.start_timer(Timer.TOKEN_EXPIRY, self.scheduler.call_later(remaining_s, lambda: self._token_expired(conn)))

    def _request_reauth(self, conn: Connection) -> None:
        conn.timer_fired(Timer.REAUTH)
        conn.send({"action": Action.AUTH})

    def _token_expired(self, conn: Connection) -> None:
        conn.timer_fired(Timer.TOKEN_EXPIRY)
        self._disconnect(conn, AblyError(40142, 401, "Token expired"))

    def _disconnect(self, conn: Connection, error: AblyError) -> None:
        """DISCONNECTED, then drop the socket: the client reconnects (renewing a token if that was
        the error) and resumes."""
        if conn.state is not ConnectionState.CONNECTED:
            return
        transport = conn.connected_transport()
        conn.send({"action": Action.DISCONNECTED, "error": error.to_wire()})
        self.transport_lost(conn, transport)
        transport.close()

    # ================================================== heartbeats

    def _schedule_heartbeat(self, conn: Connection, delay_s: float) -> None:
        conn.start_timer(Timer.HEARTBEAT, self.scheduler.call_later(delay_s, lambda: self._heartbeat_due(conn)))

    def _heartbeat_due(self, conn: Connection) -> None:
        """Send a HEARTBEAT if the connection has been quiet for maxIdleInterval, else look again when
        it will have been."""
        conn.timer_fired(Timer.HEARTBEAT)
        quiet_ms = min(max(self.clock() - conn.last_sent_ms, 0), conn.max_idle_ms)
        if quiet_ms >= conn.max_idle_ms:
            conn.send({"action": Action.HEARTBEAT})
            quiet_ms = 0
        self._schedule_heartbeat(conn, (conn.max_idle_ms - quiet_ms) / 1000)

    # ================================================== socket lifecycle

    def transport_lost(self, conn: Connection, transport: Transport) -> None:
        """The socket went away without CLOSE: keep state for a resume, start timers."""
        if conn.transport is not transport:
            return  # already lost, or superseded by a newer socket
        conn.transition(ConnectionEvent.TRANSPORT_LOST)
        conn.cancel_timer(Timer.REAUTH)
        conn.cancel_timer(Timer.TOKEN_EXPIRY)
        conn.cancel_timer(Timer.HEARTBEAT)
        self.channels.refresh(conn)
        if conn.presence_channels:
            conn.start_timer(
                Timer.PRESENCE_LEAVE,
                self.scheduler.call_later(conn.leave_delay_ms / 1000, lambda: self._leave_everywhere(conn)),
            )
        conn.start_timer(
            Timer.STATE_TTL,
            self.scheduler.call_later(self.settings.connection_state_ttl_ms / 1000, lambda: self._discard(conn)),
        )

    def _leave_everywhere(self, conn: Connection) -> None:
        conn.timer_fired(Timer.PRESENCE_LEAVE)
        self.channels.leave_everywhere(conn)

    def _discard(self, conn: Connection) -> None:
        """End the connection for good; a caller that had it CONNECTED closes its transport."""
        conn.cancel_timers()
        self.channels.leave_everywhere(conn)
        self.channels.drop_all(conn)
        self.connections.discard(conn)
        conn.transition(ConnectionEvent.ENDED)

    def _end(self, conn: Connection) -> None:
        """Discard a CONNECTED connection and close its transport after what was sent."""
        transport = conn.connected_transport()
        self._discard(conn)
        transport.close()

    def close_app(self, app) -> None:
        """The app was deleted: drop its connections."""
        for conn in [c for c in self.connections.values() if c.app is app]:
            if conn.state is ConnectionState.CONNECTED:
                conn.send(error_frame(AblyError(40400, 404, "App deleted")))
                conn.connected_transport().close()
            self._discard(conn)

    # ================================================== frames

    def receive(self, conn: Connection, transport: Transport, pm: dict) -> None:
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
                run_acked(conn, pm, _refused(UNSUPPORTED_ACKED_ACTIONS[action]()))
        except AblyError as error:
            self.fail(conn, error)

    def fail(self, conn: Connection, error: AblyError) -> None:
        """Fatal protocol error: ERROR, then close; other connections are unaffected."""
        if conn.state is not ConnectionState.CONNECTED:
            return  # a frame its old socket still delivered: the connection is closed or waits for a resume
        conn.send(error_frame(error))
        self._end(conn)

    def _on_heartbeat(self, conn: Connection, pm: dict) -> None:
        reply = {"action": Action.HEARTBEAT}
        if pm.get("id") is not None:
            reply["id"] = pm["id"]
        conn.send(reply)

    def _on_close(self, conn: Connection, pm: dict) -> None:
        conn.send({"action": Action.CLOSED})
        self._end(conn)

    def _on_disconnect(self, conn: Connection, pm: dict) -> None:
        transport = conn.connected_transport()
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
            self._disconnect(conn, error)
            return
        if self.registry.app_of(creds) is not conn.app or creds.client_id not in ("*", conn.client_id):
            raise AblyError(40102, 401, "Incompatible clientId or app for this connection")
        conn.creds = creds
        self._schedule_token_expiry(conn)
        self.channels.reauthorize(conn)
        conn.send(self._connected_frame(conn))
