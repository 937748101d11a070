"""The page's rules (public/js/validation.js) and the server's (chat/) give the same verdict on the
same input, so the form never refuses what the server takes, nor lets through what it refuses.

The server is stricter in one known way only: it compares names by their look-alike key, so
look-alikes of "server" and of "*" are refused there and not in the form.
"""

import json
import subprocess
import unicodedata

import pytest

from chat import names, rooms, validation
from devtools import ROOT
from devtools.node import node_executable

TRICKY_NAMES = [
    "Ana",
    " Ana ",
    "Ana Maria",
    "O'Brien",
    "Thảo",
    "Ἄννα",
    "אנה",
    "سارا",
    "नमस्ते",
    "李雷",
    "x" * 32,
    "x" * 33,
    "🙂" * 32,
    "🙂" * 33,
    "Ana 👩\u200d💻",
    "👩\u200d👩\u200d👧",
    "❤\ufe0f",
    "1\ufe0f\u20e3",
    "👋🏽 Kim",
    "🏳\ufe0f\u200d🌈",
    "A\u200dna",
    "Ana\u200d",
    "\u200d👩",
    "B\ufe0fo",
    "Bo\u3164",
    "Bo\u2800",
    "Bo\u034f",
    "Bo\u00ad",
    "Bo\u180e",
    "Bo\u2060",
    "Bo\ufeff",
    "\ufeffBo",
    "Bo\U000e0041",
    "Bo" + "\u0301" * 4,
    "Bo" + "\u0301" * 5,
    "e\u0301",
    "a\ud800b",
    "\ue000",
    "\U0010fffd",
    "*",
    "a*b",
    "server",
    "SERVER",
    " sErVeR ",
    "ｓｅｒｖｅｒ",
    "serverless",
    "\x1c",
    "Bo\x1f",
    "\u2028",
    "Ana\u202e",
    "\u0085",
    "",
    "   ",
    "\t",
    "\u00a0Bo\u00a0",
    "ser\u200aver",
    "Ana\u2009Maria",
    "Ana\u00a0Maria",
    "Ana\u3000Maria",
    "\ua731\u1d07\u0280\u1d20\u1d07\u0280",
    "\uaba5erver",
    "SERVE\u0280",
]
SCOTLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"
TRICKY_MESSAGES = [
    "hello",
    "  hi \n",
    "x" * 2000,
    "x" * 2001,
    "line\nbreak\ttab",
    "bell\u0007",
    "a\ud800b",
    "abc \u202egnp.exe",
    "\u2066isolate\u2069",
    "\u200fRLM is fine",
    "\u200eLRM too",
    "zero\u200bwidth",
    "",
    "  \n",
    "\n".join(["line"] * 40),
    "\n".join(["line"] * 41),
    "\u2028".join(["line"] * 41),
    "\n" * 50 + "x",
    "x\n\n" * 20,
    "me 👩\u200d💻",
    "👩\u200d👩\u200d👧 and 🏳\ufe0f\u200d🌈",
    "a\u200db",
    "👩\u200d",
    "\u200d💻",
    SCOTLAND,
    f"go {SCOTLAND}!",
    "\U0001f3f4\U000e0067\U000e0062\U000e007f",
    "\U0001f3f4" + "\U000e0061" * 9 + "\U000e007f",
    "hi\U000e0041\U000e0042",
    "\U000e0001\U000e0068i",
    "soft\u00adhyphen",
    "word\u2060joiner",
    "a\u2062b",
    "\ufeffBOM",
    "mid\ufeffdle",
    "Persian\u200cZWNJ",
    "\u061cALM",
    "\u180eMongolian",
    "\U0001d173music",
    "\u0600\u0661",
    "  \u200b",
]
TRICKY_ROOMS = [
    "general",
    "Team-A",
    " team-a ",
    "a",
    "x" * 40,
    "x" * 41,
    "",
    "a b",
    "chat:x",
    "[meta]",
    "..",
    "a/b",
    "\u212aitchen",
    "ｋ",
    "k\u0131",
    "é",
    "ROOM-1",
]


def server_accepts(kind: str, text: str) -> bool:
    try:
        if kind == "name":
            names.check_visible(names.clean_name(text))
        elif kind == "message":
            validation.clean_message_text(text)
        else:
            rooms.clean_room(text)
        return True
    except validation.InvalidField:
        return False


def page_verdicts(cases: list[dict]) -> list[bool]:
    result = subprocess.run(
        [node_executable(), "tests/client/rules-verdicts.mjs"],
        input=json.dumps(cases),
        text=True,
        capture_output=True,
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    return json.loads(result.stdout)


def stricter_on_the_server(name: str) -> bool:
    """Refused by the server's look-alike key alone: the form does not compute it."""
    try:
        key = names.name_key(name.strip())
    except Exception:  # noqa: BLE001 (not even text: no key)
        return False
    return "*" in key or key in {names.name_key(reserved) for reserved in names.RESERVED_NAMES}


def disagreements(cases: list[dict]) -> list:
    found = []
    for case, page_ok in zip(cases, page_verdicts(cases)):
        server_ok = server_accepts(case["kind"], case["text"])
        if page_ok != server_ok and not (page_ok and case["kind"] == "name" and stricter_on_the_server(case["text"])):
            found.append((case["kind"], case["text"], "page" if page_ok else "server", "accepts"))
    return found


def test_the_rules_agree_on_tricky_input():
    cases = (
        [{"kind": "name", "text": text} for text in TRICKY_NAMES]
        + [{"kind": "message", "text": text} for text in TRICKY_MESSAGES]
        + [{"kind": "room", "text": text} for text in TRICKY_ROOMS]
    )
    assert disagreements(cases) == []


@pytest.mark.parametrize("kind", ["name", "message"])
@pytest.mark.parametrize("plane", [0, 1, 2, 14])
def test_the_rules_agree_on_every_character(kind, plane):
    """Every code point assigned in this Python's Unicode, alone, between letters, and after an emoji."""
    characters = [
        chr(code)
        for code in range(plane << 16, (plane + 1) << 16)
        if unicodedata.category(chr(code)) != "Cn" and not 0xD800 <= code <= 0xDFFF
    ]
    cases = [{"kind": kind, "text": text} for char in characters for text in (f"a{char}b", char, f"👩{char}💻")]
    found = disagreements(cases)
    assert found == [], f"{len(found)} disagreements, e.g. {found[:10]}"


def test_the_length_limits_agree():
    source = (ROOT / "public" / "js" / "validation.js").read_text()
    for name, value in (
        ("USERNAME_MAX_LENGTH", names.USERNAME_MAX_LENGTH),
        ("MESSAGE_MAX_LENGTH", validation.MESSAGE_MAX_LENGTH),
        ("MESSAGE_MAX_LINES", validation.MESSAGE_MAX_LINES),
        ("ROOM_MAX_LENGTH", rooms.ROOM_MAX_LENGTH),
        ("MAX_MARKS_PER_CHARACTER", names.MAX_MARKS_PER_CHARACTER),
    ):
        assert f"export const {name} = {value};" in source, name
