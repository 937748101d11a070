"""What a chat name may be, and when two names are the same name.

A name is shown next to everything its holder writes, so it must not hide characters, pretend
to be a system notice, or pass for somebody else's name. Two names are the same name when
they look alike: they are compared by a key built from NFKC, case folding and Unicode's
confusable skeleton (UTS #39), so "Ana", "ana", "Аna" (Cyrillic А), "ａｎａ" and "ᴀɴᴀ" (small
capitals) are one name. tests/functions/test_lookalikes_icu.py holds the key against ICU's.

The browser checks the same character rules in public/js/validation.js (the server decides;
a test keeps the two in step). The look-alike key is only computed here.
"""

import functools
import json
import unicodedata
from importlib import resources

from chat.validation import InvalidField, text_of, trimmed

USERNAME_MAX_LENGTH = 32
RESERVED_NAMES = ("server",)  # notices must not be forgeable
# Ably's wildcard clientId: a token for it may act as anyone. No name holds it, nor anything that reads as it.
WILDCARD = "*"
MAX_MARKS_PER_CHARACTER = 4  # enough for any script's diacritics, not for a tower of them

# Default-ignorable code points render as nothing: a name holding one can look like another.
# Two are needed by emoji: the zero-width joiner inside a sequence such as 👩‍💻, and the
# variation selector that asks for emoji presentation (❤️).
_HIDDEN = r"\p{Default_Ignorable_Code_Point}"
_EMOJI_JOINER = r"(?<=\p{Extended_Pictographic}[\uFE0F\p{Emoji_Modifier}]*)\u200D(?=\p{Extended_Pictographic})"
_EMOJI_PRESENTATION = r"(?<=\p{Emoji})\uFE0F"
# Visible-width characters that still show nothing.
_BLANK = r"[\u2800\u3164\uFFA0\u115F\u1160]"
_ZERO_WIDTH_JOINER = "\u200d"  # needed by emoji sequences; check_visible checks where it stands
_MARK = r"[\p{Mn}\p{Me}]"
_SPACE = r"\p{Zs}"
# Spaces narrower than a sixth of an em: between letters they read as no space at all.
_NARROW_SPACES = dict.fromkeys(map(ord, "\u2006\u2008\u2009\u200a\u202f"))
_MAX_ROUNDS = 8  # a test checks that every character's key is reached well within this


@functools.cache
def _regex(pattern: str):
    import regex  # on first use: the functions that check only a name's text never load it

    return regex.compile(pattern)


def clean_name(value: object, field: str = "username", *, lookalikes: bool = True) -> str:
    """The name as it will be shown and given to Ably as a clientId (NFC), or InvalidField: the one check
    of a name a request holds. `check_visible` completes the rules for a claim; look-alikes of names taken
    are chat/claims.py's. `lookalikes=False` checks the text alone, for a name that only has to agree with
    its session's (which passed every rule): the look-alike tables then stay unloaded."""
    name = unicodedata.normalize("NFC", _clean_text(value, field))
    _refuse_wildcard(name, field)
    if lookalikes:
        key = name_key(name)
        if key in _reserved_keys():
            raise InvalidField(field, f"{name!r} is reserved")
        _refuse_wildcard(key, field)  # one that only reads as a wildcard (＊)
    return name


def _refuse_wildcard(text: str, field: str) -> None:
    if WILDCARD in text:
        raise InvalidField(field, f"must not contain {WILDCARD} (Ably reserves it for wildcard identities)")


def _clean_text(value: object, field: str) -> str:
    """A name's text: visible, unassigned-free and short. What it may look like is name_key's."""
    name = trimmed(text_of(value, field), field, USERNAME_MAX_LENGTH)
    for char in name:
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Zl", "Zp") and char != _ZERO_WIDTH_JOINER:
            raise InvalidField(field, "must not contain control or invisible formatting characters")
        if category in ("Co", "Cn"):
            raise InvalidField(field, "must not contain private-use or unassigned characters")
        if category == "Zs" and char != " ":
            # A thin or hair space passes for no space ("ser\u200aver"), a wide one for two.
            raise InvalidField(field, f"must use only ordinary spaces, not U+{ord(char):04X}")
    return name


def check_visible(name: str, field: str = "username") -> None:
    """Refuse characters that hide, blank out or pile up, whatever the name looks like otherwise."""
    unexplained = _regex(_EMOJI_PRESENTATION).sub("", _regex(_EMOJI_JOINER).sub("", name))
    if _regex(_HIDDEN).search(unexplained) or _regex(_BLANK).search(name):
        raise InvalidField(field, "must not contain invisible characters")
    marks = 0
    for char in unicodedata.normalize("NFD", name):
        marks = marks + 1 if _regex(_MARK).match(char) and char != "\ufe0f" else 0
        if marks > MAX_MARKS_PER_CHARACTER:
            raise InvalidField(field, f"must not stack more than {MAX_MARKS_PER_CHARACTER} marks on a character")


def name_key(name: str) -> str:
    """Equal for names that look alike: the comparison key for claims and reserved names."""
    # A space narrower than a space's width reads as none ("ser\u200aver"); any other is one space.
    spaced = _regex(_SPACE).sub(" ", name.translate(_NARROW_SPACES))
    key = _regex(_BLANK).sub("", _regex(_HIDDEN).sub("", unicodedata.normalize("NFKC", spaced)))
    # Skeleton, then fold, until nothing changes: a fold can reveal a confusable (Cherokee small ꮥ folds
    # to capital Ꮥ, whose prototype is S, which folds to s), and the skeleton comes first, as folding
    # first would miss capital I against small l.
    for _ in range(_MAX_ROUNDS):
        folded = unicodedata.normalize("NFKC", _skeleton(key).casefold())
        if folded == key:
            break
        key = folded
    return " ".join(key.split())


@functools.cache
def _reserved_keys() -> frozenset[str]:  # computed once, on first use: it needs the confusables data
    return frozenset(name_key(name) for name in RESERVED_NAMES)


def _skeleton(text: str) -> str:
    """UTS #39 skeleton: NFD, each character replaced by its prototype, NFD again."""
    prototypes = _prototypes()
    return unicodedata.normalize(
        "NFD", "".join(prototypes.get(char, char) for char in unicodedata.normalize("NFD", text))
    )


@functools.cache
def _prototypes() -> dict[str, str]:
    """Unicode's confusables.txt as {character: prototype}, from the confusable-homoglyphs package,
    and each small capital (ꜱ, ᴇ, ʀ) as its small letter, since case never tells names apart.

    The package keeps each `source ; prototype` line as a link both ways and wraps right-to-left
    text in direction marks. A prototype is the side several characters link to, or the longer
    side; a pair linked only to each other maps both to one of them, which compares the same.
    """
    data = resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    unmark = str.maketrans("", "", "\u200e\u200f")
    links = {
        key.translate(unmark): [entry["c"].translate(unmark) for entry in entries]
        for key, entries in json.loads(data).items()
    }
    prototypes = {}
    for char, linked in links.items():
        if len(char) != 1 or len(linked) != 1:
            continue  # a prototype, or a multi-character sequence: never replaced
        other = linked[0]
        if len(links.get(other, ())) > 1 or len(other) > 1 or other < char:
            prototypes[char] = other
    for small_capital, letter in _small_capitals():
        prototypes.setdefault(small_capital, letter)
    return prototypes


def _small_capitals():
    """(small capital, its lowercase letter) for every "… LETTER SMALL CAPITAL X" that has a "… SMALL LETTER X".
    The modifier forms (ᶦ) have none, and need none: NFKC makes them small capitals first."""
    for code in range(0x20000):  # the planes that hold letters of alphabets
        script, small_capital, letter = unicodedata.name(chr(code), "").partition(" LETTER SMALL CAPITAL ")
        if small_capital:
            try:
                yield chr(code), unicodedata.lookup(f"{script} SMALL LETTER {letter}")
            except KeyError:
                continue  # no lowercase twin (ɶ, ᴎ): the skeleton alone decides
