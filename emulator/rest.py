"""REST endpoints: a thin aiohttp layer over the domain objects.

Routing works on the raw path so that percent-encoded channel names (which may
contain `/`) survive; segments are decoded with `unquote_plus` as Python's SDK
encodes spaces as `+`.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus, urlencode

from aiohttp import web

from .apps import Registry
from .auth import operations_for
from .channels import HistoryQuery
from .errors import AblyError, bad_request, capability_denied, not_found, unauthorized
from .messaging import check_history_allowed, random_message_id
from .protocol import JSON, MSGPACK, Flag, canonical_items, dumps, loads, render_items
from .realtime import Realtime

MSGPACK_TYPE = "application/x-msgpack"
EXPOSED_HEADERS = "X-Ably-Errorcode, X-Ably-Errormessage, Link"


# ---------------------------------------------------------------- formats and responses

def response_format(request: web.Request) -> str:
    return MSGPACK if MSGPACK_TYPE in request.headers.get("Accept", "") else JSON


def body_format(request: web.Request) -> str:
    return MSGPACK if MSGPACK_TYPE in request.headers.get("Content-Type", "") else JSON


def respond(request: web.Request, body, status: int = 200, headers: dict | None = None) -> web.Response:
    envelope = request.query.get("envelope")
    if envelope in (JSON, MSGPACK):
        # The browser bundle can't read headers like Link, so it asks for an envelope.
        wrapped = {"statusCode": status, "response": body,
                   "headers": {k.lower(): v for k, v in (headers or {}).items()}}
        return _encoded(wrapped, envelope, 200, {})
    return _encoded(body, response_format(request), status, headers or {})


def _encoded(body, fmt: str, status: int, headers: dict) -> web.Response:
    content_type = MSGPACK_TYPE if fmt == MSGPACK else "application/json"
    raw = dumps(body, fmt)
    if isinstance(raw, str):
        raw = raw.encode()
    # A bare Content-Type (no charset): ably-js in Node only parses exactly application/json.
    return web.Response(status=status, body=raw, headers={**headers, "Content-Type": content_type})


def error_response(request: web.Request, error: AblyError) -> web.Response:
    message = re.sub(r"[^\x20-\x7e]", "?", error.message)[:500]
    headers = {"X-Ably-Errorcode": str(error.code), "X-Ably-Errormessage": message}
    return respond(request, {"error": error.to_wire()}, error.status, headers)


def cors_headers(request: web.Request) -> dict:
    origin = request.headers.get("Origin")
    headers = {"Access-Control-Expose-Headers": EXPOSED_HEADERS}
    if origin:
        # Token requests are made with credentials, so the origin must be echoed, never `*`.
        headers["Access-Control-Allow-Origin"] = origin
        headers["Access-Control-Allow-Credentials"] = "true"
        headers["Vary"] = "Origin"
    else:
        headers["Access-Control-Allow-Origin"] = "*"
    return headers


def preflight(request: web.Request) -> web.Response:
    headers = {
        "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
        "Access-Control-Allow-Headers": request.headers.get(
            "Access-Control-Request-Headers",
            "authorization, content-type, accept, x-ably-version, ably-agent, x-ably-clientid"),
        "Access-Control-Max-Age": "86400",
    }
    if request.headers.get("Access-Control-Request-Private-Network") == "true":
        headers["Access-Control-Allow-Private-Network"] = "true"
    return web.Response(status=204, headers=headers)


async def read_body(request: web.Request):
    raw = await request.read()
    if not raw:
        raise bad_request("A request body is required")
    return loads(raw, body_format(request))


# ---------------------------------------------------------------- handlers

class RestApi:
    def __init__(self, registry: Registry, realtime: Realtime):
        self.registry = registry
        self.realtime = realtime
        # (method, pattern over raw path segments, handler); groups are channel/app/key names.
        self.routes = [
            ("GET", r"/time", self.time),
            ("GET", r"/is-the-internet-up\.txt", self.internet_up),
            ("POST", r"/apps", self.create_app),
            ("POST", r"/messages", self.batch_publish),
            ("GET", r"/presence", self.batch_presence),
            ("DELETE", r"/apps/([^/]+)", self.delete_app),
            ("POST", r"/keys/([^/]+)/requestToken", self.request_token),
            ("POST", r"/channels/([^/]+)/messages", self.publish),
            ("GET", r"/channels/([^/]+)/messages", self.history),
            ("GET", r"/channels/([^/]+)/presence", self.presence),
            ("GET", r"/channels/([^/]+)/presence/history", self.presence_history),
            ("GET", r"/channels/([^/]+)", self.channel_details),
        ]

    async def dispatch(self, request: web.Request, path: str) -> web.Response:
        if path.startswith("/comet/"):
            raise not_found("The comet (xhr_polling) transport is not supported: use transports ['web_socket']")
        path_matched = False
        for method, pattern, handler in self.routes:
            match = re.fullmatch(pattern, path)
            if match:
                path_matched = True
                if request.method == method:
                    return await handler(request, *(unquote_plus(g) for g in match.groups()))
        if path_matched:
            raise AblyError(40500, 405, f"Method {request.method} not allowed on {path}")
        raise not_found(f"No such endpoint: {request.method} {path}")

    def authenticate(self, request: web.Request):
        return self.registry.credentials_from_header(
            request.headers.get("Authorization"), request.headers.get("X-Ably-ClientId"))

    async def time(self, request):
        return respond(request, [self.registry.clock()])

    async def internet_up(self, request):
        return web.Response(text="yes\n", content_type="text/plain")

    async def create_app(self, request):
        _, body = self.registry.provision(await read_body(request))
        return respond(request, body, 201)

    async def delete_app(self, request, app_id):
        creds = self.authenticate(request)
        if not creds.is_key or creds.key.app_id != app_id:
            raise unauthorized("Deleting an app requires basic auth with one of its keys", 40101)
        app = self.registry.apps[app_id]
        self.realtime.close_app(app)
        self.registry.delete_app(app_id)
        return web.Response(status=204)

    async def request_token(self, request, key_name):
        key = self.registry.keys.get(key_name)
        if key is None:
            raise unauthorized(f"Invalid key name '{key_name}'", 40101)
        basic = None
        if request.headers.get("Authorization", "").lower().startswith("basic "):
            basic = self.authenticate(request).key
        token = self.registry.tokens.request_token(key, await read_body(request), basic)
        return respond(request, token.details())

    async def publish(self, request, name):
        creds = self.authenticate(request)
        items = canonical_items(await read_body(request), body_format(request))
        app = self.registry.app_of(creds)
        serials = self.realtime.router.publish(
            app, name, items, creds, creds.client_id, max_size=self.realtime.settings.max_message_size)
        return respond(request, {"channel": name, "serials": serials}, 201)

    async def batch_publish(self, request):
        """POST /messages: one or many {channels, messages} specs, each channel published on its own."""
        creds = self.authenticate(request)
        app = self.registry.app_of(creds)
        body = await read_body(request)
        specs = body if isinstance(body, list) else [body]
        if not specs or not all(isinstance(s, dict) for s in specs):
            raise bad_request("Batch publish needs one or more {channels, messages} objects")
        results = []
        for spec in specs:
            channels = spec.get("channels")
            channels = [channels] if isinstance(channels, str) else channels
            if not channels or not all(isinstance(c, str) and c for c in channels):
                raise bad_request("Each batch spec needs 'channels': a name or a list of names")
            outcome = []
            for name in channels:
                message_id = random_message_id()
                try:
                    items = canonical_items(spec.get("messages"), body_format(request))
                    serials = self.realtime.router.publish(
                        app, name, items, creds, creds.client_id, id_prefix=message_id,
                        max_size=self.realtime.settings.max_message_size)
                    outcome.append({"channel": name, "messageId": message_id, "serials": serials})
                except AblyError as error:
                    outcome.append({"channel": name, "error": error.to_wire()})
            failures = sum(1 for r in outcome if "error" in r)
            results.append({"successCount": len(outcome) - failures, "failureCount": failures, "results": outcome})
        return respond(request, results, 201)

    async def batch_presence(self, request):
        """GET /presence?channels=a,b: the members of several channels at once."""
        creds = self.authenticate(request)
        app = self.registry.app_of(creds)
        names = [n for n in request.query.get("channels", "").split(",") if n]
        if not names:
            raise bad_request("The 'channels' parameter is required")
        fmt = response_format_of(request)
        results = []
        for name in names:
            ops = self._ops(creds, name)
            if "subscribe" not in ops and "presence" not in ops:
                results.append({"channel": name, "error": capability_denied("subscribe", name).to_wire()})
                continue
            channel = app.existing_channel(name)
            results.append({"channel": name, "presence": render_items(channel.present_items() if channel else [], fmt)})
        failures = sum(1 for r in results if "error" in r)
        return respond(request, {"successCount": len(results) - failures, "failureCount": failures,
                                 "results": results})

    async def history(self, request, name):
        return self._history_page(request, name, "message", "messages")

    async def presence_history(self, request, name):
        return self._history_page(request, name, "presence", "history")

    def _history_page(self, request, name: str, kind: str, link_base: str):
        creds = self.authenticate(request)
        check_history_allowed(creds, name)
        app = self.registry.app_of(creds)
        channel = app.channel(name)
        query = HistoryQuery.from_params(request.query, channel)
        channel.prune(self.registry.clock())
        items, next_cursor = query.run(channel, kind)
        links = [f'<./{link_base}?{urlencode(query.link_params(channel))}>; rel="first"']
        if next_cursor is not None:
            links.append(f'<./{link_base}?{urlencode(query.link_params(channel, next_cursor))}>; rel="next"')
        return respond(request, render_items(items, response_format_of(request)), 200, {"Link": ", ".join(links)})

    async def presence(self, request, name):
        creds = self.authenticate(request)
        ops = self._ops(creds, name)
        if "subscribe" not in ops and "presence" not in ops:
            raise capability_denied("subscribe", name)
        app = self.registry.app_of(creds)
        channel = app.existing_channel(name)
        try:
            limit = int(request.query.get("limit") or 100)
        except ValueError:
            raise bad_request("Invalid limit", 40003) from None
        if not 1 <= limit <= 1000:
            raise bad_request("Invalid limit: must be between 1 and 1000", 40003)
        items = channel.present_items(request.query.get("clientId"), request.query.get("connectionId")) \
            if channel else []
        return respond(request, render_items(items[:limit], response_format_of(request)))

    async def channel_details(self, request, name):
        creds = self.authenticate(request)
        if "channel-metadata" not in self._ops(creds, name):
            raise capability_denied("channel-metadata", name)
        app = self.registry.app_of(creds)
        subs = self.realtime.router.subscribers.get((app.app_id, name), {})
        channel = app.existing_channel(name)
        members = channel.members if channel else {}
        metrics = {
            "connections": len(subs),
            "publishers": sum(1 for s in subs.values() if s.modes & Flag.PUBLISH),
            "subscribers": sum(1 for s in subs.values() if s.modes & Flag.SUBSCRIBE),
            "presenceConnections": len({m.connection_id for m in members.values()}),
            "presenceMembers": len(members),
            "presenceSubscribers": sum(1 for s in subs.values() if s.modes & Flag.PRESENCE_SUBSCRIBE),
        }
        return respond(request, {"channelId": name, "status": {"isActive": bool(subs or members),
                                                                "occupancy": {"metrics": metrics}}})

    @staticmethod
    def _ops(creds, name):
        return operations_for(creds.capability, name)


def response_format_of(request: web.Request) -> str:
    """Format the items will finally be written in (the envelope's, when enveloped)."""
    envelope = request.query.get("envelope")
    return envelope if envelope in (JSON, MSGPACK) else response_format(request)
