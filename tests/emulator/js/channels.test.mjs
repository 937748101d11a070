// Channel enumeration (GET /channels through rest.request), channel.status() and batchPresence,
// as ably-js sees them, in JSON and msgpack, with realtime clients making channels active.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { realtime, rest, uniqueChannel, closeAll, waitFor, CHANNEL_CLOSE_DELAY_MS } from './helpers.mjs';

after(closeAll);

const VERSION = 3; // as the lobby asks: from version 3, `by` defaults to `id`

async function listed(client, params) {
  const names = [];
  let page = await client.request('get', '/channels', VERSION, { by: 'id', ...params });
  assert.equal(page.success, true, `${page.statusCode} ${page.errorCode} ${page.errorMessage}`);
  for (;;) {
    names.push(...page.items);
    if (!page.hasNext()) return names;
    page = await page.next();
  }
}

const restricted = (capability, extra = {}) =>
  rest({ useTokenAuth: true, defaultTokenParams: { capability }, ...extra });

for (const useBinaryProtocol of [false, true]) {
  const format = useBinaryProtocol ? 'msgpack' : 'json';

  test(`listing pages through a prefix, names or details, and channel.status() (${format})`, async () => {
    const prefix = uniqueChannel(`list-${format}`);
    const client = await realtime({ clientId: 'ann', useBinaryProtocol });
    for (const room of ['c', 'a', 'b']) await client.channels.get(`${prefix}:${room}`).attach();
    await client.channels.get(`${prefix}:b`).presence.enter('here');
    const lister = rest({ useBinaryProtocol });

    const first = await lister.request('get', '/channels', VERSION, { prefix, limit: 2 });
    assert.deepEqual(first.items, [`${prefix}:a`, `${prefix}:b`]);
    assert.equal(first.hasNext(), true);
    const second = await first.next();
    assert.deepEqual(second.items, [`${prefix}:c`]);
    assert.equal(second.hasNext(), false);

    const details = await lister.request('get', '/channels', VERSION, { prefix, by: 'value' });
    assert.deepEqual(details.items.map((d) => d.channelId), [`${prefix}:a`, `${prefix}:b`, `${prefix}:c`]);
    const entered = details.items[1].status;
    assert.equal(entered.isActive, true);
    assert.equal(entered.occupancy.metrics.presenceMembers, 1);
    assert.equal(details.items[0].status.occupancy.metrics.presenceMembers, 0);

    const status = await lister.channels.get(`${prefix}:b`).status();
    assert.equal(status.channelId, `${prefix}:b`);
    assert.equal(status.status.isActive, true);
    assert.deepEqual(status.status.occupancy.metrics, entered.occupancy.metrics);
    for (const metric of ['connections', 'publishers', 'subscribers', 'presenceConnections', 'presenceSubscribers']) {
      assert.equal(status.status.occupancy.metrics[metric], 1, metric);
    }
    client.close();
  });
}

test('a channel drops out of the listing a while after its last member leaves', async () => {
  const prefix = uniqueChannel('drop');
  const client = await realtime({ clientId: 'ann' });
  await client.channels.get(`${prefix}:room`).presence.enter();
  const lister = rest();
  assert.deepEqual(await listed(lister, { prefix }), [`${prefix}:room`]);
  client.close();
  await client.connection.once('closed');
  const leftAt = Date.now();
  await waitFor(async () => (await listed(lister, { prefix })).length === 0,
    { timeout: CHANNEL_CLOSE_DELAY_MS + 5000, what: 'the channel to close' });
  assert.ok(Date.now() - leftAt >= CHANNEL_CLOSE_DELAY_MS - 500, 'closed before the close delay');
});

test('listing needs channel-metadata on "*"; a status needs it on that channel', async () => {
  const name = uniqueChannel('cap');
  await rest().channels.get(name).status(); // activates it
  const noMetadata = restricted({ '*': ['subscribe', 'publish', 'presence', 'history'] });
  const namespaceOnly = restricted({ [`${name}*`]: ['channel-metadata'] });
  for (const client of [noMetadata, namespaceOnly]) {
    const page = await client.request('get', '/channels', VERSION, { prefix: name });
    assert.equal(page.success, false);
    assert.equal(page.statusCode, 401);
    assert.equal(page.errorCode, 40160);
  }
  assert.deepEqual(await listed(restricted({ '*': ['channel-metadata'] }), { prefix: name }), [name]);
  assert.equal((await namespaceOnly.channels.get(name).status()).channelId, name);
  await assert.rejects(noMetadata.channels.get(name).status(), (error) => {
    assert.equal(error.code, 40160);
    assert.equal(error.statusCode, 401);
    return true;
  });
});

for (const useBinaryProtocol of [false, true]) {
  test(`batchPresence gives each channel its members or its error (${useBinaryProtocol ? 'msgpack' : 'json'})`,
    async () => {
      const allowed = uniqueChannel('batch-open');
      const hidden = uniqueChannel('batch-hidden');
      const member = await realtime({ clientId: 'ann' });
      for (const name of [allowed, hidden]) await member.channels.get(name).presence.enter('ok');
      const client = restricted({ [allowed]: ['subscribe'] }, { useBinaryProtocol });
      const result = await client.batchPresence([allowed, hidden]);
      assert.equal(result.successCount, 1);
      assert.equal(result.failureCount, 1);
      const [ok, refused] = result.results;
      assert.equal(ok.channel, allowed);
      assert.deepEqual(ok.presence.map((p) => [p.clientId, p.action, p.data]), [['ann', 1, 'ok']]);
      assert.equal(refused.channel, hidden);
      assert.equal('presence' in refused, false);
      assert.equal(refused.error.code, 40160);
      assert.equal(refused.error.statusCode, 401);
      member.close();
    });
}
