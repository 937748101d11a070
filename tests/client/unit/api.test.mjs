import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { ApiError, connectionOptionsFor, requestToken, sendMessage } from '../../../public/js/api.js';

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

  test('a token request encodes the name unambiguously and reads the realtime endpoint', async () => {
    const signed = { keyName: 'app.key', clientId: 'Ana Lima & Bo', mac: 'm' };
    const calls = answer(200, signed, { 'X-Realtime-Endpoint': 'http://127.0.0.1:9999' });
    const { tokenRequest, connectionOptions } = await requestToken('Ana Lima & Bo');
    assert.equal(calls[0].url, '/api/ably/auth?clientId=Ana%20Lima%20%26%20Bo');
    assert.deepEqual(tokenRequest, signed);
    assert.equal(connectionOptions.port, 9999);
  });

  test('a refused name comes back with the server message', async () => {
    answer(400, { error: { message: 'That name is taken by the system.', field: 'clientId' } });
    await assert.rejects(requestToken('server'), (error) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.message, 'That name is taken by the system.');
      assert.equal(error.status, 400);
      return true;
    });
  });

  test('sendMessage posts the message with its id and returns what the server accepted', async () => {
    const accepted = { username: 'Ana', text: 'hi', date: '2026-11-28T09:00:00Z', type: 'message' };
    const calls = answer(200, { id: 'id-1', message: accepted });
    assert.deepEqual(await sendMessage({ id: 'id-1', username: 'Ana', text: 'hi' }), accepted);
    assert.equal(calls[0].url, '/api/sendMessage');
    assert.equal(calls[0].init.method, 'POST');
    assert.deepEqual(JSON.parse(calls[0].init.body), { username: 'Ana', message: 'hi', id: 'id-1' });
  });

  test('a rate limit carries Retry-After', async () => {
    answer(429, { error: { message: 'Slow down.' } }, { 'Retry-After': '7' });
    await assert.rejects(sendMessage({ id: 'x', username: 'Ana', text: 'hi' }), { status: 429, retryAfterSeconds: 7 });
  });

  test('an error without a JSON body still says something useful', async () => {
    answer(502, '<html>Bad gateway</html>');
    await assert.rejects(sendMessage({ id: 'x', username: 'Ana', text: 'hi' }), {
      message: 'The server had a problem (502). Try again.',
      status: 502,
    });
  });

  test('a network failure becomes a readable error', async () => {
    globalThis.fetch = async () => {
      throw new TypeError('Failed to fetch');
    };
    await assert.rejects(sendMessage({ id: 'x', username: 'Ana', text: 'hi' }), {
      name: 'ApiError',
      message: /Could not reach the server/,
    });
  });
});
