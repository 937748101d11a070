import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { realtime, rest, uniqueChannel, closeAll, waitFor, sleep } from './helpers.mjs';

after(closeAll);

for (const [label, pubBinary, subBinary] of [['json', false, false], ['msgpack', true, true], ['mixed', false, true]]) {
  test(`publish and subscribe (${label})`, async () => {
    const name = uniqueChannel('pubsub');
    const sub = await realtime({ useBinaryProtocol: subBinary, clientId: 'sub' });
    const pub = await realtime({ useBinaryProtocol: pubBinary, clientId: 'pub' });
    const got = [];
    await sub.channels.get(name).subscribe((m) => got.push(m));
    const res = await pub.channels.get(name).publish('greet', { hello: 'world' });
    await pub.channels.get(name).publish('bin', new Uint8Array([0, 1, 255]));
    assert.ok(res.serials?.length === 1 && typeof res.serials[0] === 'string');
    await waitFor(() => got.length === 2, { what: 'two messages' });
    assert.deepEqual(got[0].data, { hello: 'world' });
    assert.equal(got[0].clientId, 'pub');
    assert.equal(got[0].connectionId, pub.connection.id);
    assert.ok(got[0].id.startsWith(pub.connection.id + ':'));
    assert.deepEqual([...got[1].data], [0, 1, 255]);
    pub.close();
    sub.close();
  });
}

test('REST publish reaches realtime subscribers; echoMessages:false is honoured', async () => {
  const name = uniqueChannel('rest');
  const quiet = await realtime({ echoMessages: false });
  const loud = await realtime();
  const quietGot = [];
  const loudGot = [];
  await quiet.channels.get(name).subscribe((m) => quietGot.push(m.name));
  await loud.channels.get(name).subscribe((m) => loudGot.push(m.name));
  await rest().channels.get(name).publish('from-rest', 'x');
  await quiet.channels.get(name).publish('from-quiet', 'y');
  await waitFor(() => loudGot.length === 2 && quietGot.length >= 1, { what: 'deliveries' });
  await sleep(200);
  assert.deepEqual(loudGot, ['from-rest', 'from-quiet']);
  assert.deepEqual(quietGot, ['from-rest']);
  quiet.close();
  loud.close();
});

test('the echo channel param and detach', async () => {
  const name = uniqueChannel('echo-param');
  const client = await realtime();
  const quiet = client.channels.get(name, { params: { echo: 'false' } });
  const got = [];
  await quiet.subscribe((m) => got.push(m.name));
  await quiet.publish('own', 'x');
  await rest().channels.get(name).publish('other', 'y');
  await waitFor(() => got.length === 1, { what: 'the REST message' });
  await quiet.detach();
  assert.equal(quiet.state, 'detached');
  await rest().channels.get(name).publish('after-detach', 'z');
  await sleep(200);
  assert.deepEqual(got, ['other']);
  client.close();
});

test('history pages through Link headers in both directions', async () => {
  const name = uniqueChannel('history');
  const channel = rest().channels.get(name);
  await channel.publish(Array.from({ length: 7 }, (_, i) => ({ name: `m${i}`, data: String(i) })));
  const seen = [];
  let page = await channel.history({ limit: 3 });
  for (;;) {
    seen.push(...page.items.map((m) => m.name));
    if (!page.hasNext()) break;
    page = await page.next();
  }
  assert.deepEqual(seen, ['m6', 'm5', 'm4', 'm3', 'm2', 'm1', 'm0']);
  const forwards = await channel.history({ direction: 'forwards', limit: 5 });
  assert.deepEqual(forwards.items.map((m) => m.data), ['0', '1', '2', '3', '4']);
  assert.deepEqual((await forwards.next()).items.map((m) => m.data), ['5', '6']);
});

test('rewind delivers the last N messages, then the live stream, with no gap', async () => {
  const name = uniqueChannel('rewind');
  const pub = await realtime();
  const pubChannel = pub.channels.get(name);
  for (let i = 0; i < 5; i++) await pubChannel.publish(`m${i}`, String(i));
  const sub = await realtime();
  const got = [];
  const channel = sub.channels.get(name, { params: { rewind: '3' } });
  await channel.subscribe((m) => got.push(m.name));
  await pubChannel.publish('m5', '5');
  await waitFor(() => got.length === 4, { what: 'backlog and live message' });
  assert.deepEqual(got, ['m2', 'm3', 'm4', 'm5']);
  assert.equal(channel.params.rewind, '3');

  // The duration form, from a fresh client (channel options are fixed per instance).
  const other = await realtime();
  const byTime = [];
  await other.channels.get(name, { params: { rewind: '1m' } }).subscribe((m) => byTime.push(m.name));
  await waitFor(() => byTime.length === 6, { what: 'time-based rewind' });
  assert.deepEqual(byTime, ['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
  pub.close();
  sub.close();
  other.close();
});

test('history({untilAttach}) joins up with the live stream exactly', async () => {
  const name = uniqueChannel('until');
  const pub = await realtime();
  const pubChannel = pub.channels.get(name);
  for (let i = 0; i < 4; i++) await pubChannel.publish(`before${i}`, String(i));
  const sub = await realtime();
  const channel = sub.channels.get(name);
  const live = [];
  await channel.subscribe((m) => live.push(m.name));
  for (let i = 0; i < 2; i++) await pubChannel.publish(`after${i}`, String(i));
  await waitFor(() => live.length === 2, { what: 'live messages' });
  const past = await channel.history({ untilAttach: true });
  assert.deepEqual(past.items.map((m) => m.name), ['before3', 'before2', 'before1', 'before0']);
  assert.deepEqual(live, ['after0', 'after1']);
  pub.close();
  sub.close();
});

test('oversized publish is refused with 40009', async () => {
  const client = await realtime();
  const channel = client.channels.get(uniqueChannel('big'));
  // Lift the SDK's own size check to see the server's answer (its wording differs).
  client.connection.connectionManager.connectionDetails.maxMessageSize = 10 * 1024 * 1024;
  client.options.maxMessageSize = 10 * 1024 * 1024;
  await assert.rejects(channel.publish('big', 'x'.repeat(70 * 1024)), (err) => err.code === 40009 && /Maximum message length/.test(err.message));
  assert.equal(client.connection.state, 'connected');
  client.close();
});

test('batch publish and batch presence', async () => {
  const [a, b] = [uniqueChannel('batch-a'), uniqueChannel('batch-b')];
  const client = rest();
  const result = await client.batchPublish({ channels: [a, b], messages: [{ name: 'x', data: { n: 1 } }] });
  assert.equal(result.successCount, 2);
  assert.deepEqual(result.results.map((r) => r.channel), [a, b]);
  const stored = await client.channels.get(b).history();
  assert.deepEqual(stored.items.map((m) => [m.name, m.data]), [['x', { n: 1 }]]);
  assert.ok(stored.items[0].id.startsWith(result.results[1].messageId));

  const member = await realtime({ clientId: 'batcher' });
  await member.channels.get(a).presence.enter('here');
  const presence = await client.batchPresence([a, b]);
  const members = presence.results.map((r) => [r.channel, r.presence.map((p) => p.clientId)]);
  assert.deepEqual(members, [[a, ['batcher']], [b, []]]);
  member.close();
});
