"""Nothing accepted is lost: messages sent through /api/sendMessage while subscribers' connections are
cut at random reach every subscriber exactly once, in order. The subscribers are ably-js (in Node)
and ably-python, all behind one proxy that cuts their transports.

CHURN_SUBSCRIBERS (ably-js), CHURN_PY_SUBSCRIBERS and CHURN_MESSAGES size the run (`make soak`
uses larger values).
"""

import asyncio
import json
import os
import subprocess
import threading
import time

from ably import AblyRealtime, AblyRest

from tests.support.functions import ROOT

SUBSCRIBERS = int(os.environ.get("CHURN_SUBSCRIBERS", "20"))
PY_SUBSCRIBERS = int(os.environ.get("CHURN_PY_SUBSCRIBERS", "3"))
MESSAGES = int(os.environ.get("CHURN_MESSAGES", "200"))


class PythonSubscribers:
    """ably-python realtime subscribers on `chat`, on an event loop of their own in a thread."""

    def __init__(self, emulator, proxy_port: int, count: int):
        self.emulator, self.proxy_port = emulator, proxy_port
        self.received = [[] for _ in range(count)]  # message ids, in arrival order, per subscriber
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
            client = AblyRealtime(key=self.emulator.key, endpoint=f"127.0.0.1:{self.proxy_port}", tls=False,
                                  client_id=f"py-subscriber-{index}", use_binary_protocol=index % 2 == 0)
            channel = client.channels.get("chat")
            await channel.subscribe("message", lambda message, ids=self.received[index]: ids.append(message.id))
            channel.on(lambda change, ids=self.received[index]: self._on_channel_change(change, ids))
            clients.append(client)
        return clients

    def _on_channel_change(self, change, ids):
        if change.current.value == "attached" and change.resumed is False and change.previous.value != "attaching":
            self.discontinuities += 1
            self.loop.create_task(self._backfill(ids))

    async def _backfill(self, ids):
        async with AblyRest(key=self.emulator.key, endpoint=self.emulator.host, port=self.emulator.port,
                            tls=False, use_token_auth=True) as rest:
            page = await rest.channels.get("chat").history(limit=1000)
        ids.extend(message.id for message in reversed(page.items) if message.id not in ids)

    def wait_for(self, wanted: list[str], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not all(set(wanted) <= set(ids) for ids in self.received):
            time.sleep(0.05)

    def close(self):
        async def close_all():
            await asyncio.gather(*(client.close() for client in self.clients))
        self.call(close_all())
        self.loop.call_soon_threadsafe(self.loop.stop)


def test_churn_loses_and_duplicates_nothing(emulator, send_message):
    env = {**os.environ, "ABLY_EMULATOR_URL": emulator.url, "ABLY_EMULATOR_KEY": emulator.key,
           "CHURN_SUBSCRIBERS": str(SUBSCRIBERS)}
    node = subprocess.Popen(["node", "tests/reliability/js/churn-subscribers.mjs"], cwd=ROOT, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    python_subscribers = None
    try:
        ready = json.loads(node.stdout.readline() or "{}")
        assert ready.get("ready"), "the ably-js subscribers did not attach"
        python_subscribers = PythonSubscribers(emulator, ready["proxyPort"], PY_SUBSCRIBERS)
        accepted = []
        for number in range(MESSAGES):
            message_id = f"churn-{number:06d}"
            response = send_message({"username": f"user{number % 7}", "message": f"#{number}", "id": message_id})
            if response.status_code == 200:
                accepted.append(response.get_json()["id"])
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
        {"live": ids, "recovered": [], "missing": sorted(set(accepted) - set(ids)),
         "duplicated": sorted({i for i in ids if ids.count(i) > 1}), "discontinuities": 0}
        for ids in python_subscribers.received]
    lost = sum(len(s["missing"]) for s in subscribers)
    duplicated = sum(len(s["duplicated"]) for s in subscribers)
    recovered = sum(len(s["recovered"]) for s in subscribers)
    discontinuities = sum(s["discontinuities"] for s in subscribers) + python_subscribers.discontinuities
    print(f"\nchurn: {len(accepted)}/{MESSAGES} messages accepted, {SUBSCRIBERS} ably-js and {PY_SUBSCRIBERS} "
          f"ably-python subscribers, {report['cuts']} cuts, lost {lost}, duplicated {duplicated}, "
          f"continuity lost {discontinuities} times, recovered from history {recovered}")
    assert len(accepted) == MESSAGES
    assert report["cuts"] >= 5, "too few cuts to mean anything"
    assert lost == 0 and duplicated == 0
    assert discontinuities == 0, "every cut was within the resume window, so every resume must succeed"
    for subscriber in subscribers:  # one publisher: the live stream keeps its order
        assert subscriber["live"] == sorted(subscriber["live"])
