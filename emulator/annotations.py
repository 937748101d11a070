"""Annotations of published messages (reactions and the like), shared by REST
(`POST /channels/{name}/messages/{serial}/annotations`) and realtime (ANNOTATION).

An annotation is allowed on a channel with the mutable-messages rule, with the `annotation-publish`
capability, on a message the channel still holds. It is logged (and delivered to attachments with the
`annotation_subscribe` mode), then the annotated message's new summary is logged and delivered to its
subscribers as a `message.summary`. Pure domain code, no I/O."""

from __future__ import annotations

from dataclasses import dataclass

from .apps import App
from .auth import Credentials, operations_for
from .channels import Channel, check_size, clean_payload
from .errors import bad_request, capability_denied
from .message_records import MessageAction
from .messaging import Fanout, effective_client_id
from .mutations import existing_record, mutable_channel
from .protocol import MAX_MESSAGE_SIZE
from .summaries import CREATE, DELETE, NEEDS_CLIENT_ID, method_of, summarize

ANNOTATION_FIELDS = ("id", "type", "name", "count", "data", "encoding", "extras")
ACTIONS = {None: CREATE, CREATE: CREATE, DELETE: DELETE, "annotation.create": CREATE, "annotation.delete": DELETE}
MAX_ANNOTATIONS_PER_MESSAGE = 10_000  # kept for `annotations.get` and the summary, until the message expires


def annotation_item(raw: dict, creds: Credentials, identity: str | None, now: int) -> dict:
    """Validate one annotation from a client and stamp it (its own serial comes when it is logged)."""
    action = raw.get("action")
    if isinstance(action, bool) or not isinstance(action, (int, str, type(None))) or action not in ACTIONS:
        raise bad_request(f"Invalid annotation action {action!r}", 40003)
    annotation_type = raw.get("type")
    if not isinstance(annotation_type, str) or not annotation_type:
        raise bad_request("Annotation type must be specified", 40000)
    count = raw.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise bad_request("Invalid annotation count: expected a positive integer", 40003)
    item = clean_payload({k: raw[k] for k in ANNOTATION_FIELDS if k in raw}, ANNOTATION_FIELDS)
    client_id = effective_client_id(creds, identity, raw.get("clientId"))
    if client_id is None and method_of(annotation_type) in NEEDS_CLIENT_ID:
        raise bad_request(f"Annotations of type '{annotation_type}' need an identified client (a clientId)", 40012)
    if client_id is not None:
        item["clientId"] = client_id
    item.update(action=ACTIONS[action], messageSerial=raw.get("messageSerial"), timestamp=now)
    return item


@dataclass
class Annotations:
    fanout: Fanout

    def publish(
        self,
        app: App,
        channel_name: str,
        raw_items: list[dict],
        creds: Credentials,
        identity: str | None,
        connection_id: str | None = None,
        id_prefix: str | None = None,
        max_size: int = MAX_MESSAGE_SIZE,
    ) -> list[str]:
        """Publish (or delete: an `annotation.delete`) annotations, then each annotated message's summary;
        the annotations' serials."""
        if "annotation-publish" not in operations_for(creds.capability, channel_name):
            raise capability_denied("annotation-publish", channel_name)
        channel = mutable_channel(app, channel_name)
        if not raw_items:
            raise bad_request("No annotations to publish")
        now = self.fanout.clock()
        prefix = id_prefix or self.fanout.ids.secret(9)
        items = []
        for index, raw in enumerate(raw_items):
            item = annotation_item(raw, creds, identity, now)
            record = existing_record(channel, item["messageSerial"])
            if len(record.annotations) >= MAX_ANNOTATIONS_PER_MESSAGE:
                raise bad_request(f"Too many annotations on message '{item['messageSerial']}'", 40003)
            item.setdefault("id", f"{prefix}:{index}")
            if connection_id:
                item["connectionId"] = connection_id
            items.append(item)
        check_size(items, max_size)
        event = self.fanout.log_event(app, channel, "annotation", items, connection_id)
        self.fanout.deliver(app, channel, event, sender=connection_id)
        for serial in dict.fromkeys(item["messageSerial"] for item in items):
            self._publish_summary(app, channel, serial, now)
        return [item["serial"] for item in event.items]

    def _publish_summary(self, app: App, channel: Channel, serial: str, now: int) -> None:
        record = existing_record(channel, serial)
        summary = {"action": MessageAction.SUMMARY, "serial": serial, "timestamp": now}
        summary["annotations"] = {"summary": summarize(record.annotations)}
        event = self.fanout.log_event(app, channel, "message", [summary], None)
        self.fanout.deliver(app, channel, event)
