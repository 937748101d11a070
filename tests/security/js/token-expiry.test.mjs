// Short-lived tokens from /api/ably/auth (served by tests/security/test_token_expiry.py with
// ABLY_TOKEN_TTL of a few seconds): renewed through authUrl without losing the connection, and
// refused once expired.
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

test('a token is renewed through authUrl before it expires, on the same connection', async () => {
  const client = new Ably.Realtime({ ...where, authUrl, authParams: { clientId: 'Eve' } });
  clients.push(client);
  await client.connection.once('connected');
  const firstToken = client.auth.tokenDetails.token;
  const connectionId = client.connection.id;
  const drops = [];
  client.connection.on(['disconnected', 'suspended', 'failed', 'closed'], (change) => drops.push(change.current));

  await sleep(ttlMs * 2.5); // long enough for two renewals
  assert.notEqual(client.auth.tokenDetails.token, firstToken);
  assert.equal(client.auth.tokenDetails.clientId, 'Eve');
  assert.equal(client.connection.state, 'connected');
  assert.equal(client.connection.id, connectionId);
  assert.deepEqual(drops, [], 'the connection never dropped');
  await client.channels.get('chat').attach(); // and the renewed token still works
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
