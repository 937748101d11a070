"""The chat functions in this process, built as Vercel builds them and pointed at an emulator.

Each benchmark gets fresh apps from chat.web.create_app with its own settings: nothing shared
with the process or with another benchmark, nothing to reset.
"""

from flask import Flask

from chat.ably_client import Ably
from chat.config import Settings
from chat.rooms import DEFAULT_ROOM, channel_for
from devtools.functions import function_app, held_session

CHANNEL = channel_for(DEFAULT_ROOM)


def settings_for(emulator) -> Settings:
    return Settings.from_environment({"ABLY_API_KEY": emulator.key, "ABLY_ENDPOINT": emulator.url})


def send_message_app(settings: Settings, ably: Ably | None = None) -> Flask:
    """A fresh api/sendMessage.py app whose rate limits never refuse a benchmark request."""
    return function_app("api/sendMessage.py", settings, ably=ably)


def session_headers(settings: Settings, username: str = "bench") -> dict:
    """What the page sends: a session for `username` in the default room, its claim the name's holder."""
    return {"Authorization": f"Bearer {held_session(settings, username, DEFAULT_ROOM)}"}
