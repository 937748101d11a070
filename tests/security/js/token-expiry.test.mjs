// Short-lived tokens from /api/ably/auth (served by tests/security/test_token_expiry.py with an
// ABLY_TOKEN_TTL of a few seconds), on the path Ably takes with them: a token with under 30 s of
// life is not renewed ahead of time, it runs out (DISCONNECTED 40142); ably-js then gets a new one
// through the token function and resumes the same connection, and no message sent meanwhile
// through /api/sendMessage is lost. An expired token is refused.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import Ably from 'ably';

const authUrl = process.env.CHAT_AUTH_URL;
const sendUrl = process.env.CHAT_SEND_URL;
const realtime = new URL(process.env.ABLY_EMULATOR_URL);
const ttlMs = Number(process.env.TOKEN_TTL_S) * 1000;
const where = { endpoint: realtime.hostname, port: Number(realtime.port), tls: false, logLevel: 0 };
const bearer = (session) => ({ Authorization: `Bearer ${session}` });
const clients = [];
after(() => clients.forEach((client) => client.close()));

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `condition()` holds, polled; rejects, naming `what`, after `timeoutMs`. */
async function waitFor(condition, what, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

async function send(text, id) {
  const response = await fetch(sendUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...bearer(process.env.EVE_SESSION) },
    body: JSON.stringify({ message: text, id }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()).id;
}

test('a token that runs out is renewed and the connection resumes, with nothing lost', async () => {
  const client = new Ably.Realtime({ ...where, authUrl, authHeaders: bearer(process.env.EVE_SESSION) });
  clients.push(client);
  await client.connection.once('connected');
  const firstToken = client.auth.tokenDetails.token;
  const connectionId = client.connection.id;
  const expiries = [];
  const otherDrops = [];
  client.connection.on('disconnected', (change) => expiries.push(change.reason?.code));
  client.connection.on(['suspended', 'failed', 'closed'], (change) => otherDrops.push(change.current));
  const channel = client.channels.get('chat');
  const received = [];
  await channel.subscribe('message', (message) => received.push(message.id));

  const sent = [];
  const until = Date.now() + ttlMs * 2.5; // two expiries at least
  for (let n = 0; Date.now() < until; n += 1) {
    sent.push(await send(`while the token runs out #${n}`, `expiry-${n}`));
    await sleep(250); // spread the sends over the expiries
  }
  await waitFor(() => received.length >= sent.length && client.connection.state === 'connected', 'every message');

  assert.notEqual(client.auth.tokenDetails.token, firstToken, 'the token was renewed');
  assert.equal(client.auth.tokenDetails.clientId, 'Eve');
  assert.equal(client.connection.state, 'connected');
  assert.equal(client.connection.id, connectionId, 'the same connection, resumed');
  // Ably renews ahead of expiry only a token with more than 30 s of life: a 5-second one runs out.
  assert.ok(expiries.length >= 2 && expiries.every((code) => code === 40142), `disconnections: ${expiries}`);
  assert.deepEqual(otherDrops, []);
  assert.deepEqual(received, sent, 'every message arrived, once, in order');
});

test('an expired token is refused', async () => {
  const response = await fetch(authUrl, { headers: bearer(process.env.MALLORY_SESSION) });
  const tokenRequest = await response.json();
  const issuer = new Ably.Rest({ ...where, authCallback: (_, done) => done(null, tokenRequest) });
  const token = await issuer.auth.authorize();
  await sleep(token.expires - Date.now() + 500); // until the clock has passed the token's expiry
  // Asked directly: ably-js would wrap the refusal in its own "cannot renew" error (40171).
  const refused = await fetch(`${realtime.origin}/channels/chat/messages`, {
    headers: { authorization: `Bearer ${Buffer.from(token.token).toString('base64')}`, accept: 'application/json' },
  });
  assert.equal(refused.status, 401);
  assert.equal((await refused.json()).error.code, 40142);
});
