"""The API key's secret never reaches a log, even with every logger at DEBUG: ably-python logs its
client options (the key among them) at DEBUG, so the functions keep the `ably` logger at WARNING."""

import json
import logging

from chat.config import Settings
from chat.rate_limits import RateLimits
from chat.sessions import Sessions, new_claim_id
from chat.web import create_app
from devtools.emulator import running_emulator
from devtools.functions import load_function


def test_debug_logging_never_shows_the_key_secret(caplog):
    caplog.set_level(logging.DEBUG)  # the root logger, and so every logger without a level of its own
    with running_emulator(key="local.logs:a-secret-that-must-not-leak") as emulator:
        settings = Settings.from_environment({"ABLY_API_KEY": emulator.key, "ABLY_ENDPOINT": emulator.url})
        apps = {path: create_app(load_function(path).routes, settings=settings, limits=RateLimits(scale=100)).test_client()
                for path in ("api/session.py", "api/ably/auth.py", "api/sendMessage.py", "api/rooms.py")}
        claimed = apps["api/session.py"].post("/api/session", json={"username": "Ana"}).get_json()
        headers = {"Authorization": f"Bearer {claimed['session']}"}
        responses = [
            apps["api/ably/auth.py"].get("/api/ably/auth", headers=headers),
            apps["api/sendMessage.py"].post("/api/sendMessage", json={"message": "hi"}, headers=headers),
            apps["api/rooms.py"].get("/api/rooms"),
        ]
        bad_session = {"Authorization": f"Bearer {Sessions(settings).issue('Ana', 'general', new_claim_id(), 'ana')}x"}
        responses.append(apps["api/sendMessage.py"].post("/api/sendMessage", json={"message": "hi"},
                                                          headers=bad_session))
    assert [response.status_code for response in responses[:2]] == [200, 200]
    logged = "\n".join(f"{record.name} {record.getMessage()}" for record in caplog.records)
    assert "a-secret-that-must-not-leak" not in logged
    assert not any(record.name.startswith("ably") and record.levelno < logging.WARNING for record in caplog.records)
    for response in responses:
        assert "a-secret-that-must-not-leak" not in json.dumps(dict(response.headers)) + response.get_data(as_text=True)
