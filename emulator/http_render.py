"""HTTP rendering for the REST endpoints and the server (aiohttp): formats, responses, Ably errors,
CORS and the Host/Origin checks every request passes first."""

from __future__ import annotations

import re

from aiohttp import web

from .access import AccessPolicy
from .errors import AblyError, bad_request, too_large
from .protocol import JSON, MSGPACK, dumps, loads

MSGPACK_TYPE = "application/x-msgpack"
EXPOSED_HEADERS = "X-Ably-Errorcode, X-Ably-Errormessage, Link"


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
        wrapped = {
            "statusCode": status,
            "response": body,
            "headers": {k.lower(): v for k, v in (headers or {}).items()},
        }
        return _encoded(wrapped, envelope, 200, {})
    return _encoded(body, response_format(request), status, headers or {})


def _encoded(body, fmt: str, status: int, headers: dict) -> web.Response:
    content_type = MSGPACK_TYPE if fmt == MSGPACK else "application/json"
    raw = dumps(body, fmt)
    if isinstance(raw, str):
        raw = raw.encode()
    # A bare Content-Type (no charset): ably-js in Node only parses exactly application/json.
    return web.Response(status=status, body=raw, headers={**headers, "Content-Type": content_type})


def error_response(request: web.Request, error: AblyError, details: dict | None = None) -> web.Response:
    """An Ably error: `{"error": ...}` (with `details` beside it, e.g. a batch's outcomes) and its headers."""
    message = re.sub(r"[^\x20-\x7e]", "?", error.message)[:500]
    headers = {"X-Ably-Errorcode": str(error.code), "X-Ably-Errormessage": message}
    return respond(request, {"error": error.to_wire(), **(details or {})}, error.status, headers)


def cors_headers(request: web.Request) -> dict:
    """For a request whose Origin the access policy has already let through."""
    if not request.headers.get("Origin"):
        return {}
    # Token requests are made with credentials, so the origin must be echoed, never `*`.
    return {
        "Access-Control-Allow-Origin": request.headers["Origin"],
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Expose-Headers": EXPOSED_HEADERS,
        "Vary": "Origin",
    }


def preflight(request: web.Request) -> web.Response:
    headers = {
        "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
        "Access-Control-Allow-Headers": request.headers.get(
            "Access-Control-Request-Headers",
            "authorization, content-type, accept, x-ably-version, ably-agent, x-ably-clientid",
        ),
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
        raise AblyError(
            40300,
            403,
            f"Origin {origin[:100]} is not allowed: only loopback origins and those "
            "given with --allow-origin may use the emulator",
        )


async def read_body(request: web.Request, limit: int | None = None):
    raw = await request.read()
    if not raw:
        raise bad_request("A request body is required")
    if limit is not None and len(raw) > limit:
        raise too_large(len(raw), limit)
    return loads(raw, body_format(request))
