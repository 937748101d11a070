// The reader's messages on their way out, sent one at a time in the order written. A send that
// fails for a reason time mends (no network, a server error, the connection down) waits and
// goes again with the same id, so the server publishes it once; a 429 holds the whole queue
// until its Retry-After has passed; any other refusal (a 4xx) is final for that message.

const RETRY_MS = [1000, 2000, 5000, 10_000, 20_000];
const DEFAULT_HOLD_S = 5;

/** Whether retrying `error` (an ApiError) may succeed: no answer at all, or the server's own trouble. */
export const isTransient = (error) => !error?.status || error.status >= 500;

export class Outbox {
  #queue = []; // entries not yet accepted, oldest first
  #online = false;
  #busy = false;
  #holdUntil = 0; // a 429: nothing goes before this time
  #retryAt = 0; // a transient failure: the head goes again at this time
  #failures = 0;
  #timer = null;
  #sending = null; // the entry on its way now
  #deliver;
  #report;
  #clock;

  /**
   * `deliver(entry)` sends one message (a promise of the server's answer); `report(entry, status,
   * detail)` hears each change: 'waiting' (offline or retrying), 'sending', 'sent' (detail: the
   * answer), 'failed' (detail: the error), 'held' (detail: when the hold ends, ms).
   * `clock` is {now, setTimeout, clearTimeout}.
   */
  constructor({ deliver, report, clock = { now: Date.now, setTimeout, clearTimeout } }) {
    this.#deliver = deliver;
    this.#report = report;
    this.#clock = clock;
  }

  get size() {
    return this.#queue.length;
  }

  /** When a 429's hold ends (ms), or 0 if none is running. */
  get holdUntil() {
    return this.#holdUntil > this.#clock.now() ? this.#holdUntil : 0;
  }

  add(entry) {
    this.#queue.push(entry);
    if (!this.#online || this.#busy) this.#report(entry, 'waiting');
    this.#pump();
  }

  /** The connection came or went: while it is down, nothing is tried; when it is back, at once. */
  setOnline(online) {
    if (online === this.#online) return;
    this.#online = online;
    if (online) {
      this.#retryAt = 0;
      this.#pump();
    } else {
      for (const entry of this.#queue) if (entry !== this.#sending) this.#report(entry, 'waiting');
    }
  }

  #pump() {
    this.#clock.clearTimeout(this.#timer);
    if (this.#busy || !this.#queue.length || !this.#online) return;
    const wait = Math.max(this.#holdUntil, this.#retryAt) - this.#clock.now();
    if (wait > 0) {
      this.#timer = this.#clock.setTimeout(() => this.#pump(), wait);
      return;
    }
    const entry = this.#queue[0];
    this.#busy = true;
    this.#sending = entry;
    this.#report(entry, 'sending');
    this.#deliver(entry).then(
      (answer) => {
        this.#queue.shift();
        this.#failures = 0;
        this.#report(entry, 'sent', answer);
      },
      (error) => this.#failed(entry, error),
    ).finally(() => {
      this.#busy = false;
      this.#sending = null;
      this.#pump();
    });
  }

  #failed(entry, error) {
    if (error?.status === 429) {
      this.#holdUntil = this.#clock.now() + (error.retryAfterSeconds ?? DEFAULT_HOLD_S) * 1000;
      this.#report(entry, 'held', this.#holdUntil);
    } else if (isTransient(error)) {
      this.#retryAt = this.#clock.now() + RETRY_MS[Math.min(this.#failures, RETRY_MS.length - 1)];
      this.#failures += 1;
      this.#report(entry, 'waiting');
    } else {
      this.#queue.shift();
      this.#report(entry, 'failed', error);
    }
  }
}
