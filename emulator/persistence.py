"""Optional SQLite journal of channel history (`--history-file`), so history,
rewind and untilAttach survive an emulator restart. Presence and connections
are not kept: they cannot outlive the process anyway."""

from __future__ import annotations

import sqlite3

import msgpack

from .channels import Channel, Event

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


class HistoryStore:
    def __init__(self, path: str):
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def record(self, app_id: str, channel: Channel, event: Event) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO channels VALUES (?, ?, ?, ?)",
                            (app_id, channel.name, channel.epoch, channel.seq))
            self.db.execute(
                "INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?, ?, ?, ?)",
                (app_id, channel.name, event.seq, event.timestamp, event.kind, event.connection_id,
                 msgpack.packb(event.items, use_bin_type=True)))

    def restore(self, app_id: str, name: str) -> tuple[str, int, list[Event]] | None:
        row = self.db.execute("SELECT epoch, seq FROM channels WHERE app_id = ? AND name = ?",
                              (app_id, name)).fetchone()
        if row is None:
            return None
        events = [
            Event(seq, timestamp, kind, msgpack.unpackb(items, raw=False), connection_id)
            for seq, timestamp, kind, connection_id, items in self.db.execute(
                "SELECT seq, timestamp, kind, connection_id, items FROM events"
                " WHERE app_id = ? AND name = ? ORDER BY seq", (app_id, name))
        ]
        return row[0], row[1], events

    def prune(self, older_than_ms: int) -> None:
        with self.db:
            self.db.execute("DELETE FROM events WHERE timestamp < ?", (older_than_ms,))

    def close(self) -> None:
        self.db.close()
