// The message box. Enter or Send submits and Shift+Enter starts a new line; Send is off while
// there is nothing, or too much, to send; keystrokes become throttled typing signals.
import { TypingNotifier } from './typing.js';
import { checkMessage, MESSAGE_MAX_LENGTH } from './validation.js';

// The counter turns amber this close to the limit.
const LENGTH_WARNING_AT = MESSAGE_MAX_LENGTH - 200;

/** `onSend(text)` gets trimmed, valid text; `onTyping(isTyping)` gets the throttled signals. */
export function setUpComposer(form, { onSend, onTyping }) {
  const input = form.querySelector('textarea');
  const sendButton = form.querySelector('button[type="submit"]');
  const counter = form.querySelector('.composer__length');
  const typing = new TypingNotifier(onTyping);

  function update() {
    const { length, error } = checkMessage(input.value);
    sendButton.disabled = error !== null;
    // Blank or too long shows in the count itself; any other problem is said in its place.
    const other = error !== null && length > 0 && length <= MESSAGE_MAX_LENGTH;
    counter.textContent = other ? error : `${length}/${MESSAGE_MAX_LENGTH}`;
    counter.dataset.level = other || length > MESSAGE_MAX_LENGTH ? 'over' : length >= LENGTH_WARNING_AT ? 'near' : '';
  }

  input.addEventListener('input', () => {
    update();
    if (input.value.trim()) typing.keystroke();
    else typing.stop();
  });
  input.addEventListener('keydown', (event) => {
    // While an IME is composing, Enter picks a candidate; it must not send.
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const { text, error } = checkMessage(input.value);
    if (error) return;
    input.value = '';
    update();
    typing.stop();
    onSend(text);
  });

  update();
  input.focus();
  return {
    /** Puts text back in the box to be changed and sent again. */
    edit(text) {
      input.value = text;
      update();
      input.focus();
    },
  };
}
