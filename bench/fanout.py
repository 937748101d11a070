"""3. End-to-end delivery: POST /api/sendMessage -> `message` event in N ably-js subscribers,
versus a bare aiohttp WebSocket broadcast of the same payload to N `ws` clients.
4. Fan-out throughput at the largest N: a burst of publishes, deliveries per second.

Both sets of subscribers stay connected side by side (one Node process each) and the two
variants take turns, one message at a time, so both see the same machine load.
"""

import itertools
import json
import sys
import time
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from bench.functions import CHANNEL, send_message_app, session_headers, settings_for
from bench.processes import JsonLineProcess, cpu_seconds
from bench.report import Table, ratio
from bench.stats import median, p99, percentile, scaled
from chat.ably_client import Ably
from chat.messages import EVENT
from devtools.emulator import running_emulator
from devtools.node import node_executable
from devtools.processes import memory_mib

SUBSCRIBER_COUNTS = (10, 100, 1000)
CONNECT_BATCH = 50  # subscribers opened at once, so the emulator is not hammered at connect
WARMUP_MESSAGES = 3
EMULATOR, BARE = "emulator + sendMessage", "bare WebSocket broadcast"
DELIVERY_TIMEOUT_S = 60
PLOTTED_PERCENTILES = (0.5, 0.9, 0.99)


def chat_payload(seq: int) -> dict:
    """A chat message like the function's, its text carrying the sequence number and send time."""
    return {
        "username": "bench",
        "text": f"{seq} {time.time() * 1000:.3f}",
        "type": "message",
        "date": datetime.now(UTC).isoformat(timespec="milliseconds"),
    }


@dataclass
class SubscriberGroup:
    process: JsonLineProcess  # the Node process holding all of them
    connect_ms: float  # to open (and attach) all of them, in batches


@contextmanager
def subscribers(kind: str, url: str, key: str, count: int):
    command = [node_executable(), "bench/subscribers.mjs", kind, url, key, str(count), str(CONNECT_BATCH)]
    with JsonLineProcess(command) as process:
        yield SubscriberGroup(process, process.wait_for("ready", timeout=300)["connectMs"])
        process.send({"command": "close"})
        process.wait_for("closed", timeout=120)


def report(process: JsonLineProcess) -> list[dict]:
    process.send({"command": "report"})
    return process.wait_for("report", timeout=60)["arrivals"]


class Publishers:
    """How each variant sends one chat message from this process."""

    def __init__(self, emulator, bare_url: str):
        settings = settings_for(emulator)
        self.function = send_message_app(settings).test_client()
        self.headers = session_headers(settings)
        self.ably = Ably(settings)  # the functions' own Ably client (ably-python's REST)
        self.bare = httpx.Client(base_url=bare_url)

    def through_function(self, seq: int) -> None:
        text = chat_payload(seq)["text"]
        response = self.function.post(
            "/api/sendMessage", headers=self.headers, json={"message": text, "id": str(uuid.uuid4())}
        )
        if response.status_code != 200:
            raise RuntimeError(f"sendMessage answered {response.status_code}: {response.get_data(as_text=True)}")

    def rest_publish(self, seq: int) -> None:
        self.ably.publish(CHANNEL, EVENT, chat_payload(seq), str(uuid.uuid4()))

    def bare_broadcast(self, seq: int) -> None:
        self.bare.post("/publish", content=json.dumps(chat_payload(seq))).raise_for_status()

    def close(self) -> None:
        self.bare.close()


def latency_rounds(send: dict, listeners: dict, sequence, messages: int) -> dict[str, list[dict]]:
    """One message per variant per round, each waited for at every subscriber before the next."""
    names = list(send)
    measured = set()
    for index in range(WARMUP_MESSAGES + messages):
        for name in names[index % 2 :] + names[: index % 2]:
            seq = next(sequence)
            if index >= WARMUP_MESSAGES:
                measured.add(seq)
            send[name](seq)
            listeners[name].wait_for("delivered", timeout=DELIVERY_TIMEOUT_S)
    return {name: [a for a in report(listener) if a["seq"] in measured] for name, listener in listeners.items()}


def burst(send, listener: JsonLineProcess, server_pid: int, sequence, messages: int) -> dict:
    """`messages` publishes back to back; deliveries/s from the first send to the last arrival."""
    server_cpu, client_cpu = cpu_seconds(server_pid), cpu_seconds(listener.pid)
    sent_ms = time.time() * 1000
    for _ in range(messages):
        send(next(sequence))
    delivered = set()
    while len(delivered) < messages:
        delivered.add(listener.wait_for("delivered", timeout=DELIVERY_TIMEOUT_S)["seq"])
    arrivals = report(listener)
    deliveries = sum(len(a["latenciesMs"]) for a in arrivals)
    seconds = (max(a["lastArrivalMs"] for a in arrivals) - sent_ms) / 1000
    return {
        "deliveries": deliveries,
        "per_second": deliveries / seconds,
        "server_cpu": cpu_seconds(server_pid) - server_cpu,
        "client_cpu": cpu_seconds(listener.pid) - client_cpu,
    }


def run() -> list[Table]:
    messages = scaled(60, minimum=5)
    bursts, burst_size = scaled(7, minimum=1), 50
    latencies = {}  # subscriber count -> variant -> arrivals
    connect_ms = {}  # subscriber count -> variant -> ms
    throughput = {EMULATOR: [], BARE: []}
    sequence = itertools.count()  # message numbers, unique across the run
    with ExitStack() as stack:
        emulator = stack.enter_context(running_emulator())
        bare_server = stack.enter_context(JsonLineProcess([sys.executable, "-m", "bench.broadcast_server"]))
        bare_port = bare_server.wait_for("ready", timeout=30)["port"]
        publishers = Publishers(emulator, f"http://127.0.0.1:{bare_port}")
        stack.callback(publishers.close)
        server_pids = {EMULATOR: emulator.process.pid, BARE: bare_server.pid}
        latency_senders = {EMULATOR: publishers.through_function, BARE: publishers.bare_broadcast}
        burst_senders = {EMULATOR: publishers.rest_publish, BARE: publishers.bare_broadcast}
        for count in SUBSCRIBER_COUNTS:
            print(f"  {count} subscribers each...", flush=True)
            with (
                subscribers("ably", emulator.url, emulator.key, count) as ably,
                subscribers("ws", f"ws://127.0.0.1:{bare_port}", "-", count) as bare,
            ):
                groups = {EMULATOR: ably, BARE: bare}
                listeners = {name: group.process for name, group in groups.items()}
                connect_ms[count] = {name: group.connect_ms for name, group in groups.items()}
                latencies[count] = latency_rounds(latency_senders, listeners, sequence, messages)
                if count == max(SUBSCRIBER_COUNTS):
                    for _ in range(bursts):
                        for name, listener in listeners.items():
                            throughput[name].append(
                                burst(burst_senders[name], listener, server_pids[name], sequence, burst_size)
                            )
        peak_rss = {name: memory_mib(pid, "VmHWM") for name, pid in server_pids.items()}
    return [
        delivery_table(latencies, connect_ms, messages),
        throughput_table(throughput, peak_rss, max(SUBSCRIBER_COUNTS), burst_size),
    ]


def delivery_table(latencies: dict, connect_ms: dict, messages: int) -> Table:
    rows, worst, plotted = [], {}, {}
    for count, variants in latencies.items():
        every = {name: [ms for a in arrivals for ms in a["latenciesMs"]] for name, arrivals in variants.items()}
        plotted[count] = {
            name: {f"p{round(q * 100)}": percentile(ms, q) for q in PLOTTED_PERCENTILES} for name, ms in every.items()
        }
        last = {name: [max(a["latenciesMs"]) for a in arrivals] for name, arrivals in variants.items()}
        for name in (EMULATOR, BARE):
            rows.append(
                [
                    count,
                    name,
                    len(every[name]),
                    median(every[name]),
                    p99(every[name]),
                    median(last[name]),
                    ratio(median(every[name]), median(every[BARE])),
                    ratio(p99(every[name]), p99(every[BARE])),
                    connect_ms[count][name] / 1000,
                ]
            )
        worst[count] = ratio(median(every[EMULATOR]), median(every[BARE]))
    return Table(
        title="End-to-end delivery: publish to `message` event at each of N subscribers",
        columns=[
            "N",
            "Variant",
            "deliveries",
            "p50 ms",
            "p99 ms",
            "p50 last of N",
            "p50 / bare",
            "p99 / bare",
            "connect N (s)",
        ],
        rows=rows,
        interpretation="Delivery through the function and the emulator takes "
        + ", ".join(f"{r} (N={n})" for n, r in worst.items())
        + " the bare broadcast's median latency.",
        notes=[
            f"{messages} measured messages per variant and N (after {WARMUP_MESSAGES} warm-up), alternating; "
            "each message waited for at all N before the next.",
            "emulator + sendMessage: POST through api/sendMessage.py in this process (Flask test client, "
            "rate limiters that never refuse) -> REST publish -> emulator -> ably-js 2.28 (JSON protocol) in Node. "
            "bare: POST to an aiohttp server that send_str()s the body to N `ws` clients in Node.",
            "Latency = subscriber's clock at the event minus the sender's clock before the POST (same machine). "
            "'p50 last of N' is the median over messages of the slowest subscriber.",
        ],
        data={"latency_percentiles": plotted},
    )


def throughput_table(throughput: dict, peak_rss: dict, count: int, burst_size: int) -> Table:
    bare_rate = median([b["per_second"] for b in throughput[BARE]])
    rows = []
    servers = {EMULATOR: "emulator (ably-js subscribers)", BARE: "bare broadcast (`ws` subscribers)"}
    for name, bursts in throughput.items():
        rate = median([b["per_second"] for b in bursts])
        server_cpu_per_1k = median([b["server_cpu"] / b["deliveries"] * 1e6 for b in bursts])  # ms per 1,000
        client_cpu_per_1k = median([b["client_cpu"] / b["deliveries"] * 1e6 for b in bursts])
        rows.append(
            [
                servers[name],
                len(bursts),
                rate,
                ratio(rate, bare_rate),
                server_cpu_per_1k,
                client_cpu_per_1k,
                peak_rss[name],
            ]
        )
    emulator_rate = median([b["per_second"] for b in throughput[EMULATOR]])
    return Table(
        title=f"Fan-out throughput at {count:,} connections",
        columns=[
            "Server",
            "bursts",
            "deliveries/s",
            "/ bare",
            "server CPU ms per 1k deliveries",
            "Node CPU ms per 1k deliveries",
            "server peak RSS MiB",
        ],
        rows=rows,
        interpretation=f"The emulator fans out {ratio(emulator_rate, bare_rate)} the bare broadcast's "
        "deliveries per second.",
        notes=[
            f"Each burst: {burst_size} publishes back to back (the emulator's through ably-python REST, "
            f"not the function; the bare server's as POSTs), until all {count:,} subscribers have all of "
            "them; deliveries/s = deliveries / (last arrival - first send). Bursts alternate; medians shown.",
            "CPU from /proc for the server process and the Node subscriber process during the burst: "
            "with 2 cores shared by both, the busier one sets the pace.",
            "Neither server negotiates permessage-deflate (both turn off aiohttp's default, though `ws`, "
            "ably-js in Node and browsers offer it), so every delivery goes out uncompressed.",
        ],
    )
