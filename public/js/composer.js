// The message box's controller. Enter or Send submits and Shift+Enter starts a new line (the
// view's part); Send is off while there is nothing, or too much, to send; a character the server
// would refuse is named with its place and can be removed in one go; keystrokes become throttled
// typing signals; an unsent draft is kept for the room (a reload finds it again).
import { TypingNotifier } from './typing.js';
import { checkMessage, MESSAGE_MAX_LENGTH, withoutRefusedCharacters } from './validation.js';

// The counter turns amber this close to the limit.
const LENGTH_WARNING_AT = MESSAGE_MAX_LENGTH - 200;

/**
 * `view` is the box (room-view.js's ComposerView): {value, onInput(fn), onSubmit(fn), onFix(fn),
 * show({canSend, note, level, fixable}), focus()}. `drafts` keeps the text: {load(), save(text)}.
 * `onSend(text)` gets trimmed, valid text; `onTyping(isTyping)` gets the throttled signals.
 */
export function setUpComposer(view, { onSend, onTyping, drafts = { load: () => '', save() {} }, typing = null }) {
  const notifier = typing ?? new TypingNotifier(onTyping);

  function update() {
    const { length, error } = checkMessage(view.value);
    // Blank or too long shows in the count itself; any other problem is said in its place.
    const other = error !== null && length > 0 && length <= MESSAGE_MAX_LENGTH;
    view.show({
      canSend: error === null,
      note: other ? error : `${length}/${MESSAGE_MAX_LENGTH}`,
      level: other || length > MESSAGE_MAX_LENGTH ? 'over' : length >= LENGTH_WARNING_AT ? 'near' : '',
      fixable: other && withoutRefusedCharacters(view.value) !== view.value,
    });
  }

  view.onInput(() => {
    update();
    drafts.save(view.value);
    if (view.value.trim()) notifier.keystroke();
    else notifier.stop();
  });
  view.onFix(() => {
    view.value = withoutRefusedCharacters(view.value);
    drafts.save(view.value);
    update();
    view.focus();
  });
  view.onSubmit(() => {
    const { text, error } = checkMessage(view.value);
    if (error) return;
    view.value = '';
    drafts.save('');
    update();
    notifier.stop();
    onSend(text);
  });

  view.value = drafts.load() ?? '';
  update();
  view.focus();
  return {
    /** Puts text back in the box to be changed and sent again. */
    edit(text) {
      view.value = text;
      drafts.save(text);
      update();
      view.focus();
    },
  };
}
