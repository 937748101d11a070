"""A realtime connection's state: what it is attached to, its timers and its lifecycle state.

Every change of a connection's or an attachment's state goes through `transition`, which looks it up
in `TRANSITIONS`, the one table of legal (state, event) pairs; any other pair raises `IllegalTransition`."""

from __future__ import annotations

import re
from collections import OrderedDict, deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum, auto
from typing import overload

from .apps import App
from .auth import Credentials
from .channel_names import ChannelRef
from .io_ports import Clock, TimerHandle, Transport
from .protocol import MAX_FRAME_SIZE, MAX_MESSAGE_SIZE, Flag

# `<connectionId>!<secret>`: anything else offered for resume, recover or a REST publish is malformed.
CONNECTION_KEY = re.compile(r"([A-Za-z0-9]+)![A-Za-z0-9_-]+")
MAX_REMEMBERED_REPLIES = 1000


@dataclass
class ConnectionSettings:
    """The timers and size limits of every realtime connection."""

    presence_leave_delay_ms: int = 15_000
    connection_state_ttl_ms: int = 120_000
    max_idle_interval_ms: int = 15_000
    max_message_size: int = MAX_MESSAGE_SIZE
    max_frame_size: int = MAX_FRAME_SIZE


class ConnectionState(Enum):
    CONNECTED = auto()  # a transport is open
    DISCONNECTED = auto()  # the transport went away; the state is kept for a resume
    CLOSED = auto()  # closed, failed or expired: gone for good


class AttachmentState(Enum):
    ATTACHED = auto()
    # The connection was resumed on a new transport: nothing is delivered on this channel until
    # the client re-attaches, since ably-js drops messages for a channel it has not re-attached.
    AWAITING_REATTACH = auto()


class ConnectionEvent(Enum):
    CONTINUED = auto()  # resumed or recovered on a new transport
    TRANSPORT_LOST = auto()  # the socket went away without CLOSE
    ENDED = auto()  # closed, failed, its state TTL ran out or its app was deleted


class AttachmentEvent(Enum):
    CONNECTION_CONTINUED = auto()  # the connection moved to a new transport


TRANSITIONS = {
    # A new socket can supersede one whose loss the server has not noticed yet.
    (ConnectionState.CONNECTED, ConnectionEvent.CONTINUED): ConnectionState.CONNECTED,
    (ConnectionState.DISCONNECTED, ConnectionEvent.CONTINUED): ConnectionState.CONNECTED,
    (ConnectionState.CONNECTED, ConnectionEvent.TRANSPORT_LOST): ConnectionState.DISCONNECTED,
    (ConnectionState.CONNECTED, ConnectionEvent.ENDED): ConnectionState.CLOSED,
    (ConnectionState.DISCONNECTED, ConnectionEvent.ENDED): ConnectionState.CLOSED,
    # A client can lose the socket again before it re-attaches.
    (AttachmentState.ATTACHED, AttachmentEvent.CONNECTION_CONTINUED): AttachmentState.AWAITING_REATTACH,
    (AttachmentState.AWAITING_REATTACH, AttachmentEvent.CONNECTION_CONTINUED): AttachmentState.AWAITING_REATTACH,
}


class IllegalTransition(RuntimeError):
    """A state change the table does not allow: a bug in the emulator, never the client's doing."""


@overload
def next_state(state: ConnectionState, event: ConnectionEvent) -> ConnectionState: ...
@overload
def next_state(state: AttachmentState, event: AttachmentEvent) -> AttachmentState: ...
def next_state(state: Enum, event: Enum) -> Enum:
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise IllegalTransition(f"{event.name} is not allowed in state {state.name}") from None


class Timer(Enum):
    REAUTH = auto()  # ask the client for a new token ahead of expiry
    TOKEN_EXPIRY = auto()  # the token ran out: DISCONNECTED 40142
    PRESENCE_LEAVE = auto()  # an abruptly dropped connection's members leave
    STATE_TTL = auto()  # a dropped connection can no longer be resumed
    HEARTBEAT = auto()  # a HEARTBEAT is due when nothing was sent for maxIdleInterval


@dataclass
class Attachment:
    ref: ChannelRef  # the name as the client sent it, qualifier and filter included
    modes: Flag
    requested_modes: Flag | None  # from the ATTACH; None means "whatever the capability allows"
    params: dict  # the recognised params, echoed in ATTACHED
    state: AttachmentState = AttachmentState.ATTACHED

    def transition(self, event: AttachmentEvent) -> None:
        self.state = next_state(self.state, event)


@dataclass
class Connection:
    id: str
    connection_key: str  # what a client resumes with (not an API key)
    app: App
    creds: Credentials
    client_id: str | None
    echo: bool
    leave_delay_ms: int
    max_idle_ms: int
    transport: Transport | None  # set exactly while CONNECTED
    clock: Clock
    state: ConnectionState = ConnectionState.CONNECTED
    continued: bool = False  # this transport continued an earlier one (resume or recover)
    attachments: dict = field(default_factory=dict)  # ChannelRef.key (name, view) -> Attachment
    presence_channels: set = field(default_factory=set)
    replies: OrderedDict = field(default_factory=OrderedDict)  # msgSerial -> ACK/NACK sent
    # Keys issued before the current one: a transport can die before its CONNECTED (with the new
    # key) arrives, and the client then resumes with the key it last saw.
    earlier_keys: deque = field(default_factory=lambda: deque(maxlen=4))
    timers: dict = field(default_factory=dict)  # Timer -> TimerHandle
    last_sent_ms: int = 0  # when the last frame went out: heartbeats fill only silences

    def send(self, pm: dict) -> None:
        if self.transport is not None:
            self.last_sent_ms = self.clock()
            self.transport.send(pm)

    def transition(self, event: ConnectionEvent, transport: Transport | None = None) -> Transport | None:
        """Take the state `event` leads to, with `transport` if that state is CONNECTED; returns the
        transport the connection had."""
        previous = self.transport
        self.state = next_state(self.state, event)
        self.transport = transport if self.state is ConnectionState.CONNECTED else None
        return previous

    def connected_transport(self) -> Transport:
        """The transport of a connection the caller knows to be CONNECTED."""
        # `transition` keeps a transport exactly while CONNECTED, so None here would be an emulator bug.
        assert self.transport is not None, f"connection {self.id} has no transport in state {self.state.name}"
        return self.transport

    def knows_key(self, key: str) -> bool:
        return key == self.connection_key or key in self.earlier_keys

    def start_timer(self, timer: Timer, handle: TimerHandle) -> None:
        self.cancel_timer(timer)
        self.timers[timer] = handle

    def timer_fired(self, timer: Timer) -> None:
        self.timers.pop(timer, None)

    def cancel_timer(self, timer: Timer) -> None:
        handle = self.timers.pop(timer, None)
        if handle is not None:
            handle.cancel()

    def cancel_timers(self) -> None:
        for timer in list(self.timers):
            self.cancel_timer(timer)

    def remember_reply(self, serial: int, reply: dict) -> None:
        self.replies[serial] = reply
        while len(self.replies) > MAX_REMEMBERED_REPLIES:
            self.replies.popitem(last=False)


class UnusableConnectionKey(Exception):
    """A connection key offered for resume, recover or a REST publish names no usable connection."""

    def __init__(self, reason: str, malformed: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.malformed = malformed  # not shaped like a connection key at all


class Connections(Mapping):
    """The live realtime connections of every app, by id: the one owner of them. Realtime adds and
    discards connections; resume, recover and REST publishing find one by its key with `lookup`."""

    def __init__(self):
        self._by_id: dict[str, Connection] = {}

    def __getitem__(self, connection_id: str) -> Connection:
        return self._by_id[connection_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def add(self, conn: Connection) -> None:
        self._by_id[conn.id] = conn

    def discard(self, conn: Connection) -> None:
        if self._by_id.get(conn.id) is conn:
            del self._by_id[conn.id]

    def lookup(self, key, app: App, client_id: str | None) -> Connection:
        """The connection `key` names (its current key or a recent one) in `app`, not closed, whose
        clientId `client_id` may use: any when `client_id` is None, else an anonymous one or its own."""
        match = CONNECTION_KEY.fullmatch(key) if isinstance(key, str) else None
        if match is None:
            raise UnusableConnectionKey("not a connection key", malformed=True)
        conn = self._by_id.get(match[1])
        if conn is None or not conn.knows_key(key) or conn.app is not app or conn.state is ConnectionState.CLOSED:
            raise UnusableConnectionKey("no such connection in this app")
        if client_id is not None and conn.client_id not in (None, client_id):
            raise UnusableConnectionKey("the connection has a different clientId")
        return conn
