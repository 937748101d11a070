// Short-lived tokens from /api/ably/auth (served by tests/security/test_token_expiry.py with
// ABLY_TOKEN_TTL of a few seconds), on the path Ably takes with them: a token with under 30 s of
// life is not renewed ahead of time, it runs out (DISCONNECTED 40142); ably-js then renews it through
// authUrl and resumes the same connection, and nothing published meanwhile is lost. Expired tokens
// are refused.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import Ably from 'ably';

const authUrl = process.env.CHAT_AUTH_URL;
const realtime = new URL(process.env.ABLY_EMULATOR_URL);
const ttlMs = Number(process.env.TOKEN_TTL_S) * 1000;
const where = { endpoint: realtime.hostname, port: Number(realtime.port), tls: false, logLevel: 0 };
const clients = [];
after(() => clients.forEach((client) => client.close()));

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test('an expiring token is renewed through authUrl and the connection resumes without losing a message', async () => {
  const client = new Ably.Realtime({ ...where, authUrl, authParams: { clientId: 'Eve' } });
  clients.push(client);
  await client.connection.once('connected');
  const firstToken = client.auth.tokenDetails.token;
  const connectionId = client.connection.id;
  const expiries = [];
  const otherDrops = [];
  client.connection.on('disconnected', (change) => expiries.push(change.reason?.code));
  client.connection.on(['suspended', 'failed', 'closed'], (change) => otherDrops.push(change.current));
  const got = [];
  await client.channels.get('chat').subscribe((message) => got.push(message.data));

  // The server side of the chat publishes throughout: two expiries and the reconnections after them.
  const publisher = new Ably.Rest({ ...where, key: process.env.ABLY_EMULATOR_KEY }).channels.get('chat');
  const sent = [];
  for (const until = Date.now() + ttlMs * 2.5; Date.now() < until;) {
    sent.push(String(sent.length));
    await publisher.publish('message', sent.at(-1));
    await sleep(150);
  }
  for (const until = Date.now() + 10_000; got.length < sent.length && Date.now() < until;) await sleep(50);

  assert.ok(expiries.length >= 2 && expiries.every((code) => code === 40142), `disconnections: ${expiries}`);
  assert.deepEqual(otherDrops, []);
  assert.notEqual(client.auth.tokenDetails.token, firstToken);
  assert.equal(client.auth.tokenDetails.clientId, 'Eve');
  assert.equal(client.connection.state, 'connected');
  assert.equal(client.connection.id, connectionId, 'resumed, not a new connection');
  assert.deepEqual(got, sent, 'every message once, in order');
});

test('an expired token is refused', async () => {
  const tokenRequest = await (await fetch(`${authUrl}?clientId=Mallory`)).json();
  const issuer = new Ably.Rest({ ...where, authCallback: (_, done) => done(null, tokenRequest) });
  const token = await issuer.auth.authorize();
  await sleep(token.expires - Date.now() + 500);
  // Asked directly: ably-js would wrap the refusal in its own "cannot renew" error (40171).
  const response = await fetch(`${realtime.origin}/channels/chat/messages`, {
    headers: { authorization: `Bearer ${Buffer.from(token.token).toString('base64')}`, accept: 'application/json' },
  });
  assert.equal(response.status, 401);
  assert.equal((await response.json()).error.code, 40142);
});
