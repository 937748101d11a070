import pytest

from chat.ably_client import Ably
from chat.config import Settings
from devtools.functions import function_app, held_session
from tests.reliability.helpers import CLAIM


@pytest.fixture
def send_message_to():
    """A factory: POST /api/sendMessage in-process, publishing to the Ably service at `endpoint` with
    `key`, as the `username` in the body, in its `room` (a session made for them), rate limits far out
    of the way."""

    def send_message_to(endpoint: str, key: str, **ably_options):
        settings = Settings.from_environment({"ABLY_API_KEY": key, "ABLY_ENDPOINT": endpoint})
        app = function_app("api/sendMessage.py", settings, ably=Ably(settings, **ably_options))
        client, sessions = app.test_client(), {}

        def send(body: dict):
            body = dict(body)
            name, room = body.pop("username", "Ana"), body.pop("room", "general")
            if (name, room) not in sessions:
                sessions[name, room] = held_session(settings, name, room, CLAIM)
            session = sessions[name, room]
            return client.post("/api/sendMessage", json=body, headers={"Authorization": f"Bearer {session}"})

        return send

    return send_message_to


@pytest.fixture
def send_message(emulator, send_message_to):
    """POST /api/sendMessage in-process against the emulator, rate limits out of the way."""
    return send_message_to(emulator.url, emulator.key)
