import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../../../public/js/api.js';
import { Outbox } from '../../../public/js/outbox.js';
import { FakeClock } from './support/fakes.mjs';

/** An outbox whose server answers each send with the next of `answers` (an error is thrown). */
function outboxWith(answers) {
  const clock = new FakeClock();
  const sent = [];
  const reports = [];
  const outbox = new Outbox({
    clock,
    deliver: async (entry) => {
      sent.push(entry.id);
      const answer = answers.shift() ?? 'ok';
      if (answer instanceof Error) throw answer;
      return answer;
    },
    report: (entry, status) => reports.push(`${entry.id}:${status}`),
  });
  return { clock, outbox, sent, reports };
}

test('sends in order, one at a time, and nothing while offline', async () => {
  const { clock, outbox, sent, reports } = outboxWith([]);
  outbox.add({ id: 'a' });
  await clock.advance(0);
  assert.deepEqual(sent, [], 'offline: nothing goes');
  assert.deepEqual(reports, ['a:waiting']);
  outbox.add({ id: 'b' });
  outbox.setOnline(true);
  await clock.advance(0);
  assert.deepEqual(sent, ['a', 'b']);
  assert.equal(outbox.size, 0);
});

test('a network failure or a 5xx waits and goes again with the same entry; no failure shows', async () => {
  const { clock, outbox, sent, reports } = outboxWith([new ApiError('unreachable'), new ApiError('bad gateway', { status: 502 })]);
  outbox.setOnline(true);
  outbox.add({ id: 'a' });
  outbox.add({ id: 'b' });
  await clock.advance(0);
  assert.deepEqual(sent, ['a']);
  await clock.advance(1000);
  assert.deepEqual(sent, ['a', 'a']);
  outbox.setOnline(false);
  outbox.setOnline(true); // a reconnect tries at once, without waiting out the back-off
  await clock.advance(0);
  assert.deepEqual(sent, ['a', 'a', 'a', 'b']);
  assert.ok(!reports.some((report) => report.endsWith(':failed')), reports.join());
});

test('a 429 holds the whole queue until Retry-After has passed, then it drains in order', async () => {
  const { clock, outbox, sent, reports } = outboxWith(['ok', new ApiError('slow down', { status: 429, retryAfterSeconds: 7 })]);
  outbox.setOnline(true);
  for (const id of ['a', 'b', 'c']) outbox.add({ id });
  await clock.advance(0);
  assert.deepEqual(sent, ['a', 'b']);
  assert.equal(outbox.holdUntil, clock.now() + 7000);
  assert.equal(reports.filter((report) => report.endsWith(':held')).length, 1);
  await clock.advance(6999);
  assert.deepEqual(sent, ['a', 'b']);
  await clock.advance(1);
  assert.deepEqual(sent, ['a', 'b', 'b', 'c']);
  assert.equal(outbox.holdUntil, 0);
});

test('any other 4xx is final for that message only', async () => {
  const { clock, outbox, sent, reports } = outboxWith([new ApiError('refused', { status: 400 })]);
  outbox.setOnline(true);
  outbox.add({ id: 'a' });
  outbox.add({ id: 'b' });
  await clock.advance(0);
  assert.deepEqual(sent, ['a', 'b']);
  assert.ok(reports.includes('a:failed') && reports.includes('b:sent'), reports.join());
});
