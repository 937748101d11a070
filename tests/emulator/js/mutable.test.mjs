// Updates, deletes, appends and annotations through ably-js 2.28 (its default build includes the
// Annotations plugin), as the SDK's own updates-deletes and annotations tests use them. The shared
// emulator has the mutable-messages rule on `mutable:*`.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, realtime, rest, startProxy, uniqueChannel, waitFor, within } from './helpers.mjs';

after(closeAll);

const mutableChannel = (label) => `mutable:${uniqueChannel(label)}`;
const ALL_MODES = { modes: ['publish', 'subscribe', 'annotation_publish', 'annotation_subscribe'] };

function nextMessage(channel, predicate = () => true) {
  return within(
    new Promise((resolve) => {
      const listener = (message) => {
        if (!predicate(message)) return;
        channel.unsubscribe(listener);
        resolve(message);
      };
      channel.subscribe(listener);
    }),
    5000,
    'a message',
  );
}

test('publish answers one serial per message, over realtime and REST', async () => {
  const client = await realtime();
  const channel = client.channels.get(mutableChannel('serials'));
  await channel.attach();
  const { serials } = await channel.publish([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
  assert.equal(serials.length, 3);
  assert.ok(serials.every((s) => typeof s === 'string') && serials[0] < serials[1] && serials[1] < serials[2]);
  const restResult = await rest().channels.get(channel.name).publish('d', 'x');
  assert.equal(restResult.serials.length, 1);
  client.close();
});

test('realtime update and delete reach subscribers with their version', async () => {
  const client = await realtime();
  const channel = client.channels.get(mutableChannel('update'));
  await channel.attach();
  const onUpdate = nextMessage(channel, (m) => m.action === 'message.update');
  const { serials } = await channel.publish('original-message', { value: 'original' });
  const operation = { clientId: 'rt-updater', description: 'Realtime update', metadata: { reason: 'testing' } };
  const result = await channel.updateMessage({ serial: serials[0], data: { value: 'updated' } }, operation);
  assert.equal(typeof result.versionSerial, 'string');
  const update = await onUpdate;
  assert.equal(update.serial, serials[0]);
  assert.equal(update.name, 'original-message');
  assert.deepEqual(update.data, { value: 'updated' });
  assert.deepEqual(
    [update.version.serial, update.version.clientId, update.version.description, update.version.metadata],
    [result.versionSerial, 'rt-updater', 'Realtime update', { reason: 'testing' }],
  );

  const onDelete = nextMessage(channel, (m) => m.action === 'message.delete');
  const deletion = await channel.deleteMessage({ serial: serials[0], data: {} }, { description: 'gone' });
  const deleted = await onDelete;
  assert.deepEqual([deleted.serial, deleted.data, deleted.name], [serials[0], {}, 'original-message']);
  assert.equal(deleted.version.serial, deletion.versionSerial);
  assert.ok(deletion.versionSerial > result.versionSerial);
  client.close();
});

test('an append is delivered as message.append, and rewind shows the whole message as an update', async () => {
  const client = await realtime();
  const channel = client.channels.get(mutableChannel('append'));
  await channel.attach();
  const onAppend = nextMessage(channel, (m) => m.action === 'message.append');
  const { serials } = await channel.publish('original-message', 'Hello');
  const result = await channel.appendMessage({ serial: serials[0], data: ' World' }, { description: 'more' });
  const appended = await onAppend;
  assert.deepEqual([appended.serial, appended.data, appended.name], [serials[0], ' World', 'original-message']);
  assert.equal(appended.version.serial, result.versionSerial);

  const late = await realtime();
  const rewound = late.channels.get(channel.name, { params: { rewind: '1' } });
  const first = nextMessage(rewound);
  await rewound.attach();
  const message = await first;
  assert.deepEqual(
    [message.serial, message.action, message.data, message.version.serial, message.version.description],
    [serials[0], 'message.update', 'Hello World', result.versionSerial, 'more'],
  );
  client.close();
  late.close();
});

test('REST update, delete, getMessage, getMessageVersions and history', async () => {
  const channel = rest().channels.get(mutableChannel('rest'));
  const { serials } = await channel.publish('original', 'v1');
  await channel.publish('after', 'untouched');
  const update = await channel.updateMessage({ serial: serials[0], name: 'updated', data: 'v2' }, { description: 'edited' });
  const updated = await channel.getMessage(serials[0]);
  assert.deepEqual(
    [updated.action, updated.name, updated.data, updated.version.serial, updated.version.description],
    ['message.update', 'updated', 'v2', update.versionSerial, 'edited'],
  );
  const deletion = await channel.deleteMessage({ serial: serials[0] });
  const versions = await channel.getMessageVersions(serials[0]);
  assert.deepEqual(
    versions.items.map((v) => [v.action, v.version.serial]),
    [
      ['message.create', serials[0]],
      ['message.update', update.versionSerial],
      ['message.delete', deletion.versionSerial],
    ],
  );
  const history = await channel.history({ direction: 'forwards' });
  assert.deepEqual(
    history.items.map((m) => [m.serial === serials[0], m.action]),
    [
      [true, 'message.delete'],
      [false, 'message.create'],
    ],
  );
});

test('annotations: publish over realtime and REST, ANNOTATION frames, summaries, paged get', async () => {
  const client = await realtime({ clientId: 'ann' });
  const channel = client.channels.get(mutableChannel('annotations'), ALL_MODES);
  await channel.attach();
  const onMessage = nextMessage(channel);
  await channel.publish('message', 'foobar');
  const message = await onMessage;

  const annotations = [];
  await channel.annotations.subscribe((a) => annotations.push(a));
  const onSummary = nextMessage(channel, (m) => m.action === 'message.summary');
  await channel.annotations.publish(message, { type: 'reaction:distinct.v1', name: '👍' });
  const summary = await onSummary;
  assert.equal(summary.serial, message.serial);
  assert.deepEqual(summary.annotations.summary, {
    'reaction:distinct.v1': { '👍': { total: 1, clientIds: ['ann'], clipped: false } },
  });
  await waitFor(() => annotations.length === 1, { what: 'the annotation' });
  const [annotation] = annotations;
  assert.deepEqual(
    [annotation.action, annotation.messageSerial, annotation.type, annotation.name, annotation.clientId],
    ['annotation.create', message.serial, 'reaction:distinct.v1', '👍', 'ann'],
  );
  assert.ok(annotation.serial > annotation.messageSerial);

  const restChannel = rest({ clientId: 'bob' }).channels.get(channel.name);
  for (const name of ['👍', '😕', '👎']) await restChannel.annotations.publish(message.serial, { type: 'reaction:distinct.v1', name });
  await waitFor(() => annotations.length === 4, { what: 'the REST annotations' });
  let page = await restChannel.annotations.get(message.serial, { limit: 2 });
  assert.deepEqual(page.items.map((a) => [a.name, a.clientId]), [['👍', 'ann'], ['👍', 'bob']]);
  assert.ok(page.hasNext());
  page = await page.next();
  assert.deepEqual(page.items.map((a) => a.name), ['😕', '👎']);
  assert.ok(!page.hasNext());
  const latest = await restChannel.getMessage(message.serial);
  assert.deepEqual(latest.annotations.summary['reaction:distinct.v1']['👍'].clientIds, ['ann', 'bob']);
  client.close();
});

test('summaries aggregate flag, unique, multiple and total as Ably does; deletes take contributions back', async () => {
  const ann = await realtime({ clientId: 'ann' });
  const bob = await realtime({ clientId: 'bob' });
  const name = mutableChannel('summaries');
  const channel = ann.channels.get(name);
  const bobs = bob.channels.get(name);
  await Promise.all([channel.attach(), bobs.attach()]);
  const { serials } = await channel.publish('message', 'x');
  const serial = serials[0];
  await channel.annotations.publish(serial, { type: 'receipt:flag.v1' });
  await bobs.annotations.publish(serial, { type: 'receipt:flag.v1' });
  await channel.annotations.publish(serial, { type: 'vote:unique.v1', name: 'yes' });
  await channel.annotations.publish(serial, { type: 'vote:unique.v1', name: 'no' });
  await bobs.annotations.publish(serial, { type: 'vote:unique.v1', name: 'no' });
  await channel.annotations.publish(serial, { type: 'stars:multiple.v1', name: 'gold', count: 3 });
  await bobs.annotations.publish(serial, { type: 'stars:multiple.v1', name: 'gold' });
  await channel.annotations.publish(serial, { type: 'views:total.v1' });
  await bobs.annotations.publish(serial, { type: 'views:total.v1' });
  await bobs.annotations.delete(serial, { type: 'receipt:flag.v1' });
  const onSummary = nextMessage(channel, (m) => m.action === 'message.summary');
  await bobs.annotations.delete(serial, { type: 'stars:multiple.v1', name: 'gold' });
  const summary = (await onSummary).annotations.summary;
  assert.deepEqual(summary, {
    'receipt:flag.v1': { total: 1, clientIds: ['ann'], clipped: false },
    'vote:unique.v1': { no: { total: 2, clientIds: ['ann', 'bob'], clipped: false } },
    'stars:multiple.v1': {
      gold: { total: 3, clientIds: { ann: 3 }, totalUnidentified: 0, clipped: false, totalClientIds: 1 },
    },
    'views:total.v1': { total: 2 },
  });
  ann.close();
  bob.close();
});

test('capabilities: -own changes only one\'s own messages, anonymous clients need -any, annotating needs annotation-publish', async () => {
  const name = mutableChannel('capabilities');
  const { serials } = await rest({ clientId: 'ann' }).channels.get(name).publish('m', 'by ann');
  const tokenFor = async (clientId, capability) =>
    rest({ token: await rest().auth.requestToken({ clientId, capability: JSON.stringify({ [name]: capability }) }) });
  const own = ['message-update-own', 'message-delete-own'];
  const bob = (await tokenFor('bob', own)).channels.get(name);
  await assert.rejects(bob.updateMessage({ serial: serials[0], data: 'by bob' }), { code: 40160, statusCode: 401 });
  await assert.rejects(bob.deleteMessage({ serial: serials[0] }), { code: 40160, statusCode: 401 });
  const anonymous = (await tokenFor(undefined, own)).channels.get(name);
  await assert.rejects(anonymous.updateMessage({ serial: serials[0], data: 'x' }), { code: 40166, statusCode: 401 });
  const ann = (await tokenFor('ann', own)).channels.get(name);
  await ann.updateMessage({ serial: serials[0], data: 'edited by ann' });
  await ann.deleteMessage({ serial: serials[0] });
  assert.equal((await rest().channels.get(name).getMessage(serials[0])).action, 'message.delete');
  const reader = (await tokenFor('eve', ['subscribe', 'history'])).channels.get(name);
  await assert.rejects(reader.annotations.publish(serials[0], { type: 'r:flag.v1' }), { code: 40160 });
  await assert.rejects(rest().channels.get(name).updateMessage({ serial: `${serials[0]}x`, data: 'x' }), {
    code: 40400,
    statusCode: 404,
  });
});

test('a resumed connection gets the updates and summaries it missed, in order', async () => {
  const proxy = await startProxy();
  const watcher = await realtime({ port: proxy.port, clientId: 'watcher', disconnectedRetryTimeout: 300 });
  const name = mutableChannel('resume');
  const channel = watcher.channels.get(name);
  const seen = [];
  await channel.subscribe((m) => seen.push(m));
  const publisher = rest({ clientId: 'ann' }).channels.get(name);
  const { serials } = await publisher.publish('m', 'v1');
  await waitFor(() => seen.length === 1, { what: 'the original' });
  const connectionId = watcher.connection.id;
  proxy.block(true);
  proxy.cut();
  await publisher.updateMessage({ serial: serials[0], data: 'v2' }); // while the watcher cannot connect
  await publisher.annotations.publish(serials[0], { type: 'reaction:distinct.v1', name: '🎉' });
  assert.equal(seen.length, 1);
  const resumed = within(watcher.connection.once('connected'), 10000, 'the resume');
  proxy.block(false);
  await resumed;
  assert.equal(watcher.connection.id, connectionId);
  await waitFor(() => seen.length === 3, { what: 'the missed update and summary' });
  assert.deepEqual(seen.map((m) => [m.action, m.serial === serials[0]]), [
    ['message.create', true],
    ['message.update', true],
    ['message.summary', true],
  ]);
  assert.equal(seen[1].data, 'v2');
  watcher.close();
  await proxy.close();
});
