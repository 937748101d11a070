// The name a reader holds in a room: claimed with /api/session, kept in localStorage per room
// and name (so a reload or a second tab with the same name reuses the claim, and a different
// browser cannot take the name while the holder is here), renewed while the page is open.
import { ApiError, claimName, releaseName } from './api.js';

const STORE_KEY = 'chat.sessions';
const LAST_NAME_KEY = 'chat.lastName';
const FORGET_AFTER_MS = 24 * 60 * 60 * 1000; // a claim unused for a day is of no use to keep
const RETRY_RENEWAL_MS = 30_000;
// What a request with the session answers once a renewal cannot mend it: the name is somebody
// else's (409), or the server will not renew this session (401).
const LOST_STATUSES = new Set([401, 409]);

/** Sessions by room and name in a Storage (localStorage in the page). */
export class SessionStore {
  #storage;
  #now;

  constructor(storage, now = Date.now) {
    this.#storage = storage;
    this.#now = now;
  }

  get(room, name) {
    return this.#read()[`${room}\n${name}`] ?? null;
  }

  put(room, name, session) {
    const all = this.#read();
    for (const [key, kept] of Object.entries(all)) {
      if (this.#now() - kept.savedAt > FORGET_AFTER_MS) delete all[key];
    }
    all[`${room}\n${name}`] = { ...session, savedAt: this.#now() };
    this.#write(all);
    this.#storage.setItem(LAST_NAME_KEY, name);
  }

  forget(room, name) {
    const all = this.#read();
    delete all[`${room}\n${name}`];
    this.#write(all);
  }

  /** The name this browser last used, to offer again. */
  lastName() {
    return this.#storage.getItem(LAST_NAME_KEY) ?? '';
  }

  #read() {
    try {
      const all = JSON.parse(this.#storage.getItem(STORE_KEY) ?? '{}');
      return all && typeof all === 'object' ? all : {};
    } catch {
      return {};
    }
  }

  #write(all) {
    this.#storage.setItem(STORE_KEY, JSON.stringify(all));
  }
}

/**
 * One claim of a name in a room. `claim()` makes or renews it; `withSession(call)` runs a
 * request that needs the session and, if the server answers 401 (the session expired, or its
 * claim no longer holds the name), renews once, silently, and tries once more. `onLost(error)`,
 * given to the constructor, hears once when the name is lost: somebody else holds it (409), or
 * the server will not renew the session (401). An error whose `reason` is 'name-released' says
 * the server let the name go.
 */
export class Identity {
  #room;
  #name;
  #store;
  #claimName;
  #onLost;
  #current = null;
  #timer;
  #lost = false;

  constructor({ room, username, store, claim = claimName, onLost = () => {} }) {
    this.#room = room;
    this.#name = username;
    this.#store = store;
    this.#claimName = claim;
    this.#onLost = onLost;
  }

  get username() {
    return this.#name;
  }

  get room() {
    return this.#room;
  }

  /** The claim's id: it goes into presence data, and prefixes the ids of our messages. */
  get claimId() {
    return this.#current?.claim ?? null;
  }

  get session() {
    return this.#current?.session ?? null;
  }

  async claim() {
    clearTimeout(this.#timer);
    const held = this.#current ?? this.#store.get(this.#room, this.#name);
    const answer = await this.#claimName({ username: this.#name, room: this.#room, current: held?.session ?? null });
    this.#name = answer.username; // as the server normalised it
    this.#current = { session: answer.session, claim: answer.claim };
    this.#store.put(this.#room, this.#name, this.#current);
    this.#schedule((answer.renewIn ?? 300) * 1000);
    return this;
  }

  async withSession(call) {
    try {
      return await call(this.session);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw this.#loseOn(error);
      if (this.#lost) throw error; // no renewing a name already lost
      try {
        await this.claim();
        return await call(this.session);
      } catch (failure) {
        // Said as the server first put it when it released the name, whatever the renewal answered.
        throw this.#loseOn(failure, error.reason === 'name-released' ? error : failure);
      }
    }
  }

  /** Stops renewing; with `forget`, this browser no longer keeps the claim. */
  stop({ forget = false } = {}) {
    clearTimeout(this.#timer);
    if (forget) this.#store.forget(this.#room, this.#name);
  }

  /** Leave: this browser lets go of the name, and so does the server, at once. */
  leave() {
    const session = this.session;
    this.stop({ forget: true });
    return session ? releaseName(session) : Promise.resolve();
  }

  #schedule(delayMs) {
    this.#timer = setTimeout(() => {
      this.claim().catch((error) => {
        this.#loseOn(error);
        if (!this.#lost) this.#schedule(RETRY_RENEWAL_MS);
      });
    }, delayMs);
  }

  /** Tells onLost (once) if `error` means the name is gone; returns what to throw. */
  #loseOn(error, told = error) {
    if (error instanceof ApiError && LOST_STATUSES.has(error.status) && !this.#lost) {
      this.#lost = true;
      this.stop();
      this.#onLost(told);
      return told;
    }
    return error;
  }
}
