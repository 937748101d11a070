"""The app's functions over HTTP, called as the page calls them, for suites that run the whole app."""

import json
import secrets
import time
import urllib.error
import urllib.request


def call_api(app, path: str, body: dict, session: str | None = None) -> dict:
    """POSTs JSON to one of the app's functions, as the page does, waiting out rate limits."""
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {session}"} if session else {})}
    request = urllib.request.Request(f"{app.url}{path}", data=json.dumps(body).encode(), headers=headers, method="POST")
    for _ in range(30):
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code != 429:
                raise
            time.sleep(float(error.headers.get("Retry-After", "1")))
    raise AssertionError(f"still rate-limited after 30 tries: {path}")


# By app (its URL and key: a later app may get the same port) so a name is claimed once per app.
_sessions: dict[tuple, str] = {}


def claim_name(app, username: str, room: str = "general") -> str:
    """A session for `username` in `room`, claimed once per app (the name must be free)."""
    key = (app.url, app.key, username, room)
    if key not in _sessions:
        _sessions[key] = call_api(app, "/api/session", {"username": username, "room": room})["session"]
    return _sessions[key]


def post_message(app, username: str, text: str, room: str = "general") -> dict:
    """Sends through the API as the browser does, as `username` (who is not in the room)."""
    return call_api(
        app, "/api/sendMessage", {"message": text, "id": secrets.token_hex(16)}, session=claim_name(app, username, room)
    )
