import assert from 'node:assert/strict';
import { test } from 'node:test';
import { showOccupiedRooms } from '../../../public/js/lobby.js';
import { FakeClock } from './support/fakes.mjs';

test('the room list refreshes on a timer, says when it cannot, and waits while the tab is hidden', async () => {
  const clock = new FakeClock();
  const answers = [[{ room: 'north', people: 2 }], new Error('offline'), [{ room: 'south', people: 1 }]];
  const seen = [];
  let hidden = false;
  let asked = 0;
  const view = { render: (rooms) => seen.push(rooms.map((r) => r.room).join()), showProblem: (text) => text && seen.push('problem') };
  showOccupiedRooms({
    view, clock, isHidden: () => hidden,
    listRooms: async () => { asked += 1; const next = answers.shift(); if (next instanceof Error) throw next; return next; },
  });
  await clock.advance(0);
  await clock.advance(5000);
  hidden = true;
  await clock.advance(10_000);
  assert.equal(asked, 2, 'a hidden tab does not ask');
  hidden = false;
  await clock.advance(5000);
  assert.deepEqual(seen, ['north', 'problem', 'south']);
});
