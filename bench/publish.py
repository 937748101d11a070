"""1. Publish path: server-side time of one chat message, four ways, round-robin in one loop.

- `sendMessage (warm, limits in memory)`: api/sendMessage.py as it is, time inside the WSGI call.
- `sendMessage (warm, limits in Redis)`: the same with REDIS_URL set, to a local redis-server.
- `connection per request`: the same function with its publish swapped for the design it
  replaces: open an AblyRealtime connection, wait for `connected`, publish, close.
- `bare REST publish`: the functions' REST publish alone, no Flask, no session, no limits (the floor).

And the session check alone, which every request to sendMessage and the token function makes.
"""

import asyncio
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime

from ably import AblyRealtime
from ably.types.message import Message
from werkzeug.test import EnvironBuilder

from bench.functions import send_message_app, session_headers, settings_for
from bench.report import Table, ratio
from bench.stats import median, p99, scaled
from chat.ably_client import Ably
from chat.config import Settings
from chat.messages import EVENT
from chat.rooms import DEFAULT_ROOM, channel_for
from chat.sessions import Sessions
from devtools.emulator import running_emulator
from devtools.redis import running_redis

WARMUP_ROUNDS = 5


def chat_data(username: str, text: str) -> dict:
    return {
        "username": username,
        "text": text,
        "type": "message",
        "date": datetime.now(UTC).isoformat(timespec="milliseconds"),
    }


class ConnectionPerRequest(Ably):
    """The replaced design, closing properly: one realtime connection per request."""

    def publish(self, channel: str, name: str, data: dict, message_id: str) -> None:
        asyncio.run(_connect_publish_close(self.settings, channel, Message(name=name, data=data, id=message_id)))


async def _connect_publish_close(settings: Settings, channel: str, message: Message) -> None:
    endpoint = settings.ably_endpoint
    # ably-python's realtime URL has no port of its own: the port rides in the endpoint.
    client = AblyRealtime(key=settings.ably_key, endpoint=f"{endpoint.host}:{endpoint.port}", tls=False)
    try:
        await client.connection.once_async("connected")
        await client.channels.get(channel).publish(message)
    finally:
        await client.close()


def timed_wsgi_post(app, body: dict, headers: dict) -> float:
    """Seconds spent inside the WSGI call, response body included; the request is built before."""
    environ = EnvironBuilder(path="/api/sendMessage", method="POST", json=body, headers=headers).get_environ()
    statuses = []
    started = time.perf_counter()
    b"".join(app(environ, lambda status, headers, exc_info=None: statuses.append(status)))
    elapsed = time.perf_counter() - started
    if not statuses[0].startswith("200"):
        raise RuntimeError(f"sendMessage answered {statuses[0]}")
    return elapsed


def run() -> list[Table]:
    rounds = scaled(500, minimum=20)
    with running_emulator() as emulator, running_redis() as redis:
        settings = settings_for(emulator)
        warm = send_message_app(settings)
        redis_settings = replace(settings, redis_url=redis.url)
        warm_redis = send_message_app(redis_settings)
        per_request = send_message_app(settings, ably=ConnectionPerRequest(settings))
        floor = Ably(settings)
        senders = [session_headers(settings, f"bench{n}") for n in range(50)]
        redis_senders = [session_headers(redis_settings, f"bench{n}") for n in range(50)]  # held in Redis
        sessions = Sessions(settings)

        def body(round_index: int) -> dict:
            return {"message": f"round {round_index}", "id": str(uuid.uuid4())}

        def bare_rest(round_index: int) -> float:
            data, message_id = chat_data("bench", f"round {round_index}"), str(uuid.uuid4())
            started = time.perf_counter()
            floor.publish(channel_for(DEFAULT_ROOM), EVENT, data, message_id)
            return time.perf_counter() - started

        def session_check(round_index: int) -> float:
            header = senders[round_index % 50]["Authorization"]
            started = time.perf_counter()
            sessions.from_header(header)
            return time.perf_counter() - started

        variants = {
            "sendMessage (warm, limits in memory)": lambda i: timed_wsgi_post(warm, body(i), senders[i % 50]),
            "sendMessage (warm, limits in Redis)": lambda i: timed_wsgi_post(
                warm_redis, body(i), redis_senders[i % 50]
            ),
            "connection per request (replaced design)": lambda i: timed_wsgi_post(
                per_request, body(i), senders[i % 50]
            ),
            "bare REST publish (floor)": bare_rest,
            "the session check alone": session_check,
        }
        samples = {name: [] for name in variants}
        names = list(variants)
        for round_index in range(WARMUP_ROUNDS + rounds):
            rotation = round_index % len(names)  # each variant goes first equally often
            for name in names[rotation:] + names[:rotation]:
                seconds = variants[name](round_index)
                if round_index >= WARMUP_ROUNDS:
                    samples[name].append(seconds * 1000)
    return [publish_table(samples, rounds)]


def publish_table(samples: dict[str, list[float]], rounds: int) -> Table:
    warm, warm_redis, per_request, floor, session = samples.values()
    rows = [
        [
            name,
            len(values),
            median(values),
            p99(values),
            ratio(median(values), median(floor)),
            ratio(p99(values), p99(floor)),
        ]
        for name, values in samples.items()
    ]
    return Table(
        title="Publish path: server-side time per message (warm)",
        columns=["Variant", "n", "p50 ms", "p99 ms", "p50 / floor", "p99 / floor"],
        rows=rows,
        interpretation=(
            f"The warm function takes {ratio(median(warm), median(floor))} the time of a bare REST publish "
            f"at the median with its limits in memory, {ratio(median(warm_redis), median(floor))} with them in "
            f"Redis (+{median(warm_redis) - median(warm):.2f} ms); the session check is "
            f"{median(session) * 1000:.0f} µs of it; a realtime connection per request costs "
            f"{ratio(median(per_request), median(warm))} the current function (p99: "
            f"{ratio(p99(per_request), p99(warm))})."
        ),
        notes=[
            f"{rounds} rounds after {WARMUP_ROUNDS} warm-up rounds, one request of each variant per round, "
            "in rotating order, all against one local emulator and, for the Redis row, one local "
            "redis-server.",
            "The Flask variants count against rate limits so generous they never refuse (two limits per "
            "request: per address and per person), and each request carries a session, as the page's do.",
        ],
    )
