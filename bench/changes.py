"""3–4 (changes). What an edit and a reaction cost from the request to every subscriber, beside a new
message: POST /api/sendMessage, /api/editMessage or /api/react -> the `message`, `message.update` or
`message.summary` at each of N ably-js subscribers, N = 10 and 100.

One kind at a time per round, in turn, each waited for at all N before the next, as fanout.py does.
An edit is the function reading the message from Ably, checking its author and publishing the new
version; a reaction is the function checking the message exists and publishing an annotation, the
emulator then sending the new summary.
"""

import itertools
import time
import uuid
from contextlib import ExitStack

from flask import Blueprint

from bench.fanout import CONNECT_BATCH, DELIVERY_TIMEOUT_S, WARMUP_MESSAGES, report, subscribers
from bench.functions import session_headers, settings_for
from bench.report import Table, ratio
from bench.stats import median, p99, scaled
from chat.web import create_app
from devtools.emulator import MUTABLE_RULES, PERSISTED_RULES, running_emulator
from devtools.functions import generous_limits, load_function

SUBSCRIBER_COUNTS = (10, 100)
NEW, EDIT, REACT = "new message", "edit", "reaction"


class Requests:
    """The three functions in this process, as the page calls them, for one person."""

    def __init__(self, settings, username: str):
        routes = Blueprint("changes", __name__)
        for name in ("sendMessage", "editMessage", "react"):
            routes.register_blueprint(load_function(f"api/{name}.py").routes)
        self.client = create_app(routes, settings=settings, limits=generous_limits(settings.redis_url)).test_client()
        self.headers = session_headers(settings, username)
        self.target = None  # the serial edits and reactions change: one message of the bench's own

    def post(self, function: str, body: dict) -> dict:
        response = self.client.post(f"/api/{function}", headers=self.headers, json=body)
        if response.status_code != 200:
            raise RuntimeError(f"{function} answered {response.status_code}: {response.get_data(as_text=True)}")
        return response.get_json()

    def new_message(self, seq: int) -> None:
        answer = self.post("sendMessage", {"message": f"{seq} {time.time() * 1000:.3f}", "id": str(uuid.uuid4())})
        self.target = self.target or answer["serial"]

    def edit(self, seq: int) -> None:
        self.post("editMessage", {"serial": self.target, "message": f"{seq} {time.time() * 1000:.3f}"})

    def react(self, seq: int, listener) -> float:
        """Toggles the bench's 👍 on the target; the sender's clock at the request, for the summary's latency."""
        listener.send({"command": "expect", "serial": self.target, "seq": seq})
        listener.wait_for("expecting", timeout=10)
        sent_ms = time.time() * 1000
        self.post("react", {"serial": self.target, "reaction": "👍", "remove": seq % 2 == 1})
        return sent_ms


def rounds(requests: Requests, listener, messages: int) -> dict[str, list[list[float]]]:
    """Latencies at every subscriber, per message, per kind."""
    sequence, measured = itertools.count(), {NEW: set(), EDIT: set(), REACT: set()}
    reaction_sent = {}
    for index in range(WARMUP_MESSAGES + messages):
        for kind in (NEW, EDIT, REACT):
            seq = next(sequence)
            if index >= WARMUP_MESSAGES:
                measured[kind].add(seq)
            if kind == REACT:
                reaction_sent[seq] = requests.react(seq, listener)
            else:
                (requests.new_message if kind == NEW else requests.edit)(seq)
            listener.wait_for("delivered", timeout=DELIVERY_TIMEOUT_S)
    arrivals = {a["seq"]: a["latenciesMs"] for a in report(listener)}
    # A summary carries no send time: its subscribers report when it arrived, the sender's clock says when it left.
    for seq, sent_ms in reaction_sent.items():
        arrivals[seq] = [arrived - sent_ms for arrived in arrivals[seq]]
    return {kind: [arrivals[seq] for seq in sorted(seqs)] for kind, seqs in measured.items()}


def run() -> list[Table]:
    messages = scaled(20, minimum=5)
    results = {}
    with ExitStack() as stack:
        emulator = stack.enter_context(running_emulator(*MUTABLE_RULES, *PERSISTED_RULES))
        for count in SUBSCRIBER_COUNTS:
            print(f"  {count} subscribers each...", flush=True)
            requests = Requests(settings_for(emulator), f"bench-{count}")
            with subscribers("ably", emulator.url, emulator.key, count) as group:
                results[count] = rounds(requests, group.process, messages)
    return [changes_table(results, messages)]


def changes_table(results: dict, messages: int) -> Table:
    rows, relative = [], []
    for count, kinds in results.items():
        new = [ms for latencies in kinds[NEW] for ms in latencies]
        medians = {kind: median([ms for latencies in kinds[kind] for ms in latencies]) for kind in kinds}
        relative.append((count, ratio(medians[EDIT], medians[NEW]), ratio(medians[REACT], medians[NEW])))
        for kind, per_message in kinds.items():
            every = [ms for latencies in per_message for ms in latencies]
            last = [max(latencies) for latencies in per_message]
            rows.append(
                [count, kind, len(every), median(every), p99(every), median(last), ratio(median(every), median(new))]
            )
    return Table(
        title="Edits and reactions: request to the change at each of N subscribers, beside a new message",
        columns=["N", "Request", "deliveries", "p50 ms", "p99 ms", "p50 last of N", "p50 / new message"],
        rows=rows,
        interpretation="An edit (the function reads the message back from Ably before publishing) and a reaction "
        "(it checks the message, then the emulator sends a summary) take "
        + "; ".join(f"{edit} and {react} a new message's median (N={n})" for n, edit, react in relative)
        + ".",
        notes=[
            f"{messages} measured requests per kind and N (after {WARMUP_MESSAGES} warm-up rounds), taking turns; "
            f"each waited for at all N before the next. Subscribers opened {CONNECT_BATCH} at a time.",
            "Through api/sendMessage.py, editMessage.py and react.py in this process (Flask test client, rate "
            "limiters that never refuse) -> ably-python REST -> emulator (mutable-messages rule on) -> ably-js 2.28 "
            "(JSON protocol) in Node. Edits and reactions change one message; reactions alternate add and remove.",
            "Latency = subscriber's clock at the event minus the sender's clock before the request (same machine).",
        ],
    )
