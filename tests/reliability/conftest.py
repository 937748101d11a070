import pytest

from chat.ably_client import Ably
from chat.config import Settings
from chat.rate_limits import RateLimits
from chat.web import create_app
from devtools.functions import held_session, load_function
from tests.reliability.helpers import CLAIM


@pytest.fixture
def send_message_to():
    """A factory: POST /api/sendMessage in-process, publishing to the Ably service at `endpoint` with
    `key`, as the `username` in the body, in its `room` (a session made for them), rate limits far out
    of the way."""

    def send_message_to(endpoint: str, key: str, **ably_options):
        settings = Settings.from_environment({"ABLY_API_KEY": key, "ABLY_ENDPOINT": endpoint})
        app = create_app(
            load_function("api/sendMessage.py").routes,
            settings=settings,
            ably=Ably(settings, **ably_options),
            limits=RateLimits(scale=10**6),
        )
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
