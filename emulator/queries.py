"""Query parameters of the REST reads, parsed from a plain mapping (no HTTP here): `limit`, history,
the channel listing, batch presence's channel list, the protocol version, base64 header values, and
the `Link` parameters that page through the results."""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import quote, urlencode

from .channels import Channel, HistoryQuery
from .errors import bad_request
from .metadata import DEFAULT_LISTED, MAX_LISTED, ChannelQuery


def parse_limit(params, default: int = 100, maximum: int = 1000) -> int:
    """The `limit` parameter: 1 to `maximum`, `default` when absent."""
    raw = params.get("limit")
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= maximum:
        raise bad_request(f"Invalid limit: must be between 1 and {maximum}", 40003)
    return value


def channel_names(params) -> list[str]:
    """Batch presence's `channels`, split on `separator` (a comma by default)."""
    separator = params.get("separator") or ","
    names = [n for n in params.get("channels", "").split(separator) if n]
    if not names:
        raise bad_request("The 'channels' parameter is required")
    return names


def protocol_version_of(raw: str | None) -> int | None:
    """The major version in an `X-Ably-Version` header or `v` parameter."""
    match = re.match(r"\s*([0-9]{1,4})", raw or "")
    return int(match[1]) if match else None


def decode_base64_text(value: str) -> str | None:
    try:
        return base64.b64decode(value, validate=True).decode()
    except (binascii.Error, ValueError):
        return None


def history_query(params, channel: Channel) -> HistoryQuery:
    def number(name):
        raw = params.get(name)
        if raw in (None, ""):
            return None
        try:
            return int(raw)
        except ValueError:
            raise bad_request(f"Invalid value for '{name}': {raw!r}", 40003) from None

    most = parse_limit(params)
    direction = params.get("direction", "backwards") or "backwards"
    if direction not in ("backwards", "forwards"):
        raise bad_request("Invalid direction: expected backwards or forwards", 40003)
    start, end = number("start"), number("end")
    if start is not None and end is not None and start > end:
        raise bad_request("Invalid range: start is after end", 40003)
    until_seq = None
    if params.get("from_serial"):
        until_seq = channel.parse_serial(params["from_serial"])
        if until_seq is None:
            raise bad_request("Invalid from_serial: unknown channel serial", 40003)
    cursor = None
    if params.get("cursor"):
        match = re.fullmatch(r"(\d+)_(\d+)", params["cursor"])
        if not match:
            raise bad_request("Invalid cursor", 40003)
        cursor = (int(match[1]), int(match[2]))
    return HistoryQuery(most, direction == "forwards", start, end, until_seq, cursor)


def channel_query(params, version: int | None) -> ChannelQuery:
    """`GET /channels` parameters. `by` defaults to `value`, but to `id` from protocol version 3."""
    by = params.get("by") or ("id" if version is not None and version >= 3 else "value")
    if by not in ("id", "value"):
        raise bad_request("Invalid value for 'by': expected id or value", 40003)
    return ChannelQuery(
        params.get("prefix", ""),
        parse_limit(params, DEFAULT_LISTED, MAX_LISTED),
        by == "id",
        params.get("cursor") or None,
    )


def listing_links(query: ChannelQuery, cursor: str | None) -> str:
    params = {"limit": str(query.limit), "by": "id" if query.names_only else "value"}
    if query.prefix:
        params["prefix"] = query.prefix
    # %20 rather than `+` for a space: ably-js decodes link params with decodeURIComponent.
    links = [f'<./channels?{urlencode(params, quote_via=quote)}>; rel="first"']
    if cursor is not None:
        links.append(f'<./channels?{urlencode(dict(params, cursor=cursor), quote_via=quote)}>; rel="next"')
    return ", ".join(links)


def link_params(query: HistoryQuery, channel: Channel, cursor: tuple | None = None) -> dict:
    params = {"limit": str(query.limit), "direction": "forwards" if query.forwards else "backwards"}
    for name, value in (("start", query.start), ("end", query.end)):
        if value is not None:
            params[name] = str(value)
    if query.until_seq is not None:
        params["from_serial"] = channel.serial(query.until_seq)
    if cursor is not None:
        params["cursor"] = f"{cursor[0]}_{cursor[1]}"
    return params


def annotations_query(params) -> tuple[int, int]:
    """`GET …/annotations`: where the page starts (a `cursor` from a `Link`) and its `limit`."""
    raw = params.get("cursor") or "0"
    if not raw.isdigit():
        raise bad_request("Invalid cursor", 40003)
    return int(raw), parse_limit(params)


def annotations_links(limit: int, next_start: int | None) -> str:
    links = [f'<./annotations?limit={limit}>; rel="first"']
    if next_start is not None:
        links.append(f'<./annotations?limit={limit}&cursor={next_start}>; rel="next"')
    return ", ".join(links)
