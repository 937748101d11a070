import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explain } from '../../../public/js/errors.js';

const said = (status, error, retryAfter) => explain(status, { error }, retryAfter);

test('server errors are told in one voice, without field or service names', () => {
  const answers = [
    said(409, { message: 'that name is taken in this room right now; pick another', field: 'username' }),
    said(400, { message: "username 'Sеrver' is reserved", field: 'username' }),
    said(400, { message: 'room must be 1-40 of a-z, 0-9 and -', field: 'room' }),
    said(502, { message: 'Ably could not be reached; try again' }),
    said(401, { message: 'the session has expired; claim the name again' }),
    said(429, { message: 'too many requests; wait 7 s' }, 7),
  ];
  for (const answer of answers) {
    assert.doesNotMatch(answer, /ably|username|field|;/i, answer);
    assert.match(answer, /^[A-Z]/, answer);
    assert.match(answer, /\.$/, answer);
  }
  assert.equal(answers[5], 'Too many requests. Try again in 7 s.');
});

test('a look-alike refusal names who it is too close to, when the server says', () => {
  assert.equal(said(409, { message: 'taken', field: 'username', holder: 'Ana' }),
    "That name is too close to someone here ('Ana'). Pick another.");
  assert.doesNotMatch(said(409, { message: 'taken', field: 'username' }), /\(/);
});

test('a released name says so', () => {
  assert.equal(said(401, { reason: 'name-released' }), 'Your name was released. Pick it again.');
});
