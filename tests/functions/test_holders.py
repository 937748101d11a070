"""Who holds a name: the server's record, against the emulator's real presence, with ably-python in the
browser's place. The takeover an outside attack found, as it did it, fails for the attacker and leaves
the holder untouched; leases, renewals, leaving, a holder's absence and a reload, on an injected clock."""

import asyncio
import json
import logging
import threading
import time
import urllib.error
import urllib.request

import pytest
from ably import AblyRealtime

from chat.config import Settings
from chat.holders import LEASE_S
from devtools.redis import running_redis
from tests.functions.helpers import start_function, stop_function
from tests.support.http import assert_json_error

ROOM = "holders"


class World:
    """The session, token and message functions of one deployment, on a clock the test moves."""

    def __init__(self, function, settings, emulator):
        self.emulator, self.offset = emulator, 0.0
        clock = lambda: time.time() + self.offset  # noqa: E731 -- real time (Ably's stamps) moved on
        self.session = function("api/session.py", settings, clock=clock)
        self.auth = function("api/ably/auth.py", settings, clock=clock)
        self.send = function("api/sendMessage.py", settings, clock=clock)

    def claim(self, name: str, session: str | None = None):
        headers = {"Authorization": f"Bearer {session}"} if session else {}
        return self.session.post("/api/session", json={"username": name, "room": ROOM}, headers=headers)

    def token_request(self, session: str):
        return self.auth.get("/api/ably/auth", headers={"Authorization": f"Bearer {session}"})

    def post(self, session: str, text: str = "hi"):
        return self.send.post(
            "/api/sendMessage", json={"message": text}, headers={"Authorization": f"Bearer {session}"}
        )

    def leave(self, session: str):
        return self.session.delete("/api/session", headers={"Authorization": f"Bearer {session}"})

    async def present(self, token_request: dict, data: object = None) -> AblyRealtime:
        """A browser connected with a token from `token_request`, in the room's presence."""
        token = exchange(self.emulator, token_request)
        client = AblyRealtime(token=token, endpoint=f"{self.emulator.host}:{self.emulator.port}", tls=False)
        await asyncio.wait_for(client.connection.once_async("connected"), 10)
        await asyncio.wait_for(client.channels.get(f"chat:{ROOM}").presence.enter(data), 10)
        return client


def exchange(emulator, token_request: dict) -> str:
    """What ably-js does with a TokenRequest from authUrl: trade it for a token at Ably."""
    request = urllib.request.Request(
        f"{emulator.url}/keys/{token_request['keyName']}/requestToken",
        data=json.dumps(token_request).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["token"]


@pytest.fixture
def world(function, on_emulator, emulator):
    return World(function, on_emulator, emulator)


def held(response) -> dict:
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def assert_released(response):
    error = assert_json_error(response, 401)
    assert error["reason"] == "name-released" and "pick it again" in error["message"]
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def leave_presence(client: AblyRealtime) -> None:
    await asyncio.wait_for(client.channels.get(f"chat:{ROOM}").presence.leave(), 10)
    await client.close()


# ------------------------------------------------------------------ the takeover, as the attack did it


async def test_an_old_token_and_an_old_claim_id_in_presence_take_nothing(world):
    """Eve held "Ana" once and kept her token; she re-enters presence as Ana with her old claim id."""
    eve = held(world.claim("Ana"))
    eve_token = world.token_request(eve["session"]).get_json()
    assert world.leave(eve["session"]).status_code == 204
    ana = held(world.claim("Ana"))
    ana_browser = await world.present(world.token_request(ana["session"]).get_json(), {"claim": ana["claim"]})
    eve_browser = await world.present(eve_token, {"claim": eve["claim"]})
    try:
        renewed = held(world.claim("Ana", session=ana["session"]))  # the holder's next renewal
        assert renewed["claim"] == ana["claim"]
        assert world.post(renewed["session"]).status_code == 200
        assert world.token_request(renewed["session"]).status_code == 200
        assert_released(world.post(eve["session"]))
        assert_released(world.token_request(eve["session"]))
        assert_json_error(world.claim("Ana", session=eve["session"]), 409, field="username")
        assert held(world.claim("Ana", session=ana["session"]))["claim"] == ana["claim"]  # still Ana's
    finally:
        await eve_browser.close()
        await ana_browser.close()


@pytest.mark.parametrize("age_s", [0, 20 * 60])  # a current session, and an expired one
def test_an_old_session_neither_renews_nor_posts_nor_gets_a_token(world, age_s):
    eve = held(world.claim("Ana"))
    world.leave(eve["session"])
    ana = held(world.claim("Ana"))
    world.offset = age_s
    if age_s:
        world.claim("Ana", session=ana["session"])  # Ana's page renews on time
    assert_json_error(world.claim("Ana", session=eve["session"]), 409, field="username")
    assert world.post(eve["session"]).status_code == 401
    assert world.token_request(eve["session"]).status_code == 401
    # Ana is untouched.
    assert world.token_request(held(world.claim("Ana", session=ana["session"]))["session"]).status_code == 200


async def test_a_copied_claim_id_proves_nothing(world):
    """The holder's claim id is public (it prefixes her message ids): in presence data, or in a body."""
    ana = held(world.claim("Ana"))
    mallory = held(world.claim("Mallory"))
    ana_browser = await world.present(world.token_request(ana["session"]).get_json(), {"claim": ana["claim"]})
    mallory_browser = await world.present(world.token_request(mallory["session"]).get_json(), {"claim": ana["claim"]})
    try:
        body = {"username": "Ana", "room": ROOM, "claim": ana["claim"], "session": ana["claim"]}
        assert_json_error(world.session.post("/api/session", json=body), 409, field="username")
        await leave_presence(ana_browser)  # Ana closes her tab; Mallory, carrying Ana's claim id, stays
        answer = world.claim("Ana")
        assert_json_error(answer, 409, field="username")  # held for Ana for ABSENCE_S, whatever the data says
        assert 1 <= int(answer.headers["Retry-After"]) <= 30
        assert world.token_request(ana["session"]).status_code == 200
    finally:
        await mallory_browser.close()


# ------------------------------------------------------------------ leases, renewals and absence


def test_a_lease_runs_out_and_the_name_is_free(world):
    ana = held(world.claim("Ana"))
    world.offset = LEASE_S - 5
    assert world.token_request(ana["session"]).status_code == 200
    world.offset = LEASE_S + 5
    assert_released(world.token_request(ana["session"]))
    assert_released(world.post(ana["session"]))
    assert held(world.claim("ana"))["claim"] != ana["claim"]


def test_renewing_without_being_present_keeps_nothing(world):
    """A claimant who never connects and renews on time: the lease is not extended."""
    ana = held(world.claim("Ana"))
    world.offset = 300
    renewed = held(world.claim("Ana", session=ana["session"]))
    assert renewed["claim"] == ana["claim"]
    world.offset = LEASE_S + 5
    assert_released(world.token_request(renewed["session"]))


async def test_renewing_while_present_extends_the_lease(world):
    ana = held(world.claim("Ana"))
    browser = await world.present(world.token_request(ana["session"]).get_json())
    try:
        world.offset = 300
        renewed = held(world.claim("Ana", session=ana["session"]))
        world.offset = LEASE_S + 5
        assert world.token_request(renewed["session"]).status_code == 200
        assert_json_error(world.claim("Ana"), 409, field="username")  # present: nobody else may take it
    finally:
        await browser.close()


def test_leaving_releases_the_name_and_its_sessions_at_once(world):
    ana = held(world.claim("Ana"))
    assert world.leave(ana["session"]).status_code == 204
    assert_released(world.token_request(ana["session"]))
    assert_released(world.post(ana["session"]))
    assert held(world.claim("Ana"))


def test_a_claimant_who_never_shows_up_loses_the_name_after_30_s(world):
    ana = held(world.claim("Ana"))
    world.offset = 10
    early = world.claim("ana")
    assert_json_error(early, 409, field="username")
    assert int(early.headers["Retry-After"]) == 20
    world.offset = 31
    bo = held(world.claim("ana"))
    assert_released(world.token_request(ana["session"]))
    assert world.token_request(bo["session"]).get_json()["clientId"] == "ana"


async def test_a_holder_who_left_presence_keeps_the_name_for_30_s(world):
    world.offset = -200
    ana = held(world.claim("Ana"))  # claimed long ago: from her last leave, not from then, is she away
    world.offset = 0
    browser = await world.present(world.token_request(ana["session"]).get_json())
    await leave_presence(browser)
    answer = world.claim("Ana")
    assert_json_error(answer, 409, field="username")
    assert 25 <= int(answer.headers["Retry-After"]) <= 30
    world.offset = 31
    assert held(world.claim("Ana"))["claim"] != ana["claim"]


async def test_a_reload_keeps_the_name(world):
    """Leave and enter again seconds apart: a competitor in the gap, and after it, gets a 409."""
    ana = held(world.claim("Ana"))
    first = await world.present(world.token_request(ana["session"]).get_json())
    await leave_presence(first)
    assert_json_error(world.claim("Ana"), 409, field="username")  # in the gap
    renewed = held(world.claim("Ana", session=ana["session"]))  # the reloaded page renews before it connects
    second = await world.present(world.token_request(renewed["session"]).get_json())
    try:
        world.offset = 60
        assert_json_error(world.claim("Ana"), 409, field="username")
        assert world.post(renewed["session"]).status_code == 200
    finally:
        await second.close()


def test_the_per_person_send_limit_survives_a_new_claim(world, function, on_emulator):
    """Leaving and claiming again earns no new allowance: the limit is per room and name."""
    from chat.rate_limits import SEND_PER_USER

    ana = held(world.claim("Ana"))
    statuses = [world.post(ana["session"]).status_code for _ in range(SEND_PER_USER.amount)]
    assert statuses == [200] * SEND_PER_USER.amount
    world.leave(ana["session"])
    again = held(world.claim("Ana"))
    assert_json_error(world.post(again["session"]), 429)


# ------------------------------------------------------------------ Redis: shared, atomic, and when it is down


def post_claim(url: str, name: str) -> int:
    request = urllib.request.Request(
        url + "/api/session",
        data=json.dumps({"username": name, "room": ROOM}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_two_instances_on_one_redis_claiming_one_free_name_at_once(emulator):
    with running_redis() as redis:
        environ = {"ABLY_API_KEY": emulator.key, "ABLY_ENDPOINT": emulator.url, "REDIS_URL": redis.url}
        instances = [start_function("api/session.py", environ) for _ in range(2)]
        try:
            for attempt in range(5):  # five free names, each asked for by both instances at the same moment
                name, start = f"Race {attempt}", threading.Barrier(2)
                statuses = []

                def ask(url, name=name, start=start, statuses=statuses):
                    start.wait()
                    statuses.append(post_claim(url, name))

                threads = [threading.Thread(target=ask, args=(url,)) for _, url in instances]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(60)
                assert sorted(statuses) == [200, 409], name
        finally:
            for process, _ in instances:
                stop_function(process)


def test_a_stopped_redis_keeps_the_chat_up_on_signed_sessions(function, emulator, caplog):
    with running_redis() as redis:
        settings = Settings.from_environment(
            {"ABLY_API_KEY": emulator.key, "ABLY_ENDPOINT": emulator.url, "REDIS_URL": redis.url}
        )
        world = World(function, settings, emulator)
        ana = held(world.claim("Ana"))
        eve = held(world.claim("Eve"))
        assert world.leave(eve["session"]).status_code == 204
        assert_released(world.token_request(eve["session"]))  # Redis decides while it is up
    caplog.set_level(logging.WARNING)
    # Redis is gone: a signed, unexpired session is accepted on its signature, and this is logged once.
    assert [world.token_request(ana["session"]).status_code for _ in range(3)] == [200] * 3
    assert world.post(ana["session"]).status_code == 200
    holder_warnings = [r for r in caplog.records if r.name == "chat.holders"]
    assert len(holder_warnings) == 1 and "signature" in holder_warnings[0].getMessage()
    # Nobody can claim a name meanwhile: a record only this instance could see would let another
    # instance give the same name to somebody else.
    refused = world.claim("Bo")
    assert_json_error(refused, 503)
    assert refused.headers["Retry-After"] == "5" and refused.get_json()["error"]["reason"] == "records-unavailable"
