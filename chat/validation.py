"""The rules for what a chat message, its id and a username may hold.

These checks need nothing beyond the standard library, so every function can afford them.
The rest of what a name must not be (invisible, look-alike, reserved) is in chat/names.py.
"""

import re
import unicodedata

USERNAME_MAX_LENGTH = 32
MESSAGE_MAX_LENGTH = 2000
MESSAGE_ID_MAX_LENGTH = 128
# An id a browser may choose for its message: UUIDs and Ably-style ids both fit.
_MESSAGE_ID_PATTERN = re.compile(rf"[A-Za-z0-9_\-:.]{{1,{MESSAGE_ID_MAX_LENGTH}}}")
_ZERO_WIDTH_JOINER = "\u200d"  # needed by emoji sequences; chat/names.py checks where it stands
# Embeddings, overrides and isolates reorder the text around them ("abc \u202egnp.exe" shows
# "abc exe.png"). The marks LRM, RLM and ALM only nudge neutral characters, and stay allowed.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class InvalidField(ValueError):
    def __init__(self, field: str, reason: str):
        super().__init__(f"{field} {reason}")
        self.field = field
        self.reason = reason


def _trimmed_string(value: object, field: str, max_length: int) -> str:
    if not isinstance(value, str):
        raise InvalidField(field, "must be a string")
    if any(unicodedata.category(char) == "Cs" for char in value):
        raise InvalidField(field, "must be valid Unicode text (it holds a lone surrogate)")
    text = value.strip()
    if not text:
        raise InvalidField(field, "must not be blank")
    if len(text) > max_length:
        raise InvalidField(field, f"must be at most {max_length} characters")
    return text


def clean_username(value: object, field: str = "username") -> str:
    """A name's text: visible, unassigned-free and short. What it may look like is chat/names.py's."""
    name = _trimmed_string(value, field, USERNAME_MAX_LENGTH)
    for char in name:
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Zl", "Zp") and char != _ZERO_WIDTH_JOINER:
            raise InvalidField(field, "must not contain control or invisible formatting characters")
        if category in ("Co", "Cn"):
            raise InvalidField(field, "must not contain private-use or unassigned characters")
    if "*" in name:
        raise InvalidField(field, "must not contain * (Ably reserves it for wildcard identities)")
    return name


def clean_message_text(value: object, field: str = "message") -> str:
    text = _trimmed_string(value, field, MESSAGE_MAX_LENGTH)
    if any(unicodedata.category(char) == "Cc" and char not in "\n\t" for char in text):
        raise InvalidField(field, "must not contain control characters")
    if any(char in _BIDI_CONTROLS for char in text):
        raise InvalidField(field, "must not contain bidirectional override or isolate characters")
    return text


def clean_message_id(value: object, field: str = "id") -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _MESSAGE_ID_PATTERN.fullmatch(value):
        raise InvalidField(field, f"must be 1-{MESSAGE_ID_MAX_LENGTH} letters, digits or - _ : .")
    return value
