"""Property-based fuzzing of both functions: whatever arrives, the answer is a JSON 2xx or 4xx.

FUZZ_EXAMPLES raises the number of cases per property for a longer manual run.
"""

import json
import os

import pytest
from hypothesis import HealthCheck, event, given, settings, strategies as st

from chat.ratelimit import Rate, RateLimiter
from tests.support.emulator import running_emulator
from tests.support.functions import load_function

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
fuzz_settings = settings(max_examples=EXAMPLES, deadline=None,
                         suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12)
# Bodies shaped like the real one, so the fuzzer reaches the field rules, not only the JSON parser.
printable = st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp"))
message_like = st.fixed_dictionaries(
    {}, optional={"username": json_values | st.text(max_size=40) | st.text(printable, min_size=1, max_size=32),
                  "message": json_values | st.text(max_size=2100) | st.text(printable, min_size=1, max_size=300),
                  "id": json_values | st.uuids().map(str) | st.text(max_size=140)})
valid_looking = st.fixed_dictionaries({"username": st.text(printable, min_size=1, max_size=32),
                                       "message": st.text(printable, min_size=1, max_size=300)},
                                      optional={"id": st.uuids().map(str)})
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60)


@pytest.fixture(scope="module")
def apps():
    """Both functions against a real emulator, with rate limits out of the way (tested on their own)."""
    with running_emulator() as emulator, pytest.MonkeyPatch.context() as patch:
        patch.setenv("ABLY_API_KEY", emulator.key)
        patch.setenv("ABLY_ENDPOINT", emulator.url)
        from chat import config, publisher
        config.ably_settings.cache_clear()
        patch.setattr(publisher, "_client", None)
        modules = load_function("api/sendMessage.py"), load_function("api/ably/auth.py")
        unlimited = RateLimiter(Rate(burst=10**9, per_second=10**9))
        for module in modules:
            for name in ("per_ip", "per_user"):
                if hasattr(module, name):
                    patch.setattr(module, name, unlimited)
        yield tuple(module.app.test_client() for module in modules)
        config.ably_settings.cache_clear()


def assert_well_formed(response):
    event(f"status {response.status_code}")  # shown by --hypothesis-show-statistics
    assert response.status_code < 500, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    if response.status_code >= 400:
        assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body


@fuzz_settings
@given(body=valid_looking | message_like | json_values)
def test_send_message_json_bodies(apps, body):
    response = apps[0].post("/api/sendMessage", data=json.dumps(body), content_type="application/json")
    result = assert_well_formed(response)
    if response.status_code == 200:
        assert result["message"]["username"] == body["username"].strip()
        assert result["message"]["text"] == body["message"].strip()
    else:
        assert response.status_code == 400


@fuzz_settings
@given(raw=st.binary(max_size=300), content_type=header_text | st.just("application/json"),
       method=st.sampled_from(["POST"] * 4 + ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]),
       headers=st.dictionaries(st.sampled_from(["X-Forwarded-For", "X-Real-IP", "Accept", "Content-Encoding"]),
                               header_text, max_size=3))
def test_send_message_raw_requests(apps, raw, content_type, method, headers):
    response = apps[0].open("/api/sendMessage", method=method, data=raw, content_type=content_type, headers=headers)
    if method == "HEAD":
        assert response.status_code == 405
        return
    assert_well_formed(response)
    assert response.status_code in (200, 400, 405, 415)


@fuzz_settings
@given(query=st.dictionaries(st.sampled_from(["clientId", "rnd", "capability", "ttl", "x"]),
                             st.text(max_size=40) | st.text(printable, min_size=1, max_size=32), max_size=4),
       method=st.sampled_from(["GET", "GET", "GET", "POST", "PUT"]))
def test_auth_query_strings(apps, query, method):
    response = apps[1].open("/api/ably/auth", method=method, query_string=query)
    body = assert_well_formed(response)
    if response.status_code == 200:
        assert body["clientId"] == query["clientId"].strip()
        assert json.loads(body["capability"]) == {"chat": ["subscribe", "presence", "history"]}
    else:
        assert response.status_code in (400, 405)
