// What a browser can do with the token /api/ably/auth hands it, tried with ably-js itself
// against the app under `vercel dev` and the emulator (URLs from tests/security/test_browser_tokens.py).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import Ably from 'ably';

const appUrl = process.env.CHAT_APP_URL;
const realtimeUrl = new URL(process.env.ABLY_EMULATOR_URL);
const run = randomBytes(3).toString('hex'); // names of our own: the app is shared with other suites
const clients = [];

async function claim(name, room = 'general') {
  const response = await fetch(`${appUrl}/api/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: name, room }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()).session;
}

async function browserLike(name, room = 'general') {
  const session = await claim(name, room);
  const client = new Ably.Realtime({
    authUrl: `${appUrl}/api/ably/auth`,
    authHeaders: { Authorization: `Bearer ${session}` },
    endpoint: realtimeUrl.hostname,
    port: Number(realtimeUrl.port),
    tls: false,
    useBinaryProtocol: false,
    disableConnectivityCheck: true,
    logLevel: 0,
  });
  clients.push(client);
  return client;
}

after(() => clients.forEach((client) => client.close()));

const refusedWith = (...codes) => (error) => {
  assert.ok(codes.includes(error.code), `expected one of ${codes}, got ${error.code}: ${error.message}`);
  return true;
};

test('the token carries the claimed name as clientId', async () => {
  const ana = await browserLike(`Ana ${run}`);
  await ana.connection.once('connected');
  assert.equal(ana.auth.clientId, `Ana ${run}`);
});

test('no session, no token; a wildcard clientId never', async () => {
  assert.equal((await fetch(`${appUrl}/api/ably/auth`)).status, 401);
  for (const clientId of ['*', ' * ', 'Ana*']) {
    const response = await fetch(`${appUrl}/api/ably/auth?clientId=${encodeURIComponent(clientId)}`);
    assert.equal(response.status, 400, clientId);
  }
});

test('a browser token cannot publish to its room', async () => {
  const channel = (await browserLike(`Mallory ${run}`)).channels.get('chat');
  await assert.rejects(
    channel.publish('message', { username: 'server', text: 'forged notice', type: 'notification' }),
    refusedWith(40160),
  );
});

test('a browser token cannot enter presence as someone else', async () => {
  const channel = (await browserLike(`Mallory2 ${run}`)).channels.get('chat');
  await channel.attach();
  await assert.rejects(channel.presence.enterClient('Ana', { forged: true }), refusedWith(40012, 40160));
});

test('a browser token cannot touch other channels or rooms', async () => {
  const client = await browserLike(`Mallory3 ${run}`, 'team-a');
  await client.channels.get('chat:team-a').attach();
  for (const name of ['admin', 'chat', 'chat:team-b', 'chat:team-a:x', '[meta]chat:team-a', '[?rewind=1]chat:team-b']) {
    await assert.rejects(client.channels.get(name).attach(), refusedWith(40160), name);
  }
});

test('a browser token may subscribe, use presence and read history in its room', async () => {
  const bea = await browserLike(`Bea ${run}`, 'team-b');
  const carl = await browserLike(`Carl ${run}`, 'team-b');
  const [beaChat, carlChat] = [bea.channels.get('chat:team-b'), carl.channels.get('chat:team-b')];
  await carlChat.attach();
  const seen = new Promise((resolve) => {
    carlChat.presence.subscribe('enter', (member) => member.clientId === `Bea ${run}` && resolve(member));
  });
  await beaChat.presence.enter({ typing: false });
  assert.equal((await seen).clientId, `Bea ${run}`);
  const history = await beaChat.history({ limit: 5 });
  assert.ok(Array.isArray(history.items));
});

test('the token is renewed through authUrl without dropping the connection', async () => {
  const dee = await browserLike(`Dee ${run}`);
  await dee.connection.once('connected');
  const connectionId = dee.connection.id;
  const before = dee.auth.tokenDetails.token;
  const renewed = await dee.auth.authorize();
  assert.notEqual(renewed.token, before);
  assert.equal(renewed.clientId, `Dee ${run}`);
  assert.equal(dee.connection.state, 'connected');
  assert.equal(dee.connection.id, connectionId);
});
