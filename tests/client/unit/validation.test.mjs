import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  checkMessage, checkUsername, MESSAGE_MAX_LENGTH, MESSAGE_MAX_LINES, USERNAME_MAX_LENGTH,
} from '../../../public/js/validation.js';

describe('checkUsername', () => {
  test('accepts a name and trims it', () => {
    assert.deepEqual(checkUsername('  Ana  '), { name: 'Ana', error: null });
  });

  test('rejects blank names', () => {
    assert.equal(checkUsername('').error, 'Enter a name.');
    assert.equal(checkUsername(' \t ').error, 'Enter a name.');
    assert.equal(checkUsername(undefined).error, 'Enter a name.');
  });

  test('counts characters, not UTF-16 units', () => {
    assert.equal(checkUsername('🙂'.repeat(USERNAME_MAX_LENGTH)).error, null);
    assert.match(checkUsername('a'.repeat(USERNAME_MAX_LENGTH + 1)).error, /at most 32/);
  });

  test('rejects control and invisible formatting characters', () => {
    for (const hidden of ['\u0000', '\u007f', '\u0085', '\u200b', '\u202e', '\u2028']) {
      assert.equal(checkUsername(`An${hidden}a`).error, 'Use only visible characters.', JSON.stringify(hidden));
    }
  });

  test('allows the zero-width joiner inside emoji', () => {
    assert.equal(checkUsername('Ana 👩\u200d💻').error, null);
  });

  test('takes only ordinary spaces', () => {
    assert.equal(checkUsername('Ana Maria').error, null);
    for (const space of ['\u00a0', '\u2009', '\u200a', '\u3000']) {
      assert.equal(checkUsername(`ser${space}ver`).error, 'Use only ordinary spaces.', JSON.stringify(space));
    }
  });

  test('reserves "server" in any case, but not names that contain it', () => {
    assert.match(checkUsername(' SeRvEr ').error, /reserved/);
    assert.equal(checkUsername('serverless').error, null);
  });
});

describe('checkMessage', () => {
  test('trims and measures the text', () => {
    assert.deepEqual(checkMessage('  hello \n'), { text: 'hello', length: 5, error: null });
  });

  test('rejects blank text', () => {
    assert.equal(checkMessage('   ').error, 'Type a message.');
  });

  test('allows exactly the limit and rejects one more', () => {
    assert.equal(checkMessage('x'.repeat(MESSAGE_MAX_LENGTH)).error, null);
    const over = checkMessage('x'.repeat(MESSAGE_MAX_LENGTH + 1));
    assert.equal(over.length, MESSAGE_MAX_LENGTH + 1);
    assert.match(over.error, /2000/);
  });

  test('allows at most 40 lines', () => {
    assert.equal(checkMessage(Array(MESSAGE_MAX_LINES).fill('line').join('\n')).error, null);
    assert.match(checkMessage(Array(MESSAGE_MAX_LINES + 1).fill('line').join('\n')).error, /40 lines/);
  });

  test('names the hidden character and where it stands in the text as typed', () => {
    assert.equal(checkMessage('  hi\u200bthere').error, 'Remove the invisible character U+200B (character 5).');
    assert.equal(checkMessage('🙂\u{E0041}').error, 'Remove the invisible character U+E0041 (character 2).');
    assert.equal(checkMessage('abc \u202egnp').error, 'Remove the text-direction control U+202E (character 5).');
  });

  test('keeps the format characters that show: direction marks, emoji joiners, flag tags', () => {
    const scotland = '\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}';
    for (const text of ['\u200fRLM', 'me 👩\u200d💻', scotland]) {
      assert.equal(checkMessage(text).error, null, JSON.stringify(text));
    }
  });
});
