"""Rate limits: 429 with Retry-After, per address and per person, in memory and in a real Redis
shared by separate function processes."""

import concurrent.futures
import logging
import threading
import urllib.error
import urllib.request

import pytest

from chat.rate_limits import SEND_PER_IP, SEND_PER_USER, SESSION_PER_IP, TOKEN_PER_IP, RateLimits
from chat.store import Store
from devtools.redis import running_redis
from tests.functions.helpers import TEST_KEY, session_header, settings_with, start_function, stop_function
from tests.support.http import assert_json_error


def send(client, headers, **environ_base):
    return client.post("/api/sendMessage", json={"message": "hi"}, headers=headers, environ_base=environ_base)


@pytest.fixture
def failing_publish(closed_port):
    """Settings whose Ably is unreachable: publishing fails fast, after the limits have counted."""
    return settings_with(ABLY_ENDPOINT=f"http://127.0.0.1:{closed_port}")


def test_each_person_gets_a_burst_then_waits(function, failing_publish):
    client = function("api/sendMessage.py", failing_publish)
    ana = session_header(failing_publish, "Ana")
    assert [send(client, ana).status_code for _ in range(SEND_PER_USER.amount)] == [502] * SEND_PER_USER.amount
    response = send(client, ana)
    assert_json_error(response, 429, mentions="too many requests")
    assert 1 <= int(response.headers["Retry-After"]) <= SEND_PER_USER.per_seconds
    assert send(client, session_header(failing_publish, "Bo")).status_code == 502  # others are not limited
    # Ana in another room is another claim with an allowance of its own.
    assert send(client, session_header(failing_publish, "Ana", "team-b")).status_code == 502


def test_each_address_gets_a_burst_then_waits(function, failing_publish):
    client = function("api/sendMessage.py", failing_publish)
    statuses = {send(client, {}, REMOTE_ADDR="192.0.2.1").status_code for _ in range(SEND_PER_IP.amount)}
    assert statuses == {401}  # counted before the session is even read
    assert_json_error(send(client, {}, REMOTE_ADDR="192.0.2.1"), 429)
    assert send(client, {}, REMOTE_ADDR="192.0.2.2").status_code == 401


def test_tokens_and_sessions_are_limited_per_address(function):
    auth = function("api/ably/auth.py")
    statuses = [auth.get("/api/ably/auth").status_code for _ in range(TOKEN_PER_IP.amount + 1)]
    assert statuses == [401] * TOKEN_PER_IP.amount + [429]
    session = function("api/session.py")
    statuses = [session.post("/api/session", data="x").status_code for _ in range(SESSION_PER_IP.amount + 1)]
    assert statuses == [415] * SESSION_PER_IP.amount + [429]


def test_forwarded_headers_are_ignored_unless_vercel_set_them(function):
    """Locally anyone can send X-Forwarded-For: rotating it must not reset the count."""
    client = function("api/ably/auth.py")
    statuses = [
        client.get(
            "/api/ably/auth", headers={"X-Forwarded-For": f"198.51.100.{n}", "X-Real-IP": f"203.0.113.{n}"}
        ).status_code
        for n in range(TOKEN_PER_IP.amount + 1)
    ]
    assert statuses[-1] == 429


def test_on_vercel_the_address_comes_from_its_headers(function):
    client = function("api/ably/auth.py", settings_with(VERCEL_ENV="production"))
    for _ in range(TOKEN_PER_IP.amount):
        client.get("/api/ably/auth", headers={"X-Real-IP": "198.51.100.7"})
    assert client.get("/api/ably/auth", headers={"X-Real-IP": "198.51.100.7"}).status_code == 429
    assert client.get("/api/ably/auth", headers={"X-Real-IP": "198.51.100.8"}).status_code == 401
    # Without X-Real-IP, the X-Forwarded-For entry Vercel appended (the last) counts.
    forwarded = {"X-Forwarded-For": "10.9.9.9, 198.51.100.7"}
    assert client.get("/api/ably/auth", headers=forwarded).status_code == 429


def test_ipv6_callers_are_counted_per_64(function):
    client = function("api/ably/auth.py")
    for n in range(TOKEN_PER_IP.amount):
        client.get("/api/ably/auth", environ_base={"REMOTE_ADDR": f"2001:db8:1:2::{n + 1:x}"})
    assert client.get("/api/ably/auth", environ_base={"REMOTE_ADDR": "2001:db8:1:2:ffff::1"}).status_code == 429
    assert client.get("/api/ably/auth", environ_base={"REMOTE_ADDR": "2001:db8:1:3::1"}).status_code == 401


# ------------------------------------------------------------------ Redis


@pytest.fixture
def redis_server():
    with running_redis() as server:
        yield server


def test_instances_share_the_count_in_redis(function, failing_publish, redis_server):
    settings = settings_with(ABLY_ENDPOINT=failing_publish.ably_endpoint.url, REDIS_URL=redis_server.url)
    ana = session_header(settings, "Ana")
    one, two = (function("api/sendMessage.py", settings) for _ in range(2))  # separate apps, separate Limits
    statuses = [send(one if n % 2 else two, ana).status_code for n in range(SEND_PER_USER.amount + 1)]
    assert statuses == [502] * SEND_PER_USER.amount + [429]


def http_status(url: str, headers: dict) -> int:
    request = urllib.request.Request(
        url + "/api/sendMessage",
        data=b'{"message": "hi"}',
        method="POST",
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_separate_processes_share_the_count_and_a_restart_keeps_it(failing_publish, redis_server):
    environ = {
        "ABLY_API_KEY": TEST_KEY,
        "ABLY_ENDPOINT": failing_publish.ably_endpoint.url,
        "REDIS_URL": redis_server.url,
    }
    ana = session_header(settings_with(REDIS_URL=redis_server.url), "Ana")  # held in Redis, as every process sees
    first, first_url = start_function("api/sendMessage.py", environ)
    second, second_url = start_function("api/sendMessage.py", environ)
    try:
        statuses = [http_status(first_url if n % 2 else second_url, ana) for n in range(SEND_PER_USER.amount)]
        assert statuses == [502] * SEND_PER_USER.amount
        stop_function(first)
        first, first_url = start_function("api/sendMessage.py", environ)  # a cold start: memory is empty
        assert http_status(first_url, ana) == 429
        assert http_status(second_url, ana) == 429
    finally:
        stop_function(first)
        stop_function(second)


def test_a_burst_of_first_requests_on_a_cold_instance(function, failing_publish, redis_server):
    settings = settings_with(ABLY_ENDPOINT=failing_publish.ably_endpoint.url, REDIS_URL=redis_server.url)
    clients = [function("api/sendMessage.py", settings) for _ in range(4)]  # fresh: nothing made yet
    heads = [session_header(settings, f"Person {n}") for n in range(40)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=40) as pool:
        statuses = list(pool.map(lambda n: send(clients[n % 4], heads[n]).status_code, range(40)))
    assert statuses == [502] * 40  # every one counted and answered; no 500


def test_a_stopped_redis_falls_back_to_memory_and_says_so_once(function, failing_publish, caplog):
    with running_redis() as server:
        settings = settings_with(ABLY_ENDPOINT=failing_publish.ably_endpoint.url, REDIS_URL=server.url)
        client = function("api/sendMessage.py", settings)
        ana = session_header(settings, "Ana")
        assert send(client, ana).status_code == 502  # counted in Redis
    caplog.set_level(logging.WARNING, logger="chat.store")
    statuses = [send(client, ana).status_code for _ in range(SEND_PER_USER.amount + 1)]
    # The instance counts on its own now: the fresh memory allows a full burst, then refuses.
    assert statuses == [502] * SEND_PER_USER.amount + [429]
    warnings = [record for record in caplog.records if record.name == "chat.store"]
    assert len(warnings) == 1 and "unavailable" in warnings[0].getMessage()


def test_a_hung_redis_does_not_hang_requests(function, failing_publish, redis_server, caplog):
    settings = settings_with(ABLY_ENDPOINT=failing_publish.ably_endpoint.url, REDIS_URL=redis_server.url)
    client = function("api/sendMessage.py", settings)
    ana = session_header(settings, "Ana")
    assert send(client, ana).status_code == 502
    redis_server.pause()
    try:
        answered = []
        worker = threading.Thread(target=lambda: answered.extend(send(client, ana).status_code for _ in range(3)))
        worker.start()
        worker.join(timeout=30)  # a hang would be minutes (the OS's TCP timeouts), not seconds
        assert answered == [502, 502, 502]
    finally:
        redis_server.resume()


def test_counting_goes_back_to_redis_when_it_returns(failing_publish, redis_server, caplog):
    clock = [0.0]
    limits = RateLimits(Store(redis_server.url, clock=lambda: clock[0]))
    redis_server.pause()
    try:
        assert limits.take(SEND_PER_USER, "ana") == 0  # answered from memory
    finally:
        redis_server.resume()
    clock[0] += 60
    caplog.set_level(logging.WARNING, logger="chat.store")
    assert limits.take(SEND_PER_USER, "ana") == 0
    assert any("again" in record.getMessage() for record in caplog.records)
    other = RateLimits(Store(redis_server.url))  # another instance sees the count that came back to Redis
    results = [other.take(SEND_PER_USER, "ana") for _ in range(SEND_PER_USER.amount)]
    assert results[-1] > 0 and results.count(0) == SEND_PER_USER.amount - 1


def test_rediss_urls_are_accepted():
    settings = settings_with(REDIS_URL="rediss://default:secret@example.invalid:6380")
    assert settings.redis_url.startswith("rediss://")
    assert "secret" not in repr(settings)


def test_an_ipv6_48_has_a_looser_limit_of_its_own(function):
    """Rotating through the /64s of one site gains four /64s' allowance, no more."""
    client = function("api/ably/auth.py")
    network_amount = TOKEN_PER_IP.per_network().amount
    sites = [f"2001:db8:7:{n:x}::1" for n in range(network_amount // TOKEN_PER_IP.amount)]
    statuses = {
        client.get("/api/ably/auth", environ_base={"REMOTE_ADDR": address}).status_code
        for address in sites
        for _ in range(TOKEN_PER_IP.amount)
    }
    assert statuses == {401}
    assert client.get("/api/ably/auth", environ_base={"REMOTE_ADDR": "2001:db8:7:ff::1"}).status_code == 429
    assert client.get("/api/ably/auth", environ_base={"REMOTE_ADDR": "2001:db8:8:ff::1"}).status_code == 401
