"""What a realtime connection does with channels: attach (with modes, rewind, resume replay and
presence SYNC), detach, publish and presence, and re-evaluating attachments when its
capability changes. No I/O: frames go out through `Connection.send`."""

from __future__ import annotations

from collections.abc import Callable

from .auth import operations_for
from .channel_names import ChannelRef, parse_channel
from .channels import Channel, Event
from .connection import Attachment, AttachmentEvent, AttachmentState, Connection, ConnectionSettings, ConnectionState
from .errors import AblyError, bad_request, capability_denied, invalid_channel_name
from .io_ports import IdSource
from .message_records import is_create
from .messaging import Subscriber, event_frame, modes_allowed, parse_rewind, refuse_if_forced, visible_items
from .mutations import change_action
from .protocol import ALL_MODES, DEFAULT_MODES, MODES, Action, Flag, error_frame
from .service import Service

SYNC_PAGE_SIZE = 100
MAX_CHANNELS_PER_CONNECTION = 200  # Ably's default limit; each attachment holds memory
MAX_REWIND = 100
ECHOED_PARAMS = ("rewind", "delta", "echo", "occupancy", "modes")  # others are not recognised


def requested_modes(params: dict, flags) -> Flag | None:
    """The modes an ATTACH asks for: `params.modes` wins over mode flags; neither means the defaults."""
    if "modes" in params:
        names = [n.strip().lower() for n in params["modes"].split(",") if n.strip()]
        unknown = [n for n in names if n not in MODES]
        if unknown:
            raise bad_request(f"Invalid channel mode '{unknown[0]}'", 40003)
        return Flag(sum(MODES[n] for n in set(names)))
    if isinstance(flags, int) and not isinstance(flags, bool) and flags & ALL_MODES:
        return Flag(flags & ALL_MODES)
    return None


def grant_modes(ops: set[str], requested: Flag | None, derived: bool) -> Flag:
    allowed = modes_allowed(ops)
    if derived:
        allowed &= Flag.SUBSCRIBE  # a derived channel is a filtered view to subscribe to
    return allowed & (DEFAULT_MODES if requested is None else requested)


def attached_params(attachment: Attachment) -> dict:
    params = dict(attachment.params)
    if "modes" in params:  # echoed as granted, in the order asked
        names = [n.strip().lower() for n in params["modes"].split(",")]
        params["modes"] = ",".join(n for n in dict.fromkeys(names) if n in MODES and attachment.modes & MODES[n])
    return params


def run_acked(conn: Connection, pm: dict, operation: Callable[[], dict | None]) -> None:
    """Run a msgSerial-numbered operation once; ACK or NACK it (again, for a re-send)."""
    serial = pm.get("msgSerial")
    if not isinstance(serial, int) or isinstance(serial, bool) or serial < 0:
        raise bad_request("A MESSAGE or PRESENCE needs a non-negative integer msgSerial")
    reply = conn.replies.get(serial)
    if reply is None:
        try:
            reply = {"action": Action.ACK, "msgSerial": serial, "count": 1, "res": [operation()]}
        except AblyError as error:
            reply = {"action": Action.NACK, "msgSerial": serial, "count": 1, "error": error.to_wire()}
        conn.remember_reply(serial, reply)
    conn.send(reply)


class RealtimeChannels:
    def __init__(self, service: Service, ids: IdSource, settings: ConnectionSettings):
        self.fanout = service.fanout
        self.mutations = service.mutations
        self.annotations = service.annotations
        self.clock = service.registry.clock
        self.ids = ids
        self.settings = settings

    # ================================================== attach and detach

    def attach(self, conn: Connection, pm: dict) -> None:
        wire = pm.get("channel")
        try:
            attachment, rewind = self._requested_attachment(conn, pm)
        except AblyError as refusal:
            if not isinstance(wire, str):
                raise  # no channel to report it on: a protocol error
            conn.send(error_frame(refusal, wire))  # a channel error; the connection carries on
            return
        ref = attachment.ref
        previous = conn.attachments.get(ref.key)
        conn.attachments[ref.key] = attachment
        channel = conn.app.channel(ref.name)
        channel.prune(self.clock())
        subscriber = self._subscriber(conn, attachment, live=True)
        # ATTACH_RESUME: the client had this channel attached before (on this or an earlier connection).
        resuming = isinstance(pm.get("flags"), int) and bool(pm["flags"] & Flag.ATTACH_RESUME)
        flags, backlog, error = self._continuity(
            conn, previous, channel, subscriber, pm.get("channelSerial"), None if resuming else rewind
        )
        flags |= attachment.modes
        members = channel.present_items() if attachment.modes & Flag.PRESENCE_SUBSCRIBE else []
        if members:
            flags |= Flag.HAS_PRESENCE

        # ATTACHED first: ably-js drops messages for a channel that is not attached yet.
        conn.send(self._attached(attachment, channel, flags, error))
        for event, items in backlog:
            conn.send(event_frame(event, channel, ref.wire, items))
        if members:
            self._send_sync(conn, ref.wire, members)
        self.fanout.attach(conn.app, ref.name, subscriber)

    def _requested_attachment(self, conn: Connection, pm: dict) -> tuple[Attachment, tuple]:
        """What an ATTACH asks for, as far as it is allowed, and its rewind; or why not."""
        ref = parse_channel(pm.get("channel"))
        ops = operations_for(conn.creds.capability, ref.name)
        if not ops:
            raise capability_denied("subscribe", ref.name)
        params = dict(ref.params)
        if isinstance(pm.get("params"), dict):
            params.update({str(k): str(v) for k, v in pm["params"].items()})
        requested = requested_modes(params, pm.get("flags"))
        rewind = parse_rewind(params.get("rewind"))
        if ref.key not in conn.attachments and len(conn.attachments) >= MAX_CHANNELS_PER_CONNECTION:
            raise AblyError(
                90010, 400, f"Maximum number of channels per connection ({MAX_CHANNELS_PER_CONNECTION}) exceeded"
            )
        modes = grant_modes(ops, requested, ref.filter is not None)
        return Attachment(ref, modes, requested, {k: v for k, v in params.items() if k in ECHOED_PARAMS}), rewind

    def _continuity(
        self,
        conn: Connection,
        previous: Attachment | None,
        channel: Channel,
        subscriber: Subscriber,
        serial,
        rewind: tuple | None,
    ) -> tuple[Flag, list[tuple[Event, list[dict]]], AblyError | None]:
        """Where delivery picks up: the flags, the backlog to send after ATTACHED, and any error. `rewind`
        is None for an attach that resumes, which never replays the rewind backlog."""
        if previous is not None and previous.state is AttachmentState.ATTACHED:
            return Flag.RESUMED, [], None  # re-attaching a channel that never stopped delivering
        if serial:
            # Continue from the client's last serial, but only on a resumed/recovered connection;
            # otherwise continuity is lost and the client backfills from history.
            seq = channel.parse_serial(serial)
            events = channel.events_after(seq) if seq is not None else None
            if conn.continued and events is not None:
                return Flag.RESUMED, self._visible(subscriber, events), None
            if conn.continued:
                return Flag(0), [], AblyError(90003, 400, "Unable to resume channel: continuity lost")
            return Flag(0), [], None
        if previous is None and rewind not in (None, (None, None)):
            # Only a first attach rewinds: re-attaching after a resume must not repeat the backlog.
            backlog = self._rewind(channel, subscriber, *rewind)
            return (Flag.HAS_BACKLOG if backlog else Flag(0)), backlog, None
        return Flag(0), [], None

    @staticmethod
    def _attached(attachment: Attachment, channel: Channel, flags: Flag, error: AblyError | None = None) -> dict:
        pm = {
            "action": Action.ATTACHED,
            "channel": attachment.ref.wire,
            "flags": int(flags),
            "channelSerial": channel.serial(),
        }
        params = attached_params(attachment)
        if params:
            pm["params"] = params
        if error is not None:
            pm["error"] = error.to_wire()
        return pm

    @staticmethod
    def _visible(subscriber: Subscriber, events: list[Event]) -> list[tuple[Event, list[dict]]]:
        pairs = [(event, visible_items(subscriber, event)) for event in events]
        return [(event, items) for event, items in pairs if items]

    def _rewind(
        self, channel: Channel, subscriber: Subscriber, count: int | None, window_ms: int | None
    ) -> list[tuple[Event, list[dict]]]:
        """The last `count` messages this subscriber would have seen (within `window_ms`)."""
        now = self.clock()
        recent = [
            e for e in channel.log if e.kind == "message" and (window_ms is None or now - e.timestamp <= window_ms)
        ]
        picked, remaining = [], MAX_REWIND if count is None else count
        for event, visible in reversed(self._visible(subscriber, recent)):
            # Each message once, as its latest version; its updates and summaries are folded in.
            items = [channel.messages.latest(item) for item in visible if is_create(item)]
            if remaining <= 0:
                break
            if not items:
                continue
            picked.append((event, items[-remaining:]))
            remaining -= len(picked[-1][1])
        return picked[::-1]

    def _send_sync(self, conn: Connection, wire_name: str, members: list[dict]) -> None:
        sync_id = self.ids.short_id(8)
        pages = [members[i : i + SYNC_PAGE_SIZE] for i in range(0, len(members), SYNC_PAGE_SIZE)] or [[]]
        for number, page in enumerate(pages):
            cursor = str(number + 1) if number + 1 < len(pages) else ""
            conn.send(
                {"action": Action.SYNC, "channel": wire_name, "channelSerial": f"{sync_id}:{cursor}", "presence": page}
            )

    def sync(self, conn: Connection, pm: dict) -> None:
        """A client asking for the presence set again."""
        try:
            ref = parse_channel(pm.get("channel"))
        except AblyError:
            return  # nothing attached under a name that is not one
        attachment = conn.attachments.get(ref.key)
        channel = conn.app.existing_channel(ref.name)
        if attachment is not None:
            self._send_sync(conn, attachment.ref.wire, channel.present_items() if channel else [])

    def detach(self, conn: Connection, pm: dict) -> None:
        wire = pm.get("channel")
        try:
            ref = parse_channel(wire)
        except AblyError as error:
            if not isinstance(wire, str):
                raise
            conn.send(error_frame(error, wire))
            return
        self.drop(conn, ref.key)
        conn.send({"action": Action.DETACHED, "channel": wire})

    def drop(self, conn: Connection, key: tuple[str, str | None]) -> None:
        """Forget one attachment; leaving the channel itself (not a derived view of it) takes the
        connection's members there with it."""
        conn.attachments.pop(key, None)
        name, view = key
        self.fanout.detach(conn.app, name, (conn.id, view))
        channel = conn.app.existing_channel(name)
        if view is None and channel is not None and name in conn.presence_channels:
            self.fanout.leave_all(conn.app, channel, conn.id)
            conn.presence_channels.discard(name)

    def drop_all(self, conn: Connection) -> None:
        for name, view in list(conn.attachments):
            self.fanout.detach(conn.app, name, (conn.id, view))
        conn.attachments.clear()

    def leave_everywhere(self, conn: Connection) -> None:
        for name in list(conn.presence_channels):
            channel = conn.app.existing_channel(name)
            if channel is not None:
                self.fanout.leave_all(conn.app, channel, conn.id)
        conn.presence_channels.clear()

    # ================================================== the connection changed

    def await_reattach(self, conn: Connection) -> None:
        """The connection continues on a new transport: hold delivery until each re-ATTACH."""
        for attachment in conn.attachments.values():
            attachment.transition(AttachmentEvent.CONNECTION_CONTINUED)
        self.refresh(conn)

    def refresh(self, conn: Connection) -> None:
        """Tell the fanout whether each attachment can be delivered to right now."""
        for attachment in conn.attachments.values():
            self.fanout.attach(conn.app, attachment.ref.name, self._subscriber(conn, attachment))

    def reauthorize(self, conn: Connection) -> None:
        """A new token is in place: channels it no longer allows fail, the others get the modes it
        grants now, announced by an ATTACHED that keeps continuity (RESUMED)."""
        for key, attachment in list(conn.attachments.items()):
            name = attachment.ref.name
            ops = operations_for(conn.creds.capability, name)
            if not ops:
                self.drop(conn, key)
                conn.send(error_frame(capability_denied("subscribe", name), attachment.ref.wire))
                continue
            modes = grant_modes(ops, attachment.requested_modes, attachment.ref.filter is not None)
            if modes == attachment.modes:
                continue
            gained_presence = modes & ~attachment.modes & Flag.PRESENCE_SUBSCRIBE
            attachment.modes = modes
            self.fanout.attach(conn.app, name, self._subscriber(conn, attachment))
            if attachment.state is not AttachmentState.ATTACHED:
                continue  # its re-ATTACH will carry the new modes
            channel = conn.app.channel(name)
            members = channel.present_items() if gained_presence else []
            flags = modes | Flag.RESUMED | (Flag.HAS_PRESENCE if members else Flag(0))
            conn.send(self._attached(attachment, channel, flags))
            if members:
                self._send_sync(conn, attachment.ref.wire, members)

    def _subscriber(self, conn: Connection, attachment: Attachment, live: bool | None = None) -> Subscriber:
        # Echo can be turned off for the whole connection or, with the `echo` param, per channel.
        echo = conn.echo and attachment.params.get("echo", "true").lower() != "false"
        if live is None:
            live = attachment.state is AttachmentState.ATTACHED and conn.state is ConnectionState.CONNECTED
        return Subscriber(conn.id, echo, attachment.modes, attachment.ref.wire, live, conn.send, attachment.ref.filter)

    # ================================================== publishing and presence

    def _target(self, conn: Connection, pm: dict, mode: Flag, what: str) -> ChannelRef:
        """The channel a MESSAGE or PRESENCE goes to, if this connection may use it so."""
        ref = parse_channel(pm.get("channel"))
        if ref.filter is not None:
            raise invalid_channel_name(f"'{ref.wire}' is a derived channel, which is subscribe-only")
        attachment = conn.attachments.get(ref.key)
        # A channel attached with explicit modes may only be used as those modes allow.
        if attachment is not None and not attachment.modes & mode:
            raise AblyError(40160, 401, f"Channel '{ref.name}' was attached without {what} mode")
        return ref

    def publish(self, conn: Connection, pm: dict) -> None:
        def publish():
            ref = self._target(conn, pm, Flag.PUBLISH, "publish")
            params = pm.get("params")
            refuse_if_forced(params.get("_forceNack") if isinstance(params, dict) else None)
            messages = pm.get("messages") or []
            if any(change_action(m) is not None for m in messages):
                if len(messages) != 1:
                    raise bad_request("An update, delete or append must be sent on its own", 40003)
                version_serial = self.mutations.change(
                    conn.app,
                    ref.name,
                    messages[0],
                    conn.creds,
                    conn.client_id,
                    connection_id=conn.id,
                    max_size=self.settings.max_message_size,
                )
                return {"serials": [version_serial]}
            published = self.fanout.publish(
                conn.app,
                ref.name,
                messages,
                conn.creds,
                conn.client_id,
                connection_id=conn.id,
                id_prefix=f"{conn.id}:{pm['msgSerial']}",
                max_size=self.settings.max_message_size,
            )
            return {"serials": published.serials}

        run_acked(conn, pm, publish)

    def presence(self, conn: Connection, pm: dict) -> None:
        def enter_or_leave():
            ref = self._target(conn, pm, Flag.PRESENCE, "presence")
            self.fanout.presence(
                conn.app,
                ref.name,
                pm.get("presence") or [],
                conn.creds,
                conn.client_id,
                connection_id=conn.id,
                id_prefix=f"{conn.id}:{pm['msgSerial']}",
                max_size=self.settings.max_message_size,
            )
            conn.presence_channels.add(ref.name)
            return {"serials": [None] * len(pm.get("presence") or [])}

        run_acked(conn, pm, enter_or_leave)

    def annotate(self, conn: Connection, pm: dict) -> None:
        def publish():
            ref = self._target(conn, pm, Flag.ANNOTATION_PUBLISH, "annotation_publish")
            serials = self.annotations.publish(
                conn.app,
                ref.name,
                pm.get("annotations") or [],
                conn.creds,
                conn.client_id,
                connection_id=conn.id,
                id_prefix=f"{conn.id}:{pm['msgSerial']}",
                max_size=self.settings.max_message_size,
            )
            return {"serials": serials}

        run_acked(conn, pm, publish)
