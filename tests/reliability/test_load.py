"""Load: many realtime connections held with heartbeats while a message stream fans out to all of them.

Every connection must stay connected and get every message exactly once. Throughput, delivery
latency and the emulator's peak memory are printed, not asserted (the machine is shared).

LOAD_CONNECTIONS, LOAD_HOLD_S and LOAD_BURST size the run (`make soak` uses larger values).
"""

import json
import os
import subprocess
import time
from collections import Counter

from bench.stats import median, p99
from devtools.processes import memory_mib
from tests.reliability.helpers import start_node_client

CONNECTIONS = int(os.environ.get("LOAD_CONNECTIONS", "200"))
HOLD_S = float(os.environ.get("LOAD_HOLD_S", "10"))
BURST = int(os.environ.get("LOAD_BURST", "20"))  # messages sent back to back, then a quiet spell
HEARTBEAT_MS = 1000  # the shortest maxIdleInterval the emulator grants
QUIET_S = 2 * HEARTBEAT_MS / 1000  # long enough for every connection to be sent a HEARTBEAT
NODE_PROCESSES = 2  # ably-js is single-threaded: two processes, one per core


def start_subscribers(emulator, count: int) -> subprocess.Popen:
    return start_node_client(
        "load-subscribers.mjs",
        emulator.url,
        emulator.key,
        stdin=True,
        LOAD_CONNECTIONS=str(count),
        LOAD_HEARTBEAT_MS=str(HEARTBEAT_MS),
    )


def read_json(node: subprocess.Popen) -> dict:
    return json.loads(node.stdout.readline() or "{}")


def publish_in_bursts(send_message) -> list[tuple[float, list[str]]]:
    """Sends bursts through /api/sendMessage for HOLD_S seconds; returns (start in epoch ms, ids) per burst."""
    bursts = []
    started = time.monotonic()
    time.sleep(QUIET_S)
    while time.monotonic() - started < HOLD_S:
        burst_started_ms = time.time() * 1000
        ids = []
        for number in range(BURST):
            browser_id = f"load-{len(bursts):04d}-{number:03d}"
            response = send_message({"username": "loader", "message": browser_id, "id": browser_id})
            assert response.status_code == 200, response.get_json()
            ids.append(response.get_json()["id"])
        bursts.append((burst_started_ms, ids))
        time.sleep(QUIET_S)
    return bursts


def test_held_connections_each_get_every_message_once(emulator, send_message):
    idle_rss = memory_mib(emulator.process.pid)
    shares = [CONNECTIONS // NODE_PROCESSES + (i < CONNECTIONS % NODE_PROCESSES) for i in range(NODE_PROCESSES)]
    nodes = [start_subscribers(emulator, share) for share in shares]
    try:
        opening_ms = max(read_json(node).get("openingMs", -1) for node in nodes)
        assert opening_ms >= 0, "the connections did not all attach"
        connected_rss = memory_mib(emulator.process.pid)
        bursts = publish_in_bursts(send_message)
        published = [message_id for _, ids in bursts for message_id in ids]
        for node in nodes:
            node.stdin.write(json.dumps(published) + "\n")
            node.stdin.flush()
        reports = [read_json(node) for node in nodes]
    finally:
        for node in nodes:
            node.kill()
            node.wait()
    peak_rss = memory_mib(emulator.process.pid, "VmHWM")

    histogram: Counter[int] = Counter()
    for report in reports:
        for latency, count in report["latencyHistogram"].items():
            histogram[int(latency)] += count
    deliveries = sum(r["deliveries"] for r in reports)
    # Time the emulator was busy fanning out: from each burst's first send to its last arrival anywhere.
    busy_ms = sum(max(r["lastArrival"].get(i, start) for r in reports for i in ids) - start for start, ids in bursts)
    rate = deliveries / max(busy_ms, 1) * 1000
    print(
        f"\nload: {sum(r['connections'] for r in reports)} connections opened in {opening_ms / 1000:.1f} s, "
        f"held {HOLD_S:.0f} s with {sum(r['heartbeats'] for r in reports)} heartbeats; "
        f"{len(published)} messages -> {deliveries} deliveries, {rate:.0f}/s while fanning out; "
        f"latency p50 {median(histogram.elements()):.0f} ms, p99 {p99(histogram.elements()):.0f} ms; "
        f"emulator RSS idle {idle_rss:.0f} MiB, connected {connected_rss:.0f} MiB, peak {peak_rss:.0f} MiB"
    )

    assert sum(r["connections"] for r in reports) == CONNECTIONS
    assert [r["notHeld"] for r in reports] == [[]] * NODE_PROCESSES, "connections left the connected state"
    assert min(r["fewestHeartbeats"] for r in reports) >= 1, "some connections never got a HEARTBEAT"
    assert sum(r["missing"] for r in reports) == 0
    assert sum(r["duplicated"] for r in reports) == 0 and sum(r["unexpected"] for r in reports) == 0
    assert deliveries == CONNECTIONS * len(published)
