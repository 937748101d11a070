"""What both Flask functions share: JSON errors, no caching, small bodies."""

import json
import logging

from flask import Flask, Request, Response, jsonify
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from chat.config import ConfigError
from chat.ratelimit import RateLimiter
from chat.validation import InvalidField

MAX_BODY_BYTES = 16 * 1024

log = logging.getLogger(__name__)


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        super().__init__(f"too many requests; retry in {retry_after} s")
        self.retry_after = retry_after


def client_ip(request: Request) -> str:
    """The caller's address. Vercel's edge sets these headers itself, so they cannot be forged there."""
    forwarded = request.headers.get("X-Real-IP") or request.headers.get("X-Forwarded-For", "")
    return forwarded.split(",")[0].strip() or request.remote_addr or "unknown"


def enforce(limiter: RateLimiter, key: str) -> None:
    if retry_after := limiter.retry_after(key):
        raise RateLimited(retry_after)


def error_response(status: int, message: str, field: str | None = None, headers: dict | None = None) -> Response:
    error = {"message": message} if field is None else {"message": message, "field": field}
    response = jsonify(error=error)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def json_object_body(request: Request) -> dict:
    """The request body as a JSON object, or a BadRequest that says what is wrong with it."""
    if not request.is_json:
        raise BadRequest("Content-Type must be application/json", status=415)
    try:
        body = json.loads(request.get_data())
    except (ValueError, RecursionError):  # RecursionError: nesting too deep to parse
        raise BadRequest("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def create_app(import_name: str) -> Flask:
    app = Flask(import_name)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES

    @app.after_request
    def never_cache(response: Response) -> Response:
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(InvalidField)
    def invalid_field(error: InvalidField):
        return error_response(400, str(error), field=error.field)

    @app.errorhandler(BadRequest)
    def bad_request(error: BadRequest):
        return error_response(error.status, error.message)

    @app.errorhandler(RateLimited)
    def rate_limited(error: RateLimited):
        return error_response(429, str(error), headers={"Retry-After": str(error.retry_after)})

    @app.errorhandler(ConfigError)
    def misconfigured(error: ConfigError):
        log.error("configuration error: %s", error)
        return error_response(500, f"The server is misconfigured: {error}")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        headers = {}
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            headers["Allow"] = ", ".join(error.valid_methods)
        message = {413: f"the body must be at most {MAX_BODY_BYTES} bytes"}.get(error.code, error.description)
        return error_response(error.code or 500, message, headers=headers)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unexpected error")
        return error_response(500, "internal error")

    return app
