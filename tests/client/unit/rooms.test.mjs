import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { channelFor, DEFAULT_ROOM, pageFor, pathFor } from '../../../public/js/rooms.js';

describe('rooms', () => {
  test('each room has its own channel; the default room keeps the seed channel', () => {
    assert.equal(channelFor(DEFAULT_ROOM), 'chat');
    assert.equal(channelFor('team-a'), 'chat:team-a');
  });

  test('the root is the lobby, /r/<room> a room, case-folded', () => {
    assert.deepEqual(pageFor('/'), { page: 'lobby' });
    assert.deepEqual(pageFor('/r/team-a'), { page: 'room', room: 'team-a' });
    assert.deepEqual(pageFor('/r/Team-A/'), { page: 'room', room: 'team-a' });
    assert.equal(pathFor('team-a'), '/r/team-a');
  });

  test('a link to a room that cannot exist says why', () => {
    for (const path of ['/r/', '/r/a%20b', '/r/chat%3Ax', '/r/%5Bmeta%5D', '/r/..', '/r/%E2%84%AAitchen', '/r/%ZZ',
      `/r/${'x'.repeat(41)}`]) {
      const page = pageFor(path);
      assert.equal(page.page, 'room', path);
      assert.equal(page.room, null, path);
      assert.match(page.error, /a–z, 0–9 and -/, path);
    }
  });
});
