"""Publishing chat messages to Ably over REST: acknowledged, idempotent, no socket per request."""

import logging
import threading
import uuid
from datetime import datetime, timezone

import httpx
from ably.sync.util.exceptions import AblyException
from ably.sync.rest.rest import AblyRestSync
from ably.sync.types.message import Message

from chat.config import AblySettings, ably_settings

CHANNEL = "chat"
EVENT = "message"

log = logging.getLogger(__name__)


class PublishFailed(Exception):
    """Ably refused the message or could not be reached; the message says which, safely."""


def rest_client_options(settings: AblySettings) -> dict:
    options = {
        "key": settings.key,
        # Seconds. One attempt takes at most open + request = 5 s, and no new attempt (on a fallback
        # host) starts after 3 s, so a publish gives up within about 8 s: before the browser does (15 s).
        "http_open_timeout": 2,
        "http_request_timeout": 3,
        "http_max_retry_duration": 3,
    }
    if settings.endpoint:
        # ably-python refuses Basic auth without TLS, so a plain-HTTP service gets tokens.
        options.update(endpoint=settings.endpoint.host, port=settings.endpoint.port,
                       tls=False, use_token_auth=True)
    return options


_client: AblyRestSync | None = None
_client_lock = threading.Lock()


def _rest_client() -> AblyRestSync:
    """One client per process, shared by the threads of a warm instance."""
    global _client
    with _client_lock:
        if _client is None:
            _client = AblyRestSync(**rest_client_options(ably_settings()))
        return _client


def _utc_timestamp(now: datetime) -> str:
    return now.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def publish_chat_message(username: str, text: str, message_id: str | None = None) -> dict:
    """Publish and wait for Ably's acknowledgement. A repeated id is published once by Ably."""
    message_id = message_id or str(uuid.uuid4())
    data = {"username": username, "text": text,
            "date": _utc_timestamp(datetime.now(timezone.utc)), "type": "message"}
    channel = _rest_client().channels.get(CHANNEL)
    try:
        channel.publish(Message(name=EVENT, data=data, id=message_id))
    except AblyException as error:
        log.warning("Ably refused a publish: %s %s", error.status_code, error.code)
        raise PublishFailed(f"Ably refused the message (error {error.code})") from None
    except httpx.HTTPError as error:
        log.warning("Ably could not be reached: %s", type(error).__name__)
        raise PublishFailed("Ably could not be reached; try again") from None
    return {"id": message_id, "message": data}
