"""Frame codecs, data/encoding translation, channel history and publishing, without any server."""

import asyncio
import base64
import contextlib
import json

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.apps import Registry
from emulator.channel_names import parse_channel
from emulator.channels import MAX_LOG_BYTES, MESSAGE_FIELDS, Channel, check_size, clean_payload
from emulator.errors import AblyError
from emulator.messaging import Fanout
from emulator.persistence import HistoryJournal
from emulator.protocol import JSON, MSGPACK, Action, SharedFrame, decode_frame, encode_frame
from emulator.queries import history_query, parse_limit

from .fakes import SequentialIds


def test_binary_from_json_client_reaches_msgpack_client_as_bytes():
    frame = json.dumps(
        {
            "action": 15,
            "channel": "c",
            "msgSerial": 0,
            "messages": [
                {"data": base64.b64encode(b"\x00\xff").decode(), "encoding": "utf-8/cipher+aes-128-cbc/base64"}
            ],
        }
    )
    pm = decode_frame(frame, JSON)
    assert pm["messages"][0] == {"data": b"\x00\xff", "encoding": "utf-8/cipher+aes-128-cbc"}
    out = msgpack.unpackb(encode_frame(pm, MSGPACK), raw=False)
    assert out["messages"][0]["data"] == b"\x00\xff"


def test_binary_from_msgpack_client_reaches_json_client_as_base64():
    frame = msgpack.packb({"action": 15, "messages": [{"data": b"\x01\x02"}]}, use_bin_type=True)
    pm = decode_frame(frame, MSGPACK)
    out = json.loads(encode_frame(pm, JSON))
    assert out["messages"][0] == {"data": "AQI=", "encoding": "base64"}
    # The stored (canonical) message is not changed by rendering it.
    assert pm["messages"][0] == {"data": b"\x01\x02"}


@pytest.mark.parametrize(
    "raw, fmt",
    [
        ("{not json", JSON),
        ("[]", JSON),
        ('{"action":"x"}', JSON),
        ("null", JSON),
        (b"\xc1", MSGPACK),
        ('{"action":15,"messages":"nope"}', JSON),
        ('{"action":15,"messages":[{"data":"***","encoding":"base64"}]}', JSON),
    ],
)
def test_malformed_frames_raise_ably_errors(raw, fmt):
    with pytest.raises(AblyError) as e:
        decode_frame(raw, fmt)
    assert e.value.status == 400


@given(st.one_of(st.binary(max_size=64), st.text(max_size=64)))
def test_arbitrary_frames_never_raise_anything_but_ably_errors(raw):
    for fmt in (JSON, MSGPACK):
        with contextlib.suppress(AblyError):
            decode_frame(raw, fmt)


def test_extras_must_be_a_json_object():
    for extras in ([1], {b"k": 1}):
        with pytest.raises(AblyError) as e:
            clean_payload({"extras": extras}, MESSAGE_FIELDS)
        assert e.value.code == 40013


def test_object_data_becomes_json_encoded_string():
    item = clean_payload({"name": "n", "data": {"a": 1}, "size": 22}, MESSAGE_FIELDS)
    assert item == {"name": "n", "data": '{"a":1}', "encoding": "json"}


@pytest.mark.parametrize("data", [1, True, 2.5, {b"binary-key": 1}])
def test_data_that_is_not_a_string_binary_or_json_is_rejected(data):
    with pytest.raises(AblyError) as e:
        clean_payload({"data": data}, MESSAGE_FIELDS)
    assert e.value.code == 40013


def test_size_limit_counts_name_client_id_and_data():
    check_size([{"name": "n", "data": "x" * (64 * 1024 - 1)}])
    with pytest.raises(AblyError) as e:
        check_size([{"name": "nn", "data": "x" * (64 * 1024 - 1)}])
    assert (e.value.code, e.value.status) == (40009, 413)


def filled_channel(count, start=1000):
    ch = Channel("c", "ep", retention_ms=10**9)
    for i in range(count):
        ch.append("message", [{"name": f"m{i}"}], start + i, None)
    return ch


def names(items):
    return [i["name"] for i in items]


def test_history_pages_backwards_and_forwards_without_gaps():
    ch = filled_channel(7)
    seen, cursor = [], None
    while True:
        q = history_query({"limit": "3", **({"cursor": f"{cursor[0]}_{cursor[1]}"} if cursor else {})}, ch)
        items, cursor = q.run(ch, "message")
        seen += names(items)
        if cursor is None:
            break
    assert seen == [f"m{i}" for i in reversed(range(7))]
    items, _ = history_query({"direction": "forwards", "limit": "2"}, ch).run(ch, "message")
    assert names(items) == ["m0", "m1"]


def test_history_time_range_and_until_attach():
    ch = filled_channel(6)
    items, _ = history_query({"start": "1001", "end": "1003"}, ch).run(ch, "message")
    assert names(items) == ["m3", "m2", "m1"]
    attach_serial = ch.serial(4)
    items, _ = history_query({"from_serial": attach_serial}, ch).run(ch, "message")
    assert names(items) == ["m3", "m2", "m1", "m0"]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "1001"},
        {"direction": "up"},
        {"start": "5", "end": "1"},
        {"from_serial": "other-00000001"},
        {"cursor": "x"},
        {"limit": "ten"},
    ],
)
def test_bad_history_params(params):
    with pytest.raises(AblyError) as e:
        history_query(params, filled_channel(1))
    assert e.value.status == 400


def test_retention_prunes_and_breaks_continuity():
    ch = Channel("c", "ep", retention_ms=100)
    ch.append("message", [{"name": "old"}], 0, None)
    first = ch.seq
    ch.append("message", [{"name": "new"}], 150, None)
    assert [e.items[0]["name"] for e in ch.log] == ["new"]
    assert ch.events_after(first) is not None  # nothing after `first` was lost
    assert ch.events_after(first - 1) is None  # "old" was pruned: no continuity
    assert ch.parse_serial(ch.serial()) == ch.seq
    assert ch.parse_serial("othr-00000001") is None


def test_duplicate_ids_within_one_batch_are_stored_once():
    ids = SequentialIds()
    registry = Registry(lambda: 1000, ids)
    key = registry.add_key_str("app.key:secret")
    creds = registry.credentials_for_key(key.key_str, None)
    fanout = Fanout(registry.clock, ids)
    app = registry.apps["app"]
    serials = fanout.publish(app, "c", [{"id": "a"}, {"id": "a"}, {"id": "b"}], creds, None).serials
    assert serials[0] == serials[1] != serials[2]
    assert fanout.publish(app, "c", [{"id": "b"}], creds, None).serials == [serials[2]]
    assert [i["id"] for e in app.channel("c").log for i in e.items] == ["a", "b"]


def test_a_shared_frame_is_encoded_once_per_format_and_like_a_plain_one():
    pm = {"action": Action.MESSAGE, "channel": "room", "messages": [{"name": "n", "data": b"\x00\x01"}]}
    shared = SharedFrame(pm)
    for fmt in ("json", "msgpack"):
        first = encode_frame(shared, fmt)
        assert encode_frame(shared, fmt) is first
        assert decode_frame(first, fmt) == decode_frame(encode_frame(pm, fmt), fmt)


def test_a_channel_log_is_bounded_in_bytes_as_well_as_in_count():
    ch = Channel("c", "ep", retention_ms=10**9)
    big = "x" * 60 * 1024
    for number in range(1000):  # 60 MiB of messages, well under the count limit
        ch.append("message", [{"id": f"m{number}", "data": big}], now=number, connection_id=None)
    assert ch.log_bytes <= MAX_LOG_BYTES < 1000 * len(big)
    assert ch.log_bytes == sum(event.size for event in ch.log)
    assert ch.log[-1].items[0]["id"] == "m999"  # the newest are kept


@pytest.mark.parametrize(
    "wire, name, params",
    [
        ("chat", "chat", {}),
        ("ns:chat", "ns:chat", {}),
        ("[?rewind=2&delta=vcdiff]chat", "chat", {"rewind": "2", "delta": "vcdiff"}),
        ("chat with spaces/and:colons", "chat with spaces/and:colons", {}),
        ("[meta]channel.lifecycle", "[meta]channel.lifecycle", {}),  # a metachannel keeps its qualifier
    ],
)
def test_channel_names(wire, name, params):
    ref = parse_channel(wire)
    assert (ref.wire, ref.name, ref.params, ref.filter) == (wire, name, params, None)


@pytest.mark.parametrize(
    "wire",
    [
        "",
        ":hell",
        "::",
        "[?rewind=1]",
        "[?rewind=1]:x",
        "a\nb",
        "a\u2028b",
        "[meta]",
        "[other]log",
        "[unterminated",
        None,
        5,
    ],
)
def test_invalid_channel_names_are_40010(wire):
    with pytest.raises(AblyError) as e:
        parse_channel(wire)
    assert (e.value.code, e.value.status) == (40010, 400)


@pytest.mark.parametrize(
    "expression, message, matches",
    [
        ("name == 'a'", {"name": "a"}, True),
        ("name == 'a'", {"name": "b"}, False),
        ("headers.n > `2`", {"extras": {"headers": {"n": 3}}}, True),
        ("headers.n > `2`", {"extras": {"headers": {"n": "3"}}}, False),  # a type mismatch matches nothing
        ("headers.n > `2`", {}, False),
        ("name == 'a' || headers.x", {"name": "b", "extras": {"headers": {"x": True}}}, True),
        ("name == 'a' && headers.x", {"name": "a", "extras": {"headers": {"x": False}}}, False),
    ],
)
def test_derived_channel_filters(expression, message, matches):
    encoded = base64.urlsafe_b64encode(expression.encode()).decode().rstrip("=")  # either alphabet, any padding
    ref = parse_channel(f"[filter={encoded}?rewind=1]c")
    assert ref.params == {"rewind": "1"} and ref.filter.matches(message) is matches


async def test_the_history_journal_writes_batches_off_the_event_loop():
    class Store:
        def __init__(self):
            self.batches, self.threads = [], set()

        def write(self, entries):
            import threading

            self.batches.append(entries)
            self.threads.add(threading.current_thread().name)

        def close(self):
            pass

    store = Store()
    journal = HistoryJournal(store, "app")
    writer = asyncio.create_task(journal.run())
    ch = Channel("c", "ep", retention_ms=10**9)
    for number in range(100):
        journal.record("app", ch, ch.append("message", [{"name": f"m{number}"}], 1000 + number, None))
    await asyncio.sleep(0.3)
    journal.record("another-app", ch, ch.append("message", [{"name": "not journalled"}], 1500, None))
    journal.record("app", ch, ch.append("message", [{"name": "last"}], 2000, None))
    await journal.close(writer)  # what is still queued is written before closing
    assert [len(batch) for batch in store.batches] == [100, 1]
    assert "MainThread" not in store.threads
    assert [entry.seq for batch in store.batches for entry in batch] == [*range(1, 101), 102]


@pytest.mark.parametrize("raw, expected", [(None, 100), ("", 100), ("1", 1), ("1000", 1000)])
def test_one_limit_parser_for_every_rest_read(raw, expected):
    assert parse_limit({"limit": raw}) == expected


@pytest.mark.parametrize("raw", ["0", "1001", "-5", "ten", "1e3"])
def test_a_limit_out_of_range_or_not_a_number_is_40003(raw):
    with pytest.raises(AblyError) as refused:
        parse_limit({"limit": raw})
    assert (refused.value.code, refused.value.status) == (40003, 400)
    assert parse_limit({"limit": "5000"}, maximum=5000) == 5000
