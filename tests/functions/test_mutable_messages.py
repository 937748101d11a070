"""Editing, deleting and reacting through the functions, against the emulator with the mutable-messages
rule on `chat` and `chat:*`, checked with the official ably-python client."""

import pytest

from chat.config import Settings
from chat.message_changes import REACTION_TYPE
from chat.rate_limits import REACT_PER_USER, SEND_PER_USER, RateLimits
from devtools.emulator import MUTABLE_RULES, PERSISTED_RULES, running_emulator
from tests.functions.helpers import session_header
from tests.functions.test_against_emulator import rest_client
from tests.support.http import assert_json_error


@pytest.fixture(scope="module")
def emulator():
    with running_emulator(*MUTABLE_RULES, *PERSISTED_RULES) as running:
        yield running


@pytest.fixture
def people(function, on_emulator: Settings, unlimited):
    """Ana and Bo in `general`: post(name, path, body) calls a function as them."""
    headers = {
        "Ana": session_header(on_emulator, "Ana", "general", "claim-ana"),
        "Bo": session_header(on_emulator, "Bo", "general", "claim-bo"),
    }
    clients = {}

    def post(name, path, body, limits=unlimited):
        key = (path, id(limits))
        if key not in clients:
            clients[key] = function(f"api/{path.removeprefix('/api/')}.py", on_emulator, limits=limits)
        return clients[key].post(path, json=body, headers=headers[name])

    return post


def channel(emulator, name="chat"):
    return rest_client(emulator).channels.get(name)


def sent(people, text="first", name="Ana") -> str:
    response = people(name, "/api/sendMessage", {"message": text})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["serial"]


def test_the_author_edits_and_history_shows_the_new_version_in_place(people, emulator):
    serial = sent(people, "helo")
    after = sent(people, "after")
    response = people("Ana", "/api/editMessage", {"serial": serial, "message": " hello "})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["serial"] == serial and body["message"]["text"] == "hello" and body["message"]["username"] == "Ana"
    latest = channel(emulator).get_message(serial)
    assert latest.data["text"] == "hello" and latest.data["username"] == "Ana"
    assert latest.version.client_id == "Ana" and latest.version.metadata == {"claim": "claim-ana"}
    history = [m.serial for m in channel(emulator).history(limit=100).items]
    assert history.index(serial) > history.index(after)  # newest first: still before `after`
    again = people("Ana", "/api/editMessage", {"serial": serial, "message": "hello again"})
    assert again.status_code == 200, again.get_json()  # an edited message is still its author's


def test_nobody_else_edits_or_deletes(people, emulator):
    serial = sent(people, "mine")
    attempts = [("/api/editMessage", {"serial": serial, "message": "yours"})]
    attempts.append(("/api/deleteMessage", {"serial": serial}))
    for path, body in attempts:
        assert_json_error(people("Bo", path, body), 403, field="serial", mentions="author")
    assert channel(emulator).get_message(serial).data["text"] == "mine"


def test_an_unknown_serial_is_a_404(people):
    sent(people)
    for path, body in (
        ("/api/editMessage", {"serial": "no-such-00000001", "message": "x"}),
        ("/api/deleteMessage", {"serial": "no-such-00000001"}),
        ("/api/react", {"serial": "no-such-00000001", "reaction": "👍"}),
    ):
        assert_json_error(people("Ana", path, body), 404, field="serial")


def test_a_delete_hides_the_text_everywhere_we_serve_it(people, emulator):
    serial = sent(people, "a secret")
    response = people("Ana", "/api/deleteMessage", {"serial": serial})
    assert response.status_code == 200, response.get_json()
    assert "a secret" not in response.get_data(as_text=True)
    latest = channel(emulator).get_message(serial)
    assert latest.action == 2 and latest.data.get("username") == "Ana" and latest.data["text"] == ""
    stored = next(m for m in channel(emulator).history(limit=100).items if m.serial == serial)
    assert stored.data["text"] == ""
    # Deleted is final: no edit brings it back, and nobody reacts to it.
    assert_json_error(people("Ana", "/api/editMessage", {"serial": serial, "message": "back"}), 404, field="serial")
    assert_json_error(people("Bo", "/api/react", {"serial": serial, "reaction": "👍"}), 404, field="serial")


def test_reactions_count_each_person_once_per_emoji_and_a_remove_takes_one_back(people, emulator):
    serial = sent(people, "react to me")
    for name in ("Ana", "Bo", "Bo"):
        assert people(name, "/api/react", {"serial": serial, "reaction": "👍"}).status_code == 200
    assert people("Bo", "/api/react", {"serial": serial, "reaction": "🎉"}).status_code == 200
    summary = channel(emulator).get_message(serial).annotations.summary[REACTION_TYPE]
    assert summary["👍"]["total"] == 2 and sorted(summary["👍"]["clientIds"]) == ["Ana", "Bo"]
    assert summary["🎉"]["clientIds"] == ["Bo"]
    assert people("Bo", "/api/react", {"serial": serial, "reaction": "👍", "remove": True}).status_code == 200
    summary = channel(emulator).get_message(serial).annotations.summary[REACTION_TYPE]
    assert summary["👍"]["total"] == 1 and summary["👍"]["clientIds"] == ["Ana"]


def test_edits_share_the_send_limit_and_reactions_have_their_own(people):
    serial = sent(people, "limits")
    limits = RateLimits()
    edits = [
        people("Ana", "/api/editMessage", {"serial": serial, "message": f"v{n}"}, limits).status_code
        for n in range(SEND_PER_USER.amount + 1)
    ]
    assert edits == [200] * SEND_PER_USER.amount + [429]
    reactions = [
        people("Bo", "/api/react", {"serial": serial, "reaction": "👍", "remove": n % 2 == 1}, limits).status_code
        for n in range(REACT_PER_USER.amount + 1)
    ]
    assert reactions == [200] * REACT_PER_USER.amount + [429]
