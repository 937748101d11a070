import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { realtime, uniqueChannel, closeAll, waitFor, sleep, dropTransport, startProxy } from './helpers.mjs';

after(closeAll);

const summary = (m) => `${m.action}:${m.clientId}:${JSON.stringify(m.data)}`;

test('enter, update and leave are seen by every member, the sender included', async () => {
  const name = uniqueChannel('members');
  const clients = await Promise.all(['ann', 'bob', 'cat'].map((clientId) => realtime({ clientId })));
  const seen = clients.map(() => []);
  await Promise.all(clients.map((c, i) => c.channels.get(name).presence.subscribe((m) => seen[i].push(summary(m)))));
  const ann = clients[0].channels.get(name).presence;
  await ann.enter({ typing: false });
  await ann.update({ typing: true });
  await ann.leave();
  const expected = ['enter:ann:{"typing":false}', 'update:ann:{"typing":true}', 'leave:ann:{"typing":true}'];
  await waitFor(() => seen.every((s) => s.length === 3), { what: 'three events everywhere' });
  for (const s of seen) assert.deepEqual(s, expected);
  clients.forEach((c) => c.close());
});

test('presence.get() after joining a busy channel returns every member', async () => {
  const name = uniqueChannel('busy');
  const host = await realtime(); // key auth may enter on behalf of others
  const hostPresence = host.channels.get(name).presence;
  await Promise.all(Array.from({ length: 120 }, (_, i) => hostPresence.enterClient(`user${i}`, { n: i })));
  const extra = await realtime({ clientId: 'late' });
  await extra.channels.get(name).presence.enter('hi');
  const newcomer = await realtime({ useBinaryProtocol: true });
  const members = await newcomer.channels.get(name).presence.get();
  assert.equal(members.length, 121);
  assert.deepEqual(members.find((m) => m.clientId === 'user7').data, { n: 7 });
  assert.ok(members.every((m) => m.action === 'present'));
  [host, extra, newcomer].forEach((c) => c.close());
});

test('a dropped connection leaves after the delay, unless it resumes first', async () => {
  const name = uniqueChannel('drop');
  const watcher = await realtime();
  const events = [];
  await watcher.channels.get(name).presence.subscribe((m) => events.push(summary(m)));

  // Resumes at once: no false leave, same connection, channel continues.
  const stayer = await realtime({ clientId: 'stayer' });
  const stayerChannel = stayer.channels.get(name);
  await stayerChannel.presence.enter('here');
  const id = stayer.connection.id;
  const attachedAgain = stayerChannel.once('attached');
  dropTransport(stayer);
  await waitFor(() => stayer.connection.state === 'connected' && stayer.connection.id === id, { what: 'resume' });
  const change = await attachedAgain;
  assert.equal(change.resumed, true);

  // Never comes back: leaves after the emulator's presence delay (1 s in this suite).
  const proxy = await startProxy();
  const leaver = await realtime({ clientId: 'leaver', port: proxy.port });
  await leaver.channels.get(name).presence.enter('bye');
  await waitFor(() => events.includes('enter:leaver:"bye"'), { what: 'leaver entered' });
  proxy.block(true);
  proxy.cut();
  // That the leave waits for the delay is unit-tested on fake time (test_realtime_unit.py).
  await waitFor(() => events.includes('leave:leaver:"bye"'), { what: 'leave after drop', timeout: 5000 });
  await sleep(300);
  assert.deepEqual(events, ['enter:stayer:"here"', 'enter:leaver:"bye"', 'leave:leaver:"bye"']);
  assert.deepEqual((await watcher.channels.get(name).presence.get()).map((m) => m.clientId), ['stayer']);
  [watcher, stayer, leaver].forEach((c) => c.close());
  await proxy.close();
});

test('closing the connection leaves at once', async () => {
  const name = uniqueChannel('close');
  const watcher = await realtime();
  const events = [];
  await watcher.channels.get(name).presence.subscribe((m) => events.push(summary(m)));
  const goer = await realtime({ clientId: 'goer' });
  await goer.channels.get(name).presence.enter();
  await waitFor(() => events.length === 1, { what: 'enter' });
  goer.close();
  // At once, not after the leave delay: unit-tested on fake time (test_close_leaves_presence_at_once).
  await waitFor(() => events.length === 2, { what: 'leave' });
  assert.deepEqual(events, ['enter:goer:undefined', 'leave:goer:undefined']);
  watcher.close();
});

test('channel modes are honoured: subscribe-only gets no presence, presence-only no messages', async () => {
  const name = uniqueChannel('modes');
  const messagesOnly = await realtime();
  const presenceOnly = await realtime();
  const actor = await realtime({ clientId: 'actor' });
  const a = messagesOnly.channels.get(name, { modes: ['subscribe'] });
  const b = presenceOnly.channels.get(name, { modes: ['presence_subscribe'] });
  const seenA = [];
  const seenB = [];
  await a.attach();
  await b.attach();
  assert.deepEqual(a.modes, ['subscribe']);
  a.subscribe((m) => seenA.push(`msg:${m.name}`));
  a.presence.subscribe((m) => seenA.push(`presence:${m.clientId}`));
  b.subscribe((m) => seenB.push(`msg:${m.name}`));
  b.presence.subscribe((m) => seenB.push(`presence:${m.clientId}`));
  await actor.channels.get(name).presence.enter();
  await actor.channels.get(name).publish('hello', 'x');
  await waitFor(() => seenA.length === 1 && seenB.length === 1, { what: 'one event each' });
  await sleep(200);
  assert.deepEqual(seenA, ['msg:hello']);
  assert.deepEqual(seenB, ['presence:actor']);
  await assert.rejects(a.publish('nope', 'x'), (err) => err.code === 40160);
  [messagesOnly, presenceOnly, actor].forEach((c) => c.close());
});
