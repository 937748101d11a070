import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { ApiError, claimName, connectionOptionsFor, listRooms, requestToken, sendMessage } from '../../../public/js/api.js';

describe('connectionOptionsFor', () => {
  test('uses Ably defaults when the server names no local service', () => {
    assert.deepEqual(connectionOptionsFor(null), {});
  });

  test('points every connection, check included, at a local service', () => {
    assert.deepEqual(connectionOptionsFor('http://127.0.0.1:8123'), {
      endpoint: '127.0.0.1',
      tls: false,
      port: 8123,
      transports: ['web_socket'],
      connectivityCheckUrl: 'http://127.0.0.1:8123/is-the-internet-up.txt',
      wsConnectivityCheckUrl: 'ws://127.0.0.1:8123/ws-up',
    });
  });

  test('handles a TLS service and default ports', () => {
    const options = connectionOptionsFor('https://localhost');
    assert.equal(options.tls, true);
    assert.equal(options.tlsPort, 443);
    assert.equal(options.port, undefined);
    assert.equal(options.wsConnectivityCheckUrl, 'wss://localhost/ws-up');
  });
});

describe('calls to the server', () => {
  const realFetch = globalThis.fetch;
  afterEach(() => {
    globalThis.fetch = realFetch;
  });

  function answer(status, body, headers = {}) {
    const calls = [];
    globalThis.fetch = async (url, init) => {
      calls.push({ url, init });
      return new Response(typeof body === 'string' ? body : JSON.stringify(body), {
        status,
        headers: { 'Content-Type': 'application/json', ...headers },
      });
    };
    return calls;
  }

  test('claiming a name posts it with the room, and the session held so far', async () => {
    const claimed = { username: 'Ana', room: 'team-a', claim: 'c1', session: 's2', expiresIn: 900, renewIn: 300 };
    const calls = answer(200, claimed);
    assert.deepEqual(await claimName({ username: 'Ana', room: 'team-a', current: 's1' }), claimed);
    assert.equal(calls[0].url, '/api/session');
    assert.equal(calls[0].init.method, 'POST');
    assert.equal(calls[0].init.headers.Authorization, 'Bearer s1');
    assert.deepEqual(JSON.parse(calls[0].init.body), { username: 'Ana', room: 'team-a' });
  });

  test('a first claim sends no session', async () => {
    const calls = answer(200, {});
    await claimName({ username: 'Ana', room: 'general' });
    assert.equal(calls[0].init.headers.Authorization, undefined);
  });

  test('a taken name comes back with the server message and the field', async () => {
    answer(409, { error: { message: 'that name is taken in this room right now; pick another', field: 'username' } });
    await assert.rejects(claimName({ username: 'Ana', room: 'general' }), (error) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.status, 409);
      assert.equal(error.field, 'username');
      assert.match(error.message, /taken/);
      return true;
    });
  });

  test('a released name comes back with the server\'s reason', async () => {
    answer(401, { error: { message: 'your name was released; pick it again', reason: 'name-released' } });
    await assert.rejects(sendMessage({ session: 's1', id: 'm1', text: 'hi' }), (error) => {
      assert.equal(error.status, 401);
      assert.equal(error.reason, 'name-released');
      return true;
    });
    await assert.rejects(requestToken('s1'), { reason: 'name-released' });
  });

  test('a token request carries the session and reads the realtime endpoint', async () => {
    const signed = { keyName: 'app.key', clientId: 'Ana Lima & Bo', mac: 'm' };
    const calls = answer(200, signed, { 'X-Realtime-Endpoint': 'http://127.0.0.1:9999' });
    const { tokenRequest, connectionOptions } = await requestToken('the-session');
    assert.equal(calls[0].url, '/api/ably/auth');
    assert.equal(calls[0].init.headers.Authorization, 'Bearer the-session');
    assert.deepEqual(tokenRequest, signed);
    assert.equal(connectionOptions.port, 9999);
  });

  test('sendMessage posts the text with its id and the session, and returns the answer', async () => {
    const accepted = { id: 'c1:id-1', message: { username: 'Ana', text: 'hi', date: '2026-11-28T09:00:00Z', type: 'message' } };
    const calls = answer(200, accepted);
    assert.deepEqual(await sendMessage({ session: 's', id: 'id-1', text: 'hi' }), accepted);
    assert.equal(calls[0].url, '/api/sendMessage');
    assert.equal(calls[0].init.method, 'POST');
    assert.equal(calls[0].init.headers.Authorization, 'Bearer s');
    assert.deepEqual(JSON.parse(calls[0].init.body), { message: 'hi', id: 'id-1' });
  });

  test('a rate limit says how long to wait, once', async () => {
    answer(429, { error: { message: 'too many requests; wait 7 s' } }, { 'Retry-After': '7' });
    await assert.rejects(sendMessage({ session: 's', id: 'x', text: 'hi' }), (error) => {
      assert.equal(error.status, 429);
      assert.equal(error.retryAfterSeconds, 7);
      assert.equal(error.message, 'Too many requests. Try again in 7 s.');
      return true;
    });
  });

  test('the lobby list is read from the rooms function', async () => {
    const calls = answer(200, { rooms: [{ room: 'team-a', people: 2 }], defaultRoom: 'general' });
    assert.deepEqual(await listRooms(), [{ room: 'team-a', people: 2 }]);
    assert.equal(calls[0].url, '/api/rooms');
  });

  test('an error without a JSON body still says something useful', async () => {
    answer(502, '<html>Bad gateway</html>');
    await assert.rejects(sendMessage({ session: 's', id: 'x', text: 'hi' }), {
      message: 'The chat is not answering right now. Try again soon.',
      status: 502,
    });
  });

  test('a network failure becomes a readable error', async () => {
    globalThis.fetch = async () => {
      throw new TypeError('Failed to fetch');
    };
    await assert.rejects(sendMessage({ session: 's', id: 'x', text: 'hi' }), {
      name: 'ApiError',
      message: /Could not reach the server/,
    });
  });
});
