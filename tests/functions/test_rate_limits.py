"""Rate limits per IP and per user, with 429 and Retry-After."""

from chat.ratelimit import Rate, RateLimiter
from tests.functions.test_send_message import VALID, assert_json_error, post


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_bucket_allows_a_burst_then_refills():
    clock = FakeClock()
    limiter = RateLimiter(Rate(burst=3, per_second=0.5), clock=clock)
    assert [limiter.retry_after("a") for _ in range(4)] == [0, 0, 0, 2]
    assert limiter.retry_after("b") == 0  # other keys are unaffected
    clock.now += 2
    assert limiter.retry_after("a") == 0
    assert limiter.retry_after("a") == 2


def test_memory_is_bounded():
    limiter = RateLimiter(Rate(burst=1, per_second=1), max_keys=100, clock=FakeClock())
    for number in range(1000):
        limiter.retry_after(f"ip-{number}")
    assert len(limiter._buckets) == 100


def test_send_message_limits_each_user(send_client, configure, closed_port):
    configure(endpoint=f"http://127.0.0.1:{closed_port}")  # publishing fails fast; the limit comes first
    statuses = [post(send_client, VALID).status_code for _ in range(10)]
    assert statuses == [502] * 10
    response = post(send_client, VALID)
    assert_json_error(response, 429, mentions="too many requests")
    assert int(response.headers["Retry-After"]) >= 1
    assert post(send_client, {**VALID, "username": "Bo"}).status_code == 502  # another user is not limited
    # Nor is the same name from elsewhere: a name is not an account, so no one can use up another's.
    elsewhere = send_client.post("/api/sendMessage", json=VALID, headers={"X-Forwarded-For": "192.0.2.9"})
    assert elsewhere.status_code == 502


def test_send_message_limits_each_ip(send_client):
    def from_ip(ip):
        return send_client.post("/api/sendMessage", data="{}", content_type="application/json",
                                headers={"X-Forwarded-For": f"{ip}, 10.0.0.1"})
    assert {from_ip("192.0.2.1").status_code for _ in range(60)} == {400}
    assert_json_error(from_ip("192.0.2.1"), 429)
    assert from_ip("192.0.2.2").status_code == 400


def test_auth_limits_each_ip(auth_client):
    statuses = [auth_client.get("/api/ably/auth?clientId=Ana").status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60 and statuses[60] == 429
