// The outage detector on a fake clock: a frozen service is reported within 2 s, at one ping a
// second and none while the connection is down or the tab hidden.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PING_EVERY_MS, PING_TIMEOUT_MS, watchLiveness } from '../../../public/js/liveness.js';
import { FakeClock } from './support/fakes.mjs';

/** A service that answers each ping after `delayMs`, or never while frozen (until thawed). */
function aService(clock, delayMs = 50) {
  const service = { frozen: false, pings: [], stalled: [], reports: [] };
  service.ping = () => new Promise((resolve) => {
    service.pings.push(clock.now());
    if (service.frozen) service.stalled.push(resolve);
    else clock.setTimeout(resolve, delayMs);
  });
  service.thaw = () => {
    service.frozen = false;
    service.stalled.splice(0).forEach((resolve) => resolve());
  };
  return service;
}

function aDetector({ delayMs } = {}) {
  const clock = new FakeClock();
  const service = aService(clock, delayMs);
  const liveness = watchLiveness({ ping: service.ping, report: (answering) => service.reports.push(answering), clock });
  return { clock, service, liveness };
}

const lastReport = (service) => service.reports.at(-1);

test('while connected and in view it pings once a second, and not at all otherwise', async () => {
  const { clock, service, liveness } = aDetector();
  await clock.advance(10_000);
  assert.equal(service.pings.length, 0, 'nothing before the connection is up');
  liveness.setConnected(true);
  await clock.advance(9_500);
  assert.equal(service.pings.length, 10);
  assert.ok(service.pings.every((at, i) => i === 0 || at - service.pings[i - 1] === PING_EVERY_MS));
  liveness.setVisible(false);
  await clock.advance(60_000);
  assert.equal(service.pings.length, 10, 'none while the tab is hidden');
  liveness.setVisible(true);
  await clock.advance(1);
  assert.equal(service.pings.length, 11, 'back in view: a ping at once');
  liveness.setConnected(false);
  await clock.advance(60_000);
  assert.equal(service.pings.length, 11, 'none while ably-js is not connected');
  assert.ok(service.reports.every((answering) => answering));
});

test('repeated state changes start no second round of pings', async () => {
  const { clock, service, liveness } = aDetector();
  liveness.setConnected(true);
  liveness.setConnected(true);
  liveness.setVisible(true);
  await clock.advance(4_500);
  assert.equal(service.pings.length, 5);
});

test('a service frozen at any moment is reported within 2 s, and answering again once it thaws', async () => {
  for (let freezeAt = 0; freezeAt < PING_EVERY_MS; freezeAt += 100) {
    const { clock, service, liveness } = aDetector();
    liveness.setConnected(true);
    await clock.advance(3_000 + freezeAt);
    service.frozen = true;
    const frozenAt = clock.now();
    while (lastReport(service) !== false) await clock.advance(10);
    const noticedAfter = clock.now() - frozenAt;
    assert.ok(noticedAfter <= PING_EVERY_MS + PING_TIMEOUT_MS && noticedAfter < 2_000, `${noticedAfter} ms`);
    const pingsWhileFrozen = service.pings.length;
    await clock.advance(10_000);
    assert.equal(service.pings.length, pingsWhileFrozen, 'one unanswered ping at a time');
    service.thaw();
    await clock.advance(1);
    assert.equal(lastReport(service), true);
    await clock.advance(2_000);
    assert.ok(service.pings.length > pingsWhileFrozen, 'pinging again');
  }
});

test('a slow but answering service is not reported as silent', async () => {
  const { clock, service, liveness } = aDetector({ delayMs: PING_TIMEOUT_MS - 100 });
  liveness.setConnected(true);
  await clock.advance(30_000);
  assert.ok(service.reports.length > 20 && service.reports.every((answering) => answering));
});

test('pings that fail at once (the connection dropping under them) report nothing good, nor run in a loop', async () => {
  const clock = new FakeClock();
  const reports = [];
  let pings = 0;
  const ping = () => { pings += 1; return Promise.reject(new Error('closed')); };
  const liveness = watchLiveness({ ping, report: (answering) => reports.push(answering), clock });
  liveness.setConnected(true);
  await clock.advance(4_500);
  assert.ok(!reports.includes(true));
  assert.equal(pings, 5);
});
