"""What the functions ask of Ably, all over REST with the official SDK's synchronous client:
publishing (acknowledged and idempotent, never a realtime connection per request), who is
present on a channel, and which channels are active.

The SDK is imported on first use, not with this module, so a function that never calls Ably
(the token function) never pays for importing it.
"""

import contextlib
import logging
import threading
from dataclasses import dataclass

from chat.config import Settings

log = logging.getLogger(__name__)
# The members of one channel a presence check reads: Ably allows 200 per channel by default.
MAX_MEMBERS = 1000
MAX_CHANNELS_LISTED = 1000


class AblyFailed(Exception):
    """Ably refused the request or could not be reached; the message says which, safely."""


@dataclass(frozen=True)
class Member:
    client_id: str
    data: object  # as the member set it: decoded JSON, text or bytes


class Ably:
    def __init__(self, settings: Settings, **sdk_options):
        """`sdk_options` override the SDK client's options (tests shorten its timeouts)."""
        self.settings = settings
        self._sdk_options = sdk_options
        self._client = None
        self._lock = threading.Lock()

    def publish(self, channel: str, name: str, data: dict, message_id: str) -> None:
        """Publish and wait for Ably's acknowledgement. A repeated id is published once by Ably."""
        from ably.sync.types.message import Message

        with _failures("publish"):
            self._rest().channels.get(channel).publish(Message(name=name, data=data, id=message_id))

    def members(self, channel: str) -> list[Member]:
        with _failures("presence"):
            page = self._rest().channels.get(channel).presence.get(limit=MAX_MEMBERS)
            return [Member(item.client_id, item.data) for item in page.items if item.client_id]

    def active_channels(self, prefix: str) -> list[str]:
        """Names of the channels that are active now (attached or with members), by prefix."""
        with _failures("channel listing"):
            response = self._rest().request("GET", "/channels", version="3",
                                            params={"prefix": prefix, "by": "id", "limit": MAX_CHANNELS_LISTED})
            self._raise_for(response)
            return [name for name in response.items if isinstance(name, str)]

    def members_of(self, channels: list[str]) -> dict[str, list[Member]]:
        """Presence of several channels in one request (Ably's batch presence)."""
        if not channels:
            return {}
        with _failures("batch presence"):
            response = self._rest().request("GET", "/presence", version="3",
                                            params={"channels": ",".join(channels)})
            self._raise_for(response)
            members = {}
            for batch in response.items:
                result = batch.get("results", [batch]) if isinstance(batch, dict) else []
                for entry in result:
                    if isinstance(entry, dict) and isinstance(entry.get("presence"), list):
                        members[entry.get("channel")] = [
                            Member(item["clientId"], item.get("data")) for item in entry["presence"]
                            if isinstance(item, dict) and isinstance(item.get("clientId"), str)]
            return members

    def _rest(self):
        """One client per function instance, shared by its threads, made on first use."""
        with self._lock:
            if self._client is None:
                from ably.sync.rest.rest import AblyRestSync

                # ably-python logs its options, the key's secret among them, at DEBUG.
                logging.getLogger("ably").setLevel(logging.WARNING)
                self._client = AblyRestSync(**{**rest_client_options(self.settings), **self._sdk_options})
            return self._client

    @staticmethod
    def _raise_for(response) -> None:
        if not response.success:
            from ably.sync.util.exceptions import AblyException

            raise AblyException(response.error_message or "request failed", response.status_code,
                                response.error_code or 50000)


@contextlib.contextmanager
def _failures(what: str):
    """Turns the SDK's and httpx's exceptions into AblyFailed, logging the code, never a secret."""
    import httpx
    from ably.sync.util.exceptions import AblyException

    try:
        yield
    except AblyException as error:
        log.warning("Ably refused a %s: %s %s", what, error.status_code, error.code)
        raise AblyFailed(f"Ably refused the request (error {error.code})") from None
    except httpx.HTTPError as error:
        log.warning("Ably could not be reached for a %s: %s", what, type(error).__name__)
        raise AblyFailed("Ably could not be reached; try again") from None


def rest_client_options(settings: Settings) -> dict:
    options = {
        "key": settings.ably_key,
        # Seconds. One attempt takes at most open + request = 5 s, and no new attempt (on a fallback
        # host) starts after 3 s, so a call gives up within about 8 s: before the browser does (15 s).
        "http_open_timeout": 2,
        "http_request_timeout": 3,
        "http_max_retry_duration": 3,
    }
    if settings.ably_endpoint:
        # ably-python refuses Basic auth without TLS, so a plain-HTTP service gets tokens.
        options.update(endpoint=settings.ably_endpoint.host, port=settings.ably_endpoint.port,
                       tls=False, use_token_auth=True)
    return options
