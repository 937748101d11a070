"""POST /api/session: claiming a name in a room, against the emulator's real presence."""

import time

import pytest

from chat.sessions import RENEWABLE_FOR_S, SESSION_MAX_AGE_S
from tests.functions.helpers import provision_app, settings_with, unheld_session
from tests.support.http import assert_json_error


@pytest.fixture
def room_with_ana(emulator):
    """Settings for an app where Ana (claim "ana-claim") and Bo (no claim) are present in `team-a`
    and in the default room."""
    members = [{"clientId": "Ana", "data": {"claim": "ana-claim", "typing": False}}, {"clientId": "Bo"}]
    return provision_app(emulator, {"chat:team-a": members, "chat": members})


def claim(client, username, room=None, session=None):
    body = {"username": username} if room is None else {"username": username, "room": room}
    headers = {"Authorization": f"Bearer {session}"} if session else {}
    return client.post("/api/session", json=body, headers=headers)


def test_a_free_name_is_claimed_and_its_session_works(function, on_emulator, unlimited):
    response = claim(function("api/session.py", on_emulator), "  Zoë ", "Team-A")
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["username"] == "Zoë" and answer["room"] == "team-a"
    assert answer["expiresIn"] > answer["renewIn"] > 0
    headers = {"Authorization": f"Bearer {answer['session']}"}
    token = function("api/ably/auth.py", on_emulator).get("/api/ably/auth", headers=headers)
    assert token.status_code == 200 and token.get_json()["clientId"] == "Zoë"
    sent = function("api/sendMessage.py", on_emulator, limits=unlimited).post(
        "/api/sendMessage", json={"message": "hi", "id": "one"}, headers=headers
    )
    assert sent.status_code == 200, sent.get_json()
    assert sent.get_json()["message"]["username"] == "Zoë"
    assert sent.get_json()["id"] == f"{answer['claim']}:one"


@pytest.mark.parametrize(
    "name", ["Ana", "ana", "ANA", " Ana ", "\u0410na", "\uff41\uff4e\uff41", "A\u200dna", "\u0391na", "An\u0430"]
)
def test_a_present_name_and_its_look_alikes_are_taken_naming_who_is_here(function, room_with_ana, name):
    error = assert_json_error(claim(function("api/session.py", room_with_ana), name, "team-a"), 409, field="username")
    assert error["holder"] == "Ana" and error["message"] == "too close to someone here ('Ana')"


def test_someone_present_without_a_claim_still_holds_the_name(function, room_with_ana):
    error = assert_json_error(claim(function("api/session.py", room_with_ana), "bo", "team-a"), 409, field="username")
    assert error["holder"] == "Bo"


def test_names_are_claimed_per_room(function, room_with_ana):
    assert claim(function("api/session.py", room_with_ana), "Ana", "team-b").status_code == 200


def test_the_holder_renews_with_their_session_even_an_expired_one(function, on_emulator):
    first = claim(function("api/session.py", on_emulator), "Ana", "renewing").get_json()
    response = claim(function("api/session.py", on_emulator), "Ana", "renewing", session=first["session"])
    assert response.status_code == 200 and response.get_json()["claim"] == first["claim"]
    expired = time.time() + SESSION_MAX_AGE_S * 1.5  # past its expiry, not yet too old to renew
    response = claim(
        function("api/session.py", on_emulator, clock=lambda: expired), "Ana", "renewing", session=first["session"]
    )
    assert response.status_code == 200 and response.get_json()["claim"] == first["claim"]


def test_a_session_older_than_twice_its_lifetime_cannot_renew(function, on_emulator):
    first = claim(function("api/session.py", on_emulator), "Ana", "renewing").get_json()
    too_old = time.time() + RENEWABLE_FOR_S + 60
    client = function("api/session.py", on_emulator, clock=lambda: too_old)
    response = claim(client, "Ana", "renewing", session=first["session"])
    assert_json_error(response, 401, mentions="afresh")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert claim(client, "Ana", "renewing").status_code == 200  # claiming afresh works: the lease ran out


def test_a_session_from_an_earlier_claim_does_not_take_the_name_back(function, room_with_ana):
    """Someone who held "Ana" before, left, and kept the session: the present holder keeps the name."""
    earlier = unheld_session(room_with_ana, "Ana", "team-a", "an-earlier-claim")
    assert_json_error(
        claim(function("api/session.py", room_with_ana), "Ana", "team-a", session=earlier), 409, field="username"
    )


def test_a_session_for_another_room_or_name_proves_nothing(function, room_with_ana):
    client = function("api/session.py", room_with_ana)
    for name, room in (("Ana", "team-b"), ("Anna", "team-a")):
        other = unheld_session(room_with_ana, name, room, "ana-claim")
        assert claim(client, "Ana", "team-a", session=other).status_code == 409
    forged = unheld_session(settings_with(), "Ana", "team-a", "ana-claim")  # another key
    assert claim(client, "Ana", "team-a", session=forged).status_code == 409


def test_a_fresh_claim_holds_the_name_until_its_holder_is_present(function, on_emulator):
    """Two people asking for the same free name at once: the first claim reserves it."""
    client = function("api/session.py", on_emulator)
    first = claim(client, "Yara", "race")
    assert first.status_code == 200
    held = assert_json_error(claim(client, "yara", "race"), 409, field="username")
    assert "holder" not in held and "Yara" not in held["message"]  # held, not present: nobody to name
    again = claim(client, "Yara", "race", session=first.get_json()["session"])  # a reload, say
    assert again.status_code == 200 and again.get_json()["claim"] == first.get_json()["claim"]


@pytest.mark.parametrize(
    "name",
    [
        "server",
        "Server",
        " SERVER ",
        "\u0455erver",
        "\uff53\uff45\uff52\uff56\uff45\uff52",
        "server\u200d",
        "server\u3164",
        "server\u2800",
        "server\ufe0f",
        "se\u034frver",
        "\U0001d42c\U0001d41e\U0001d42b\U0001d42f\U0001d41e\U0001d42b",
    ],
)
def test_names_that_render_as_server_are_reserved(function, on_emulator, name):
    response = claim(function("api/session.py", on_emulator), name)
    assert_json_error(response, 400, field="username")


@pytest.mark.parametrize(
    "name, mentions",
    [
        (None, "string"),
        (42, "string"),
        ("   ", "blank"),
        ("x" * 33, "32"),
        ("Ana\u0000", "control"),
        ("An\u202ea", "control"),
        ("\u200b", "control"),
        ("Ana\ud800", "surrogate"),
        ("\ue000Ana", "private-use"),
        ("*", "*"),
        ("Ana*", "*"),
        ("\uff0a", "*"),
        ("\u2217", "*"),
        ("A\u200dna", "invisible"),
        ("Bo\u3164", "invisible"),
        ("Bo\u2800", "invisible"),
        ("B\ufe0fo", "invisible"),
        ("Bo" + "\u0301" * 5, "marks"),
        ("Z" + "\u0300\u0301\u0302\u0303\u0304\u0305" * 5, "marks"),
    ],
)
def test_invalid_names_are_refused(function, on_emulator, name, mentions):
    assert_json_error(claim(function("api/session.py", on_emulator), name), 400, field="username", mentions=mentions)


@pytest.mark.parametrize(
    "name",
    [
        "Ana 👩\u200d💻",
        "❤\ufe0f Bo",
        "1\ufe0f\u20e3",
        "👋🏽 Kim",
        "Thảo",
        "ế",
        "Ἄννα",
        "אנה",
        "سارا",
        "नमस्ते",
        "ชื่อ",
        "李雷",
        "O'Brien-Smith",
    ],
)
def test_real_names_and_emoji_are_fine(function, on_emulator, name):
    response = claim(function("api/session.py", on_emulator), name, "names")
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize(
    "room",
    [
        "",
        "Not A Room",
        "chat:a:b",
        "a:b",
        "[meta]x",
        "..",
        "a/b",
        "x" * 41,
        "\uff4b",
        "\u212aitchen",
        "k\u0131tchen",
        42,
    ],
)
def test_invalid_rooms_are_refused(function, on_emulator, room):
    assert_json_error(claim(function("api/session.py", on_emulator), "Ana", room), 400, field="room")


def test_methods_content_types_and_sizes(function, on_emulator):
    client = function("api/session.py", on_emulator)
    assert_json_error(client.get("/api/session"), 405)
    assert_json_error(client.post("/api/session", data="username=Ana"), 415)
    assert_json_error(client.post("/api/session", json={"username": "Ana", "x": "y" * 20000}), 413)
    assert_json_error(client.post("/api/session", data="[1]", content_type="application/json"), 400)


def test_an_unreachable_ably_is_a_502(function, closed_port):
    settings = settings_with(ABLY_ENDPOINT=f"http://127.0.0.1:{closed_port}")
    assert_json_error(claim(function("api/session.py", settings), "Ana"), 502, mentions="could not be reached")


def test_leaving_frees_the_name_at_once(function, on_emulator):
    client = function("api/session.py", on_emulator)
    first = claim(client, "Xena", "leaving").get_json()
    assert_json_error(claim(client, "xena", "leaving"), 409, field="username")  # reserved for Xena
    assert client.delete("/api/session", headers={"Authorization": f"Bearer {first['session']}"}).status_code == 204
    assert claim(client, "xena", "leaving").status_code == 200


def test_leaving_needs_the_holders_session(function, on_emulator):
    client = function("api/session.py", on_emulator)
    claim(client, "Yuri", "leaving")
    assert_json_error(client.delete("/api/session"), 401)
    stranger = unheld_session(on_emulator, "Yuri", "leaving", "not-the-claim")
    assert client.delete("/api/session", headers={"Authorization": f"Bearer {stranger}"}).status_code == 204
    assert_json_error(claim(client, "Yuri", "leaving"), 409, field="username")  # still Yuri's
