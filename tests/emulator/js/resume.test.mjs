import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Ably, options, realtime, rest, uniqueChannel, closeAll, waitFor, sleep, dropTransport, startProxy } from './helpers.mjs';

after(closeAll);

async function publishEvery(channel, count, gapMs, onEach = () => {}) {
  for (let i = 0; i < count; i++) {
    await channel.publish('n', String(i));
    onEach(i);
    await sleep(gapMs);
  }
}

const range = (n) => Array.from({ length: n }, (_, i) => String(i));

test('a transport killed mid-stream resumes with every message once, in order', async () => {
  const name = uniqueChannel('midstream');
  const sub = await realtime({ useBinaryProtocol: true });
  const pub = await realtime();
  const got = [];
  const channel = sub.channels.get(name);
  await channel.subscribe((m) => got.push(m.data));
  const id = sub.connection.id;
  await publishEvery(pub.channels.get(name), 60, 10, (i) => {
    if (i === 15 || i === 40) dropTransport(sub);
  });
  await waitFor(() => got.length >= 60, { what: 'all messages' });
  await sleep(200);
  assert.deepEqual(got, range(60));
  assert.equal(sub.connection.id, id);
  sub.close();
  pub.close();
});

test('after the connection TTL: a new connection, resumed:false, and history fills the gap', async () => {
  const name = uniqueChannel('ttl');
  const proxy = await startProxy();
  const sub = await realtime({ port: proxy.port, disconnectedRetryTimeout: 300, suspendedRetryTimeout: 300 });
  const channel = sub.channels.get(name);
  const live = [];
  await channel.subscribe((m) => live.push(m.data));
  const publisher = rest().channels.get(name);
  await publisher.publish('n', 'before');
  await waitFor(() => live.length === 1, { what: 'first message' });
  const id = sub.connection.id;

  proxy.block(true);
  proxy.cut();
  await publisher.publish('n', 'missed-1');
  await publisher.publish('n', 'missed-2');
  // A dropped connection keeps its channels active until its state TTL (4 s in this suite) ends.
  await waitFor(async () => !(await rest().request('get', '/channels', 3, { prefix: name, by: 'id' })).items.includes(name),
    { what: 'the connection-state TTL to end', timeout: 15000 });
  const reattached = new Promise((resolve) => channel.on('attached', resolve));
  proxy.block(false);
  const change = await reattached;
  await waitFor(() => sub.connection.state === 'connected', { what: 'reconnected' });
  assert.notEqual(sub.connection.id, id);
  assert.equal(change.resumed, false);
  assert.deepEqual(live, ['before']); // the gap is not replayed...
  const gap = await channel.history({ untilAttach: true });
  assert.deepEqual(gap.items.map((m) => m.data).reverse(), ['before', 'missed-1', 'missed-2']); // ...it is in history
  await publisher.publish('n', 'after');
  await waitFor(() => live.length === 2, { what: 'live again' });
  assert.deepEqual(live, ['before', 'after']);
  sub.close();
  await proxy.close();
});

test('recover from a fresh client instance continues the same connection', async () => {
  const name = uniqueChannel('recover');
  const proxy = await startProxy();
  const first = await realtime({ port: proxy.port, clientId: 'rec' });
  const firstChannel = first.channels.get(name);
  const seen = [];
  await firstChannel.subscribe((m) => seen.push(m.data));
  const publisher = rest().channels.get(name);
  await publisher.publish('n', 'one');
  await waitFor(() => seen.length === 1, { what: 'first message' });
  const recoveryKey = first.connection.createRecoveryKey();
  const id = first.connection.id;
  proxy.block(true);
  proxy.cut();
  first.close(); // never reaches the server: it looks like a crashed page
  await publisher.publish('n', 'two');
  await publisher.publish('n', 'three');

  const second = new Ably.Realtime(options({ recover: recoveryKey, clientId: 'rec' }));
  await second.connection.once('connected');
  assert.equal(second.connection.id, id);
  const channel = second.channels.get(name);
  const got = [];
  await channel.subscribe((m) => got.push(m.data));
  await waitFor(() => got.length === 2, { what: 'missed messages' });
  await sleep(200);
  assert.deepEqual(got, ['two', 'three']);
  second.close();
  await proxy.close();
});
