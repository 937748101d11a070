"""What the functions ask of Ably, over its REST API: publishing (acknowledged and idempotent, never
a realtime connection per request), who is present on a channel and its recent presence events, and which
channels are active.

This is a small client on the standard library, not ably-python: the SDK imports its async and
realtime clients and httpx with HTTP/2 even for one REST publish, which made a cold sendMessage
take 1.88x a hello-world Flask function against 1.07x with this client (bench/results.md). What
the SDK gave here is kept: Ably acknowledges a publish before it returns (201); the message id
makes a repeat harmless; a request that fails on the network or with a 5xx is retried on Ably's
fallback hosts within RETRY_WINDOW_S; and a refusal carries Ably's error code.
"""

import base64
import http.client
import json
import logging
import ssl
import threading
import time
import urllib.parse
from dataclasses import dataclass

from chat.config import Settings

log = logging.getLogger(__name__)

PRIMARY_HOST = "main.realtime.ably.net"  # what the official SDKs use by default
FALLBACK_HOSTS = tuple(f"main.{letter}.fallback.ably-realtime.com" for letter in "abcde")
ABLY_PROTOCOL_VERSION = "3"
# One attempt takes at most REQUEST_TIMEOUT_S, and no new attempt starts after RETRY_WINDOW_S, so a
# call gives up within about 6 s: before the browser does (15 s).
REQUEST_TIMEOUT_S = 3.0
RETRY_WINDOW_S = 3.0
MAX_MEMBERS = 1000  # one page: Ably allows 200 members per channel by default
MAX_CHANNELS_LISTED = 1000
_IDLE_CONNECTIONS = 4  # per host, kept between the requests of a warm instance


class AblyFailed(Exception):
    """Ably refused the request or could not be reached; the message says which, safely."""


class _Refused(Exception):
    def __init__(self, status: int, code: int):
        super().__init__(f"{status} {code}")
        self.status, self.code = status, code


@dataclass(frozen=True)
class Member:
    client_id: str
    data: object  # as the member set it: decoded JSON, text or bytes


@dataclass(frozen=True)
class PresenceEvent:
    client_id: str
    action: str  # "absent", "present", "enter", "leave" or "update"
    timestamp_s: float  # when Ably recorded it, in seconds since the epoch


PRESENCE_ACTIONS = ("absent", "present", "enter", "leave", "update")  # by their number on the wire


class Ably:
    def __init__(self, settings: Settings, request_timeout_s: float = REQUEST_TIMEOUT_S,
                 retry_window_s: float = RETRY_WINDOW_S, local_fallbacks: tuple[tuple[str, int], ...] = ()):
        """`local_fallbacks`: hosts to try after a local ABLY_ENDPOINT (Ably's cloud has its own)."""
        self.settings = settings
        self._timeout_s = request_timeout_s
        self._retry_window_s = retry_window_s
        endpoint = settings.ably_endpoint
        self._hosts = [(endpoint.host, endpoint.port), *local_fallbacks] if endpoint else \
            [(host, 443) for host in (PRIMARY_HOST, *FALLBACK_HOSTS)]
        self._tls = endpoint is None
        self._authorization = "Basic " + base64.b64encode(settings.ably_key.encode()).decode()
        self._idle: dict[tuple, list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()
        self._tls_context = None

    def publish(self, channel: str, name: str, data: dict, message_id: str) -> None:
        """Publish and wait for Ably's acknowledgement. A repeated id is published once by Ably."""
        message = {"name": name, "id": message_id, "data": json.dumps(data), "encoding": "json"}
        self._call("publish", "POST", f"/channels/{_quoted(channel)}/messages", message)

    def members(self, channel: str) -> list[Member]:
        items = self._call("presence", "GET", f"/channels/{_quoted(channel)}/presence?limit={MAX_MEMBERS}")
        return [_member(item) for item in items if isinstance(item, dict) and isinstance(item.get("clientId"), str)]

    def recent_presence(self, channel: str, limit: int = 100) -> list[PresenceEvent]:
        """The channel's latest presence events, newest first (Ably's presence history)."""
        items = self._call("presence history", "GET",
                           f"/channels/{_quoted(channel)}/presence/history?direction=backwards&limit={limit}")
        return [_presence_event(item) for item in items if isinstance(item, dict)
                and isinstance(item.get("clientId"), str) and isinstance(item.get("timestamp"), (int, float))]

    def active_channels(self, prefix: str) -> list[str]:
        """Names of the channels that are active now (attached or with members), by prefix."""
        query = urllib.parse.urlencode({"prefix": prefix, "by": "id", "limit": MAX_CHANNELS_LISTED})
        names = self._call("channel listing", "GET", f"/channels?{query}")
        return [name for name in names if isinstance(name, str)]

    def members_of(self, channels: list[str]) -> dict[str, list[Member]]:
        """Presence of several channels in one request (Ably's batch presence)."""
        if not channels:
            return {}
        query = urllib.parse.urlencode({"channels": ",".join(channels)})
        answer = self._call("batch presence", "GET", f"/presence?{query}")
        results = answer.get("results", []) if isinstance(answer, dict) else answer
        return {
            entry["channel"]: [_member(item) for item in entry["presence"]
                               if isinstance(item, dict) and isinstance(item.get("clientId"), str)]
            for entry in results
            if isinstance(entry, dict) and isinstance(entry.get("presence"), list)
        }

    def _call(self, what: str, method: str, path: str, body: dict | None = None):
        try:
            return self._request(method, path, body)
        except _Refused as refusal:
            log.warning("Ably refused a %s: %s %s", what, refusal.status, refusal.code)
            raise AblyFailed(f"Ably refused the request (error {refusal.code})") from None
        except (OSError, http.client.HTTPException, ValueError) as error:
            log.warning("Ably could not be reached for a %s: %s", what, type(error).__name__)
            raise AblyFailed("Ably could not be reached; try again") from None

    def _request(self, method: str, path: str, body: dict | None):
        """The decoded answer from the first host that gives one; 5xx and network errors try the next."""
        payload = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": self._authorization, "Accept": "application/json",
                   "X-Ably-Version": ABLY_PROTOCOL_VERSION, **({"Content-Type": "application/json"} if payload else {})}
        started = time.monotonic()
        for attempt, host in enumerate(self._hosts):
            if attempt and time.monotonic() - started > self._retry_window_s:
                break
            try:
                status, raw = self._exchange(host, method, path, payload, headers)
            except (OSError, http.client.HTTPException):
                if attempt == len(self._hosts) - 1 or time.monotonic() - started > self._retry_window_s:
                    raise
                continue
            if 500 <= status <= 504 and attempt < len(self._hosts) - 1:
                continue
            answer = json.loads(raw) if raw else None
            if status >= 400:
                error = answer.get("error", {}) if isinstance(answer, dict) else {}
                raise _Refused(status, error.get("code", status * 100))
            return answer
        raise TimeoutError("no Ably host answered in time")

    def _exchange(self, host: tuple, method: str, path: str, payload, headers) -> tuple[int, bytes]:
        connection, reused = self._connection(host)
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine):
            connection.close()
            if not reused:
                raise
            # A kept-alive connection the host has since closed (a restart, an idle timeout): try
            # once on a fresh one. Repeating a publish is safe, its id makes it count once.
            return self._exchange_fresh(host, method, path, payload, headers)
        except BaseException:
            connection.close()
            raise
        with self._lock:
            idle = self._idle.setdefault(host, [])
            if not response.will_close and len(idle) < _IDLE_CONNECTIONS:
                idle.append(connection)
            else:
                connection.close()
        return response.status, raw

    def _exchange_fresh(self, host: tuple, method: str, path: str, payload, headers) -> tuple[int, bytes]:
        with self._lock:
            stale = self._idle.pop(host, [])  # the other idle ones are likely just as stale
        for connection in stale:
            connection.close()
        return self._exchange(host, method, path, payload, headers)

    def _connection(self, host: tuple) -> tuple[http.client.HTTPConnection, bool]:
        """An idle kept-alive connection to `host` (and True), or a new one: one TLS handshake per
        warm instance."""
        with self._lock:
            idle = self._idle.get(host)
            if idle:
                return idle.pop(), True
            if self._tls and self._tls_context is None:
                self._tls_context = ssl.create_default_context()
        if self._tls:
            return http.client.HTTPSConnection(*host, timeout=self._timeout_s, context=self._tls_context), False
        return http.client.HTTPConnection(*host, timeout=self._timeout_s), False


def _quoted(channel: str) -> str:
    return urllib.parse.quote(channel, safe="")


def _member(item: dict) -> Member:
    return Member(item["clientId"], _decoded(item.get("data"), item.get("encoding")))


def _presence_event(item: dict) -> PresenceEvent:
    action = item.get("action")
    name = PRESENCE_ACTIONS[action] if isinstance(action, int) and 0 <= action < len(PRESENCE_ACTIONS) else str(action)
    return PresenceEvent(item["clientId"], name, item["timestamp"] / 1000)


def _decoded(data, encoding):
    """Undo a message's encodings (right to left), as the SDKs do for json, base64 and utf-8."""
    for step in reversed((encoding or "").split("/")):
        try:
            if step == "json" and isinstance(data, str):
                data = json.loads(data)
            elif step == "base64" and isinstance(data, str):
                data = base64.b64decode(data)
            elif step == "utf-8" and isinstance(data, bytes):
                data = data.decode()
            elif step:
                break  # an encoding the functions never need to read (e.g. a cipher)
        except ValueError:
            break
    return data
