import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatClock } from '../../../public/js/clock.js';

test('formats local time as HH:mm:ss with leading zeros', () => {
  assert.equal(formatClock(new Date(2026, 0, 2, 3, 4, 5)), '03:04:05');
  assert.equal(formatClock(new Date(2026, 0, 2, 23, 59, 9).getTime()), '23:59:09');
});

test('accepts ISO-8601 strings', () => {
  const iso = new Date(2026, 5, 1, 14, 30, 0).toISOString();
  assert.equal(formatClock(iso), '14:30:00');
});

test('shows a placeholder for an unreadable time', () => {
  assert.equal(formatClock('not a date'), '--:--:--');
  assert.equal(formatClock(undefined), '--:--:--');
});
