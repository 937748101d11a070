"""What the functions ask of Ably, through ably-python's synchronous REST client: publishing
(acknowledged and idempotent, never a realtime connection per request), TokenRequests for
browsers, who is and was present on a channel, and which channels are active.

One `AblyRestSync` per function instance, made from the settings when the function loads. Fallback
hosts and retries are the SDK's; its timeouts are set so that a call gives up well before the
browser does (15 s). Every failure becomes AblyFailed, carrying Ably's error code when there is one.
"""

import base64
import contextlib
import logging
import threading
from datetime import datetime
from typing import NamedTuple

from ably.sync import AblyRestSync
from ably.sync.types.annotation import Annotation
from ably.sync.types.message import Message
from ably.sync.types.operations import MessageOperation
from ably.sync.util.exceptions import AblyException

from chat.config import Settings
from chat.names import WILDCARD

log = logging.getLogger(__name__)

# Seconds. One attempt takes at most open + request = 5 s, and no attempt on a fallback host starts
# after 2 s, so a call gives up within about 7 s; against a local endpoint a first call also asks
# for a token, bounded alike.
TIMEOUTS = {"http_open_timeout": 2, "http_request_timeout": 3, "http_max_retry_duration": 2}
# Browsers may read and join their room but not publish: chat messages go through
# /api/sendMessage, where they are checked.
BROWSER_OPERATIONS = ["subscribe", "presence", "history"]
BATCH_PRESENCE_CHANNELS = 100  # Ably's documented cap per batch presence request
MAX_PAGE = 1000  # the largest page Ably serves
# Loggers that may see a request's credentials: the SDK's (it logs its options and tokens at DEBUG)
# and those of the HTTP stack under it (HTTP/2 header encoding logs headers).
_SDK_LOGGERS = ("ably", "httpx", "httpcore", "h2", "hpack", "hyperframe")
_PRESENCE_ACTIONS = {0: "absent", 1: "present", 2: "enter", 3: "leave", 4: "update"}
_EPOCH = datetime(1970, 1, 1)


class AblyFailed(Exception):
    """Ably refused the request or could not be reached; the message says which, safely."""

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code


# Named tuples rather than dataclasses: a tenth of the cost when a cold function loads.
class Member(NamedTuple):
    client_id: str
    data: object  # as the member set it: decoded JSON, text or bytes


class PresenceEvent(NamedTuple):
    client_id: str
    action: str  # "enter", "leave", "update", "present"
    timestamp_s: float


class Ably:
    page_size = MAX_PAGE  # channel names a listing request asks for

    def __init__(self, settings: Settings, **sdk_options):
        """`sdk_options` override the SDK client's options (tests shorten its timeouts)."""
        self.settings = settings
        keep_secrets_out_of_logs(settings)
        self._client = AblyRestSync(**{**client_options(settings), **sdk_options})
        keep_secrets_out_of_logs(settings)  # again, for the loggers of what making the client imported
        self._renewing = threading.Lock()

    def publish(self, channel: str, name: str, data: dict, message_id: str) -> str | None:
        """Publish and wait for Ably's acknowledgement; the message's serial (a repeated id is
        published once by Ably, and answers the first one's serial)."""
        with _failures("publish"):
            result = self._client.channels.get(channel).publish(Message(name=name, data=data, id=message_id))
            return next(iter(result.serials), None)

    def get_message(self, channel: str, serial: str) -> Message | None:
        """The latest version of the message with `serial`, or None if the channel has none."""
        with _failures("message read"):
            try:
                return self._client.channels.get(channel).get_message(serial)
            except AblyException as error:
                if error.status_code == 404:
                    return None
                raise

    def update_message(self, channel: str, message: Message, operation: MessageOperation, delete: bool = False) -> str:
        """Publish a new version of `message` (by its serial), or delete it; the version's serial."""
        with _failures("message delete" if delete else "message update"):
            messages = self._client.channels.get(channel)
            change = messages.delete_message if delete else messages.update_message
            return change(message, operation).version_serial

    def annotate(self, channel: str, serial: str, annotation: Annotation, remove: bool = False) -> None:
        """Publish an annotation of the message with `serial`, or delete it."""
        with _failures("annotation"):
            annotations = self._client.channels.get(channel).annotations
            (annotations.delete if remove else annotations.publish)(serial, annotation)

    def members(self, channel: str) -> list[Member]:
        with _failures("presence"):
            page = self._client.channels.get(channel).presence.get(limit=MAX_PAGE)
            return [Member(item.client_id, item.data) for item in _every_item(page) if item.client_id]

    def recent_presence(self, channel: str, limit: int = 100) -> list[PresenceEvent]:
        """The channel's last `limit` presence events, newest first."""
        with _failures("presence history"):
            page = self._client.channels.get(channel).presence.history(limit=limit, direction="backwards")
            return [
                PresenceEvent(
                    item.client_id,
                    _PRESENCE_ACTIONS.get(item.action, str(item.action)),
                    (item.timestamp - _EPOCH).total_seconds() if item.timestamp else 0.0,
                )
                for item in page.items
                if item.client_id
            ]

    def active_channels(self, prefix: str) -> list[str]:
        """Names of the channels that are active now (attached or with members), by prefix, every page."""
        with _failures("channel listing"):
            items = self._request("/channels", {"prefix": prefix, "by": "id", "limit": self.page_size})
            return [name for name in items if isinstance(name, str)]

    def members_of(self, channels: list[str]) -> dict[str, list[Member]]:
        """Presence of several channels (Ably's batch presence), at most 100 channels a request."""
        members: dict[str, list[Member]] = {}
        with _failures("batch presence"):
            for start in range(0, len(channels), BATCH_PRESENCE_CHANNELS):
                batch = ",".join(channels[start : start + BATCH_PRESENCE_CHANNELS])
                for answer in self._request("/presence", {"channels": batch}):
                    for entry in answer.get("results", [answer]) if isinstance(answer, dict) else []:
                        channel = entry.get("channel") if isinstance(entry, dict) else None
                        if isinstance(channel, str) and isinstance(entry.get("presence"), list):
                            members[channel] = [
                                Member(item["clientId"], item.get("data"))
                                for item in entry["presence"]
                                if isinstance(item, dict) and isinstance(item.get("clientId"), str)
                            ]
        return members

    def token_request(self, client_id: str, channel: str, ttl_s: int) -> dict:
        """A TokenRequest a browser exchanges for a token: as `client_id`, on `channel` only, no publish."""
        if WILDCARD in client_id:  # chat/names.py refuses it in every name; this is the last line
            raise ValueError(f"a browser's clientId must not contain {WILDCARD}")
        with _failures("token request"):
            signed = self._client.auth.create_token_request(
                {"client_id": client_id, "capability": {channel: BROWSER_OPERATIONS}, "ttl": ttl_s * 1000}
            )
        return signed.to_dict()

    def _request(self, path: str, params: dict) -> list:
        """Every item of a `request()` answer, following its pages; a token the service no longer
        knows (it restarted, say) is renewed once, as the SDK does for its own calls."""
        items, page = [], self._answer(lambda: self._client.request("GET", path, version="3", params=params))
        while True:
            items += page.items
            if not page.has_next():
                return items
            page = self._answer(page.next)

    def _answer(self, call):
        page = call()
        if not page.success and _is_token_error(page.error_code) and self._client.auth.token_details:
            with self._renewing:
                self._client.auth.authorize()
            page = call()
        if not page.success:
            code = int(page.error_code) if str(page.error_code or "").isdigit() else page.status_code * 100
            raise AblyException(page.error_message or "request failed", page.status_code, code)
        return page


def client_options(settings: Settings) -> dict:
    options = {"key": settings.ably_key, **TIMEOUTS}
    if settings.ably_endpoint:
        # ably-python refuses Basic auth without TLS, so a plain-HTTP service is asked for tokens.
        # Its tokens name the wildcard clientId: the key's own right to act as anyone (a version's author,
        # a reaction's), which a token without a clientId does not carry.
        options.update(
            endpoint=settings.ably_endpoint.host,
            port=settings.ably_endpoint.port,
            tls=False,
            use_token_auth=True,
            default_token_params={"client_id": "*"},
        )
    return options


class _Redact(logging.Filter):
    """Replaces the key's secret and its Basic credentials in a record before any handler sees it."""

    def __init__(self, secrets: tuple[str, ...]):
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if any(secret in text for secret in self.secrets):
            for secret in self.secrets:
                text = text.replace(secret, "[redacted]")
            record.msg, record.args = text, None
        return True


def _above_debug(record: logging.LogRecord) -> bool:
    return record.levelno > logging.DEBUG


def keep_secrets_out_of_logs(settings: Settings) -> None:
    """No credential in any log, whatever the levels: the SDK's auth module logs its options (the key
    among them) and every token at DEBUG, so its DEBUG records are dropped; every logger of the SDK
    and of its HTTP stack (HTTP/2's header encoding logs headers) redacts the key and its Basic
    credentials. Loggers made later than the SDK's import are covered when the next client is made."""
    secrets = (settings.ably_key_secret, base64.b64encode(settings.ably_key.encode()).decode())
    for name in list(logging.root.manager.loggerDict):
        if name.split(".")[0] in _SDK_LOGGERS:
            logger = logging.getLogger(name)
            if not any(isinstance(known, _Redact) and known.secrets == secrets for known in logger.filters):
                logger.addFilter(_Redact(secrets))
    auth = logging.getLogger("ably.sync.rest.auth")
    if _above_debug not in auth.filters:
        auth.addFilter(_above_debug)


def _every_item(page) -> list:
    items = list(page.items)
    while page.has_next():
        page = page.next()
        items += page.items
    return items


def _is_token_error(code) -> bool:
    return str(code or "").isdigit() and 40140 <= int(code) < 40150


@contextlib.contextmanager
def _failures(what: str):
    """Turns the SDK's and httpx's exceptions into AblyFailed, logging the code, never a secret."""
    try:
        yield
    except AblyException as error:
        log.warning("Ably refused a %s: %s %s", what, error.status_code, error.code)
        raise AblyFailed(f"Ably refused the request (error {error.code})", error.code) from None
    except Exception as error:
        if not _network_error(error):
            raise
        log.warning("Ably could not be reached for a %s: %s", what, type(error).__name__)
        raise AblyFailed("Ably could not be reached; try again") from None


def _network_error(error: Exception) -> bool:
    """The SDK lets its HTTP library's errors (a refused connection, a timeout) through as they are."""
    return isinstance(error, OSError) or any(
        kind.__module__.split(".")[0] in ("httpx", "httpcore") for kind in type(error).__mro__
    )
