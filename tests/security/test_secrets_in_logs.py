"""No credential reaches a log at any level. ably-python logs its client options (the key among them)
and its tokens at DEBUG, and HTTP/2's header encoding logs headers: a claim, a token, a publish and
the room list run with the root logger, the SDK's loggers and those of its HTTP stack at DEBUG, and
everything logged or printed is searched for the key's secret and its Basic credentials."""

import base64
import json
import logging

import pytest

from chat.config import Settings
from chat.sessions import Sessions, new_claim_id
from devtools.emulator import running_emulator
from devtools.functions import function_app

SECRET = "a-secret-that-must-not-leak"
KEY = f"local.logs:{SECRET}"
BASIC = base64.b64encode(KEY.encode()).decode()
LOUD_LOGGERS = (
    "",
    "ably",
    "ably.sync",
    "ably.sync.rest.auth",
    "ably.sync.http.http",
    "httpx",
    "httpcore",
    "h2",
    "hpack",
    "chat",
)


class Everything(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(f"{record.name} {self.format(record)}")


@pytest.fixture
def every_log_line():
    """Every record any logger makes, at DEBUG, formatted as a handler would print it."""
    handler = Everything()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    levels = {name: logging.getLogger(name).level for name in LOUD_LOGGERS}
    for name in LOUD_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    yield handler.lines
    logging.getLogger().removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def run_every_function(settings: Settings) -> list:
    apps = {
        path: function_app(path, settings).test_client()
        for path in ("api/session.py", "api/ably/auth.py", "api/sendMessage.py", "api/rooms.py")
    }
    claimed = apps["api/session.py"].post("/api/session", json={"username": "Ana"})
    headers = {"Authorization": f"Bearer {claimed.get_json()['session']}"}
    responses = [
        claimed,
        apps["api/ably/auth.py"].get("/api/ably/auth", headers=headers),
        apps["api/sendMessage.py"].post("/api/sendMessage", json={"message": "hi"}, headers=headers),
        apps["api/rooms.py"].get("/api/rooms"),
    ]
    bad_session = {"Authorization": f"Bearer {Sessions(settings).issue('Ana', 'general', new_claim_id(), 'ana')}x"}
    responses.append(apps["api/sendMessage.py"].post("/api/sendMessage", json={"message": "hi"}, headers=bad_session))
    return responses


def test_debug_logging_of_every_logger_never_shows_the_key(every_log_line, capfd):
    with running_emulator(key=KEY) as emulator:
        settings = Settings.from_environment({"ABLY_API_KEY": emulator.key, "ABLY_ENDPOINT": emulator.url})
        responses = run_every_function(settings)
    assert [response.status_code for response in responses] == [200, 200, 200, 200, 401]
    assert any(line.startswith(("httpx", "httpcore")) for line in every_log_line)  # the loggers did speak
    printed = capfd.readouterr()
    for text in ("\n".join(every_log_line), printed.out, printed.err):
        assert SECRET not in text and BASIC not in text
    for response in responses:
        answer = json.dumps(dict(response.headers)) + response.get_data(as_text=True)
        assert SECRET not in answer and BASIC not in answer


def test_the_sdk_logs_no_token_at_debug(every_log_line):
    """The SDK's auth module logs each token it gets at DEBUG: those records never reach a handler."""
    with running_emulator(key=KEY) as emulator:
        settings = Settings.from_environment({"ABLY_API_KEY": emulator.key, "ABLY_ENDPOINT": emulator.url})
        run_every_function(settings)
    assert not [line for line in every_log_line if line.startswith("ably.sync.rest.auth") and " DEBUG " in line]


def test_the_redaction_covers_the_basic_credentials_of_cloud_requests(every_log_line):
    """Against Ably's cloud the SDK authenticates with the key itself (Basic, over TLS): a record that
    quotes the header, as HTTP/2's header encoder does at DEBUG, shows neither the secret nor its base64."""
    from chat.ably_client import Ably

    Ably(Settings.from_environment({"ABLY_API_KEY": KEY}))
    logging.getLogger("hpack.hpack").debug("Encoding %s", [("authorization", f"Basic {BASIC}")])
    logging.getLogger("ably.sync.http.http").debug("options %s", {"key": KEY})
    logged = "\n".join(every_log_line)
    assert "Encoding" in logged and "[redacted]" in logged
    assert SECRET not in logged and BASIC not in logged
