"""The name key against ICU's SpoofChecker, over every character a name may hold.

The reference is UTS #39 as ICU implements it, made case-insensitive the way the key is: NFKC,
default-ignorables removed (the skeleton has done so since Unicode 15.1), then ICU's skeleton and
case folding until nothing changes. Two characters the reference calls the same and the key does
not are a look-alike we miss; the other way round, a pair we refuse that ICU would allow. Both
lists are reviewed below: a new difference fails, and so does an entry that no longer differs.
"""

import unicodedata
from collections import defaultdict

import icu
import pytest
import regex

from chat.names import clean_name, name_key
from chat.validation import InvalidField

_DEFAULT_IGNORABLE = regex.compile(r"\p{Default_Ignorable_Code_Point}")

# Look-alikes ICU joins and the key does not. The package the key reads keeps confusables.txt as
# links both ways, so for a pair linked only to each other the key guesses which is the prototype;
# for these two it guesses the capital's partner, and the small letter, which folds to the capital,
# is left alone. Both are letters of historic scripts no keyboard types.
MISSED = {
    "\u2cb7": "COPTIC SMALL LETTER CRYPTOGRAMMIC EIE: its capital Ⲷ is paired with ☰",
    "\ua787": "LATIN SMALL LETTER INSULAR T: its capital Ꞇ is paired with Georgian Ⴀ",
}

# Characters the key joins with others that ICU keeps apart: each refuses a few more names, never fewer.
SMALL_CAPITALS = (
    "Small capitals are their small letters (ꜱᴇʀᴠᴇʀ is server): case never tells names apart",
    "\u0262\u0274\u0276\u0280\u0299\u029b\u029c\u029f\u1d00\u1d01\u1d05\u1d06\u1d07\u1d0a\u1d0c\u1d15"
    "\u1d18\u1d1a\u1d1b\u1d23\u1d29\u1d2a\u1dab\u1db0\u1ddb\u1dde\u1de1\u1de2\u2c7b\ua730\ua776\ua7af"
    "\ua7fa\uab65\U00010784\U00010792\U00010794\U00010796\U0001079c\U000107a3\U000107aa\U0001df02"
    "\U0001df04\U0001df10",
)
AS_SMALL_CAPITALS = (
    "Letters confusables.txt maps to a small capital, which now joins its small letter (Cyrillic т is ᴛ, so t)",
    "\u03c4\u0432\u043d\u0442\u04a3\u04ad\u04c8\u04ca\u050d\u13fb\u13fc\u1c80\u1c84\u1c85\u1d78"
    "\u2cd1\uab70\uab71\uab72\uab7a\uab7b\uab7c\uab8b\uab90\uaba2\uabae\uabb2\U00010443\U0001d6d5"
    "\U0001d70f\U0001d749\U0001d783\U0001d7bd\U0001e032\U0001e040\U0001e053",
)
PAIRED = (
    "A pair linked only to each other: the key maps it to the other side than ICU, where NFKC or a case "
    "fold joins one more character (➀ goes to ①, which NFKC makes 1)",
    "\u0272\u036b\u054a\u054c\u056b\u0574\u1261\u1323\u18f3\u18f4\u1dae\u2780\u2781\u2782\u2783\u2784"
    "\u2785\u2786\u2787\u2788\u2789\u2d00\uab51\U0001f10d",
)
BLANK = ("Braille blank shows nothing: dropped from the key, and refused in names", "\u2800")
EXTRA = {char: reason for reason, chars in (SMALL_CAPITALS, AS_SMALL_CAPITALS, PAIRED, BLANK) for char in chars}


_CHECKER = icu.SpoofChecker()


def icu_key(text: str, checker=_CHECKER) -> str:
    key = _DEFAULT_IGNORABLE.sub("", unicodedata.normalize("NFKC", text))
    for _ in range(16):
        folded = unicodedata.normalize("NFKC", checker.getSkeleton(0, key).casefold())
        if folded == key:
            break
        key = folded
    return " ".join(key.split())


def allowed_in_a_name(char: str) -> bool:
    try:
        clean_name(f"a{char}b", lookalikes=False)
        return True
    except InvalidField:
        return False


@pytest.fixture(scope="module")
def keys():
    characters = [
        chr(code)
        for code in range(0x110000)
        if unicodedata.category(chr(code)) not in ("Cn", "Cs", "Co") and allowed_in_a_name(chr(code))
    ]
    return {char: name_key(char) for char in characters}, {char: icu_key(char) for char in characters}


def split_off(classes_of: dict[str, str], key_of: dict[str, str]) -> dict[str, str]:
    """Characters that one key groups together and the other splits: all but the largest part of each group."""
    classes = defaultdict(list)
    for char, key in classes_of.items():
        classes[key].append(char)
    found = {}
    for members in classes.values():
        parts = defaultdict(list)
        for char in members:
            parts[key_of[char]].append(char)
        largest = max(parts.values(), key=lambda part: (len(part), -ord(min(part))))
        found.update(
            {char: f"ours {key_of[char]!r}, ICU {classes_of[char]!r}" for char in members if char not in largest}
        )
    return found


def test_the_key_misses_no_look_alike_icu_knows_but_the_reviewed_ones(keys):
    ours, theirs = keys
    missed = split_off(theirs, ours)
    assert {f"U+{ord(char):04X}": why for char, why in missed.items() if char not in MISSED} == {}
    assert sorted(set(MISSED) - set(missed)) == [], "no longer missed: take it off the list"


def test_the_key_joins_more_than_icu_only_where_reviewed(keys):
    ours, theirs = keys
    extra = split_off(ours, theirs)
    unreviewed = {
        f"U+{ord(char):04X} {unicodedata.name(char)}": why for char, why in extra.items() if char not in EXTRA
    }
    assert unreviewed == {}
    assert sorted(set(EXTRA) - set(extra)) == [], "no longer differs: take it off the list"
