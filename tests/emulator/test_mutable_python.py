"""Updates, deletes, appends and annotations through ably-python (async and sync REST, realtime), as the
SDK's own mutable-messages and annotations tests use them: the shared emulator has the rule on `mutable:*`."""

import asyncio

import httpx
import pytest
from ably import AblyRest, MessageAction
from ably.sync import AblyRestSync
from ably.sync.types.message import Message as SyncMessage
from ably.types.annotation import Annotation, AnnotationAction
from ably.types.channelmode import ChannelMode
from ably.types.channeloptions import ChannelOptions
from ably.types.message import Message
from ably.types.operations import MessageOperation
from ably.util.exceptions import AblyException

from devtools.emulator import running_emulator
from tests.support.http import basic_auth

from .test_realtime_python import connected, next_item, realtime


def rest(emulator, **options):
    options.setdefault("key", emulator.key)
    return AblyRest(endpoint=emulator.host, port=emulator.port, tls=False, use_token_auth=True, **options)


async def token_client(emulator, client_id, capability):
    """A REST client holding a token with `capability` (and `client_id`), issued by the full key."""
    async with rest(emulator) as issuer:
        token = await issuer.auth.request_token({"client_id": client_id, "capability": capability})
    return AblyRest(token_details=token, endpoint=emulator.host, port=emulator.port, tls=False)


@pytest.mark.parametrize("binary", [True, False])
async def test_update_delete_and_versions_over_rest(emulator, mutable_channel, binary):
    async with rest(emulator, use_binary_protocol=binary, client_id="editor") as client:
        channel = client.channels.get(mutable_channel)
        serial = (await channel.publish("event", "original")).serials[0]
        await channel.publish("later", "untouched")
        updated = await channel.update_message(
            Message(data={"text": "edited"}, serial=serial),
            MessageOperation(client_id="editor", description="typo", metadata={"reason": "fix"}),
        )
        message = await channel.get_message(serial)
        assert (message.action, message.serial, message.name, message.data) == (
            MessageAction.MESSAGE_UPDATE,
            serial,
            "event",
            {"text": "edited"},
        )
        version = message.version
        assert (version.serial, version.client_id, version.description, version.metadata) == (
            updated.version_serial,
            "editor",
            "typo",
            {"reason": "fix"},
        )
        assert version.serial > serial and version.timestamp >= message.timestamp

        deleted = await channel.delete_message(Message(serial=serial, data=""), MessageOperation(description="gone"))
        versions = (await channel.get_message_versions(serial)).items
        assert [v.version.serial for v in versions] == [serial, updated.version_serial, deleted.version_serial]
        assert [v.action for v in versions] == [
            MessageAction.MESSAGE_CREATE,
            MessageAction.MESSAGE_UPDATE,
            MessageAction.MESSAGE_DELETE,
        ]
        # History: the latest version, in the original's place; the text is gone.
        history = (await channel.history(direction="forwards")).items
        assert [(m.serial, m.action, m.data) for m in history] == [
            (serial, MessageAction.MESSAGE_DELETE, ""),
            (history[1].serial, MessageAction.MESSAGE_CREATE, "untouched"),
        ]


async def test_append_concatenates_and_reads_as_an_update(emulator, mutable_channel):
    async with rest(emulator) as client:
        channel = client.channels.get(mutable_channel)
        serial = (await channel.publish("stream", "Hello")).serials[0]
        operation = MessageOperation(description="more")
        appended = await channel.append_message(Message(data=" World", serial=serial), operation)
        message = await channel.get_message(serial)
        assert (message.action, message.data, message.version.serial) == (
            MessageAction.MESSAGE_UPDATE,
            "Hello World",
            appended.version_serial,
        )
        with pytest.raises(AblyException) as refused:  # text onto JSON cannot be appended
            json_serial = (await channel.publish("json", {"a": 1})).serials[0]
            await channel.append_message(Message(data="x", serial=json_serial))
        assert (refused.value.status_code, refused.value.code) == (400, 40013)


def test_sync_client_updates_and_reads_back(emulator, mutable_channel):
    client = AblyRestSync(key=emulator.key, endpoint=emulator.host, port=emulator.port, tls=False, use_token_auth=True)
    channel = client.channels.get(mutable_channel)
    serial = channel.publish("event", "v1").serials[0]
    result = channel.update_message(SyncMessage(data="v2", serial=serial))
    message = channel.get_message(serial)
    assert (message.data, message.version.serial) == ("v2", result.version_serial)


async def test_errors_unknown_serial_disabled_rule_and_capabilities(emulator, mutable_channel, channel_name):
    async with rest(emulator, client_id="ann") as client:
        channel = client.channels.get(mutable_channel)
        serial = (await channel.publish("event", "by ann")).serials[0]
        for attempt in (
            channel.get_message("nope-00000001:0000"),
            channel.update_message(Message(data="x", serial="nope-00000001:0000")),
        ):
            with pytest.raises(AblyException) as unknown:
                await attempt
            assert (unknown.value.status_code, unknown.value.code) == (404, 40400)

        plain = client.channels.get(channel_name)  # no mutable-messages rule
        plain_serial = (await plain.publish("event", "x")).serials[0]
        for attempt in (
            plain.update_message(Message(data="y", serial=plain_serial)),
            plain.annotations.publish(plain_serial, Annotation(type="reaction:distinct.v1", name="up")),
        ):
            with pytest.raises(AblyException) as disabled:
                await attempt
            assert (disabled.value.status_code, disabled.value.code) == (400, 93002)

    outcomes = {}
    for who, ops in (("ann", ["message-update-own"]), ("bob", ["message-update-own"]), ("eve", ["publish"])):
        async with await token_client(emulator, who, {mutable_channel: ops}) as client:
            try:
                await client.channels.get(mutable_channel).update_message(Message(data=f"by {who}", serial=serial))
                outcomes[who] = "ok"
            except AblyException as error:
                outcomes[who] = (error.status_code, error.code)
    assert outcomes == {"ann": "ok", "bob": (401, 40160), "eve": (401, 40160)}
    async with rest(emulator) as client:
        assert (await client.channels.get(mutable_channel).get_message(serial)).data == "by ann"


async def test_annotations_publish_get_delete_and_summary_over_rest(emulator, mutable_channel):
    async with rest(emulator, client_id="ann") as ann, rest(emulator, client_id="bob") as bob:
        channel = ann.channels.get(mutable_channel)
        serial = (await channel.publish("event", "react to me")).serials[0]
        await channel.annotations.publish(serial, Annotation(type="reaction:distinct.v1", name="👍"))
        await bob.channels.get(mutable_channel).annotations.publish(
            Message(serial=serial), Annotation(type="reaction:distinct.v1", name="👍", data={"count": 5})
        )
        await channel.annotations.publish(serial, Annotation(type="reaction:distinct.v1", name="🎉"))
        message = await channel.get_message(serial)
        assert message.annotations.summary == {
            "reaction:distinct.v1": {
                "👍": {"total": 2, "clientIds": ["ann", "bob"], "clipped": False},
                "🎉": {"total": 1, "clientIds": ["ann"], "clipped": False},
            }
        }
        await channel.annotations.delete(serial, Annotation(type="reaction:distinct.v1", name="🎉"))
        page = await channel.annotations.get(serial, {"limit": 3})
        assert [(a.action, a.name, a.client_id) for a in page.items] == [
            (AnnotationAction.ANNOTATION_CREATE, "👍", "ann"),
            (AnnotationAction.ANNOTATION_CREATE, "👍", "bob"),
            (AnnotationAction.ANNOTATION_CREATE, "🎉", "ann"),
        ]
        assert all(a.message_serial == serial and a.serial > serial for a in page.items)
        assert page.items[1].data == {"count": 5} and page.items[1].serial > page.items[0].serial
        rest_page = await page.next()
        assert [(a.action, a.name) for a in rest_page.items] == [(AnnotationAction.ANNOTATION_DELETE, "🎉")]
        assert not rest_page.has_next()
        history = (await channel.history()).items
        assert history[0].annotations.summary == {
            "reaction:distinct.v1": {"👍": {"total": 2, "clientIds": ["ann", "bob"], "clipped": False}}
        }

    async with rest(emulator) as anonymous:
        with pytest.raises(AblyException) as unidentified:
            await anonymous.channels.get(mutable_channel).annotations.publish(
                serial, Annotation(type="reaction:distinct.v1", name="👍")
            )
        assert unidentified.value.code == 40012
    async with await token_client(emulator, "eve", {mutable_channel: ["publish", "history"]}) as eve:
        with pytest.raises(AblyException) as denied:
            await eve.channels.get(mutable_channel).annotations.publish(serial, Annotation(type="a:flag.v1"))
        assert (denied.value.status_code, denied.value.code) == (401, 40160)


@pytest.mark.parametrize("binary", [True, False])
async def test_realtime_receives_versions_annotations_and_summaries(emulator, mutable_channel, binary):
    modes = [ChannelMode.PUBLISH, ChannelMode.SUBSCRIBE]
    modes += [ChannelMode.ANNOTATION_PUBLISH, ChannelMode.ANNOTATION_SUBSCRIBE]
    client = await connected(realtime(emulator, use_binary_protocol=binary, client_id="ann"))
    try:
        channel = client.channels.get(mutable_channel, ChannelOptions(modes=modes))
        messages, annotations = asyncio.Queue(), asyncio.Queue()
        await channel.subscribe(messages.put_nowait)
        await channel.annotations.subscribe(annotations.put_nowait)
        await channel.publish("event", "v1")
        original = await next_item(messages)

        edit = MessageOperation("ann", "edit")
        result = await channel.update_message(Message(data="v2", serial=original.serial), edit)
        update = await next_item(messages)
        assert (update.action, update.serial, update.data, update.name) == (
            MessageAction.MESSAGE_UPDATE,
            original.serial,
            "v2",
            "event",
        )
        assert (update.version.serial, update.version.description) == (result.version_serial, "edit")

        await channel.annotations.publish(original, Annotation(type="reaction:distinct.v1", name="👍"))
        annotation = await next_item(annotations)
        assert (annotation.action, annotation.type, annotation.name, annotation.client_id) == (
            AnnotationAction.ANNOTATION_CREATE,
            "reaction:distinct.v1",
            "👍",
            "ann",
        )
        assert annotation.message_serial == original.serial and annotation.serial > original.serial
        summary = await next_item(messages)
        assert (summary.action, summary.serial) == (MessageAction.MESSAGE_SUMMARY, original.serial)
        assert summary.annotations.summary["reaction:distinct.v1"]["👍"]["clientIds"] == ["ann"]

        await channel.delete_message(Message(serial=original.serial, data=""))
        deleted = await next_item(messages)
        assert (deleted.action, deleted.data, deleted.version.client_id) == (MessageAction.MESSAGE_DELETE, "", "ann")
    finally:
        await client.close()


async def test_without_annotation_subscribe_mode_no_annotations_arrive(emulator, mutable_channel):
    client = await connected(realtime(emulator, client_id="ann"))
    try:
        channel = client.channels.get(mutable_channel)  # the default modes: annotation_subscribe is not one
        messages, annotations = asyncio.Queue(), asyncio.Queue()
        await channel.subscribe(messages.put_nowait)
        await channel.annotations.subscribe(annotations.put_nowait)
        await channel.publish("event", "v1")
        original = await next_item(messages)
        await channel.annotations.publish(original, Annotation(type="reaction:flag.v1"))
        summary = await next_item(messages)  # the summary comes after the annotation, so it would be queued
        assert summary.action == MessageAction.MESSAGE_SUMMARY and annotations.empty()
    finally:
        await client.close()


async def test_a_provisioned_namespace_turns_the_rule_on(emulator):
    spec = {"namespaces": [{"id": "edits", "mutableMessages": True}, {"id": "plain"}]}
    app = httpx.post(f"{emulator.url}/apps", json=spec).json()
    key = app["keys"][0]["keyStr"]
    try:
        async with rest(emulator, key=key) as client:
            edits, plain = client.channels.get("edits:room"), client.channels.get("plain:room")
            serial = (await edits.publish("event", "v1")).serials[0]
            await edits.update_message(Message(data="v2", serial=serial))
            assert (await edits.get_message(serial)).data == "v2"
            plain_serial = (await plain.publish("event", "v1")).serials[0]
            with pytest.raises(AblyException) as disabled:
                await plain.update_message(Message(data="v2", serial=plain_serial))
            assert disabled.value.code == 93002
    finally:
        httpx.delete(f"{emulator.url}/apps/{app['appId']}", headers=basic_auth(key))


async def test_history_file_keeps_versions_and_summaries_across_a_restart(tmp_path):
    rules = ("--mutable-messages", "chat", "--mutable-messages", "chat:*")  # the rules `make dev` sets
    args = ("--history-file", str(tmp_path / "history.db"), *rules)
    with running_emulator(*args) as first:
        async with rest(first, client_id="ann") as client:
            room = client.channels.get("chat")
            serial = (await room.publish("event", "v1")).serials[0]
            edit = await room.update_message(Message(data="v2", serial=serial))
            await room.annotations.publish(serial, Annotation(type="reaction:distinct.v1", name="👍"))
            await client.channels.get("chat:other").publish("event", "namespaced")
    with running_emulator(*args) as second:
        async with rest(second) as client:
            room = client.channels.get("chat")
            message = await room.get_message(serial)
            assert (message.data, message.version.serial) == ("v2", edit.version_serial)
            assert message.annotations.summary["reaction:distinct.v1"]["👍"]["clientIds"] == ["ann"]
            assert len((await room.get_message_versions(serial)).items) == 2
            assert [m.data for m in (await room.history()).items] == ["v2"]
