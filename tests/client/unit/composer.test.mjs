import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setUpComposer } from '../../../public/js/composer.js';
import { draftsFor } from '../../../public/js/join-form.js';
import { MemoryStorage } from './support/fakes.mjs';

/** A composer view that records what it was told, and lets the test type, submit and fix. */
function fakeView() {
  const handlers = {};
  return {
    value: '',
    shown: null,
    onInput: (fn) => { handlers.input = fn; },
    onSubmit: (fn) => { handlers.submit = fn; },
    onFix: (fn) => { handlers.fix = fn; },
    show(state) { this.shown = state; },
    focus() {},
    type(text) { this.value = text; handlers.input(); },
    submit: () => handlers.submit(),
    fix: () => handlers.fix(),
  };
}
const quietTyping = { keystroke() {}, stop() {} };

test('sends trimmed text and empties the box; blank text is not sent', () => {
  const view = fakeView();
  const sent = [];
  setUpComposer(view, { onSend: (text) => sent.push(text), typing: quietTyping });
  view.type('   ');
  assert.equal(view.shown.canSend, false);
  view.submit();
  view.type('  hello  ');
  view.submit();
  assert.deepEqual(sent, ['hello']);
  assert.equal(view.value, '');
});

test('an invisible control is named with its place and removed in one go', () => {
  const view = fakeView();
  setUpComposer(view, { onSend() {}, typing: quietTyping });
  view.type('pay\u202Egnp.exe');
  assert.equal(view.shown.canSend, false);
  assert.match(view.shown.note, /U\+202E \(character 4\)/);
  assert.equal(view.shown.fixable, true);
  view.fix();
  assert.equal(view.value, 'paygnp.exe');
  assert.equal(view.shown.canSend, true);
});

test('a draft is kept per room for the tab and comes back; sending clears it', () => {
  const storage = new MemoryStorage();
  const first = fakeView();
  setUpComposer(first, { onSend() {}, typing: quietTyping, drafts: draftsFor(storage, 'north') });
  first.type('half a thought');
  const again = fakeView();
  setUpComposer(again, { onSend() {}, typing: quietTyping, drafts: draftsFor(storage, 'north') });
  assert.equal(again.value, 'half a thought');
  assert.equal(draftsFor(storage, 'south').load(), '');
  again.submit();
  assert.equal(draftsFor(storage, 'north').load(), '');
});
