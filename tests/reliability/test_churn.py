"""Nothing accepted is lost: messages sent through /api/sendMessage to two rooms while subscribers'
connections are cut at random reach every subscriber of that room exactly once, in order, and no
subscriber of the other room. Edits, deletes and reactions (/api/editMessage, /api/deleteMessage,
/api/react) mixed in leave every subscriber with the final versions and reaction summaries the
emulator serves. The subscribers are ably-js (in Node) and ably-python, all behind one proxy that
cuts their transports.

CHURN_SUBSCRIBERS (ably-js), CHURN_PY_SUBSCRIBERS and CHURN_MESSAGES size the run (`make soak`
uses larger values); about one send in three is followed by a change.
"""

import asyncio
import json
import os
import random
import threading
import time

import pytest
from ably import AblyRealtime, AblyRest
from ably.sync import AblyRestSync
from ably.types.message import MessageAction
from flask import Blueprint

from chat.ably_client import Ably
from chat.config import Settings
from chat.message_changes import REACTION_TYPE
from chat.rooms import channel_for
from chat.web import create_app
from devtools.emulator import MUTABLE_RULES, PERSISTED_RULES, running_emulator
from devtools.functions import generous_limits, held_session, load_function
from tests.reliability.helpers import CLAIM, start_node_client

SUBSCRIBERS = int(os.environ.get("CHURN_SUBSCRIBERS", "20"))
PY_SUBSCRIBERS = int(os.environ.get("CHURN_PY_SUBSCRIBERS", "3"))
MESSAGES = int(os.environ.get("CHURN_MESSAGES", "200"))
ROOMS = ("churn-a", "churn-b")
CHANNELS = [channel_for(room) for room in ROOMS]


CHANGES = ("editMessage", "deleteMessage", "react")
EMOJI = ("👍", "🎉")


@pytest.fixture(scope="module")
def emulator():
    with running_emulator(*MUTABLE_RULES, *PERSISTED_RULES) as running:
        yield running


@pytest.fixture
def call(emulator):
    """POST to one of the functions in-process, as `username` in `room`, rate limits out of the way."""
    settings = Settings.from_environment({"ABLY_API_KEY": emulator.key, "ABLY_ENDPOINT": emulator.url})
    routes = Blueprint("churn", __name__)
    for name in ("sendMessage", *CHANGES):
        routes.register_blueprint(load_function(f"api/{name}.py").routes)
    app = create_app(routes, settings=settings, ably=Ably(settings), limits=generous_limits())
    client, sessions = app.test_client(), {}

    def call(function: str, username: str, room: str, body: dict):
        if (username, room) not in sessions:
            sessions[username, room] = held_session(settings, username, room, CLAIM)
        headers = {"Authorization": f"Bearer {sessions[username, room]}"}
        return client.post(f"/api/{function}", json=body, headers=headers)

    return call


def note_change(changes: dict, message) -> None:
    """As the ably-js subscribers do (js/churn-subscribers.mjs): the newest version by its serial, the
    latest summary."""
    known = changes.setdefault(message.serial, {"version": None, "deleted": False, "text": None, "reactions": {}})
    if message.action == MessageAction.MESSAGE_SUMMARY:
        known["reactions"] = reactions_of(message.annotations.summary if message.annotations else {})
    elif known["version"] is None or message.version.serial > known["version"]:
        deleted = message.action == MessageAction.MESSAGE_DELETE
        known.update(version=message.version.serial, deleted=deleted, text=(message.data or {}).get("text"))


def reactions_of(summary: dict) -> dict:
    entries = sorted((summary or {}).get(REACTION_TYPE, {}).items())
    return {emoji: sorted(entry["clientIds"]) for emoji, entry in entries if entry.get("clientIds")}


class Changes:
    """Edits, deletes and reactions of accepted messages, chosen at random (seeded), each of a message
    still there, by its author for edits and deletes; what the emulator then serves is the expectation."""

    def __init__(self, call, seed: int = 21):
        self.call, self.random = call, random.Random(seed)
        self.live: dict[str, list[tuple[str, str]]] = {room: [] for room in ROOMS}  # (serial, author)
        self.reacted: set[tuple[str, str, str]] = set()  # (serial, name, emoji)
        self.touched: dict[str, set[str]] = {room: set() for room in ROOMS}
        self.made = dict.fromkeys(CHANGES, 0)

    def after_send(self, number: int, room: str, serial: str, author: str) -> None:
        self.live[room].append((serial, author))
        if number % 3 == 2:
            self._edit(room, number)
        if number % 4 == 3:
            self._react(room)
        if number % 15 == 14:
            self._delete(room)

    def _edit(self, room: str, number: int) -> None:
        serial, author = self.random.choice(self.live[room])
        self._make("editMessage", author, room, {"serial": serial, "message": f"#{number} edited"}, serial)

    def _react(self, room: str) -> None:
        serial, _ = self.random.choice(self.live[room])
        name, emoji = f"user{self.random.randrange(7)}", self.random.choice(EMOJI)
        remove = (serial, name, emoji) in self.reacted
        self._make("react", name, room, {"serial": serial, "reaction": emoji, "remove": remove}, serial)
        (self.reacted.discard if remove else self.reacted.add)((serial, name, emoji))

    def _delete(self, room: str) -> None:
        serial, author = self.live[room].pop(self.random.randrange(len(self.live[room])))
        self._make("deleteMessage", author, room, {"serial": serial}, serial)

    def _make(self, function: str, name: str, room: str, body: dict, serial: str) -> None:
        response = self.call(function, name, room, body)
        assert response.status_code == 200, (function, response.get_json())
        self.made[function] += 1
        self.touched[room].add(serial)

    def expected(self, emulator) -> dict[str, dict]:
        """Per channel: serial -> the final state, as the emulator serves each changed message."""
        rest = AblyRestSync(
            key=emulator.key, endpoint=emulator.host, port=emulator.port, tls=False, use_token_auth=True
        )
        expected = {}
        for room in ROOMS:
            channel, changes = channel_for(room), {}
            for serial in sorted(self.touched[room]):
                latest = rest.channels.get(channel).get_message(serial)
                changed = latest.action != MessageAction.MESSAGE_CREATE
                changes[serial] = {
                    "version": latest.version.serial if changed else None,
                    "deleted": latest.action == MessageAction.MESSAGE_DELETE,
                    "text": latest.data.get("text") if changed else None,
                    "reactions": reactions_of(latest.annotations.summary if latest.annotations else {}),
                }
            expected[channel] = changes
        return expected


class PythonSubscribers:
    """ably-python realtime subscribers spread over the rooms' channels, on an event loop of their
    own in a thread."""

    def __init__(self, emulator, proxy_port: int, count: int):
        self.emulator, self.proxy_port = emulator, proxy_port
        self.received = [[] for _ in range(count)]  # message ids, in arrival order, per subscriber
        self.changes = [{} for _ in range(count)]  # serial -> its latest state, per subscriber
        self.channels = [CHANNELS[index % len(CHANNELS)] for index in range(count)]
        self.discontinuities = 0
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.clients = self.call(self._start(count))

    def call(self, coroutine, timeout=60):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    async def _start(self, count):
        clients = []
        for index in range(count):
            # ably-python puts the port in `endpoint`: its WebSocket URL has no port of its own.
            client = AblyRealtime(
                key=self.emulator.key,
                endpoint=f"127.0.0.1:{self.proxy_port}",
                tls=False,
                client_id=f"py-subscriber-{index}",
                use_binary_protocol=index % 2 == 0,
            )
            channel = client.channels.get(self.channels[index])
            await channel.subscribe(
                lambda message, ids=self.received[index], changes=self.changes[index]: (
                    ids.append(message.id)
                    if message.action in (None, MessageAction.MESSAGE_CREATE)
                    else note_change(changes, message)
                )
            )
            channel.on(
                lambda change, ids=self.received[index], name=self.channels[index]: self._on_channel_change(
                    change, ids, name
                )
            )
            clients.append(client)
        return clients

    def _on_channel_change(self, change, ids, channel_name):
        if change.current.value == "attached" and change.resumed is False and change.previous.value != "attaching":
            self.discontinuities += 1
            self.loop.create_task(self._backfill(ids, channel_name))

    async def _backfill(self, ids, channel_name):
        async with AblyRest(
            key=self.emulator.key, endpoint=self.emulator.host, port=self.emulator.port, tls=False, use_token_auth=True
        ) as rest:
            page = await rest.channels.get(channel_name).history(limit=1000)
        ids.extend(message.id for message in reversed(page.items) if message.id not in ids)

    def wait_for(self, wanted: dict[str, list[str]], expected: dict[str, dict], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not all(
            set(wanted[name]) <= set(ids) and changes == expected[name]
            for name, ids, changes in zip(self.channels, self.received, self.changes)
        ):
            time.sleep(0.05)

    def close(self):
        async def close_all():
            # A client whose last transport was cut mid-handshake may never see CLOSED: don't wait on it.
            await asyncio.gather(
                *(asyncio.wait_for(client.close(), 5) for client in self.clients), return_exceptions=True
            )

        self.call(close_all())
        self.loop.call_soon_threadsafe(self.loop.stop)


def test_churn_loses_and_duplicates_nothing(emulator, call):
    node = start_node_client(
        "churn-subscribers.mjs",
        emulator.url,
        emulator.key,
        stdin=True,
        CHURN_SUBSCRIBERS=str(SUBSCRIBERS),
        CHURN_CHANNELS=",".join(CHANNELS),
    )
    python_subscribers = None
    try:
        ready = json.loads(node.stdout.readline() or "{}")
        assert ready.get("ready"), "the ably-js subscribers did not attach"
        python_subscribers = PythonSubscribers(emulator, ready["proxyPort"], PY_SUBSCRIBERS)
        node.stdin.write("cut\n")  # everyone is attached: from now on, transports are cut at random
        node.stdin.flush()
        accepted = {name: [] for name in CHANNELS}
        changes = Changes(call)
        for number in range(MESSAGES):
            room, author = ROOMS[number % len(ROOMS)], f"user{number % 7}"
            response = call("sendMessage", author, room, {"message": f"#{number}", "id": f"churn-{number:06d}"})
            if response.status_code == 200:
                accepted[channel_for(room)].append(response.get_json()["id"])
                changes.after_send(number, room, response.get_json()["serial"], author)
            time.sleep(0.01)  # spread the sends over the cuts
        expected = changes.expected(emulator)
        node.stdin.write(json.dumps({"accepted": accepted, "expected": expected}) + "\n")
        node.stdin.flush()
        report = json.loads(node.stdout.readline())
        python_subscribers.wait_for(accepted, expected)
    finally:
        node.kill()
        node.wait()
        if python_subscribers:
            python_subscribers.close()

    subscribers = report["subscribers"] + [
        {
            "channel": name,
            "live": ids,
            "recovered": [],
            "missing": sorted(set(accepted[name]) - set(ids)),
            "foreign": sorted(set(ids) - set(accepted[name])),
            "duplicated": sorted({i for i in ids if ids.count(i) > 1}),
            "discontinuities": 0,
            "changes": changes_seen,
        }
        for name, ids, changes_seen in zip(
            python_subscribers.channels, python_subscribers.received, python_subscribers.changes
        )
    ]
    lost = sum(len(s["missing"]) for s in subscribers)
    foreign = sum(len(s["foreign"]) for s in subscribers)
    duplicated = sum(len(s["duplicated"]) for s in subscribers)
    recovered = sum(len(s["recovered"]) for s in subscribers)
    discontinuities = sum(s["discontinuities"] for s in subscribers) + python_subscribers.discontinuities
    sent = sum(len(ids) for ids in accepted.values())
    differing = [s for s in subscribers if s["changes"] != expected[s["channel"]]]
    print(
        f"\nchurn: {sent}/{MESSAGES} messages accepted in {len(ROOMS)} rooms, {SUBSCRIBERS} ably-js and "
        f"{PY_SUBSCRIBERS} ably-python subscribers, {report['cuts']} cuts, lost {lost}, duplicated {duplicated}, "
        f"from the other room {foreign}, continuity lost {discontinuities} times, recovered from history {recovered}; "
        f"changes made {changes.made}, subscribers with other final states {len(differing)}"
    )
    assert sent == MESSAGES
    assert report["cuts"] >= 5, "too few cuts to mean anything"
    assert lost == 0 and duplicated == 0 and foreign == 0
    assert discontinuities == 0, "every cut was within the resume window, so every resume must succeed"
    assert all(changes.made.values()) and all(expected.values())
    assert differing == [], differing[0]["changes"]  # every subscriber ends with the versions and summaries served
    for subscriber in subscribers:  # one publisher: the live stream keeps its order
        assert subscriber["live"] == sorted(subscriber["live"])
