"""Nothing accepted is lost: messages sent through /api/sendMessage to two rooms while subscribers'
connections are cut at random reach every subscriber of that room exactly once, in order, and no
subscriber of the other room. The subscribers are ably-js (in Node) and ably-python, all behind one
proxy that cuts their transports.

CHURN_SUBSCRIBERS (ably-js), CHURN_PY_SUBSCRIBERS and CHURN_MESSAGES size the run (`make soak`
uses larger values).
"""

import asyncio
import json
import os
import threading
import time

from ably import AblyRealtime, AblyRest

from chat.rooms import channel_for
from tests.reliability.helpers import start_node_client

SUBSCRIBERS = int(os.environ.get("CHURN_SUBSCRIBERS", "20"))
PY_SUBSCRIBERS = int(os.environ.get("CHURN_PY_SUBSCRIBERS", "3"))
MESSAGES = int(os.environ.get("CHURN_MESSAGES", "200"))
ROOMS = ("churn-a", "churn-b")
CHANNELS = [channel_for(room) for room in ROOMS]


class PythonSubscribers:
    """ably-python realtime subscribers spread over the rooms' channels, on an event loop of their
    own in a thread."""

    def __init__(self, emulator, proxy_port: int, count: int):
        self.emulator, self.proxy_port = emulator, proxy_port
        self.received = [[] for _ in range(count)]  # message ids, in arrival order, per subscriber
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
            await channel.subscribe("message", lambda message, ids=self.received[index]: ids.append(message.id))
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

    def wait_for(self, wanted: dict[str, list[str]], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not all(
            set(wanted[name]) <= set(ids) for name, ids in zip(self.channels, self.received)
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


def test_churn_loses_and_duplicates_nothing(emulator, send_message):
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
        for number in range(MESSAGES):
            room = ROOMS[number % len(ROOMS)]
            response = send_message(
                {"username": f"user{number % 7}", "room": room, "message": f"#{number}", "id": f"churn-{number:06d}"}
            )
            if response.status_code == 200:
                accepted[channel_for(room)].append(response.get_json()["id"])
            time.sleep(0.01)  # spread the sends over the cuts
        node.stdin.write(json.dumps(accepted) + "\n")
        node.stdin.flush()
        report = json.loads(node.stdout.readline())
        python_subscribers.wait_for(accepted)
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
        }
        for name, ids in zip(python_subscribers.channels, python_subscribers.received)
    ]
    lost = sum(len(s["missing"]) for s in subscribers)
    foreign = sum(len(s["foreign"]) for s in subscribers)
    duplicated = sum(len(s["duplicated"]) for s in subscribers)
    recovered = sum(len(s["recovered"]) for s in subscribers)
    discontinuities = sum(s["discontinuities"] for s in subscribers) + python_subscribers.discontinuities
    sent = sum(len(ids) for ids in accepted.values())
    print(
        f"\nchurn: {sent}/{MESSAGES} messages accepted in {len(ROOMS)} rooms, {SUBSCRIBERS} ably-js and "
        f"{PY_SUBSCRIBERS} ably-python subscribers, {report['cuts']} cuts, lost {lost}, duplicated {duplicated}, "
        f"from the other room {foreign}, continuity lost {discontinuities} times, recovered from history {recovered}"
    )
    assert sent == MESSAGES
    assert report["cuts"] >= 5, "too few cuts to mean anything"
    assert lost == 0 and duplicated == 0 and foreign == 0
    assert discontinuities == 0, "every cut was within the resume window, so every resume must succeed"
    for subscriber in subscribers:  # one publisher: the live stream keeps its order
        assert subscriber["live"] == sorted(subscriber["live"])
