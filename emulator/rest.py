"""REST endpoints: the HTTP side of the service (aiohttp).

Each handler reads the request (Authorization, query, body), calls the service, and renders the
answer with `http_render.py`; the parsing of query values is pure and lives in the core's `queries.py`,
so the service below only sees plain values. Routing works on the raw path so that percent-encoded
channel names (which may contain `/`) survive; segments are decoded with `unquote_plus` as Python's
SDK encodes spaces as `+`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from urllib.parse import unquote_plus, urlencode

from aiohttp import web

from .apps import Provisioned
from .auth import Credentials, capability_string
from .errors import AblyError, bad_request, not_found, unauthorized
from .http_render import body_format, error_response, items_format, read_body, respond
from .protocol import canonical_items, render_items
from .queries import (
    annotations_links,
    annotations_query,
    channel_names,
    channel_query,
    decode_base64_text,
    history_query,
    link_params,
    listing_links,
    parse_limit,
    protocol_version_of,
)
from .service import Service

MAX_APP_SPEC_BYTES = 64 * 1024  # a sandbox spec is a few KiB; this stops specs made to eat memory


# ---------------------------------------------------------------- parsing


def client_id_header(request: web.Request) -> str | None:
    header = request.headers.get("X-Ably-ClientId")
    if not header:
        return None
    client_id = decode_base64_text(header)
    if client_id is None:
        raise bad_request("Malformed X-Ably-ClientId header", 40012)
    return client_id


def protocol_version(request: web.Request) -> int | None:
    """The major protocol version the client asked for (`X-Ably-Version`, else `?v=`): some
    answers changed shape with version 3."""
    return protocol_version_of(request.headers.get("X-Ably-Version") or request.query.get("v"))


def provisioned_body(provisioned: Provisioned, spec: dict) -> dict:
    """The sandbox's 201 answer to `POST /apps`."""
    app = provisioned.app
    return {
        "appId": app.app_id,
        "accountId": app.account_id,
        "status": 0,
        "keys": [
            {
                "id": k.key_id,
                "value": k.secret,
                "keyName": k.name,
                "keyStr": k.key_str,
                "capability": capability_string(k.capability),
                "status": 0,
            }
            for k in provisioned.keys
        ],
        "namespaces": spec.get("namespaces") or [],
        "channels": spec.get("channels") or [],
    }


# ---------------------------------------------------------------- handlers


class RestApi:
    def __init__(self, service: Service):
        self.service = service
        self.registry = service.registry
        # (method, pattern over raw path segments, handler); groups are channel/app/key names, passed
        # to the handler after the request, so handlers differ in how many they take.
        self.routes: list[tuple[str, str, Callable[..., Awaitable[web.Response]]]] = [
            ("GET", r"/time", self.time),
            ("GET", r"/is-the-internet-up\.txt", self.internet_up),
            ("GET", r"/stats", self.stats),
            ("POST", r"/apps", self.create_app),
            ("POST", r"/messages", self.batch_publish),
            ("GET", r"/presence", self.batch_presence),
            ("GET", r"/channels", self.list_channels),
            ("DELETE", r"/apps/([^/]+)", self.delete_app),
            ("POST", r"/keys/([^/]+)/requestToken", self.request_token),
            ("POST", r"/channels/([^/]+)/messages", self.publish),
            ("PATCH", r"/channels/([^/]+)/messages/([^/]+)", self.change_message),
            ("GET", r"/channels/([^/]+)/messages/([^/]+)", self.message),
            ("GET", r"/channels/([^/]+)/messages/([^/]+)/versions", self.message_versions),
            ("POST", r"/channels/([^/]+)/messages/([^/]+)/annotations", self.annotate),
            ("GET", r"/channels/([^/]+)/messages/([^/]+)/annotations", self.annotations),
            ("GET", r"/channels/([^/]+)/messages", self.history),
            ("GET", r"/channels/([^/]+)/presence", self.presence),
            ("GET", r"/channels/([^/]+)/presence/history", self.presence_history),
            ("GET", r"/channels/([^/]+)", self.channel_details),
        ]

    async def dispatch(self, request: web.Request, path: str) -> web.Response:
        if path.startswith("/comet/"):
            raise not_found("The comet (xhr_polling) transport is not supported: use transports ['web_socket']")
        for method, pattern, handler in self.routes:
            match = re.fullmatch(pattern, path)
            if match and request.method == method:
                return await handler(request, *(unquote_plus(g) for g in match.groups()))
        # Ably answers a known path with the wrong method as it answers an unknown one.
        raise not_found(f"No such endpoint: {request.method} {path}")

    def authenticate(self, request: web.Request) -> Credentials:
        """Basic (key) or Bearer (token, base64 optional) Authorization."""
        header = request.headers.get("Authorization")
        if not header:
            raise unauthorized("Authentication required: use basic or token auth", 40101)
        scheme, _, value = header.strip().partition(" ")
        value = value.strip()
        scheme = scheme.lower()
        if scheme == "basic":
            key_str = decode_base64_text(value)
            if key_str is None:
                raise unauthorized("Malformed basic auth header", 40101)
            return self.registry.credentials_for_key(key_str, client_id_header(request))
        if scheme == "bearer":
            # The token is base64-encoded, or sent as it is: prefer whichever reading is a token we
            # know, else judge the decoded one (base64 text itself looks like a token).
            decoded = decode_base64_text(value)
            readings = [r for r in (decoded, value) if r]
            token = next((r for r in readings if self.registry.recognises(r)), readings[0] if readings else value)
            creds = self.registry.credentials_for_token(token)
            client_id = client_id_header(request)
            if client_id and creds.client_id not in (None, "*", client_id):
                raise unauthorized("clientId mismatch: X-Ably-ClientId does not match the token", 40102)
            return creds
        raise unauthorized("Unsupported authorization scheme", 40101)

    async def time(self, request):
        return respond(request, [self.registry.clock()])

    async def internet_up(self, request):
        return web.Response(text="yes\n", content_type="text/plain")

    async def stats(self, request):
        self.authenticate(request)
        return respond(request, [])  # no usage is counted

    async def create_app(self, request):
        spec = await read_body(request, MAX_APP_SPEC_BYTES)
        provisioned = self.service.provision(spec)
        return respond(request, provisioned_body(provisioned, spec), 201)

    async def delete_app(self, request, app_id):
        self.service.delete_app(self.authenticate(request), app_id)
        return web.Response(status=204)

    async def request_token(self, request, key_name):
        basic = None
        if request.headers.get("Authorization", "").lower().startswith("basic "):
            basic = self.authenticate(request)
        token = self.service.request_token(key_name, await read_body(request), basic)
        return respond(request, token.details())

    async def publish(self, request, name):
        creds = self.authenticate(request)
        items = canonical_items(await read_body(request), body_format(request))
        force_nack = request.query.get("_forceNack", "").lower() == "true"
        published = self.service.publish(creds, name, items, force_nack)
        return respond(request, {"channel": name, "messageId": published.message_id, "serials": published.serials}, 201)

    async def change_message(self, request, name, serial):
        """An update, delete or append (the message's `action`): 200 with the new version's serial."""
        creds = self.authenticate(request)
        items = canonical_items(await read_body(request), body_format(request))
        if len(items) != 1:
            raise bad_request("Expected one message")
        version_serial = self.service.change_message(creds, name, serial, items[0])
        return respond(request, {"versionSerial": version_serial})

    async def message(self, request, name, serial):
        """The latest version of a message, with its summary."""
        record = self.service.message_record(self.authenticate(request), name, serial)
        return respond(request, render_items([record.latest], items_format(request))[0])

    async def message_versions(self, request, name, serial):
        """Every version of a message, the original first."""
        record = self.service.message_record(self.authenticate(request), name, serial)
        return respond(request, render_items(record.versions, items_format(request)))

    async def annotate(self, request, name, serial):
        creds = self.authenticate(request)
        self.service.annotate(creds, name, serial, canonical_items(await read_body(request), body_format(request)))
        return respond(request, {}, 201)

    async def annotations(self, request, name, serial):
        """A message's annotations (creates and deletes), oldest first, paged with a `Link` header."""
        record = self.service.message_record(self.authenticate(request), name, serial)
        start, limit = annotations_query(request.query)
        end = start + limit
        next_start = end if end < len(record.annotations) else None
        items = render_items(record.annotations[start:end], items_format(request))
        return respond(request, items, 200, {"Link": annotations_links(limit, next_start)})

    async def batch_publish(self, request):
        """POST /messages: one or many {channels, messages} specs, each channel published on its own."""
        creds = self.authenticate(request)
        body = await read_body(request)
        specs = body if isinstance(body, list) else [body]
        if not specs or not all(isinstance(s, dict) for s in specs):
            raise bad_request("Batch publish needs one or more {channels, messages} objects")
        results = []
        for spec in specs:
            channels = spec.get("channels")
            channels = [channels] if isinstance(channels, str) else channels
            if not isinstance(channels, list) or not channels or not all(isinstance(c, str) and c for c in channels):
                raise bad_request("Each batch spec needs 'channels': a name or a list of names")
            outcome = []
            for name in channels:
                try:
                    published = self.service.publish(
                        creds, name, canonical_items(spec.get("messages"), body_format(request))
                    )
                    outcome.append({"channel": name, "messageId": published.message_id, "serials": published.serials})
                except AblyError as error:
                    outcome.append({"channel": name, "error": error.to_wire()})
            failures = sum(1 for r in outcome if "error" in r)
            results.append({"successCount": len(outcome) - failures, "failureCount": failures, "results": outcome})
        return respond(request, results, 201)

    async def batch_presence(self, request):
        """GET /presence?channels=a,b: the members of several channels at once."""
        creds = self.authenticate(request)
        names = channel_names(request.query)
        results: list[dict[str, object]] = []
        for name in names:
            try:
                members = self.service.presence_members(creds, name)
                results.append({"channel": name, "presence": render_items(members, items_format(request))})
            except AblyError as error:
                results.append({"channel": name, "error": error.to_wire()})
        failures = sum(1 for r in results if "error" in r)
        version = protocol_version(request)
        if version is not None and version >= 3:
            return respond(
                request, {"successCount": len(results) - failures, "failureCount": failures, "results": results}
            )
        # Before version 3: a bare array, or a 400 whose body carries the per-channel outcomes.
        if not failures:
            return respond(request, results)
        return error_response(
            request, AblyError(40020, 400, "Batched response includes errors"), {"batchResponse": results}
        )

    async def history(self, request, name):
        return self._history_page(request, name, "message", "messages")

    async def presence_history(self, request, name):
        return self._history_page(request, name, "presence", "history")

    def _history_page(self, request, name: str, kind: str, link_base: str):
        channel = self.service.history_channel(self.authenticate(request), name)
        query = history_query(request.query, channel)
        items, next_cursor = query.run(channel, kind)
        links = [f'<./{link_base}?{urlencode(link_params(query, channel))}>; rel="first"']
        if next_cursor is not None:
            links.append(f'<./{link_base}?{urlencode(link_params(query, channel, next_cursor))}>; rel="next"')
        return respond(request, render_items(items, items_format(request)), 200, {"Link": ", ".join(links)})

    async def presence(self, request, name):
        creds = self.authenticate(request)
        most = parse_limit(request.query)
        members = self.service.presence_members(
            creds, name, request.query.get("clientId"), request.query.get("connectionId")
        )
        return respond(request, render_items(members[:most], items_format(request)))

    async def channel_details(self, request, name):
        return respond(request, self.service.channel_status(self.authenticate(request), name))

    async def list_channels(self, request):
        """GET /channels: the app's active channels, paged by name."""
        creds = self.authenticate(request)
        query = channel_query(request.query, protocol_version(request))
        items, cursor = self.service.active_channels(creds, query)
        return respond(request, items, 200, {"Link": listing_links(query, cursor)})
