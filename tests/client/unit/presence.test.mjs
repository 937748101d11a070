import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rosterChanges, rosterFrom } from '../../../public/js/presence.js';

const member = (clientId, connectionId) => ({ clientId, connectionId, action: 'present' });

test('lists each person once, however many tabs they have open', () => {
  const members = [member('bo', 'c1'), member('Ana', 'c2'), member('bo', 'c3'), member('ana', 'c4')];
  assert.deepEqual(rosterFrom(members), ['Ana', 'ana', 'bo']);
});

test('ignores members without a clientId', () => {
  assert.deepEqual(rosterFrom([member(undefined, 'c1'), member('Ana', 'c2')]), ['Ana']);
});

test('reports arrivals and departures', () => {
  assert.deepEqual(rosterChanges(['Ana', 'Bo'], ['Bo', 'Cy']), { joined: ['Cy'], left: ['Ana'] });
});

test('a second tab opening or closing is not news', () => {
  const oneTab = rosterFrom([member('Ana', 'c1')]);
  const twoTabs = rosterFrom([member('Ana', 'c1'), member('Ana', 'c2')]);
  assert.deepEqual(rosterChanges(oneTab, twoTabs), { joined: [], left: [] });
  assert.deepEqual(rosterChanges(twoTabs, oneTab), { joined: [], left: [] });
});
