import pytest

from chat.ably_rest import Ably
from chat.config import Settings
from chat.limits import Limits
from chat.sessions import Sessions
from chat.web import create_app
from tests.support.emulator import running_emulator
from tests.support.functions import load_function

# Every message these suites send goes out under this claim, so its Ably id is known in advance.
CLAIM = "reliability"


def ably_id(browser_id: str) -> str:
    """The id Ably gives a message sent with `browser_id` (see chat/messages.py)."""
    return f"{CLAIM}:{browser_id}"


@pytest.fixture(scope="module")
def emulator():
    with running_emulator() as running:
        yield running


@pytest.fixture
def send_message_to():
    """A factory: POST /api/sendMessage in-process, publishing to the Ably service at `endpoint` with
    `key`, as the `username` in the body, in its `room` (a session made for them), rate limits far out
    of the way."""

    def send_message_to(endpoint: str, key: str, **ably_options):
        settings = Settings.from_environment({"ABLY_API_KEY": key, "ABLY_ENDPOINT": endpoint})
        app = create_app(load_function("api/sendMessage.py").routes, settings=settings,
                         ably=Ably(settings, **ably_options), limits=Limits(scale=10**6))
        client, sessions = app.test_client(), Sessions(settings)

        def send(body: dict):
            body = dict(body)
            session = sessions.issue(body.pop("username", "Ana"), body.pop("room", "general"), CLAIM)
            return client.post("/api/sendMessage", json=body, headers={"Authorization": f"Bearer {session}"})

        return send

    return send_message_to


@pytest.fixture
def send_message(emulator, send_message_to):
    """POST /api/sendMessage in-process against the emulator, rate limits out of the way."""
    return send_message_to(emulator.url, emulator.key)
