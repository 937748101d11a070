// The REST history reader (public/js/later/history.js) over a fake channel that pages as ably-js's
// PaginatedResult does: newest first, `end` inclusive.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PAGE_SIZE, readerOf } from '../../../public/js/later/history.js';

const message = (n) => ({ id: `m${n}`, timestamp: 1000 + n });

/** A channel holding messages 1..count; `asked` records every history() call and next(). */
function aChannel(count) {
  const all = Array.from({ length: count }, (_, i) => message(i + 1)).reverse(); // newest first
  const asked = [];
  const pageFrom = (items, start) => {
    const slice = items.slice(start, start + PAGE_SIZE);
    return {
      items: slice,
      hasNext: () => start + PAGE_SIZE < items.length,
      next: async () => {
        asked.push('next');
        return start + PAGE_SIZE < items.length ? pageFrom(items, start + PAGE_SIZE) : null;
      },
    };
  };
  return {
    asked,
    async history({ end = Infinity, limit }) {
      assert.equal(limit, PAGE_SIZE);
      asked.push(end === Infinity ? 'latest' : `end ${end}`);
      return pageFrom(all.filter((item) => item.timestamp <= end), 0);
    },
  };
}

test('after continuity loss it pages back until it reaches what was seen, oldest first', async () => {
  const channel = aChannel(200);
  const messages = await readerOf(channel).since(1000 + 120, 1000);
  assert.deepEqual(channel.asked, ['latest', 'next']);
  assert.equal(messages[0].id, 'm101', 'the second page reaches m120, the newest seen');
  assert.equal(messages.at(-1).id, 'm200');
});

test('after continuity loss it stops at the most the log can hold, or at the start of history', async () => {
  const channel = aChannel(500);
  assert.equal((await readerOf(channel).since(-Infinity, 120)).length, 150);
  assert.equal((await readerOf(aChannel(30)).since(-Infinity, 120)).length, 30);
});

test('"Load earlier" reads before the oldest shown, then follows the pages, down to message 1', async () => {
  const channel = aChannel(200);
  const reader = readerOf(channel);
  let before = 1000 + 151; // the live view shows 151..200
  const seen = [];
  for (;;) {
    const { messages, hasEarlier } = await reader.before(before);
    seen.push(...messages.filter((item) => item.timestamp < before));
    before = messages[0].timestamp;
    if (!hasEarlier) break;
  }
  assert.deepEqual(channel.asked, ['end 1151', 'next', 'next', 'next'], 'end is inclusive: 151 comes again');
  assert.deepEqual(new Set(seen.map((item) => item.id)), new Set(Array.from({ length: 150 }, (_, i) => `m${i + 1}`)));
});

test('"Load earlier" asks afresh when the oldest shown is not where the last page ended', async () => {
  const channel = aChannel(200);
  const reader = readerOf(channel);
  await reader.before(1000 + 151);
  await reader.before(1000 + 180); // the reader went back to the live view: older pages were let go
  assert.deepEqual(channel.asked, ['end 1151', 'end 1180']);
});
