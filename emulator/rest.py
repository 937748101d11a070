"""REST endpoints: the HTTP side of the service (aiohttp).

Everything HTTP-shaped is parsed here (Authorization headers, query strings, bodies, formats)
and everything HTTP-shaped is rendered here, so the service below only sees plain values.
Routing works on the raw path so that percent-encoded channel names (which may contain `/`)
survive; segments are decoded with `unquote_plus` as Python's SDK encodes spaces as `+`.
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import unquote_plus, urlencode

from aiohttp import web

from .access import AccessPolicy
from .apps import Provisioned
from .auth import Credentials, capability_string
from .errors import AblyError, bad_request, not_found, too_large, unauthorized
from .protocol import JSON, MSGPACK, canonical_items, dumps, loads, render_items
from .queries import channel_query, history_query, link_params, listing_links
from .service import Service

MSGPACK_TYPE = "application/x-msgpack"
EXPOSED_HEADERS = "X-Ably-Errorcode, X-Ably-Errormessage, Link"
MAX_APP_SPEC_BYTES = 64 * 1024  # a sandbox spec is a few KiB; this stops specs made to eat memory


# ---------------------------------------------------------------- formats and responses

def response_format(request: web.Request) -> str:
    return MSGPACK if MSGPACK_TYPE in request.headers.get("Accept", "") else JSON


def body_format(request: web.Request) -> str:
    return MSGPACK if MSGPACK_TYPE in request.headers.get("Content-Type", "") else JSON


def items_format(request: web.Request) -> str:
    """Format the items will finally be written in (the envelope's, when enveloped)."""
    envelope = request.query.get("envelope")
    return envelope if envelope in (JSON, MSGPACK) else response_format(request)


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
    """For a request whose Origin the access policy has already let through."""
    if not request.headers.get("Origin"):
        return {}
    # Token requests are made with credentials, so the origin must be echoed, never `*`.
    return {"Access-Control-Allow-Origin": request.headers["Origin"], "Access-Control-Allow-Credentials": "true",
            "Access-Control-Expose-Headers": EXPOSED_HEADERS, "Vary": "Origin"}


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


def refuse_unless_allowed(request: web.Request, policy: AccessPolicy) -> None:
    """Host and Origin checks for every request, WebSocket upgrades included."""
    if not policy.host_allowed(request.headers.get("Host")):
        raise AblyError(40300, 403, "Host not allowed: the emulator answers to loopback names only")
    origin = request.headers.get("Origin")
    if origin is not None and not policy.origin_allowed(origin):
        raise AblyError(40300, 403, f"Origin {origin[:100]} is not allowed: only loopback origins and those "
                                    "given with --allow-origin may use the emulator")


async def read_body(request: web.Request, limit: int | None = None):
    raw = await request.read()
    if not raw:
        raise bad_request("A request body is required")
    if limit is not None and len(raw) > limit:
        raise too_large(len(raw), limit)
    return loads(raw, body_format(request))


# ---------------------------------------------------------------- parsing

def _decode_base64_text(value: str) -> str | None:
    try:
        return base64.b64decode(value, validate=True).decode()
    except (binascii.Error, ValueError):
        return None


def client_id_header(request: web.Request) -> str | None:
    header = request.headers.get("X-Ably-ClientId")
    if not header:
        return None
    client_id = _decode_base64_text(header)
    if client_id is None:
        raise bad_request("Malformed X-Ably-ClientId header", 40012)
    return client_id


def protocol_version(request: web.Request) -> int | None:
    """The major protocol version the client asked for (`X-Ably-Version`, else `?v=`): some
    answers changed shape with version 3."""
    raw = request.headers.get("X-Ably-Version") or request.query.get("v") or ""
    match = re.match(r"\s*([0-9]{1,4})", raw)
    return int(match[1]) if match else None


def provisioned_body(provisioned: Provisioned, spec: dict) -> dict:
    """The sandbox's 201 answer to `POST /apps`."""
    app = provisioned.app
    return {
        "appId": app.app_id,
        "accountId": app.account_id,
        "status": 0,
        "keys": [
            {"id": k.key_id, "value": k.secret, "keyName": k.name, "keyStr": k.key_str,
             "capability": capability_string(k.capability), "status": 0}
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
        # (method, pattern over raw path segments, handler); groups are channel/app/key names.
        self.routes = [
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
            ("PATCH", r"/channels/([^/]+)/messages/([^/]+)", self.mutable_message),
            ("POST", r"/channels/([^/]+)/messages/([^/]+)/annotations", self.mutable_message),
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
            key_str = _decode_base64_text(value)
            if key_str is None:
                raise unauthorized("Malformed basic auth header", 40101)
            return self.registry.credentials_for_key(key_str, client_id_header(request))
        if scheme == "bearer":
            # The token is base64-encoded, or sent as it is: prefer whichever reading is a token we
            # know, else judge the decoded one (base64 text itself looks like a token).
            decoded = _decode_base64_text(value)
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
        return respond(request, {"channel": name, "messageId": published.message_id, "serials": published.serials},
                       201)

    async def mutable_message(self, request, name, serial):
        """An update, delete, append or annotation: refused as on a channel without the mutableMessages rule."""
        self.service.refuse_mutation(self.authenticate(request), name)

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
                    published = self.service.publish(creds, name, canonical_items(spec.get("messages"),
                                                                                  body_format(request)))
                    outcome.append({"channel": name, "messageId": published.message_id,
                                    "serials": published.serials})
                except AblyError as error:
                    outcome.append({"channel": name, "error": error.to_wire()})
            failures = sum(1 for r in outcome if "error" in r)
            results.append({"successCount": len(outcome) - failures, "failureCount": failures, "results": outcome})
        return respond(request, results, 201)

    async def batch_presence(self, request):
        """GET /presence?channels=a,b: the members of several channels at once."""
        creds = self.authenticate(request)
        separator = request.query.get("separator") or ","
        names = [n for n in request.query.get("channels", "").split(separator) if n]
        if not names:
            raise bad_request("The 'channels' parameter is required")
        results = []
        for name in names:
            try:
                members = self.service.presence_members(creds, name)
                results.append({"channel": name, "presence": render_items(members, items_format(request))})
            except AblyError as error:
                results.append({"channel": name, "error": error.to_wire()})
        failures = sum(1 for r in results if "error" in r)
        version = protocol_version(request)
        if version is not None and version >= 3:
            return respond(request, {"successCount": len(results) - failures, "failureCount": failures,
                                     "results": results})
        # Before version 3: a bare array, or a 400 whose body carries the per-channel outcomes.
        if not failures:
            return respond(request, results)
        error = AblyError(40020, 400, "Batched response includes errors")
        return respond(request, {"error": error.to_wire(), "batchResponse": results}, 400,
                       {"X-Ably-Errorcode": str(error.code), "X-Ably-Errormessage": error.message})

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
        try:
            limit = int(request.query.get("limit") or 100)
        except ValueError:
            raise bad_request("Invalid limit", 40003) from None
        if not 1 <= limit <= 1000:
            raise bad_request("Invalid limit: must be between 1 and 1000", 40003)
        members = self.service.presence_members(creds, name, request.query.get("clientId"),
                                                request.query.get("connectionId"))
        return respond(request, render_items(members[:limit], items_format(request)))

    async def channel_details(self, request, name):
        return respond(request, self.service.channel_status(self.authenticate(request), name))

    async def list_channels(self, request):
        """GET /channels: the app's active channels, paged by name."""
        creds = self.authenticate(request)
        query = channel_query(request.query, protocol_version(request))
        items, cursor = self.service.active_channels(creds, query)
        return respond(request, items, 200, {"Link": listing_links(query, cursor)})
