"""ProtocolMessage actions and flags, and the JSON/msgpack frame codecs.

Inside the emulator a ProtocolMessage is a plain dict in wire field names, with
message/presence `data` held canonically: binary payloads are `bytes` and their
`encoding` never ends in `base64`. The codecs translate at the edge, so a JSON
publisher and a msgpack subscriber see the same payload in their own form.
"""

from __future__ import annotations

import base64
import binascii
import json
from enum import IntEnum, IntFlag

import msgpack

from .errors import AblyError, bad_request

JSON = "json"
MSGPACK = "msgpack"

# Ably's default limits: a ProtocolMessage's messages together, and one frame.
MAX_MESSAGE_SIZE = 64 * 1024
MAX_FRAME_SIZE = 512 * 1024


class Action(IntEnum):
    HEARTBEAT = 0
    ACK = 1
    NACK = 2
    CONNECT = 3
    CONNECTED = 4
    DISCONNECT = 5
    DISCONNECTED = 6
    CLOSE = 7
    CLOSED = 8
    ERROR = 9
    ATTACH = 10
    ATTACHED = 11
    DETACH = 12
    DETACHED = 13
    PRESENCE = 14
    MESSAGE = 15
    SYNC = 16
    AUTH = 17
    ACTIVATE = 18
    OBJECT = 19
    OBJECT_SYNC = 20
    ANNOTATION = 21


class Flag(IntFlag):
    HAS_PRESENCE = 1 << 0
    HAS_BACKLOG = 1 << 1
    RESUMED = 1 << 2
    TRANSIENT = 1 << 4
    ATTACH_RESUME = 1 << 5
    HAS_OBJECTS = 1 << 7
    PRESENCE = 1 << 16
    PUBLISH = 1 << 17
    SUBSCRIBE = 1 << 18
    PRESENCE_SUBSCRIBE = 1 << 19
    ANNOTATION_PUBLISH = 1 << 21
    ANNOTATION_SUBSCRIBE = 1 << 22
    OBJECT_SUBSCRIBE = 1 << 24
    OBJECT_PUBLISH = 1 << 25


# Channel modes by the names clients use in `params.modes` (and ably-js in `channel.modes`).
MODES = {
    "presence": Flag.PRESENCE,
    "publish": Flag.PUBLISH,
    "subscribe": Flag.SUBSCRIBE,
    "presence_subscribe": Flag.PRESENCE_SUBSCRIBE,
    "annotation_publish": Flag.ANNOTATION_PUBLISH,
    "annotation_subscribe": Flag.ANNOTATION_SUBSCRIBE,
    "object_subscribe": Flag.OBJECT_SUBSCRIBE,
    "object_publish": Flag.OBJECT_PUBLISH,
}
ALL_MODES = Flag(sum(MODES.values()))
# What an ATTACH that names no modes gets (as far as the capability allows): annotation_subscribe and
# the object modes must be asked for, as on Ably.
DEFAULT_MODES = Flag.PRESENCE | Flag.PUBLISH | Flag.SUBSCRIBE | Flag.PRESENCE_SUBSCRIBE | Flag.ANNOTATION_PUBLISH


# The fields of a ProtocolMessage that hold messages, presence items or annotations (each with `data`).
ITEM_FIELDS = ("messages", "presence", "annotations")


class PresenceAction(IntEnum):
    ABSENT = 0
    PRESENT = 1
    ENTER = 2
    LEAVE = 3
    UPDATE = 4


# ---------------------------------------------------------------- payloads


def _strip_base64(item: dict) -> dict:
    """Canonicalise one message from a JSON client: base64 text becomes bytes."""
    encoding = item.get("encoding")
    if not encoding or not isinstance(encoding, str):
        return item  # nothing to decode; a non-string encoding is refused later, as invalid (40013)
    steps = encoding.split("/")
    if steps[-1] != "base64":
        return item
    data = item.get("data")
    if not isinstance(data, str):
        raise bad_request("base64 encoding given for non-string data", 40013)
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise bad_request("Invalid base64 data", 40013) from None
    item = dict(item, data=raw)
    item["encoding"] = "/".join(steps[:-1]) or None
    return item


def _to_base64(item: dict) -> dict:
    """Render one canonical message for a JSON recipient."""
    data = item.get("data")
    if not isinstance(data, (bytes, bytearray)):
        return item
    encoding = item.get("encoding")
    item = dict(item, data=base64.b64encode(data).decode("ascii"))
    item["encoding"] = f"{encoding}/base64" if encoding else "base64"
    return item


def canonical_items(items, fmt: str) -> list[dict]:
    """Validate a list of messages/presence items from a client and canonicalise their data."""
    if items is None:
        return []
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise bad_request("Messages must be objects")
    if fmt == JSON:
        items = [_strip_base64(i) for i in items]
    return items


def render_items(items: list[dict], fmt: str) -> list[dict]:
    if fmt == JSON:
        return [_to_base64(i) for i in items]
    return items


def render_protocol_message(pm: dict, fmt: str) -> dict:
    if fmt != JSON:
        return pm
    out = pm
    for field in ITEM_FIELDS:
        if out.get(field):
            out = dict(out)
            out[field] = render_items(out[field], fmt)
    return out


# ---------------------------------------------------------------- codecs


def dumps(obj, fmt: str) -> bytes | str:
    if fmt == MSGPACK:
        return msgpack.packb(obj, use_bin_type=True)
    return json.dumps(obj, separators=(",", ":"))


def loads(raw: bytes | str, fmt: str):
    """Decode a body or frame; malformed input becomes a 40000 AblyError."""
    try:
        if fmt == MSGPACK:
            if isinstance(raw, str):
                raw = raw.encode()
            return msgpack.unpackb(raw, raw=False, strict_map_key=False)
        return json.loads(raw)
    except Exception:  # noqa: BLE001 (any decoder failure is the client's fault)
        raise bad_request(f"Unable to decode {fmt} body") from None


def decode_frame(raw: bytes | str, fmt: str) -> dict:
    pm = loads(raw, fmt)
    if not isinstance(pm, dict):
        raise bad_request("A protocol message must be an object")
    action = pm.get("action")
    if not isinstance(action, int) or isinstance(action, bool):
        raise bad_request("Protocol message has no valid action")
    for field in ITEM_FIELDS:
        if field in pm:
            pm[field] = canonical_items(pm[field], fmt)
    return pm


class SharedFrame(dict):
    """A protocol message sent unchanged to many connections, so encoded once per format."""

    __slots__ = ("encoded",)

    def __init__(self, pm: dict):
        super().__init__(pm)
        self.encoded: dict[str, bytes | str] = {}


def encode_frame(pm: dict, fmt: str) -> bytes | str:
    if not isinstance(pm, SharedFrame):
        return dumps(render_protocol_message(pm, fmt), fmt)
    if fmt not in pm.encoded:
        pm.encoded[fmt] = dumps(render_protocol_message(pm, fmt), fmt)
    return pm.encoded[fmt]


def error_frame(error: AblyError, channel: str | None = None) -> dict:
    pm = {"action": Action.ERROR, "error": error.to_wire()}
    if channel is not None:
        pm["channel"] = channel
    return pm
