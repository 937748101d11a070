// Behaviours where ably-js can tell the emulator from Ably, each as ably-js sees it on Ably
// (emulator/README.md, "Compatibility with Ably").
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Ably, options, realtime, rest, uniqueChannel, closeAll, waitFor, within, sleep, dropTransport } from './helpers.mjs';

after(closeAll);

const refusedWith = (code, statusCode) => (error) => {
  assert.equal(error.code, code, error.message);
  if (statusCode !== undefined) assert.equal(error.statusCode, statusCode);
  return true;
};

// A realtime client whose tokens carry whatever capability `grant.capability` holds when it renews.
async function clientWithCapability(grant, extra = {}) {
  const issuer = rest();
  return realtime({
    key: undefined,
    authCallback: (params, callback) =>
      issuer.auth.createTokenRequest({ capability: grant.capability, ...extra }).then((r) => callback(null, r), callback),
  });
}

test('invalid channel names are a channel error (40010) and the connection stays connected', async () => {
  const client = await realtime({ clientId: 'namer' });
  for (const name of [':hell', '::', '', '[unknown]qualifier']) {
    const channel = client.channels.get(name);
    await assert.rejects(channel.attach(), refusedWith(40010, 400), `attach '${name}'`);
    assert.equal(channel.state, 'failed');
    assert.equal(channel.errorReason.code, 40010);
  }
  // ably-js publishes without attaching, so this reaches the server as a MESSAGE: NACKed.
  await assert.rejects(client.channels.get(':unattached').publish('x', 'y'), refusedWith(40010, 400));
  await sleep(200);
  assert.equal(client.connection.state, 'connected');
  await client.channels.get(uniqueChannel('fine')).attach(); // the same connection carries on
  await assert.rejects(rest().channels.get(':hell').publish('x', 'y'), refusedWith(40010, 400));
  client.close();
});

test('a token request with an invalid capability is a 400 / 40000 and issues no token', async () => {
  const client = rest();
  for (const capability of [{ c: ['publish_'] }, { c: ['*', 'publish'] }, { c: [] }]) {
    await assert.rejects(client.auth.requestToken({ capability }), (error) => {
      assert.deepEqual([error.statusCode, error.code], [400, 40000], JSON.stringify(capability));
      return true;
    });
  }
});

test('a token-shaped string that was never issued fails the connection with 40101 (no renewal)', async () => {
  const client = new Ably.Realtime(options({ key: undefined, token: 'Sdnurv_some_invalid_token_nkds9r7' }));
  const change = await within(client.connection.once('failed'), 5000, 'the connection to fail');
  assert.deepEqual([change.reason.code, change.reason.statusCode], [40101, 401]);
  client.close();
});

test('updates, deletes, appends and annotations are refused with 93002, never republished', async () => {
  const name = uniqueChannel('mutable');
  const client = await realtime({ clientId: 'editor' });
  const channel = client.channels.get(name);
  const seen = [];
  await channel.subscribe((m) => seen.push(m));
  await channel.publish('original', 'v1');
  await waitFor(() => seen.length === 1, { what: 'the original message' });
  const [original] = seen;
  const operations = [
    () => channel.updateMessage({ serial: original.serial, data: 'v2' }),
    () => channel.deleteMessage({ serial: original.serial }),
    () => channel.appendMessage({ serial: original.serial, data: '+' }),
    () => channel.annotations.publish(original, { type: 'reaction:distinct.v1', name: 'up' }),
    () => rest().channels.get(name).updateMessage({ serial: original.serial, data: 'v2' }),
    () => rest().channels.get(name).annotations.publish(original, { type: 'reaction:distinct.v1', name: 'up' }),
  ];
  for (const operation of operations) await assert.rejects(operation(), refusedWith(93002, 400));
  await channel.publish('after', 'v3'); // delivered in order, so anything republished would be seen first
  await waitFor(() => seen.length >= 2, { what: 'the next message' });
  assert.deepEqual(seen.map((m) => m.name), ['original', 'after']);
  client.close();
});

test('a token without a clientId carries none, rather than clientId: null', async () => {
  const details = await rest().auth.requestToken();
  assert.equal('clientId' in details, false, JSON.stringify(details));
  const named = await rest().auth.requestToken({ clientId: 'ann' });
  assert.equal(named.clientId, 'ann');
});

test('a REST publish with a connectionKey is attributed to that realtime connection', async () => {
  const name = uniqueChannel('on-behalf');
  const member = await realtime({ clientId: 'member' });
  const watcher = await realtime();
  const got = [];
  await watcher.channels.get(name).subscribe((m) => got.push(m));
  const channel = rest().channels.get(name);
  await channel.publish({ name: 'proxied', data: 'x', connectionKey: member.connection.key });
  await waitFor(() => got.length === 1, { what: 'the message' });
  assert.equal(got[0].connectionId, member.connection.id);
  const [stored] = (await channel.history()).items;
  assert.equal(stored.connectionId, member.connection.id);
  await assert.rejects(channel.publish({ name: 'x', connectionKey: 'not-a-connection-key' }), refusedWith(40006, 400));
  await assert.rejects(channel.publish({ name: 'x', connectionKey: `${member.connection.id}!stale` }),
    refusedWith(40006, 400));
  member.close();
  watcher.close();
});

test('a token string that is not a token fails with 40101 instead of renewing in a loop', async () => {
  let calls = 0;
  const client = new Ably.Realtime(options({
    key: undefined,
    authCallback: (params, callback) => { calls += 1; callback(null, 'not a token!'); },
  }));
  const change = await within(client.connection.once('failed'), 10_000, 'the connection to fail');
  assert.equal(change.reason.code, 40101);
  assert.equal(calls, 1);
  client.close();
  const restClient = rest({ key: undefined, token: 'not a token!' });
  await assert.rejects(restClient.channels.get('x').history(), refusedWith(40101, 401));
});

test('recover with a malformed key gets a new connection and 80018; an unknown one 80008', async () => {
  const recoveryKey = (connectionKey) => JSON.stringify({ connectionKey, msgSerial: 0, channelSerials: {} });
  const malformed = await realtime({ recover: recoveryKey('not a connection key') });
  assert.equal(malformed.connection.errorReason?.code, 80018);
  const unknown = await realtime({ recover: recoveryKey('abcdefghijkl!neverIssued') });
  assert.equal(unknown.connection.errorReason?.code, 80008);
  assert.notEqual(malformed.connection.id, unknown.connection.id);
  malformed.close();
  unknown.close();
});

test('a known path with the wrong method is 404 (40400), and GET /stats answers', async () => {
  const client = rest();
  const response = await client.request('put', `/channels/${uniqueChannel('route')}/messages`, 3, null, {});
  assert.equal(response.statusCode, 404);
  assert.equal(response.errorCode, 40400);
  const stats = await client.stats();
  assert.deepEqual(stats.items, []);
});

test('REST publish answers with channel, messageId and serials; _forceNack refuses and publishes nothing', async () => {
  const name = uniqueChannel('publish-response');
  const client = rest();
  const response = await client.request('post', `/channels/${encodeURIComponent(name)}/messages`, 3, null,
    [{ name: 'a', data: '1' }, { name: 'b', data: '2' }]);
  assert.equal(response.statusCode, 201);
  const [body] = response.items;
  assert.equal(body.channel, name);
  assert.equal(typeof body.messageId, 'string');
  const stored = (await client.channels.get(name).history({ direction: 'forwards' })).items;
  assert.deepEqual(stored.map((m) => m.id), [`${body.messageId}:0`, `${body.messageId}:1`]);
  assert.deepEqual(stored.map((m) => m.serial), body.serials);
  await assert.rejects(client.channels.get(name).publish('refused', 'x', { _forceNack: true }), refusedWith(40099, 400));
  assert.equal((await client.channels.get(name).history()).items.length, 2);
});

test('a derived channel delivers only what its filter matches, and refuses a bad filter (40010)', async () => {
  const name = uniqueChannel('derived');
  const client = await realtime();
  const got = { byName: [], byHeader: [], either: [] };
  const derive = (filter) => client.channels.getDerived(name, { filter });
  await derive("name == 'wanted'").subscribe((m) => got.byName.push(m.data));
  await derive('headers.team == `"blue"` && headers.level > `2`').subscribe((m) => got.byHeader.push(m.data));
  await derive("name == 'wanted' || headers.urgent == `true`").subscribe((m) => got.either.push(m.data));
  const publisher = rest().channels.get(name);
  await publisher.publish([
    { name: 'wanted', data: 'm1' },
    { name: 'other', data: 'm2', extras: { headers: { team: 'blue', level: 3 } } },
    { name: 'other', data: 'm3', extras: { headers: { team: 'blue', level: 1, urgent: true } } },
    { name: 'other', data: 'm4' },
  ]);
  await waitFor(() => got.byName.length + got.byHeader.length + got.either.length >= 4, { what: 'filtered messages' });
  await sleep(200);
  assert.deepEqual(got, { byName: ['m1'], byHeader: ['m2'], either: ['m1', 'm3'] });
  await assert.rejects(derive('name ==').attach(), refusedWith(40010, 400));
  assert.equal(client.connection.state, 'connected');
  client.close();
});

test('ATTACHED echoes params.modes as granted; without them, flags carry Ably\'s five default modes', async () => {
  const client = await realtime();
  const chosen = client.channels.get(uniqueChannel('modes'), { params: { modes: 'subscribe,presence', delta: 'vcdiff' } });
  await chosen.attach();
  assert.deepEqual(chosen.params, { modes: 'subscribe,presence', delta: 'vcdiff' });
  assert.deepEqual([...chosen.modes].sort(), ['presence', 'subscribe']);
  const unchosen = client.channels.get(uniqueChannel('all-modes'), { params: { nonexistent: 'ignored' } });
  await unchosen.attach();
  assert.deepEqual(unchosen.params, {});
  assert.deepEqual([...unchosen.modes].sort(),
    ['annotation_publish', 'presence', 'presence_subscribe', 'publish', 'subscribe']);
  client.close();
});

test('a resumed connection does not replay a rewind again', async () => {
  const name = uniqueChannel('rewind-once');
  const publisher = rest().channels.get(name);
  for (const n of ['a', 'b', 'c']) await publisher.publish('n', n);
  const client = await realtime();
  const channel = client.channels.get(name, { params: { rewind: '2' } });
  const got = [];
  await channel.subscribe((m) => got.push(m.data));
  await waitFor(() => got.length === 2, { what: 'the rewind' });
  const id = client.connection.id;
  dropTransport(client);
  await waitFor(() => client.connection.state === 'connected' && channel.state === 'attached' && client.connection.id === id,
    { what: 'the resume' });
  await publisher.publish('n', 'd');
  await waitFor(() => got.length >= 3, { what: 'the next message' });
  await sleep(300);
  assert.deepEqual(got, ['b', 'c', 'd']);
  client.close();
});

test('authorize() with a token that adds publish upgrades the attached channel in place', async () => {
  const name = uniqueChannel('upgrade');
  const grant = { capability: { [name]: ['subscribe'] } };
  const client = await clientWithCapability(grant, { clientId: 'upgrader' });
  const channel = client.channels.get(name);
  await channel.attach();
  await assert.rejects(channel.publish('before', 'x'), refusedWith(40160));
  const id = client.connection.id;
  grant.capability = { [name]: ['subscribe', 'publish'] };
  await client.auth.authorize();
  await channel.publish('after', 'y'); // no new connection, no re-attach by the client
  assert.equal(client.connection.id, id);
  assert.equal(channel.state, 'attached');
  assert.ok(channel.modes.includes('publish'), `${channel.modes}`);
  client.close();
});
