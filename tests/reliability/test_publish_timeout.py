"""A publish that times out from the function's point of view may still reach Ably, or reach it later.

Either way the function answers 502, the client retries with the same message id, and the message
is on the channel exactly once: for subscribers and in history.
"""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest

from tests.reliability.helpers import ChatWatcher, ably_id

# Short, so a stalled publish gives up quickly; the functions allow 3 s (chat/ably_client.py).
PUBLISH_TIMEOUT_S = 1


class UnreliableProxy:
    """A TCP proxy in front of the emulator that can lose the emulator's answers, or hold one request
    back, as a congested network may: the test decides what the function's HTTP client goes through."""

    def __init__(self, upstream_port: int):
        self._upstream_port = upstream_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self.lose_responses = False
        self._lock = threading.Lock()
        self._next_request_held = False
        self.held_released = threading.Event()  # lets the held request through
        self.held_answered = threading.Event()  # the emulator answered it (to nobody: the client left)
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def hold_next_request(self) -> None:
        with self._lock:
            self._next_request_held = True

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # the proxy was closed
            upstream = socket.create_connection(("127.0.0.1", self._upstream_port))
            self._sockets += [client, upstream]
            held = threading.Event()  # set if this connection carries the held request
            threading.Thread(target=self._forward_requests, args=(client, upstream, held), daemon=True).start()
            threading.Thread(target=self._forward_responses, args=(upstream, client, held), daemon=True).start()

    def _forward_requests(self, client, upstream, held: threading.Event) -> None:
        # The client closing its side does not close upstream: a held request still goes through.
        while data := _receive(client):
            with self._lock:
                if self._next_request_held:
                    self._next_request_held = False
                    held.set()
            if held.is_set():
                self.held_released.wait()
            if not _send(upstream, data):
                return

    def _forward_responses(self, upstream, client, held: threading.Event) -> None:
        while data := _receive(upstream):
            if held.is_set():
                self.held_answered.set()
            elif not self.lose_responses:
                _send(client, data)
        client.close()

    def close(self) -> None:
        self.held_released.set()
        self._listener.close()
        for sock in self._sockets:
            sock.close()


def _receive(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except OSError:
        return b""


def _send(sock: socket.socket, data: bytes) -> bool:
    try:
        sock.sendall(data)
        return True
    except OSError:
        return False


@pytest.fixture
def proxy(emulator):
    proxy = UnreliableProxy(emulator.port)
    yield proxy
    proxy.close()


@pytest.fixture
def send_through_proxy(proxy, emulator, send_message_to):
    """sendMessage publishing through the proxy with a short timeout, already warm: it holds a token,
    so the failures the tests switch on hit the publish itself."""
    send = send_message_to(proxy.url, emulator.key, http_request_timeout=PUBLISH_TIMEOUT_S)
    assert send({"username": "warm", "message": "warming up"}).status_code == 200
    return send


@pytest.fixture
def watcher(emulator):
    with ChatWatcher(emulator.url, emulator.key) as watcher:
        yield watcher


def stored_copies(emulator, message_id: str) -> int:
    """How many times the message is in the channel's history, read straight from the emulator."""
    key_name, secret = emulator.key.split(":")
    response = httpx.get(
        f"{emulator.url}/channels/chat/messages", params={"limit": 1000}, auth=(key_name, secret), timeout=10
    )
    response.raise_for_status()
    return [message["id"] for message in response.json()].count(message_id)


def settle(watcher: ChatWatcher, send) -> None:
    """Publishes a marker and waits for it: anything published before it has reached the watcher."""
    marker = f"marker-{time.monotonic_ns()}"
    assert send({"username": "marker", "message": "marker", "id": marker}).status_code == 200
    watcher.wait_for_message(ably_id(marker))


def assert_kept_once(message_id: str, watcher: ChatWatcher, emulator, send, story: str) -> None:
    """Once everything sent has arrived, `message_id` was delivered once and is in history once.
    `story` says what happened; its {} is the publish timeout."""
    settle(watcher, send)
    print(
        f"\npublish timeout, {story.format(f'{PUBLISH_TIMEOUT_S} s')}, "
        f"{watcher.message_ids.count(message_id)} delivery, {stored_copies(emulator, message_id)} in history"
    )
    assert watcher.message_ids.count(message_id) == 1
    assert stored_copies(emulator, message_id) == 1


def test_a_publish_whose_answer_is_lost_is_retried_and_kept_once(proxy, send_through_proxy, watcher, emulator):
    body = {"username": "Ana", "message": "did this get through?", "id": "lost-answer-1"}
    proxy.lose_responses = True
    assert send_through_proxy(body).status_code == 502
    message_id = ably_id(body["id"])
    assert stored_copies(emulator, message_id) == 1  # the publish did reach Ably; only its answer was lost

    proxy.lose_responses = False
    retry = send_through_proxy(body)
    assert retry.status_code == 200 and retry.get_json()["id"] == message_id

    assert_kept_once(message_id, watcher, emulator, send_through_proxy, "answer lost: 502 after {}, retry 200")


def test_a_publish_held_up_past_the_retry_is_kept_once(proxy, send_through_proxy, watcher, emulator):
    body = {"username": "Ana", "message": "slow network", "id": "held-request-1"}
    proxy.hold_next_request()
    assert send_through_proxy(body).status_code == 502
    message_id = ably_id(body["id"])
    assert stored_copies(emulator, message_id) == 0  # still stuck in the network

    assert send_through_proxy(body).status_code == 200
    proxy.held_released.set()  # the first attempt finally arrives, after the retry
    assert proxy.held_answered.wait(10), "the held publish never reached the emulator"

    story = "request late: 502 after {}, retry 200, late original arrived"
    assert_kept_once(message_id, watcher, emulator, send_through_proxy, story)
