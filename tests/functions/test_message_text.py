"""Message text that would hide itself: format characters, and more lines than a screen holds.

A refusal names the character and where it stands, so that the page can point at it.
"""

import json

import pytest

from chat.validation import MESSAGE_MAX_LINES, InvalidField, clean_message_text
from tests.support.http import assert_json_error

SCOTLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"


@pytest.mark.parametrize(
    "text",
    [
        "\u200fRLM and \u200eLRM",
        "me 👩\u200d💻",
        "👋🏽\u200d👩",
        f"go {SCOTLAND}!",
        "\n".join(["line"] * MESSAGE_MAX_LINES),
        "tab\tand\nnewline",
    ],
)
def test_visible_text_is_kept(text):
    assert clean_message_text(text) == text.strip()


@pytest.mark.parametrize(
    "text, character, position",
    [
        ("zero\u200bwidth", "U+200B ZERO WIDTH SPACE", 5),
        ("  hi\U000e0041\U000e0042", "U+E0041 TAG LATIN CAPITAL LETTER A", 5),  # counted in the text as sent
        ("word\u2060joiner", "U+2060 WORD JOINER", 5),
        ("soft\u00adhyphen", "U+00AD SOFT HYPHEN", 5),
        ("a\u2062b", "U+2062 INVISIBLE TIMES", 2),
        ("mid\ufeffdle", "U+FEFF ZERO WIDTH NO-BREAK SPACE", 4),
        ("a\u200db", "U+200D ZERO WIDTH JOINER", 2),  # a joiner between letters joins nothing visible
        ("\U0001f3f4" + "\U000e0061" * 9 + "\U000e007f", "U+E0061 TAG LATIN SMALL LETTER A", 2),  # no flag that long
        ("abc \u202egnp.exe", "U+202E RIGHT-TO-LEFT OVERRIDE", 5),
        ("bell\u0007", "U+0007", 5),
    ],
)
def test_hidden_characters_are_named_with_their_place(text, character, position):
    with pytest.raises(InvalidField) as refused:
        clean_message_text(text)
    assert refused.value.field == "message"
    assert refused.value.reason.endswith(f"{character} at character {position}")


@pytest.mark.parametrize("separator", ["\n", "\u2028", "\u2029"])
def test_a_message_holds_at_most_40_lines(separator):
    with pytest.raises(InvalidField, match=f"at most {MESSAGE_MAX_LINES} lines"):
        clean_message_text(separator.join(["line"] * (MESSAGE_MAX_LINES + 1)))


def test_send_message_says_which_character_hides(send_client, ana):
    response = send_client.post(
        "/api/sendMessage", data=json.dumps({"message": "see\u200bme"}), content_type="application/json", headers=ana
    )
    assert_json_error(response, 400, field="message", mentions="U+200B ZERO WIDTH SPACE at character 4")
