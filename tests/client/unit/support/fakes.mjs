// Test doubles for the page's controllers: a clock whose time moves only when told, and storage.

/** A clock for controllers ({now, setTimeout, clearTimeout}); `advance(ms)` runs what falls due. */
export class FakeClock {
  #now;
  #timers = new Map();
  #ids = 0;

  constructor(now = Date.UTC(2026, 0, 15, 12)) {
    this.#now = now;
  }

  now = () => this.#now;

  setTimeout = (callback, ms = 0) => {
    this.#timers.set(++this.#ids, { at: this.#now + Math.max(0, ms), callback });
    return this.#ids;
  };

  clearTimeout = (id) => {
    this.#timers.delete(id);
  };

  /** Moves time on by `ms`, running each timer at its time (and letting promises settle between). */
  async advance(ms) {
    const end = this.#now + ms;
    for (;;) {
      await settle();
      const due = [...this.#timers].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.#timers.delete(due[0]);
      this.#now = due[1].at;
      due[1].callback();
    }
    this.#now = end;
    await settle();
  }
}

/** Lets pending promise callbacks run. */
export const settle = () => new Promise((resolve) => setImmediate(resolve));

export class MemoryStorage {
  #items = new Map();
  getItem(key) { return this.#items.has(key) ? this.#items.get(key) : null; }
  setItem(key, value) { this.#items.set(key, String(value)); }
  removeItem(key) { this.#items.delete(key); }
}
