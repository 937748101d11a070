"""Query parameters of the REST reads, parsed from a plain mapping (no HTTP here): history, the channel
listing, and the `Link` parameters that page through them."""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

from .channels import Channel, HistoryQuery
from .errors import bad_request
from .metadata import DEFAULT_LISTED, MAX_LISTED, ChannelQuery


def history_query(params, channel: Channel) -> HistoryQuery:
    def number(name):
        raw = params.get(name)
        if raw in (None, ""):
            return None
        try:
            return int(raw)
        except ValueError:
            raise bad_request(f"Invalid value for '{name}': {raw!r}", 40003) from None

    limit = number("limit")
    limit = 100 if limit is None else limit
    if not 1 <= limit <= 1000:
        raise bad_request("Invalid limit: must be between 1 and 1000", 40003)
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
    return HistoryQuery(limit, direction == "forwards", start, end, until_seq, cursor)


def channel_query(params, version: int | None) -> ChannelQuery:
    """`GET /channels` parameters. `by` defaults to `value`, but to `id` from protocol version 3."""
    raw_limit = params.get("limit") or str(DEFAULT_LISTED)
    if not re.fullmatch(r"[0-9]{1,6}", raw_limit) or not 1 <= int(raw_limit) <= MAX_LISTED:
        raise bad_request(f"Invalid limit: must be between 1 and {MAX_LISTED}", 40003)
    by = params.get("by") or ("id" if version is not None and version >= 3 else "value")
    if by not in ("id", "value"):
        raise bad_request("Invalid value for 'by': expected id or value", 40003)
    return ChannelQuery(params.get("prefix", ""), int(raw_limit), by == "id", params.get("cursor") or None)


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
