"""When two names are the same name: the look-alike key (NFKC, case folding, UTS #39 skeleton)."""

import unicodedata

import pytest

from chat.names import clean_name, name_key
from chat.validation import InvalidField


@pytest.mark.parametrize(
    "one, other",
    [
        ("Ana", "ana"),
        ("Ana", "ANA"),
        ("Ana", "\u0410na"),
        ("Ana", "\uff41\uff4e\uff41"),
        ("Ana", "A\u200dna"),
        ("Ana", "\u0391na"),
        ("Ana", "\U0001d400\U0001d427\U0001d41a"),
        ("Bill", "BiII"),
        ("Bill", "Bi11"),
        ("modern", "rnodern"),
        ("paypal", "\U0001d52d\U0001d4b6\u1eff\U0001d561\U0001d552\u2113"),
        ("Ana Maria", "Ana  Maria"),
        ("Ana Maria", "Ana\u3000Maria"),
        ("Zoë", "Zoe\u0308"),
        ("server", "\u0455erver"),
        ("server", "server\u3164"),
        ("server", "se\u034frver"),
        ("server", "server\u2800"),
        # Cherokee small letters fold to capitals, whose look-alikes are Latin capitals, which fold again.
        ("S", "\uaba5"),
        ("W", "\uaba4"),
        ("Y", "\uab79"),
        ("Y", "\uab8d"),
        ("server", "\uaba5erver"),
        # A space narrower than a space is none; a wider one is one.
        ("server", "ser\u200aver"),
        ("server", "ser\u2009ver"),
        ("server", "ser\u202fver"),
        ("Ana Maria", "Ana\u2003Maria"),
        ("Ana Maria", "Ana\u00a0Maria"),
        ("Ana Maria", "Ana\u1680Maria"),
        # Small capitals are their small letters.
        ("server", "\ua731\u1d07\u0280\u1d20\u1d07\u0280"),
        ("Ana", "\u1d00\u0274\u1d00"),
    ],
)
def test_look_alikes_share_a_key(one, other):
    assert name_key(one) == name_key(other)


@pytest.mark.parametrize(
    "one, other",
    [
        ("Ana", "Anna"),
        ("Ana", "Ama"),
        ("Ana", "An a"),
        ("Zoë", "Zoe"),
        ("李雷", "李電"),
        ("Kim", "Kin"),
        ("server", "ser ver"),
    ],
)
def test_different_names_keep_different_keys(one, other):
    assert name_key(one) != name_key(other)


def test_the_key_is_stable():
    for name in ("Ana", "\u0410na", "BiII", "rnodern", "Ἄννα"):
        assert name_key(name_key(name)) == name_key(name)


@pytest.mark.parametrize("name", ["\ua731\u1d07\u0280\u1d20\u1d07\u0280", "\uaba5erver", "SERVE\u0280", "\ua731erver"])
def test_small_capitals_and_cherokee_cannot_pose_as_server(name):
    with pytest.raises(InvalidField, match="reserved"):
        clean_name(name)


@pytest.mark.parametrize("space", ["\u00a0", "\u2002", "\u2009", "\u200a", "\u202f", "\u205f", "\u3000", "\u1680"])
def test_names_hold_only_ordinary_spaces(space):
    with pytest.raises(InvalidField, match=f"ordinary spaces, not U\\+{ord(space):04X}"):
        clean_name(f"ser{space}ver")
    assert clean_name("Ana Maria") == "Ana Maria"


@pytest.mark.slow  # every code point of Unicode
def test_every_characters_key_is_its_own_key():
    """The skeleton and the fold reach a fixed point for every character, alone and after a letter."""
    unstable = [
        f"U+{code:04X}"
        for code in range(0x110000)
        if unicodedata.category(chr(code)) not in ("Cn", "Cs")
        for text in (chr(code), f"a{chr(code)}")
        if name_key(name_key(text)) != name_key(text)
    ]
    assert unstable == []
