"""Channel names as clients send them: Ably's naming rules, `[?params]` qualifiers, `[meta]`
metachannels and the `[filter=…]` qualifier of derived channels (a base64 JMESPath expression over a message's
`name` and `extras.headers`)."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

import jmespath
from jmespath.exceptions import JMESPathError

from .errors import invalid_channel_name

# Newlines and their Unicode kin may not appear in a name.
_LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x85\u2028\u2029]")
_QUALIFIER = re.compile(r"\[([^\]]*)\](.*)", re.S)
_FILTER = re.compile(r"filter=([^?]*)(\?.*)?", re.S)


class MessageFilter:
    """A derived channel's filter, compiled once per attach."""

    def __init__(self, encoded: str):
        # ably-js sends standard base64; the URL-safe alphabet and missing padding are accepted too.
        standard = encoded.replace("-", "+").replace("_", "/")
        try:
            self.source = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True).decode()
            self._expression = jmespath.compile(self.source)
        except (binascii.Error, UnicodeDecodeError, ValueError, JMESPathError):
            raise invalid_channel_name("the filter is not a base64-encoded JMESPath expression") from None

    def matches(self, message: dict) -> bool:
        extras = message.get("extras")
        headers = extras.get("headers") if isinstance(extras, dict) else None
        try:
            result = self._expression.search({"name": message.get("name"), "headers": headers})
        except (JMESPathError, TypeError, ValueError):
            # jmespath raises where the spec says null, e.g. ordering a string against a number:
            # no match, and never an error in the publisher's fan-out.
            return False
        return result not in (None, False, "", [], {})


@dataclass(frozen=True)
class ChannelRef:
    """A channel as named in a request: `wire` is echoed back verbatim, `name` is the channel."""

    wire: str
    name: str
    params: dict
    filter: MessageFilter | None = None

    @property
    def view(self) -> str | None:
        """Which view of the channel: a derived channel is a channel of its own."""
        return self.filter.source if self.filter else None

    @property
    def key(self) -> tuple[str, str | None]:
        return self.name, self.view


def check_name(name) -> str:
    """Ably's rules for a plain channel name."""
    if not isinstance(name, str) or not name:
        raise invalid_channel_name("a channel name is required")
    if name[0] in "[:":
        raise invalid_channel_name(f"'{name}' may not start with '[' or ':'")
    if _LINE_BREAKS.search(name):
        raise invalid_channel_name("a name may not contain line breaks")
    return name


def check_rest_name(name) -> str:
    """A channel name in a REST path: a plain name, or a metachannel's (`[meta]…`)."""
    if isinstance(name, str) and name.startswith("[meta]") and len(name) > len("[meta]"):
        return name
    return check_name(name)


def parse_channel(wire) -> ChannelRef:
    """`[?rewind=1]chat`, `[filter=…]chat`, `[filter=…?rewind=1]chat` or plain `chat`."""
    if not isinstance(wire, str) or not wire.startswith("["):
        return ChannelRef(wire, check_name(wire), {})
    match = _QUALIFIER.fullmatch(wire)
    if not match:
        raise invalid_channel_name("unterminated '[' qualifier")
    qualifier, name = match[1], check_name(match[2])
    if qualifier == "meta":
        # A metachannel: a channel of its own, named with its qualifier, which only a capability
        # for `[meta]…` or `[*]*` reaches (the emulator publishes no metachannel events).
        return ChannelRef(wire, wire, {})
    if qualifier.startswith("?"):
        return ChannelRef(wire, name, dict(parse_qsl(qualifier[1:])))
    derived = _FILTER.fullmatch(qualifier)
    if not derived:
        raise invalid_channel_name(f"unsupported qualifier '[{qualifier}]'")
    params = dict(parse_qsl(derived[2][1:])) if derived[2] else {}
    return ChannelRef(wire, name, params, MessageFilter(derived[1]))
