import assert from 'node:assert/strict';
import { test } from 'node:test';
import { continues, dayKey, dayLabel, GROUP_WITHIN_MS, linkParts } from '../../../public/js/timeline.js';

const noon = new Date(2026, 0, 15, 12).getTime();
const message = (username, time, extra = {}) => ({ type: 'message', username, time, status: 'delivered', ...extra });

test('days read as Today, Yesterday, then a date', () => {
  assert.equal(dayLabel(noon - 11 * 3600_000, noon), 'Today');
  assert.equal(dayLabel(noon - 13 * 3600_000, noon), 'Yesterday');
  const older = dayLabel(noon - 3 * 86_400_000, noon);
  assert.ok(!['Today', 'Yesterday'].includes(older) && older.includes('2026'), older);
  assert.notEqual(dayKey(noon), dayKey(noon - 86_400_000));
});

test('one person within five minutes runs on under one name; another person, a gap or a notice does not', () => {
  const first = message('Ana', noon);
  assert.equal(continues(first, message('Ana', noon + GROUP_WITHIN_MS - 1)), true);
  assert.equal(continues(first, message('Ana', noon + GROUP_WITHIN_MS)), false);
  assert.equal(continues(first, message('Bo', noon + 1000)), false);
  assert.equal(continues(null, first), false);
  assert.equal(continues({ ...first, type: 'notification' }, message('Ana', noon + 1000)), false);
  assert.equal(continues(first, message('Ana', noon + 1000, { status: 'failed' })), false);
});

test('only http(s) URLs become links, without the sentence\'s closing punctuation', () => {
  assert.deepEqual(linkParts('see https://example.com/a?b=1, then (http://x.org/y).'), [
    { text: 'see ' },
    { text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
    { text: ', then (' },
    { text: 'http://x.org/y', href: 'http://x.org/y' },
    { text: ').' },
  ]);
  for (const text of ['javascript:alert(1)', 'data:text/html,hi', 'JAVASCRIPT://%0aalert(1)', 'ftp://x.org', 'plain']) {
    assert.ok(linkParts(text).every((part) => !part.href), text);
  }
  assert.deepEqual(linkParts('a javascript:https://x.org'), [
    { text: 'a javascript:' }, { text: 'https://x.org', href: 'https://x.org/' },
  ]);
});
