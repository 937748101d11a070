"""The rules for what a chat message and a username may hold, shared by both functions."""

import re
import unicodedata

USERNAME_MAX_LENGTH = 32
MESSAGE_MAX_LENGTH = 2000
RESERVED_USERNAMES = frozenset({"server"})  # notices must not be forgeable
# An id a browser may choose for its message: UUIDs and Ably-style ids both fit.
_MESSAGE_ID_PATTERN = re.compile(r"^[A-Za-z0-9_\-:.]{1,128}$")
_ZERO_WIDTH_JOINER = "\u200d"  # needed by emoji sequences, harmless in a name


class InvalidField(ValueError):
    def __init__(self, field: str, reason: str):
        super().__init__(f"{field} {reason}")
        self.field = field
        self.reason = reason


def _has_hidden_characters(text: str, allowed: str = "") -> bool:
    """Control and format characters (bidi overrides, zero-width spaces, NUL...)."""
    return any(
        unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") and char not in allowed
        for char in text
    )


def _trimmed_string(value: object, field: str, max_length: int) -> str:
    if not isinstance(value, str):
        raise InvalidField(field, "must be a string")
    text = value.strip()
    if not text:
        raise InvalidField(field, "must not be blank")
    if len(text) > max_length:
        raise InvalidField(field, f"must be at most {max_length} characters")
    return text


def clean_username(value: object, field: str = "username") -> str:
    name = _trimmed_string(value, field, USERNAME_MAX_LENGTH)
    if _has_hidden_characters(name, allowed=_ZERO_WIDTH_JOINER):
        raise InvalidField(field, "must not contain control or invisible formatting characters")
    if name.casefold() in RESERVED_USERNAMES:
        raise InvalidField(field, f"{name!r} is reserved")
    return name


def clean_message_text(value: object, field: str = "message") -> str:
    text = _trimmed_string(value, field, MESSAGE_MAX_LENGTH)
    if any(unicodedata.category(char) == "Cc" and char not in "\n\t" for char in text):
        raise InvalidField(field, "must not contain control characters")
    return text


def clean_message_id(value: object, field: str = "id") -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _MESSAGE_ID_PATTERN.match(value):
        raise InvalidField(field, "must be 1-128 letters, digits or - _ : .")
    return value
