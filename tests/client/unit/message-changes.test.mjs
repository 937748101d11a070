// Edits, deletes and reactions applied to the message log: by serial, newest version wins, summaries
// replace what was known of reactions, a deleted message keeps its place; and the controller that
// asks the server, with a fake server call and the real log.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createChanges } from '../../../public/js/message-actions.js';
import {
  applyChange, changeFromAbly, describeReaction, isEditable, lastEditable, REACTION_TYPE, reactionsOf, toggleReaction,
} from '../../../public/js/message-changes.js';
import { entryFromAbly, MESSAGE_CAP, MessageLog } from '../../../public/js/message-log.js';

const T0 = Date.UTC(2026, 10, 28, 9, 0, 0);
const CLAIM = 'claim-ana';

function created(n, { claim = CLAIM, username = 'Ana' } = {}) {
  return {
    id: `${claim}:m${n}`,
    serial: `s-${String(n).padStart(4, '0')}`,
    action: 'message.create',
    name: 'message',
    timestamp: T0 + n * 1000,
    data: { username, text: `text ${n}`, date: new Date(T0 + n * 1000).toISOString(), type: 'message' },
  };
}

function updated(n, version, text, extra = {}) {
  const original = created(n);
  return {
    ...original,
    id: `other:${n}${version}`,
    action: 'message.update',
    version: { serial: `${original.serial}~${version}`, clientId: 'Ana', metadata: { claim: CLAIM } },
    data: { ...original.data, text },
    ...extra,
  };
}

const deleted = (n, version) => {
  const { text, ...data } = created(n).data;
  return { ...updated(n, version, ''), action: 'message.delete', data };
};
const summary = (n, reactions) => ({
  serial: created(n).serial,
  action: 'message.summary',
  annotations: { summary: { [REACTION_TYPE]: reactions } },
});

function logWith(...messages) {
  const log = new MessageLog();
  const changes = createChanges({
    log, identity: { username: 'Ana', claimId: CLAIM, withSession: (call) => call('session') },
    render() {}, post: async () => ({}), ask: () => true,
  });
  for (const message of messages) {
    if (message.action === 'message.create') log.receive(entryFromAbly(message));
    else changes.receive(message);
  }
  return { log, changes };
}

describe('changes from Ably', () => {
  test('an edit replaces the text in place and marks it edited', () => {
    const { log } = logWith(created(1), created(2), updated(1, 'a', 'fixed'));
    assert.deepEqual(log.entries.map((e) => [e.serial, e.text, Boolean(e.edited)]),
      [['s-0001', 'fixed', true], ['s-0002', 'text 2', false]]);
    assert.equal(log.entries[0].id, `${CLAIM}:m1`, 'the row keeps its id');
  });

  test('an older version arriving late changes nothing', () => {
    const { log } = logWith(created(1), updated(1, 'b', 'second'), updated(1, 'a', 'first'));
    assert.equal(log.entries[0].text, 'second');
  });

  test('a delete keeps the place, drops the text, and is final', () => {
    const { log } = logWith(created(1), created(2), deleted(1, 'a'), updated(1, 'b', 'back?'));
    assert.deepEqual(log.entries.map((e) => [e.serial, e.deleted ?? false, e.text]),
      [['s-0001', true, ''], ['s-0002', false, 'text 2']]);
  });

  test('the latest version of a message the log lacks (history, a late joiner) takes its place in time', () => {
    const { log } = logWith(created(2), updated(1, 'a', 'edited before I came'), deleted(3, 'a'));
    assert.deepEqual(log.entries.map((e) => [e.serial, e.text, e.deleted ?? false]),
      [['s-0001', 'edited before I came', false], ['s-0002', 'text 2', false], ['s-0003', '', true]]);
  });

  test('a summary replaces what was known of reactions; an update without one keeps them', () => {
    const { log } = logWith(
      created(1),
      summary(1, { '👍': { total: 2, clientIds: ['Ana', 'Bo'] }, '🙃': { total: 5, clientIds: ['Cy'] } }),
      updated(1, 'a', 'fixed'),
    );
    assert.deepEqual(log.entries[0].reactions, { '👍': { count: 2, names: ['Ana', 'Bo'] } });
    const { log: later } = logWith(created(1), summary(1, { '👍': { total: 1, clientIds: ['Bo'] } }), summary(1, {}));
    assert.deepEqual(later.entries[0].reactions, {});
  });

  test('malformed changes are skipped', () => {
    for (const bad of [null, {}, { serial: 's', action: 'message.update', data: 'x' },
      { serial: 's', action: 'message.update', data: { username: 'Ana' } }, { serial: 1, action: 'message.summary' }]) {
      assert.equal(changeFromAbly(bad), null, JSON.stringify(bad));
    }
    assert.equal(reactionsOf({ annotations: { summary: {} } }), null);
  });

  test('applyChange returns the same entry when nothing changes', () => {
    const entry = entryFromAbly(created(1));
    assert.equal(applyChange(entry, { serial: entry.serial, reactions: null }), entry);
  });
});

describe('who may change what', () => {
  test("only the reader's own delivered, undeleted messages, by claim", () => {
    const { log } = logWith(created(1), created(2, { claim: 'claim-bo', username: 'Bo' }),
      created(3, { claim: 'an-old-claim' }), created(4), deleted(4, 'a'));
    assert.deepEqual(log.entries.map((e) => isEditable(e, CLAIM)), [true, false, false, false]);
    assert.equal(lastEditable(log.entries, CLAIM).serial, 's-0001');
  });

  test("an edited message stays its author's, by the claim its version records", () => {
    const { log } = logWith(updated(1, 'a', 'fixed'));
    assert.ok(isEditable(log.entries[0], CLAIM));
    assert.ok(!isEditable(log.entries[0], 'claim-bo'));
  });

  test("a second click on one's own reaction takes it back", () => {
    const entry = { reactions: { '👍': { count: 2, names: ['Ana', 'Bo'] } } };
    assert.deepEqual(toggleReaction(entry, '👍', 'Ana'), { reaction: '👍', remove: true });
    assert.deepEqual(toggleReaction(entry, '🎉', 'Ana'), { reaction: '🎉', remove: false });
    assert.equal(describeReaction('👍', entry.reactions['👍']), '👍 2: Ana and Bo');
  });
});

describe('the controller', () => {
  function controller({ post = async () => ({}), ask = () => true } = {}) {
    const log = new MessageLog();
    log.receive(entryFromAbly(created(1)));
    log.receive(entryFromAbly(created(2, { claim: 'claim-bo', username: 'Bo' })));
    const calls = [];
    let renders = 0;
    const changes = createChanges({
      log,
      identity: { username: 'Ana', claimId: CLAIM, withSession: (call) => call('the-session') },
      render: () => { renders += 1; },
      post: async (...args) => { calls.push(args); return post(...args); },
      ask,
    });
    return { log, changes, calls, renders: () => renders };
  }

  test("edits the reader's last message and sends the serial and text", async () => {
    const { changes, calls } = controller();
    assert.ok(changes.editLast());
    assert.equal(changes.editing, `${CLAIM}:m1`);
    assert.ok(await changes.saveEdit(`${CLAIM}:m1`, 'fixed'));
    assert.deepEqual(calls, [['editMessage', { serial: 's-0001', message: 'fixed' }, 'the-session']]);
    assert.equal(changes.editing, null);
  });

  test("refuses to start editing somebody else's message", () => {
    const { changes } = controller();
    assert.equal(changes.startEdit('claim-bo:m2'), false);
    assert.equal(changes.editing, null);
  });

  test('a refused edit stays open and says why', async () => {
    const { changes } = controller({ post: async () => { throw new Error('message must not be blank'); } });
    changes.startEdit(`${CLAIM}:m1`);
    assert.equal(await changes.saveEdit(`${CLAIM}:m1`, '   x'), false);
    assert.equal(changes.editing, `${CLAIM}:m1`);
    assert.equal(changes.problem(`${CLAIM}:m1`), 'message must not be blank');
  });

  test('deletes only once confirmed', async () => {
    const refused = controller({ ask: () => false });
    assert.equal(await refused.changes.remove(`${CLAIM}:m1`), false);
    assert.deepEqual(refused.calls, []);
    const confirmed = controller();
    assert.ok(await confirmed.changes.remove(`${CLAIM}:m1`));
    assert.deepEqual(confirmed.calls, [['deleteMessage', { serial: 's-0001' }, 'the-session']]);
  });

  test('reacts, and takes its own reaction back', async () => {
    const { changes, calls } = controller();
    await changes.react('claim-bo:m2', '👍');
    changes.receive(summary(2, { '👍': { total: 1, clientIds: ['Ana'] } }));
    await changes.react('claim-bo:m2', '👍');
    assert.deepEqual(calls.map(([kind, body]) => [kind, body]), [
      ['react', { serial: 's-0002', reaction: '👍', remove: false }],
      ['react', { serial: 's-0002', reaction: '👍', remove: true }],
    ]);
  });
});

describe('changes as room.js hands them over (every message to the log, then to the controller)', () => {
  const ana = { username: 'Ana', claimId: CLAIM, withSession: (call) => call('session') };

  function room() {
    const log = new MessageLog();
    const changes = createChanges({ log, identity: ana, render() {}, post: async () => ({}), ask: () => true });
    const added = [];
    const feed = (...messages) => {
      for (const message of messages) {
        const entry = message.action === 'message.create' && entryFromAbly(message);
        if (entry && log.receive(entry)) added.push(entry.id);
        changes.receive(message);
      }
    };
    return { log, changes, feed, added };
  }
  const withSummary = (message, reactions) => ({ ...message, annotations: { summary: { [REACTION_TYPE]: reactions } } });
  const erased = (n, version) => ({ ...deleted(n, version), data: { ...deleted(n, version).data, text: '' } });

  test('history: reactions on an unedited message, an edit, a delete with its text cleared', () => {
    const { log, feed } = room();
    feed(withSummary(created(1), { '👍': { total: 2, clientIds: ['Bo', 'Cy'] } }), updated(2, 'a', 'fixed'), erased(3, 'a'));
    assert.deepEqual(log.entries.map((e) => [e.text, Boolean(e.edited), Boolean(e.deleted)]),
      [['text 1', false, false], ['fixed', true, false], ['', false, true]]);
    assert.deepEqual(log.entries[0].reactions, { '👍': { count: 2, names: ['Bo', 'Cy'] } });
  });

  test('an edit, a summary and a delete reach a message on an older page, in its place', () => {
    const { log, feed, changes } = room();
    feed(...Array.from({ length: MESSAGE_CAP }, (_, i) => created(100 + i)));
    const page = [created(1), withSummary(created(2), {})]; // as room.js's loadEarlier: the page, then its changes
    log.addEarlier(page.map(entryFromAbly));
    page.forEach(changes.receive);
    feed(updated(1, 'a', 'fixed later'), summary(2, { '🎉': { total: 1, clientIds: ['Bo'] } }));
    assert.deepEqual(log.entries.slice(0, 3).map((e) => [e.serial, e.text, Boolean(e.edited)]),
      [['s-0001', 'fixed later', true], ['s-0002', 'text 2', false], ['s-0100', 'text 100', false]]);
    assert.deepEqual(log.entries[1].reactions, { '🎉': { count: 1, names: ['Bo'] } });
    assert.equal(log.entries.length, MESSAGE_CAP + 2);
    assert.ok(changes.startEdit(`${CLAIM}:m1`), 'an older message of mine stays editable');
    feed(erased(1, 'b'));
    assert.ok(log.entries[0].deleted);
    assert.equal(changes.editing, null, 'deleting ends its edit');
  });

  test('edits and summaries neither add rows nor push any out: the cap and the new-messages count stay', () => {
    const { log, feed, added } = room();
    feed(...Array.from({ length: MESSAGE_CAP }, (_, i) => created(i + 1)));
    added.length = 0;
    feed(updated(1, 'a', 'oldest, edited'), summary(1, { '👍': { total: 1, clientIds: ['Bo'] } }), erased(2, 'a'));
    assert.deepEqual(added, []);
    assert.equal(log.entries.length, MESSAGE_CAP);
    assert.equal(log.entries[0].text, 'oldest, edited');
  });

  test('a history page read on this connection does not undo a newer live summary or version', () => {
    const { log, feed } = room();
    feed(created(1), summary(1, { '👍': { total: 2, clientIds: ['Ana', 'Bo'] } }), updated(1, 'b', 'second'));
    // The page was read before those arrived: one reaction, an older version.
    feed(withSummary(updated(1, 'a', 'first'), { '👍': { total: 1, clientIds: ['Ana'] } }));
    feed(withSummary(created(1), { '👍': { total: 1, clientIds: ['Ana'] } }));
    assert.equal(log.entries[0].text, 'second');
    assert.deepEqual(log.entries[0].reactions, { '👍': { count: 2, names: ['Ana', 'Bo'] } });
  });

  test('after a reconnection the history page outranks the summaries heard before it', () => {
    const { log, feed, changes } = room();
    feed(created(1), summary(1, { '👍': { total: 1, clientIds: ['Ana'] } }));
    changes.reconnected(); // continuity lost: Bo reacted and Ana took hers back meanwhile
    feed(withSummary(created(1), { '😂': { total: 1, clientIds: ['Bo'] } }));
    assert.deepEqual(log.entries[0].reactions, { '😂': { count: 1, names: ['Bo'] } });
    feed(created(1)); // a page without reactions: none are left
    assert.deepEqual(log.entries[0].reactions, {});
  });
});
