import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { entryFromAbly, MESSAGE_CAP, MessageLog } from '../../../public/js/message-log.js';

const T0 = Date.UTC(2026, 10, 28, 9, 0, 0);

function ablyMessage(n, overrides = {}) {
  return {
    id: `m${n}`,
    name: 'message',
    timestamp: T0 + n * 1000,
    data: { username: 'Ana', text: `text ${n}`, date: new Date(T0 + n * 1000 - 5).toISOString(), type: 'message' },
    ...overrides,
  };
}
const entry = (n, overrides) => entryFromAbly(ablyMessage(n, overrides));
const ids = (log) => log.entries.map((e) => e.id);
const texts = (log) => log.entries.map((e) => e.text);

describe('entryFromAbly', () => {
  test('keeps the fields the page shows, timed by the sender and ordered by Ably', () => {
    assert.deepEqual(entry(1, { serial: 's1' }), {
      id: 'm1',
      serial: 's1', // what an edit, a delete or a reaction names it by
      type: 'message',
      username: 'Ana',
      text: 'text 1',
      time: T0 + 995,
      timestamp: T0 + 1000,
      status: 'delivered',
    });
  });

  test('keeps notifications apart by type', () => {
    const notice = entry(1, { data: { username: 'Ana', text: 'hi', date: 'x', type: 'notification' } });
    assert.equal(notice.type, 'notification');
    assert.equal(notice.time, T0 + 1000, 'falls back to the Ably timestamp for an unreadable date');
  });

  test('skips malformed payloads instead of throwing', () => {
    const malformed = [
      null,
      {},
      ablyMessage(1, { id: undefined }),
      ablyMessage(1, { data: null }),
      ablyMessage(1, { data: 'just a string' }),
      ablyMessage(1, { data: { text: 'no username', date: '', type: 'message' } }),
      ablyMessage(1, { data: { username: 'Ana', text: 42, date: '', type: 'message' } }),
      ablyMessage(1, { data: { username: 'Ana', text: 'hi', date: '', type: 'shout' } }),
      ablyMessage(1, { timestamp: undefined, data: { username: 'Ana', text: 'hi', date: 'never', type: 'message' } }),
    ];
    for (const message of malformed) assert.equal(entryFromAbly(message), null, JSON.stringify(message));
  });
});

describe('MessageLog', () => {
  test('orders by Ably timestamp whatever the arrival order', () => {
    const log = new MessageLog();
    for (const n of [3, 1, 2]) log.receive(entry(n));
    assert.deepEqual(ids(log), ['m1', 'm2', 'm3']);
  });

  test('drops a duplicate id, e.g. where history overlaps the live stream', () => {
    const log = new MessageLog();
    assert.equal(log.receive(entry(1)), true);
    assert.equal(log.receive(entry(2)), true);
    assert.equal(log.receive(entry(1)), false);
    assert.deepEqual(ids(log), ['m1', 'm2']);
  });

  test(`keeps at most ${MESSAGE_CAP} entries, dropping the oldest`, () => {
    const log = new MessageLog();
    for (let n = 1; n <= MESSAGE_CAP + 1; n++) log.receive(entry(n));
    assert.equal(log.entries.length, MESSAGE_CAP);
    assert.equal(log.entries[0].id, 'm2');
    assert.equal(log.entries.at(-1).id, `m${MESSAGE_CAP + 1}`);
  });

  test('a message older than everything in a full log does not stay', () => {
    const log = new MessageLog(3);
    for (const n of [5, 6, 7]) log.receive(entry(n));
    assert.equal(log.receive(entry(1)), false);
    assert.deepEqual(ids(log), ['m5', 'm6', 'm7']);
  });

  test('a notice follows what was showing when it happened, whatever the browser clock says', () => {
    const log = new MessageLog();
    log.addNotice('Connected to chat! ⚡️', { now: T0 - 60_000 }); // browser clock a minute slow
    log.receive(entry(1));
    log.addNotice('joined', { about: 'Bo', now: T0 + 60_000 }); // and now a minute fast
    log.receive(entry(2));
    assert.deepEqual(texts(log), ['Connected to chat! ⚡️', 'text 1', 'joined', 'text 2']);
    const notice = log.entries[2];
    assert.equal(notice.type, 'notification');
    assert.equal(notice.username, 'Bo', 'the person it is about, kept apart from its words');
    assert.equal(log.entries[0].username, null);
    assert.equal(notice.time, T0 + 60_000, 'shows the time it happened');
  });

  test('a notice with a server time stays below the messages from before it, however late they arrive', () => {
    const log = new MessageLog();
    log.addNotice('Connected to chat! ⚡️', { now: T0, at: T0 + 2500 }); // the rewind is still on its way
    for (const n of [1, 2, 3]) log.receive(entry(n));
    assert.deepEqual(texts(log), ['text 1', 'text 2', 'Connected to chat! ⚡️', 'text 3']);
  });

  test('notices get ids of their own', () => {
    const log = new MessageLog();
    const a = log.addNotice('one');
    const b = log.addNotice('two');
    assert.notEqual(a.id, b.id);
  });

  describe('outgoing messages', () => {
    const outgoing = { id: 'mine', username: 'Ana', text: 'hello' };

    test('stay below the conversation while sending, in the order written', () => {
      const log = new MessageLog();
      log.addOutgoing(outgoing, T0);
      log.addOutgoing({ ...outgoing, id: 'mine2', text: 'again' }, T0);
      log.receive(entry(5));
      assert.deepEqual(ids(log), ['m5', 'mine', 'mine2']);
      assert.equal(log.get('mine').status, 'sending');
    });

    test('are replaced by their Ably copy, so a message shows once', () => {
      const log = new MessageLog();
      log.addOutgoing(outgoing, T0);
      assert.equal(log.receive(entry(1, { id: 'mine' })), false);
      assert.deepEqual(ids(log), ['mine']);
      assert.equal(log.get('mine').status, 'delivered');
    });

    test('keep their text on failure and can go back to sending', () => {
      const log = new MessageLog();
      log.addOutgoing(outgoing, T0);
      log.markFailed('mine', 'Too many messages.');
      assert.equal(log.get('mine').status, 'failed');
      assert.equal(log.get('mine').text, 'hello');
      assert.equal(log.get('mine').error, 'Too many messages.');
      log.markSending('mine');
      assert.equal(log.get('mine').status, 'sending');
      assert.equal(log.get('mine').error, undefined);
    });

    test('once accepted, take the server time until the Ably copy arrives', () => {
      const log = new MessageLog();
      log.receive(entry(1));
      log.receive(entry(3));
      log.addOutgoing(outgoing, T0 + 9000);
      log.markSent('mine', { date: new Date(T0 + 2000).toISOString() });
      assert.deepEqual(ids(log), ['m1', 'mine', 'm3']);
      assert.equal(log.get('mine').status, 'sent');
    });

    test('an early Ably copy is not overwritten by the late server answer', () => {
      const log = new MessageLog();
      log.addOutgoing(outgoing, T0);
      log.receive(entry(1, { id: 'mine' }));
      log.markSent('mine', { date: new Date(T0).toISOString() });
      log.markFailed('mine', 'late error');
      assert.equal(log.get('mine').status, 'delivered');
    });

    test('unsent text is never dropped by the cap', () => {
      const log = new MessageLog(3);
      log.addOutgoing(outgoing, T0);
      log.markFailed('mine', 'offline');
      for (let n = 1; n <= 5; n++) log.receive(entry(n));
      assert.deepEqual(ids(log), ['m4', 'm5', 'mine']);
    });

    test('can be removed, e.g. to edit the text again', () => {
      const log = new MessageLog();
      log.addOutgoing(outgoing, T0);
      log.remove('mine');
      assert.deepEqual(ids(log), []);
    });
  });

  test('entries are replaced, never changed in place', () => {
    const log = new MessageLog();
    log.addOutgoing({ id: 'mine', username: 'Ana', text: 'hello' }, T0);
    const before = log.get('mine');
    log.markFailed('mine', 'offline');
    assert.equal(before.status, 'sending');
    assert.notEqual(log.get('mine'), before);
  });
});
