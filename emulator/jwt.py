"""Ably JWTs: HS256 tokens signed with an API key secret, the key name in `kid`,
and `x-ably-capability` / `x-ably-clientId` claims."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re

from .auth import Key, Token, narrow_capability, parse_capability
from .errors import AblyError

JWT_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def looks_like_jwt(token: str) -> bool:
    return bool(JWT_SHAPE.fullmatch(token))


def _b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _invalid(reason: str) -> AblyError:
    return AblyError(40144, 401, f"Invalid JWT: {reason}")


def verify_jwt(token: str, keys: dict[str, Key], now_ms: int) -> Token:
    header_b64, claims_b64, signature_b64 = token.split(".")
    try:
        header = json.loads(_b64url_decode(header_b64))
        claims = json.loads(_b64url_decode(claims_b64))
        signature = _b64url_decode(signature_b64)
    except (binascii.Error, ValueError):
        raise _invalid("not base64url-encoded JSON") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise _invalid("header and claims must be objects")
    if header.get("alg") != "HS256":
        raise _invalid("only HS256 is supported")
    kid = header.get("kid")
    key = keys.get(kid) if isinstance(kid, str) else None
    if key is None:
        raise _invalid("unknown key name in 'kid'")
    expected = hmac.new(key.secret.encode(), f"{header_b64}.{claims_b64}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, signature):
        raise _invalid("signature does not match")
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, (int, float)) or not isinstance(iat, (int, float)):
        raise _invalid("'exp' and 'iat' are required")
    if exp * 1000 <= now_ms:
        raise AblyError(40142, 401, "Token expired")
    capability = key.capability
    if claims.get("x-ably-capability") is not None:
        capability = narrow_capability(parse_capability(claims["x-ably-capability"]), key.capability, "JWT")
    client_id = claims.get("x-ably-clientId")
    if client_id is not None and not isinstance(client_id, str):
        raise _invalid("'x-ably-clientId' must be a string")
    return Token(token, key.name, int(iat * 1000), int(exp * 1000), capability, client_id)
