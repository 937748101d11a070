import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import {
  describeTypists,
  TYPING_IDLE_MS,
  TYPING_THROTTLE_MS,
  TYPING_TIMEOUT_MS,
  TypingNotifier,
  TypingTracker,
} from '../../../public/js/typing.js';

describe('TypingTracker', () => {
  test('shows who is typing, without the reader', () => {
    const tracker = new TypingTracker();
    tracker.update('c1', 'Bo', true, 0);
    tracker.update('c2', 'Ana', true, 0);
    tracker.update('c3', 'Me', true, 0);
    assert.deepEqual(tracker.names('Me', 0), ['Ana', 'Bo']);
  });

  test('one person typing in two tabs is one typist', () => {
    const tracker = new TypingTracker();
    tracker.update('c1', 'Ana', true, 0);
    tracker.update('c2', 'Ana', true, 0);
    assert.deepEqual(tracker.names('Me', 0), ['Ana']);
    tracker.update('c1', 'Ana', false, 0);
    assert.deepEqual(tracker.names('Me', 0), ['Ana'], 'still typing in the other tab');
  });

  test('"stopped" clears at once', () => {
    const tracker = new TypingTracker();
    tracker.update('c1', 'Ana', true, 0);
    tracker.update('c1', 'Ana', false, 10);
    assert.deepEqual(tracker.names('Me', 10), []);
    assert.equal(tracker.nextExpiry(), null);
  });

  test('a typist is forgotten after the timeout without a signal, and a new signal extends it', () => {
    const tracker = new TypingTracker();
    tracker.update('c1', 'Ana', true, 0);
    assert.equal(tracker.nextExpiry(), TYPING_TIMEOUT_MS);
    tracker.update('c1', 'Ana', true, 2000);
    assert.deepEqual(tracker.names('Me', TYPING_TIMEOUT_MS), ['Ana']);
    assert.deepEqual(tracker.names('Me', 2000 + TYPING_TIMEOUT_MS), []);
    assert.equal(tracker.nextExpiry(), null);
  });
});

describe('describeTypists', () => {
  test('says nothing, one name, two names, or "several people"', () => {
    assert.equal(describeTypists([]), '');
    assert.equal(describeTypists(['Ana']), 'Ana is typing…');
    assert.equal(describeTypists(['Ana', 'Bo']), 'Ana and Bo are typing…');
    assert.equal(describeTypists(['Ana', 'Bo', 'Cy']), 'Several people are typing…');
  });
});

describe('TypingNotifier', () => {
  let sent;
  let notifier;

  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    sent = [];
    notifier = new TypingNotifier((typing) => sent.push(typing));
  });
  afterEach(() => mock.timers.reset());

  test('signals on the first keystroke, then at most once per throttle period', () => {
    notifier.keystroke();
    for (let elapsed = 0; elapsed < TYPING_THROTTLE_MS - 100; elapsed += 100) {
      mock.timers.tick(100);
      notifier.keystroke();
    }
    assert.deepEqual(sent, [true]);
    mock.timers.tick(100);
    notifier.keystroke();
    assert.deepEqual(sent, [true, true]);
  });

  test('says it stopped after a pause in typing', () => {
    notifier.keystroke();
    mock.timers.tick(TYPING_IDLE_MS - 1);
    assert.deepEqual(sent, [true]);
    mock.timers.tick(1);
    assert.deepEqual(sent, [true, false]);
  });

  test('stop() signals once, and only after typing', () => {
    notifier.stop();
    assert.deepEqual(sent, []);
    notifier.keystroke();
    notifier.stop();
    notifier.stop();
    mock.timers.tick(TYPING_IDLE_MS);
    assert.deepEqual(sent, [true, false]);
  });

  test('keeps the receiver from timing out while typing goes on', () => {
    assert.ok(TYPING_THROTTLE_MS < TYPING_TIMEOUT_MS);
    assert.ok(TYPING_IDLE_MS < TYPING_TIMEOUT_MS);
  });
});
