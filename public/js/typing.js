// Typing signals travel as presence data ({typing: true|false}), because the page may
// enter and update presence but may not publish on the chat channel.

/** A typist is forgotten after this long without a signal (a closed laptop sends no "stopped"). */
export const TYPING_TIMEOUT_MS = 5000;
/** While someone keeps typing, "typing" is repeated at most this often. */
export const TYPING_THROTTLE_MS = 2000;
/** After this long without a keystroke, the sender says it stopped. */
export const TYPING_IDLE_MS = 3000;

/** Who is typing, as seen by the reader. Signals are kept per connection, shown per name. */
export class TypingTracker {
  #typists = new Map(); // connectionId → { name, until }
  #timeoutMs;

  constructor(timeoutMs = TYPING_TIMEOUT_MS) {
    this.#timeoutMs = timeoutMs;
  }

  update(connectionId, name, isTyping, now = Date.now()) {
    if (isTyping) this.#typists.set(connectionId, { name, until: now + this.#timeoutMs });
    else this.#typists.delete(connectionId);
  }

  /** Names of people typing now, sorted, without `exceptName` (the reader). */
  names(exceptName, now = Date.now()) {
    for (const [connectionId, { until }] of this.#typists) {
      if (until <= now) this.#typists.delete(connectionId);
    }
    const names = new Set([...this.#typists.values()].map((typist) => typist.name));
    names.delete(exceptName);
    return [...names].sort();
  }

  /** When the next typist times out, so the view knows when to look again; null if nobody. */
  nextExpiry() {
    const times = [...this.#typists.values()].map((typist) => typist.until);
    return times.length ? Math.min(...times) : null;
  }
}

export function describeTypists(names) {
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return 'Several people are typing…';
}

/** Turns keystrokes into few signals: one at the start, one every throttle period, one at the end. */
export class TypingNotifier {
  #send;
  #throttleMs;
  #idleMs;
  #now;
  #typing = false;
  #lastSentAt = 0;
  #idleTimer;

  constructor(send, { throttleMs = TYPING_THROTTLE_MS, idleMs = TYPING_IDLE_MS, now = Date.now } = {}) {
    this.#send = send;
    this.#throttleMs = throttleMs;
    this.#idleMs = idleMs;
    this.#now = now;
  }

  keystroke() {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => this.stop(), this.#idleMs);
    const now = this.#now();
    if (!this.#typing || now - this.#lastSentAt >= this.#throttleMs) {
      this.#typing = true;
      this.#lastSentAt = now;
      this.#send(true);
    }
  }

  stop() {
    clearTimeout(this.#idleTimer);
    if (this.#typing) {
      this.#typing = false;
      this.#send(false);
    }
  }
}
