"""Property-based fuzzing of the functions: whatever arrives, the answer is a JSON 2xx or 4xx.

FUZZ_EXAMPLES raises the number of cases per property for a longer manual run.
"""

import json
import os
import unicodedata

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from chat.config import Settings
from chat.names import name_key
from devtools.emulator import running_emulator
from devtools.functions import function_app
from tests.functions.helpers import session_header

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
fuzz_settings = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
# Bodies shaped like the real ones, so the fuzzer reaches the field rules, not only the JSON parser.
printable = st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp"))
any_text = st.text(max_size=40) | st.text(printable, min_size=1, max_size=32)
message_like = st.fixed_dictionaries(
    {},
    optional={
        "username": json_values | any_text | st.just("Ana"),
        "room": json_values | any_text | st.just("general"),
        "message": json_values | st.text(max_size=2100) | st.text(printable, min_size=1, max_size=300),
        "id": json_values | st.uuids().map(str) | st.text(max_size=140),
    },
)
valid_looking = st.fixed_dictionaries(
    {"message": st.text(printable, min_size=1, max_size=300)},
    optional={"id": st.uuids().map(str), "username": st.just("Ana")},
)
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60)


@pytest.fixture(scope="module")
def apps():
    """The functions against a real emulator, with limits far out of the way (tested on their own)."""
    with running_emulator() as emulator:
        settings = Settings.from_environment({"ABLY_API_KEY": emulator.key, "ABLY_ENDPOINT": emulator.url})
        clients = {
            path: function_app(path, settings).test_client()
            for path in ("api/sendMessage.py", "api/ably/auth.py", "api/session.py")
        }
        yield clients, session_header(settings, "Ana")


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
    clients, ana = apps
    response = clients["api/sendMessage.py"].post(
        "/api/sendMessage", data=json.dumps(body), content_type="application/json", headers=ana
    )
    result = assert_well_formed(response)
    if response.status_code == 200:
        assert result["message"]["username"] == "Ana"
        assert result["message"]["text"] == body["message"].strip()
    else:
        assert response.status_code in (400, 403)


@fuzz_settings
@given(
    raw=st.binary(max_size=300),
    content_type=header_text | st.just("application/json"),
    method=st.sampled_from(["POST"] * 4 + ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]),
    with_session=st.booleans(),
    headers=st.dictionaries(
        st.sampled_from(["X-Forwarded-For", "X-Real-IP", "Accept", "Content-Encoding", "Authorization"]),
        header_text,
        max_size=3,
    ),
)
def test_send_message_raw_requests(apps, raw, content_type, method, with_session, headers):
    clients, ana = apps
    headers = {**headers, **(ana if with_session else {})}
    response = clients["api/sendMessage.py"].open(
        "/api/sendMessage", method=method, data=raw, content_type=content_type, headers=headers
    )
    if method == "HEAD":
        assert response.status_code == 405
        return
    assert_well_formed(response)
    assert response.status_code in (200, 400, 401, 403, 405, 415)


@fuzz_settings
@given(
    query=st.dictionaries(st.sampled_from(["clientId", "room", "rnd", "capability", "ttl", "x"]), any_text, max_size=4),
    with_session=st.booleans(),
    method=st.sampled_from(["GET", "GET", "GET", "POST", "PUT"]),
)
def test_auth_query_strings(apps, query, with_session, method):
    clients, ana = apps
    response = clients["api/ably/auth.py"].open(
        "/api/ably/auth", method=method, query_string=query, headers=ana if with_session else {}
    )
    body = assert_well_formed(response)
    if response.status_code == 200:
        assert body["clientId"] == "Ana" and "*" not in body["clientId"]
        assert json.loads(body["capability"]) == {"chat": ["history", "presence", "subscribe"]}
    else:
        assert response.status_code in (400, 401, 403, 405)


@fuzz_settings
@given(
    body=st.fixed_dictionaries({"username": any_text | json_values}, optional={"room": any_text | json_values})
    | json_values
)
def test_session_claims(apps, body):
    clients, _ = apps
    response = clients["api/session.py"].post("/api/session", data=json.dumps(body), content_type="application/json")
    result = assert_well_formed(response)
    if response.status_code == 200:
        name = result["username"]
        assert name == unicodedata.normalize("NFC", body["username"].strip()) and "*" not in name_key(name)
        assert result["room"] == body.get("room", "general").strip().lower()
    else:
        assert response.status_code in (400, 409)
