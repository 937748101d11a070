"""The rules for what a chat message and its id may hold, and the text checks every field starts with.

What a name may be is chat/names.py's. The page checks the same rules in public/js/validation.js,
and a test keeps the two in step.
"""

import functools
import re
import unicodedata

MESSAGE_MAX_LENGTH = 2000
MESSAGE_MAX_LINES = 40
MESSAGE_ID_MAX_LENGTH = 128
# An id a browser may choose for its message: UUIDs and Ably-style ids both fit.
_MESSAGE_ID_PATTERN = re.compile(rf"[A-Za-z0-9_\-:.]{{1,{MESSAGE_ID_MAX_LENGTH}}}")
# Embeddings, overrides and isolates reorder the text around them ("abc \u202egnp.exe" shows
# "abc exe.png").
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Format characters render as nothing, so a message could hide text in them (tag characters spell
# ASCII invisibly). Three do visible work: the marks LRM and RLM, which place neutral characters
# in right-to-left text, and the joiner inside an emoji sequence (👩‍💻). The tag characters of a
# subdivision flag (🏴 + gbsct + cancel tag) are one emoji too.
_DIRECTION_MARKS = frozenset("\u200e\u200f")
_LINE_BREAKS = re.compile(r"[\n\u2028\u2029]")


@functools.cache
def _emoji_patterns():
    """Where a joiner or tag characters belong to an emoji. `regex` (for Unicode's emoji properties)
    is imported only for text that holds format characters: most messages never pay its 17 ms."""
    import regex

    joiner = regex.compile(
        r"(?<=\p{Extended_Pictographic}[\uFE0F\p{Emoji_Modifier}]*)\u200D(?=\p{Extended_Pictographic})"
    )
    flag_tags = regex.compile(
        r"(?<=\U0001F3F4)[\U000E0061-\U000E007A]{2}[\U000E0030-\U000E0039\U000E0061-\U000E007A]{1,4}\U000E007F"
    )
    return joiner, flag_tags


def _emoji_format_positions(text: str) -> set[int]:
    """The indexes of the format characters in `text` that are part of an emoji."""
    joiner, flag_tags = _emoji_patterns()
    allowed = {match.start() for match in joiner.finditer(text)}
    allowed.update(index for match in flag_tags.finditer(text) for index in range(match.start(), match.end()))
    return allowed


class InvalidField(ValueError):
    def __init__(self, field: str, reason: str):
        super().__init__(f"{field} {reason}")
        self.field = field
        self.reason = reason


def text_of(value: object, field: str) -> str:
    """`value` if it is a string of valid Unicode, else InvalidField."""
    if not isinstance(value, str):
        raise InvalidField(field, "must be a string")
    if any(unicodedata.category(char) == "Cs" for char in value):
        raise InvalidField(field, "must be valid Unicode text (it holds a lone surrogate)")
    return value


def trimmed(text: str, field: str, max_length: int) -> str:
    """`text` without its surrounding whitespace, neither blank nor longer than `max_length`."""
    text = text.strip()
    if not text:
        raise InvalidField(field, "must not be blank")
    if len(text) > max_length:
        raise InvalidField(field, f"must be at most {max_length} characters")
    return text


def _describe(char: str, position: int) -> str:
    """A character as a person can find it: "U+200B ZERO WIDTH SPACE at character 6" (counted from 1)."""
    label = " ".join(filter(None, (f"U+{ord(char):04X}", unicodedata.name(char, ""))))
    return f"{label} at character {position}"


def clean_message_text(value: object, field: str = "message") -> str:
    """The message as it will be published: trimmed, visible throughout, at most 2000 characters and 40 lines.
    A refusal names the first character at fault and where it stands in the text as sent."""
    sent = text_of(value, field)
    text = trimmed(sent, field, MESSAGE_MAX_LENGTH)
    if len(_LINE_BREAKS.findall(text)) >= MESSAGE_MAX_LINES:
        raise InvalidField(field, f"must be at most {MESSAGE_MAX_LINES} lines")
    offset = len(sent) - len(sent.lstrip()) + 1  # positions count in the text as sent, from 1
    allowed = None  # the emoji's own format characters, found only if the text has any
    for index, char in enumerate(text):
        category = unicodedata.category(char)
        if category == "Cc" and char not in "\n\t":
            raise InvalidField(field, f"must not contain control characters: {_describe(char, index + offset)}")
        if char in _BIDI_CONTROLS:
            raise InvalidField(
                field,
                f"must not contain bidirectional override or isolate characters: {_describe(char, index + offset)}",
            )
        if category == "Cf" and char not in _DIRECTION_MARKS:
            allowed = _emoji_format_positions(text) if allowed is None else allowed
            if index in allowed:
                continue
            raise InvalidField(field, f"must not contain invisible characters: {_describe(char, index + offset)}")
    return text


def clean_message_id(value: object, field: str = "id") -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _MESSAGE_ID_PATTERN.fullmatch(value):
        raise InvalidField(field, f"must be 1-{MESSAGE_ID_MAX_LENGTH} letters, digits or - _ : .")
    return value
