import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError } from '../../../public/js/api.js';
import { Identity, SessionStore } from '../../../public/js/identity.js';

class MemoryStorage {
  #items = new Map();
  getItem(key) { return this.#items.has(key) ? this.#items.get(key) : null; }
  setItem(key, value) { this.#items.set(key, String(value)); }
  removeItem(key) { this.#items.delete(key); }
}

const released = () => new ApiError('your name was released; pick it again', { status: 401, reason: 'name-released' });
const until = async (condition) => {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 1));
};

const answer = (overrides = {}) => ({
  username: 'Ana', room: 'team-a', claim: 'c1', session: 's1', expiresIn: 900, renewIn: 300, ...overrides,
});

describe('SessionStore', () => {
  test('keeps a session per room and name, and the last name used', () => {
    const store = new SessionStore(new MemoryStorage());
    store.put('team-a', 'Ana', { session: 's1', claim: 'c1' });
    store.put('team-b', 'Ana', { session: 's2', claim: 'c2' });
    assert.equal(store.get('team-a', 'Ana').session, 's1');
    assert.equal(store.get('team-b', 'Ana').session, 's2');
    assert.equal(store.get('team-a', 'Bo'), null);
    assert.equal(store.lastName(), 'Ana');
    store.forget('team-a', 'Ana');
    assert.equal(store.get('team-a', 'Ana'), null);
    assert.equal(store.get('team-b', 'Ana').session, 's2');
  });

  test('forgets claims unused for a day', () => {
    let now = 0;
    const store = new SessionStore(new MemoryStorage(), () => now);
    store.put('old', 'Ana', { session: 's0' });
    now = 25 * 60 * 60 * 1000;
    store.put('new', 'Ana', { session: 's1' });
    assert.equal(store.get('old', 'Ana'), null);
  });

  test('survives a damaged store', () => {
    const storage = new MemoryStorage();
    storage.setItem('chat.sessions', '{not json');
    assert.equal(new SessionStore(storage).get('a', 'b'), null);
  });
});

describe('Identity', () => {
  test('claims with the session the browser already holds, and keeps the new one', async () => {
    const store = new SessionStore(new MemoryStorage());
    store.put('team-a', 'Ana', { session: 'old', claim: 'c1' });
    const asked = [];
    const identity = new Identity({
      room: 'team-a', username: 'Ana', store, claim: async (request) => { asked.push(request); return answer({ session: 'new' }); },
    });
    await identity.claim();
    identity.stop();
    assert.deepEqual(asked, [{ username: 'Ana', room: 'team-a', current: 'old' }]);
    assert.equal(identity.session, 'new');
    assert.equal(identity.claimId, 'c1');
    assert.equal(store.get('team-a', 'Ana').session, 'new');
  });

  test('a request refused for an expired session renews it and tries once more', async () => {
    let claims = 0;
    const identity = new Identity({
      room: 'team-a', username: 'Ana', store: new SessionStore(new MemoryStorage()),
      claim: async () => answer({ session: `s${++claims}` }),
    });
    await identity.claim();
    const seen = [];
    const result = await identity.withSession(async (session) => {
      seen.push(session);
      if (session === 's1') throw new ApiError('expired', { status: 401 });
      return 'sent';
    });
    identity.stop();
    assert.equal(result, 'sent');
    assert.deepEqual(seen, ['s1', 's2']);
  });

  test('other failures are not retried', async () => {
    const identity = new Identity({
      room: 'r', username: 'Ana', store: new SessionStore(new MemoryStorage()), claim: async () => answer(),
    });
    await identity.claim();
    identity.stop();
    await assert.rejects(identity.withSession(async () => { throw new ApiError('nope', { status: 403 }); }), { status: 403 });
  });

  test('a renewal that finds the name taken says so', async () => {
    let claims = 0;
    const lost = new Promise((resolve) => {
      new Identity({
        room: 'team-a', username: 'Ana', store: new SessionStore(new MemoryStorage()), onLost: resolve,
        claim: async () => {
          claims += 1;
          if (claims > 1) throw new ApiError('that name is taken', { status: 409 });
          return answer({ renewIn: 0 });
        },
      }).claim();
    });
    assert.match((await lost).message, /taken/);
  });

  test('a renewal refused with a 401 says the name is lost, and renewing stops', async () => {
    let claims = 0;
    const lost = [];
    const identity = new Identity({
      room: 'team-a', username: 'Ana', store: new SessionStore(new MemoryStorage()), onLost: (error) => lost.push(error),
      claim: async () => {
        claims += 1;
        if (claims > 1) throw released();
        return answer({ renewIn: 0 });
      },
    });
    await identity.claim();
    await until(() => lost.length > 0);
    assert.equal(lost[0].reason, 'name-released');
    await identity.withSession(async () => 'still callable').catch(() => {});
    assert.equal(claims, 2, 'no renewal after the loss');
    assert.equal(lost.length, 1);
  });

  test('leaving forgets the claim', async () => {
    const store = new SessionStore(new MemoryStorage());
    const identity = new Identity({ room: 'team-a', username: 'Ana', store, claim: async () => answer() });
    await identity.claim();
    identity.stop({ forget: true });
    assert.equal(store.get('team-a', 'Ana'), null);
  });
});

describe('Identity, when the server has released the name', () => {
  // The server answers sendMessage, the token endpoint and renewals with a 401 whose reason is
  // 'name-released' once the session's claim no longer holds the name.
  function holder({ renewals }) {
    const lost = [];
    const claims = [];
    const identity = new Identity({
      room: 'team-a', username: 'Ana', store: new SessionStore(new MemoryStorage()), onLost: (error) => lost.push(error),
      claim: async (request) => {
        claims.push(request.current);
        if (claims.length === 1) return answer({ session: 's1' });
        const next = renewals.shift();
        if (next instanceof Error) throw next;
        return answer({ session: next });
      },
    });
    return { identity, lost, claims };
  }

  test('one silent renewal with the current session, and the request goes through', async () => {
    const { identity, lost, claims } = holder({ renewals: ['s2'] });
    await identity.claim();
    const seen = [];
    const result = await identity.withSession(async (session) => {
      seen.push(session);
      if (session === 's1') throw released();
      return 'sent';
    });
    identity.stop();
    assert.equal(result, 'sent');
    assert.deepEqual(seen, ['s1', 's2']);
    assert.deepEqual(claims, [null, 's1'], 'the renewal carries the session it renews');
    assert.deepEqual(lost, []);
  });

  for (const [refusal, failure] of [
    ['refused as released', released()],
    ['refused as taken', new ApiError('that name is taken', { status: 409 })],
  ]) {
    test(`a renewal ${refusal} loses the name, told as released, once`, async () => {
      const { identity, lost, claims } = holder({ renewals: [failure, failure] });
      await identity.claim();
      const refuse = async () => { throw released(); };
      await assert.rejects(identity.withSession(refuse), { reason: 'name-released' });
      await assert.rejects(identity.withSession(refuse), { reason: 'name-released' });
      assert.equal(claims.length, 2, 'one renewal, none once the name is lost');
      assert.equal(lost.length, 1);
      assert.equal(lost[0].reason, 'name-released');
    });
  }

  test('the retried request refused again loses the name', async () => {
    const { identity, lost } = holder({ renewals: ['s2'] });
    await identity.claim();
    await assert.rejects(identity.withSession(async () => { throw released(); }), { status: 401 });
    assert.equal(lost.length, 1);
  });

  test('a renewal that cannot reach the server fails this request only: it may be retried', async () => {
    const offline = new ApiError('Could not reach the server.');
    const { identity, lost } = holder({ renewals: [offline, 's2'] });
    await identity.claim();
    const send = async (session) => {
      if (session === 's1') throw released();
      return 'sent';
    };
    await assert.rejects(identity.withSession(send), { message: /reach/ });
    assert.equal(await identity.withSession(send), 'sent');
    identity.stop();
    assert.deepEqual(lost, []);
  });
});
