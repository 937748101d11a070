"""ErrorInfo in Ably's wire shape, raised by domain code and rendered by the I/O layer."""

from __future__ import annotations


class AblyError(Exception):
    """An error that the client should see as an Ably ErrorInfo."""

    def __init__(self, code: int, status: int, message: str):
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message

    def to_wire(self) -> dict:
        # ably-js discards ErrorInfo objects lacking code, statusCode or message.
        return {
            "code": self.code,
            "statusCode": self.status,
            "message": self.message,
            "href": f"https://help.ably.io/error/{self.code}",
        }

    def __repr__(self) -> str:
        return f"AblyError({self.code}, {self.status}, {self.message!r})"


def bad_request(message: str, code: int = 40000) -> AblyError:
    return AblyError(code, 400, message)


def unauthorized(message: str, code: int = 40100) -> AblyError:
    return AblyError(code, 401, message)


def capability_denied(operation: str, channel: str) -> AblyError:
    return AblyError(40160, 401, f"Action not permitted: no '{operation}' capability on channel '{channel}'")


def invalid_channel_name(message: str) -> AblyError:
    return AblyError(40010, 400, f"Invalid channel name: {message}")


def forbidden(message: str) -> AblyError:
    return AblyError(40300, 403, message)


def not_found(message: str = "Not found") -> AblyError:
    return AblyError(40400, 404, message)


def too_large(size: int, limit: int) -> AblyError:
    return AblyError(40009, 413, f"Maximum message length exceeded (size {size} bytes, limit {limit} bytes)")


def mutable_messages_disabled(channel: str) -> AblyError:
    # What Ably answers on a channel without the "Message annotations, updates, deletes and appends" rule.
    return AblyError(
        93002,
        400,
        f"Annotations, updates, deletes and appends are only supported on channels with mutable messages "
        f"enabled in channel namespace settings (channel '{channel}')",
    )


def message_not_found(serial) -> AblyError:
    return AblyError(40400, 404, f"Message not found: no message with serial '{serial}' on this channel")
