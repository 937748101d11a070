"""Nothing accepted is lost: messages sent through /api/sendMessage while subscribers' connections are
cut at random reach every subscriber exactly once, in order.

CHURN_SUBSCRIBERS and CHURN_MESSAGES size the run (`make soak` uses larger values).
"""

import json
import os
import subprocess
import time

from tests.support.functions import ROOT

SUBSCRIBERS = int(os.environ.get("CHURN_SUBSCRIBERS", "20"))
MESSAGES = int(os.environ.get("CHURN_MESSAGES", "200"))


def test_churn_loses_and_duplicates_nothing(emulator, send_message):
    env = {**os.environ, "ABLY_EMULATOR_URL": emulator.url, "ABLY_EMULATOR_KEY": emulator.key,
           "CHURN_SUBSCRIBERS": str(SUBSCRIBERS)}
    node = subprocess.Popen(["node", "tests/reliability/js/churn-subscribers.mjs"], cwd=ROOT, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert json.loads(node.stdout.readline() or "{}").get("ready"), "the subscribers did not attach"
        accepted = []
        for number in range(MESSAGES):
            message_id = f"churn-{number:06d}"
            response = send_message({"username": f"user{number % 7}", "message": f"#{number}", "id": message_id})
            if response.status_code == 200:
                accepted.append(message_id)
            time.sleep(0.01)  # spread the sends over the cuts
        node.stdin.write(json.dumps(accepted) + "\n")
        node.stdin.flush()
        report = json.loads(node.stdout.readline())
    finally:
        node.kill()
        node.wait()

    subscribers = report["subscribers"]
    lost = sum(len(s["missing"]) for s in subscribers)
    duplicated = sum(len(s["duplicated"]) for s in subscribers)
    recovered = sum(len(s["recovered"]) for s in subscribers)
    discontinuities = sum(s["discontinuities"] for s in subscribers)
    print(f"\nchurn: {len(accepted)}/{MESSAGES} messages accepted, {SUBSCRIBERS} subscribers, "
          f"{report['cuts']} cuts, lost {lost}, duplicated {duplicated}, "
          f"continuity lost {discontinuities} times, recovered from history {recovered}")
    assert len(accepted) == MESSAGES
    assert report["cuts"] >= 5, "too few cuts to mean anything"
    assert lost == 0 and duplicated == 0
    assert discontinuities == 0, "every cut was within the resume window, so every resume must succeed"
    for subscriber in subscribers:  # one publisher: the live stream keeps its order
        assert subscriber["live"] == sorted(subscriber["live"])
