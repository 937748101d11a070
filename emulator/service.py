"""The emulated Ably service as one object: apps and tokens, channels and their subscribers, and
the live realtime connections. REST and realtime both work through it, so neither reaches into
the other."""

from __future__ import annotations

from collections.abc import Callable

from .annotations import Annotations
from .apps import App, Provisioned, Registry
from .auth import Credentials, Token, operations_for, wildcard_operations
from .channel_names import check_rest_name
from .channels import Channel
from .connection import Connection, Connections, UnusableConnectionKey
from .errors import AblyError, bad_request, capability_denied, unauthorized
from .messaging import Fanout, Published, check_history_allowed, refuse_if_forced
from .metadata import ChannelQuery, channel_details, occupancy_metrics
from .mutations import Mutations, existing_record, mutable_channel
from .protocol import MAX_MESSAGE_SIZE


def invalid_connection_key(reason: str) -> AblyError:
    return bad_request(f"Malformed message; invalid connectionKey: {reason}", 40006)


class Service:
    def __init__(self, registry: Registry, fanout: Fanout, max_message_size: int = MAX_MESSAGE_SIZE):
        self.registry = registry
        self.fanout = fanout
        self.mutations = Mutations(fanout)
        self.annotations = Annotations(fanout)
        self.max_message_size = max_message_size
        self.connections = Connections()  # filled by Realtime; REST publishing looks connections up in it
        self._app_deleted: list[Callable[[App], None]] = []

    # -------------------------------------------------- apps and tokens

    def provision(self, spec) -> Provisioned:
        provisioned = self.registry.provision(spec)
        app = provisioned.app
        for name, items in provisioned.fixtures.items():
            # Logged like any presence event, so the fixtures are in presence history too.
            self.fanout.apply_presence(app, app.channel(name), items, None)
        return provisioned

    def on_app_deleted(self, callback: Callable[[App], None]) -> None:
        self._app_deleted.append(callback)

    def delete_app(self, creds: Credentials, app_id: str) -> None:
        if not creds.is_key or creds.key.app_id != app_id:
            raise unauthorized("Deleting an app requires basic auth with one of its keys", 40101)
        app = self.registry.apps[app_id]
        for callback in self._app_deleted:
            callback(app)
        self.registry.delete_app(app_id)

    def request_token(self, key_name: str, request, basic_auth: Credentials | None) -> Token:
        key = self.registry.keys.get(key_name)
        if key is None:
            raise unauthorized(f"Invalid key name '{key_name}'", 40101)
        return self.registry.tokens.request_token(key, request, basic_auth.key if basic_auth else None)

    # -------------------------------------------------- channels

    def publish(self, creds: Credentials, channel_name: str, items: list[dict], force_nack: bool = False) -> Published:
        """A REST publish; messages carrying a `connectionKey` are published on behalf of that
        realtime connection."""
        check_rest_name(channel_name)
        app = self.registry.app_of(creds)
        connection = self._publishing_connection(app, creds, items)
        refuse_if_forced(force_nack)
        return self.fanout.publish(
            app,
            channel_name,
            items,
            creds,
            creds.client_id,
            connection_id=connection.id if connection else None,
            max_size=self.max_message_size,
        )

    def _publishing_connection(self, app: App, creds: Credentials, items: list[dict]) -> Connection | None:
        keys = [item["connectionKey"] for item in items if item.get("connectionKey") is not None]
        if not keys:
            return None  # (the field is not stored: clean_payload drops it)
        key = keys[0]
        if any(other != key for other in keys):
            raise invalid_connection_key("the messages of one publish name different connections")
        # A wildcard clientId may publish through anyone's connection.
        client_id = None if creds.client_id == "*" else creds.client_id
        try:
            return self.connections.lookup(key, app, client_id)
        except UnusableConnectionKey as unusable:
            raise invalid_connection_key(unusable.reason) from None

    # -------------------------------------------------- updates, deletes, appends, annotations

    def change_message(self, creds: Credentials, channel_name: str, serial: str, item: dict) -> str:
        """`PATCH /channels/{name}/messages/{serial}`: an update (the default), delete or append; the new
        version's serial."""
        check_rest_name(channel_name)
        item = dict(item, serial=serial)
        item.setdefault("action", "message.update")
        app = self.registry.app_of(creds)
        return self.mutations.change(app, channel_name, item, creds, creds.client_id, max_size=self.max_message_size)

    def message_record(self, creds: Credentials, channel_name: str, serial: str):
        """The versions and annotations of one message, for credentials that may read history."""
        check_history_allowed(creds, check_rest_name(channel_name))
        channel = mutable_channel(self.registry.app_of(creds), channel_name)
        channel.prune(self.registry.clock())
        return existing_record(channel, serial)

    def annotate(self, creds: Credentials, channel_name: str, serial: str, items: list[dict]) -> None:
        """`POST /channels/{name}/messages/{serial}/annotations`."""
        check_rest_name(channel_name)
        app = self.registry.app_of(creds)
        items = [dict(item, messageSerial=serial) for item in items]
        self.annotations.publish(app, channel_name, items, creds, creds.client_id, max_size=self.max_message_size)

    def history_channel(self, creds: Credentials, channel_name: str) -> Channel:
        """A channel whose history these credentials may read, with expired events pruned."""
        check_history_allowed(creds, check_rest_name(channel_name))
        channel = self.registry.app_of(creds).channel(channel_name)
        channel.prune(self.registry.clock())
        return channel

    def presence_members(
        self, creds: Credentials, channel_name: str, client_id: str | None = None, connection_id: str | None = None
    ) -> list[dict]:
        ops = operations_for(creds.capability, check_rest_name(channel_name))
        if "subscribe" not in ops and "presence" not in ops:
            raise capability_denied("subscribe", channel_name)
        channel = self.registry.app_of(creds).existing_channel(channel_name)
        return channel.present_items(client_id, connection_id) if channel else []

    # -------------------------------------------------- channel metadata

    def channel_status(self, creds: Credentials, channel_name: str) -> dict:
        """`GET /channels/{name}`: its ChannelDetails. As on Ably, asking activates the channel."""
        if "channel-metadata" not in operations_for(creds.capability, check_rest_name(channel_name)):
            raise capability_denied("channel-metadata", channel_name)
        app = self.registry.app_of(creds)
        app.channel(channel_name).touch(self.registry.clock())
        return self._details(app, channel_name)

    def active_channels(self, creds: Credentials, query: ChannelQuery) -> tuple[list, str | None]:
        """`GET /channels`: one page of the active channels (names, or ChannelDetails), and the
        cursor for the next page, or None on the last."""
        if "channel-metadata" not in wildcard_operations(creds.capability):
            raise AblyError(
                40160,
                401,
                "Action not permitted: listing channels needs the 'channel-metadata' "
                "capability on the wildcard resource '*'",
            )
        app = self.registry.app_of(creds)
        now = self.registry.clock()
        candidates = set(app.channels) | self.fanout.channels_in_use(app)
        names = sorted(n for n in candidates if query.matches(n) and self.is_active(app, n, now))
        page = names[: query.limit]
        cursor = page[-1] if len(names) > query.limit else None
        if query.names_only:
            return page, cursor
        for name in page:
            # Ably warns that listing with details keeps channels open: it counts as activity.
            channel = app.existing_channel(name)
            if channel is not None:
                channel.touch(now)
        return [self._details(app, name) for name in page], cursor

    def is_active(self, app: App, channel_name: str, now: int) -> bool:
        """Attached to, with presence members, or within the close delay of its last activity."""
        if self.fanout.is_attached(app, channel_name):
            return True
        channel = app.existing_channel(channel_name)
        return channel is not None and (bool(channel.members) or app.recently_active(channel, now))

    def _details(self, app: App, channel_name: str) -> dict:
        """Details of a channel that is active: a listed one is, and asking for one activates it."""
        channel = app.existing_channel(channel_name)
        metrics = occupancy_metrics(
            self.fanout.subscribers_of(app, channel_name), len(channel.members) if channel else 0
        )
        return channel_details(channel_name, metrics)
