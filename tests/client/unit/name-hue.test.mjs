import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hueFor } from '../../../public/js/name-hue.js';

test('gives a name the same hue every time, within the colour wheel', () => {
  for (const name of ['Ana', 'Bo', '🙂', 'a much longer name than usual']) {
    const hue = hueFor(name);
    assert.equal(hueFor(name), hue);
    assert.ok(Number.isInteger(hue) && hue >= 0 && hue < 360);
  }
  assert.notEqual(hueFor('Ana'), hueFor('Bo'));
});
