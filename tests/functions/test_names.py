"""When two names are the same name: the look-alike key (NFKC, case folding, UTS #39 skeleton)."""

import pytest

from chat.names import name_key


@pytest.mark.parametrize("one, other", [
    ("Ana", "ana"), ("Ana", "ANA"), ("Ana", "\u0410na"), ("Ana", "\uff41\uff4e\uff41"), ("Ana", "A\u200dna"),
    ("Ana", "\u0391na"), ("Ana", "\U0001d400\U0001d427\U0001d41a"), ("Bill", "BiII"), ("Bill", "Bi11"),
    ("modern", "rnodern"), ("paypal", "\U0001d52d\U0001d4b6\u1eff\U0001d561\U0001d552\u2113"),
    ("Ana Maria", "Ana  Maria"), ("Ana Maria", "Ana\u3000Maria"), ("Zoë", "Zoe\u0308"),
    ("server", "\u0455erver"), ("server", "server\u3164"), ("server", "se\u034frver"), ("server", "server\u2800"),
])
def test_look_alikes_share_a_key(one, other):
    assert name_key(one) == name_key(other)


@pytest.mark.parametrize("one, other", [
    ("Ana", "Anna"), ("Ana", "Ama"), ("Ana", "An a"), ("Zoë", "Zoe"), ("李雷", "李電"), ("Kim", "Kin"),
])
def test_different_names_keep_different_keys(one, other):
    assert name_key(one) != name_key(other)


def test_the_key_is_stable():
    for name in ("Ana", "\u0410na", "BiII", "rnodern", "Ἄννα"):
        assert name_key(name_key(name)) == name_key(name)
