// What a browser can do with the token /api/ably/auth hands it, tried with ably-js itself
// against the app under `vercel dev` and the emulator (URLs from tests/security/test_browser_tokens.py).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import Ably from 'ably';

const appUrl = process.env.CHAT_APP_URL;
const realtimeUrl = new URL(process.env.ABLY_EMULATOR_URL);
const clients = [];

function browserLike(clientId) {
  const client = new Ably.Realtime({
    authUrl: `${appUrl}/api/ably/auth`,
    authParams: { clientId },
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

test('the token carries the chosen name as clientId', async () => {
  const ana = browserLike('Ana');
  await ana.connection.once('connected');
  assert.equal(ana.auth.clientId, 'Ana');
});

test('a browser token cannot publish to chat', async () => {
  const channel = browserLike('Mallory').channels.get('chat');
  await assert.rejects(
    channel.publish('message', { username: 'server', text: 'forged notice', type: 'notification' }),
    refusedWith(40160),
  );
});

test('a browser token cannot enter presence as someone else', async () => {
  const channel = browserLike('Mallory').channels.get('chat');
  await channel.attach();
  await assert.rejects(channel.presence.enterClient('Ana', { forged: true }), refusedWith(40012, 40160));
});

test('a browser token cannot touch other channels', async () => {
  const client = browserLike('Mallory');
  await assert.rejects(client.channels.get('admin').attach(), refusedWith(40160));
  await assert.rejects(client.channels.get('chat:other').attach(), refusedWith(40160));
});

test('a browser token may subscribe, use presence and read history on chat', async () => {
  const bea = browserLike('Bea');
  const carl = browserLike('Carl');
  const [beaChat, carlChat] = [bea.channels.get('chat'), carl.channels.get('chat')];
  await carlChat.attach();
  const seen = new Promise((resolve) => {
    carlChat.presence.subscribe('enter', (member) => member.clientId === 'Bea' && resolve(member));
  });
  await beaChat.presence.enter({ typing: false });
  assert.equal((await seen).clientId, 'Bea');
  const history = await beaChat.history({ limit: 5 });
  assert.ok(Array.isArray(history.items));
});

test('the token is renewed through authUrl without dropping the connection', async () => {
  const dee = browserLike('Dee');
  await dee.connection.once('connected');
  const connectionId = dee.connection.id;
  const before = dee.auth.tokenDetails.token;
  const renewed = await dee.auth.authorize();
  assert.notEqual(renewed.token, before);
  assert.equal(renewed.clientId, 'Dee');
  assert.equal(dee.connection.state, 'connected');
  assert.equal(dee.connection.id, connectionId);
});
