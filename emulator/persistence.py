"""Optional SQLite journal of channel history (`--history-file`), so history, rewind and
untilAttach survive an emulator restart. Presence sets and connections are not kept: they
cannot outlive the process anyway.

This is part of the I/O layer: the core reports each logged event to `HistoryJournal.record`,
which only queues it; a background task writes the queue in one transaction per batch on a
worker thread, so SQLite never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from dataclasses import dataclass

import msgpack

from .channels import Channel, Event

log = logging.getLogger("emulator.persistence")

SCHEMA = """
CREATE TABLE IF NOT EXISTS channels (
    app_id TEXT NOT NULL, name TEXT NOT NULL, epoch TEXT NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (app_id, name));
CREATE TABLE IF NOT EXISTS events (
    app_id TEXT NOT NULL, name TEXT NOT NULL, seq INTEGER NOT NULL, timestamp INTEGER NOT NULL,
    kind TEXT NOT NULL, connection_id TEXT, items BLOB NOT NULL,
    PRIMARY KEY (app_id, name, seq));
CREATE INDEX IF NOT EXISTS events_by_time ON events (timestamp);
"""
FLUSH_DELAY_S = 0.05  # events arriving within this long are written together


@dataclass
class Entry:
    """One logged event, encoded when it happened (so the worker thread shares nothing live)."""

    app_id: str
    name: str
    epoch: str
    seq: int
    timestamp: int
    kind: str
    connection_id: str | None
    items: bytes


@dataclass
class SavedChannel:
    name: str
    epoch: str
    seq: int
    events: list[Event]


class HistoryStore:
    """Blocking SQLite access; used from one worker thread at a time."""

    def __init__(self, path: str):
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def write(self, entries: list[Entry]) -> None:
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO channels VALUES (?, ?, ?, ?)",
                [(e.app_id, e.name, e.epoch, e.seq) for e in entries],
            )
            self.db.executemany(
                "INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(e.app_id, e.name, e.seq, e.timestamp, e.kind, e.connection_id, e.items) for e in entries],
            )

    def load(self, app_id: str) -> list[SavedChannel]:
        channels = {
            name: SavedChannel(name, epoch, seq, [])
            for name, epoch, seq in self.db.execute("SELECT name, epoch, seq FROM channels WHERE app_id = ?", (app_id,))
        }
        for name, seq, timestamp, kind, connection_id, items in self.db.execute(
            "SELECT name, seq, timestamp, kind, connection_id, items FROM events WHERE app_id = ? ORDER BY name, seq",
            (app_id,),
        ):
            if name in channels:
                channels[name].events.append(
                    Event(seq, timestamp, kind, msgpack.unpackb(items, raw=False), connection_id)
                )
        return list(channels.values())

    def prune(self, older_than_ms: int) -> None:
        with self.db:
            self.db.execute("DELETE FROM events WHERE timestamp < ?", (older_than_ms,))

    def close(self) -> None:
        self.db.close()


class HistoryJournal:
    """Queues one app's events on the loop; `run` writes them in batches on a worker thread. Only
    the default app is journalled: apps made by `POST /apps` do not survive a restart anyway."""

    def __init__(self, store: HistoryStore, app_id: str):
        self.store = store
        self.app_id = app_id
        self._pending: list[Entry] = []
        self._prune_before: int | None = None
        self._wake = asyncio.Event()
        self._closing = False

    def record(self, app_id: str, channel: Channel, event: Event) -> None:
        if app_id != self.app_id:
            return
        self._pending.append(
            Entry(
                app_id,
                channel.name,
                channel.epoch,
                event.seq,
                event.timestamp,
                event.kind,
                event.connection_id,
                msgpack.packb(event.items, use_bin_type=True),
            )
        )
        self._wake.set()

    def prune(self, older_than_ms: int) -> None:
        self._prune_before = older_than_ms
        self._wake.set()

    async def load(self) -> list[SavedChannel]:
        return await asyncio.to_thread(self.store.load, self.app_id)

    async def run(self) -> None:
        while not self._closing:
            await self._wake.wait()
            await asyncio.sleep(FLUSH_DELAY_S)
            await self._flush()

    async def _flush(self) -> None:
        self._wake.clear()
        entries, self._pending = self._pending, []
        prune_before, self._prune_before = self._prune_before, None
        try:
            if entries:
                await asyncio.to_thread(self.store.write, entries)
            if prune_before is not None:
                await asyncio.to_thread(self.store.prune, prune_before)
        except sqlite3.Error:
            log.exception("could not write the history journal")

    async def close(self, runner: asyncio.Task) -> None:
        """Let the writer finish its batch (a write is never cut short), then write the rest."""
        self._closing = True
        self._wake.set()
        await runner
        await self._flush()
        await asyncio.to_thread(self.store.close)
