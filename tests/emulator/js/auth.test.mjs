import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import crypto from 'node:crypto';
import { Ably, KEY, realtime, rest, uniqueChannel, closeAll, waitFor, within, sleep } from './helpers.mjs';

after(closeAll);

// What the app's auth function does: sign a TokenRequest with the key, narrow capability.
const issuer = rest();
const tokenRequest = (name, clientId, extra = {}) =>
  issuer.auth.createTokenRequest({
    clientId, capability: { [name]: ['subscribe', 'presence', 'history'] }, ...extra,
  });

test('authUrl TokenRequest: the token limits publish and attach (40160)', async () => {
  const name = uniqueChannel('authurl');
  const server = http.createServer(async (req, res) => {
    const body = JSON.stringify(await tokenRequest(name, 'ann'));
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const client = await realtime({ key: undefined, authUrl: `http://127.0.0.1:${server.address().port}/auth` });
    assert.equal(client.auth.clientId, 'ann');
    const channel = client.channels.get(name);
    await channel.attach();
    assert.deepEqual([...channel.modes].sort(), ['presence', 'presence_subscribe', 'subscribe']);
    await assert.rejects(channel.publish('x', 'y'), (err) => err.code === 40160);
    const other = client.channels.get(uniqueChannel('forbidden'));
    await assert.rejects(other.attach(), (err) => err.code === 40160);
    assert.equal(other.state, 'failed');
    assert.equal(client.connection.state, 'connected');
    await channel.presence.enter({ status: 'here' });
    assert.deepEqual((await channel.presence.get()).map((m) => m.clientId), ['ann']);
    client.close();
  } finally {
    server.close();
  }
});

test('30 s before a token expires the server asks for a new one (AUTH) and it is renewed in place', async () => {
  const name = uniqueChannel('renew');
  let issued = 0;
  const client = await realtime({
    key: undefined,
    authCallback: (params, callback) => {
      issued += 1;
      // 35 s of life: the AUTH is due 5 s after connecting, as ably-js's own suite relies on.
      tokenRequest(name, 'renewer', { ttl: 35_000 }).then((r) => callback(null, r), callback);
    },
  });
  const id = client.connection.id;
  const first = client.auth.tokenDetails.token;
  const states = [];
  client.connection.on((change) => states.push(change.current));
  const channel = client.channels.get(name);
  const got = [];
  await channel.subscribe((m) => got.push(m.name));
  await within(client.connection.once('update'), 10_000, 'the renewal');
  assert.equal(issued, 2);
  assert.notEqual(client.auth.tokenDetails.token, first);
  assert.deepEqual(states, ['connected'], 'an update, never a disconnection');
  assert.equal(client.connection.id, id);
  await rest().channels.get(name).publish('after-renewal', 'ok');
  await waitFor(() => got.includes('after-renewal'), { what: 'message after renewal' });
  client.close();
});

test('a token with under 30 s left runs out: DISCONNECTED 40142, renewal, resume, nothing lost', async () => {
  const name = uniqueChannel('expire');
  let issued = 0;
  const client = await realtime({
    key: undefined,
    authCallback: (params, callback) => {
      issued += 1;
      tokenRequest(name, 'short', { ttl: 1500 }).then((r) => callback(null, r), callback);
    },
  });
  const id = client.connection.id;
  const reasons = [];
  client.connection.on('disconnected', (change) => reasons.push(change.reason?.code));
  const channel = client.channels.get(name);
  const got = [];
  await channel.subscribe((m) => got.push(m.data));
  const publisher = rest().channels.get(name);
  const sent = [];
  for (let i = 0; i < 25; i++) { // across the expiry at 1.5 s and the reconnection after it
    await publisher.publish('n', String(i));
    sent.push(String(i));
    await sleep(100);
  }
  await waitFor(() => got.length >= sent.length, { what: 'every message' });
  await sleep(200);
  assert.ok(reasons.length >= 1 && reasons.every((code) => code === 40142), `disconnections: ${reasons}`);
  assert.ok(issued >= 2, `authCallback called ${issued} times`);
  assert.equal(client.connection.id, id, 'the connection resumed');
  assert.deepEqual(got, sent, 'every message once, in order');
  client.close();
});

test('auth.authorize() on a live connection upgrades it in place (AUTH action)', async () => {
  const name = uniqueChannel('authorize');
  const client = await realtime({
    key: undefined,
    authCallback: (params, callback) => tokenRequest(name, 'ann').then((r) => callback(null, r), callback),
  });
  const id = client.connection.id;
  const updates = [];
  client.connection.on('update', (change) => updates.push(change));
  const details = await client.auth.authorize();
  assert.equal(details.clientId, 'ann');
  await waitFor(() => updates.length === 1, { what: 'connection update' });
  assert.equal(client.connection.id, id);
  assert.equal(client.connection.state, 'connected');
  client.close();
});

test('a bad key fails the connection with 40101', async () => {
  const client = new Ably.Realtime({ ...rest().options, key: KEY.split(':')[0] + ':wrong', logLevel: 0 });
  const change = await client.connection.once('failed');
  assert.equal(change.reason.code, 40101);
  client.close();
});

test('heartbeats keep an idle connection alive; ping works', async () => {
  const client = await realtime({ transportParams: { heartbeatInterval: 1000 }, realtimeRequestTimeout: 2000 });
  const states = [];
  client.connection.on((change) => states.push(change.current));
  await sleep(4000); // past the 3.1 s idle timeout (maxIdleInterval + realtimeRequestTimeout), had no heartbeat come
  assert.deepEqual(states, []);
  assert.ok(typeof (await client.connection.ping()) === 'number');
  client.close();
});

test('an Ably JWT from authCallback is accepted, with its clientId and capability', async () => {
  const name = uniqueChannel('jwt');
  const [keyName, secret] = KEY.split(':');
  const part = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url');
  const jwt = () => {
    const now = Math.floor(Date.now() / 1000);
    const input = `${part({ typ: 'JWT', alg: 'HS256', kid: keyName })}.${part({
      iat: now, exp: now + 60, 'x-ably-clientId': 'jwt-user',
      'x-ably-capability': JSON.stringify({ [name]: ['subscribe', 'presence'] }),
    })}`;
    return `${input}.${crypto.createHmac('sha256', secret).update(input).digest('base64url')}`;
  };
  const client = await realtime({ key: undefined, authCallback: (params, callback) => callback(null, jwt()) });
  assert.equal(client.auth.clientId, 'jwt-user');
  const channel = client.channels.get(name);
  await channel.presence.enter();
  await assert.rejects(channel.publish('x', 'y'), (err) => err.code === 40160);
  const viaRest = new Ably.Rest({ ...rest().options, key: undefined, token: jwt() });
  await assert.rejects(viaRest.channels.get(name).history(), (err) => err.code === 40160);
  client.close();
});
