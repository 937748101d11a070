// The conversation as the reader sees it: chat messages from Ably, the reader's own
// messages on their way out, and local notices. Ably's message id makes every message
// unique (a retried send, a history page and the live stream may all carry the same one),
// and Ably's timestamp orders them, whatever path they came by.
//
// Entries are never mutated: a change makes a new object, so the view can spot changed
// rows by identity.

export const MESSAGE_CAP = 50;
/** Older messages the reader asked for (pages of history) are kept up to this many. */
export const EARLIER_CAP = 500;

const OUTBOX_STATUSES = new Set(['waiting', 'sending', 'failed']);
const isOutbox = (entry) => OUTBOX_STATUSES.has(entry.status);
const byTime = (a, b) => a.timestamp - b.timestamp;

// Outgoing messages the server has not accepted yet stay at the bottom, in the order they
// were written; everything else is ordered by time. `seq` keeps ties in arrival order.
function compareEntries(a, b) {
  return (
    isOutbox(a) - isOutbox(b) ||
    (isOutbox(a) ? 0 : a.timestamp - b.timestamp) ||
    a.seq - b.seq
  );
}

/**
 * Turns an Ably message into a log entry, or null when it is not a well-formed chat
 * message, so that one bad payload is skipped instead of breaking the page.
 */
export function entryFromAbly(message) {
  const data = message?.data;
  if (typeof message?.id !== 'string' || data === null || typeof data !== 'object') return null;
  const { username, text, date, type } = data;
  if (typeof username !== 'string' || typeof text !== 'string') return null;
  if (type !== 'message' && type !== 'notification') return null;
  const timestamp = Number.isFinite(message.timestamp) ? message.timestamp : Date.parse(date);
  if (!Number.isFinite(timestamp)) return null;
  const sentAt = Date.parse(date);
  return {
    id: message.id,
    serial: message.serial,
    type,
    username,
    text,
    time: Number.isFinite(sentAt) ? sentAt : timestamp,
    timestamp,
    status: 'delivered',
  };
}

export class MessageLog {
  #entries = [];
  #earlier = []; // older pages shown on demand, oldest first, ending where #entries begins
  #earlierComplete = true; // whether #earlier still runs on without a gap into #entries
  #cap;
  #seq = 0;
  #localIds = 0;

  constructor(cap = MESSAGE_CAP) {
    this.#cap = cap;
  }

  /** The entries in display order: older pages loaded on demand, then the live view. */
  get entries() {
    return this.#earlier.length ? [...this.#earlier, ...this.#entries] : this.#entries;
  }

  /** Whether an older page may still be added: the kept ones run on without a gap, and there is room. */
  get canAddEarlier() {
    return this.#earlierComplete && this.#earlier.length < EARLIER_CAP;
  }

  get(id) {
    return this.entries.find((entry) => entry.id === id);
  }

  /** Adds an older page of history (entries in any order) before everything shown. */
  addEarlier(page) {
    const known = new Set(this.entries.map((entry) => entry.id));
    const older = page.filter((entry) => !known.has(entry.id)).sort(byTime);
    this.#earlier = [...older.map((entry) => ({ ...entry, seq: ++this.#seq })), ...this.#earlier];
    this.#trimEarlier();
  }

  #trimEarlier() {
    if (this.#earlier.length <= EARLIER_CAP) return;
    this.#earlier = this.#earlier.slice(-EARLIER_CAP);
    this.#earlierComplete = false; // the oldest went: paging back from here would leave a hole
  }

  /**
   * Adds a message seen on Ably (live or from history). Returns true when it is a new row,
   * false when the id was already here: a duplicate, or the Ably copy of our own message.
   */
  receive(entry) {
    if (this.#earlier.some((old) => old.id === entry.id)) return false;
    const existing = this.#entries.find((old) => old.id === entry.id);
    if (existing?.status === 'delivered') return false;
    if (existing) {
      this.#replace(existing, entry);
      return false;
    }
    this.#insert(entry);
    return this.#entries.some((kept) => kept.id === entry.id);
  }

  /**
   * Adds a notice made by this page, `about` a person or about the room. Without a server time
   * (`at`), it takes the time of the newest message it follows: it stays where it happened,
   * whatever the browser's clock says. With one, messages from before `at` that arrive later still
   * go above it.
   */
  addNotice(text, { about = null, now = Date.now(), at = undefined } = {}) {
    const timeline = this.#entries.filter((entry) => !isOutbox(entry));
    const newest = timeline.length ? timeline.at(-1).timestamp : -Infinity;
    const entry = {
      id: `#local-${++this.#localIds}`, // "#" never passes the server's id rules: no clash with a real message
      type: 'notification',
      username: about, // shown apart from the notice's own words: a name cannot pass for a notice
      text,
      time: now,
      timestamp: Number.isFinite(at) ? Math.max(at, newest) : newest,
      status: 'delivered',
      local: true,
    };
    this.#insert(entry);
    return entry;
  }

  /**
   * Adds the reader's own message, shown as sending until the server accepts it. `id` is the
   * id Ably will give it; `requestId` the one the page sends (the server derives `id` from it).
   */
  addOutgoing({ id, requestId = id, username, text }, now = Date.now()) {
    const entry = { id, requestId, type: 'message', username, text, time: now, timestamp: now, status: 'sending' };
    this.#insert(entry);
    return entry;
  }

  /** Waiting to go: for the connection, for a rate limit to pass, or to be tried again. */
  markWaiting(id) {
    this.#update(id, ['sending', 'failed', 'waiting'], { status: 'waiting', error: undefined });
  }

  markSending(id) {
    this.#update(id, ['failed', 'waiting'], { status: 'sending', error: undefined });
  }

  markFailed(id, error) {
    this.#update(id, ['sending', 'waiting'], { status: 'failed', error });
  }

  /** The server accepted the message; its Ably copy, when it arrives, replaces this one. */
  markSent(id, accepted) {
    const time = Date.parse(accepted?.date);
    const sentAt = Number.isFinite(time) ? time : Date.now();
    this.#update(id, ['sending'], { status: 'sent', time: sentAt, timestamp: sentAt });
  }

  remove(id) {
    this.#entries = this.#entries.filter((entry) => entry.id !== id);
  }

  /** Puts a changed entry (an edit, a reaction) in place of the one with its id, on an older page too. */
  replace(entry) {
    this.#earlier = this.#earlier.map((old) => (old.id === entry.id ? { ...entry, seq: old.seq } : old));
    this.#update(entry.id, [entry.status], entry);
  }

  /** The reader went back to the live view: older pages are let go, so memory stays bounded. */
  dropEarlier() {
    this.#earlier = [];
    this.#earlierComplete = true;
  }

  #update(id, fromStatuses, changes) {
    const existing = this.#entries.find((entry) => entry.id === id);
    if (existing && fromStatuses.includes(existing.status)) {
      this.#replace(existing, { ...existing, ...changes });
    }
  }

  #replace(existing, entry) {
    const others = this.#entries.filter((other) => other !== existing);
    this.#entries = [...others, { ...entry, seq: existing.seq }].sort(compareEntries);
  }

  #insert(entry) {
    const entries = [...this.#entries, { ...entry, seq: ++this.#seq }].sort(compareEntries);
    // Beyond the cap the oldest settled rows go; unsent text is never thrown away.
    const excess = Math.max(0, entries.length - this.#cap);
    const dropped = entries.filter((candidate) => !isOutbox(candidate)).slice(0, excess);
    const droppedSet = new Set(dropped);
    this.#entries = entries.filter((candidate) => !droppedSet.has(candidate));
    // With older pages on screen, what leaves the live view joins them, so nothing goes missing between.
    if (this.#earlier.length && dropped.length) {
      this.#earlier = [...this.#earlier, ...dropped.filter((entry) => !entry.local)];
      this.#trimEarlier();
    }
  }
}
