// The room's controller under node: a fake Ably side, a fake view, a fake clock.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../../../public/js/api.js';
import { LEAVE_GRACE_MS, openRoom } from '../../../public/js/room.js';
import { FakeClock } from './support/fakes.mjs';

function aRoom({ send = async () => ({}) } = {}) {
  const clock = new FakeClock();
  const shown = { notices: [], title: 0 };
  const view = {
    showConnection: (state) => Object.assign(shown, { connection: state }),
    showPeople: (names, { stale }) => Object.assign(shown, { people: names, stale }),
    showTyping: (text) => Object.assign(shown, { typing: text }),
    showMessages: (entries, options) => Object.assign(shown, { entries, options }),
    showHold: (seconds) => Object.assign(shown, { hold: seconds }),
    showUnread: (count) => Object.assign(shown, { title: count }),
  };
  let ably;
  const identity = { username: 'Ana', claimId: 'c1', withSession: (call) => call('s1') };
  const room = openRoom({
    identity, view, clock, send, onLost: () => {}, later: () => new Promise(() => {}), // no page to draw in
    connect: (listener) => {
      ably = listener;
      return {
        setTyping() {},
        setVisible() {},
        close() {},
        async loadEarlier(before) {
          shown.earlierBefore = before;
          return { messages: [], hasEarlier: false };
        },
      };
    },
  });
  const notices = () => shown.entries.filter((e) => e.local && e.username).map((e) => `${e.username} ${e.text}`);
  return { room, ably: () => ably, shown, clock, notices };
}
const members = (...names) => names.map((clientId) => ({ clientId }));
const message = (id, username, text) => ({ id, timestamp: 1, data: { username, text, type: 'message', date: '2026-01-15T12:00:00Z' } });

test('the label leaves Live as soon as the connection does, and the people list is shown as stale', () => {
  const { ably, shown } = aRoom();
  ably().connectionState('connected');
  ably().presence(members('Ana', 'Bo'));
  assert.deepEqual([shown.connection.label, shown.connection.warn, shown.stale], ['Live', false, false]);
  ably().responsive(false); // pings go unanswered while ably-js still says connected
  assert.equal(shown.connection.state, 'disconnected');
  assert.equal(shown.connection.warn, true);
  assert.equal(shown.stale, true);
  ably().responsive(true);
  ably().connectionState('disconnected');
  assert.match(shown.connection.label, /Offline/);
});

test('someone back within the grace period (a reload, a reconnect) makes no notice; a real leave does, later', async () => {
  const { ably, clock, notices, shown } = aRoom();
  ably().connectionState('connected');
  ably().presence(members('Ana', 'Bo', 'Cy'));
  ably().presence(members('Ana', 'Cy'));
  assert.deepEqual(shown.people, ['Ana', 'Cy'], 'the list is current at once');
  await clock.advance(LEAVE_GRACE_MS - 1000);
  ably().presence(members('Ana', 'Bo', 'Cy'));
  ably().presence(members('Ana', 'Bo'));
  await clock.advance(LEAVE_GRACE_MS);
  assert.deepEqual(notices(), ['Cy left']);
  ably().presence(members('Ana', 'Bo', 'Dee'));
  assert.deepEqual(notices(), ['Cy left', 'Dee joined']);
});

test('a message written offline waits for the connection, then goes once with its id', async () => {
  const sent = [];
  const { room, ably, clock, shown } = aRoom({ send: async (request) => { sent.push(request.id); return {}; } });
  ably().connectionState('connected');
  ably().connectionState('disconnected');
  room.send('hello');
  await clock.advance(5000);
  assert.deepEqual(sent, []);
  assert.equal(shown.entries.at(-1).status, 'waiting');
  assert.equal(shown.options.offline, true);
  ably().connectionState('connected');
  await clock.advance(0);
  assert.equal(sent.length, 1);
  assert.equal(shown.entries.at(-1).status, 'sent');
});

test('a 429 holds with one live countdown, then the queue drains by itself in order', async () => {
  const sent = [];
  let refuse = true;
  const send = async ({ text }) => {
    if (text === 'two' && refuse) {
      refuse = false;
      throw new ApiError('slow', { status: 429, retryAfterSeconds: 3 });
    }
    sent.push(text);
    return {};
  };
  const { room, ably, clock, shown } = aRoom({ send });
  ably().connectionState('connected');
  for (const text of ['one', 'two', 'three']) room.send(text);
  await clock.advance(0);
  assert.equal(shown.hold, 3);
  await clock.advance(1000);
  assert.equal(shown.hold, 2);
  await clock.advance(2000);
  assert.deepEqual(sent, ['one', 'two', 'three']);
  assert.equal(shown.hold, 0);
  assert.ok(!shown.entries.some((entry) => entry.status === 'failed'));
});

test('the tab title counts messages from others while the tab is hidden', () => {
  const { room, ably, shown } = aRoom();
  ably().connectionState('connected');
  room.setVisible(false);
  ably().messages([message('m1', 'Bo', 'hi'), message('m2', 'Ana', 'mine'), message('m3', 'Bo', 'again')]);
  ably().messages([message('m1', 'Bo', 'hi')]); // a repeat is not news
  assert.equal(shown.title, 2);
  room.setVisible(true);
  assert.equal(shown.title, 0);
});

test('"Load earlier messages" adds the older page above and says when there is none left', async () => {
  const { room, ably, shown } = aRoom();
  ably().connectionState('connected');
  ably().messages([message('m50', 'Bo', 'latest')]);
  ably().caughtUp(null, true);
  assert.equal(shown.options.history, 'more');
  await room.loadEarlier();
  assert.equal(shown.options.history, 'none');
});

test('a full rewind offers "Load earlier messages", which pages back from the oldest message shown', async () => {
  const { room, ably, shown } = aRoom();
  ably().connectionState('connected');
  ably().caughtUp(null, false, 5);
  assert.equal(shown.options.history, 'none', 'nothing known of earlier messages yet');
  ably().messages([{ ...message('m2', 'Bo', 'newer'), timestamp: 3 }, { ...message('m1', 'Bo', 'older'), timestamp: 2 }]);
  ably().earlierExists();
  assert.equal(shown.options.history, 'more');
  assert.deepEqual(shown.entries.map((entry) => entry.text), ['older', 'newer', 'Connected to chat! ⚡️']);
  await room.loadEarlier();
  assert.equal(shown.earlierBefore, 2);
  assert.equal(shown.options.history, 'none');
});
