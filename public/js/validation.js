// The server's rules for names, messages and rooms, checked here so the form can answer before
// a round trip. The server stays the authority: it also refuses look-alikes of names present in
// the room and of "server", and its messages are shown as they come. A test runs these rules and
// the server's over the same inputs, so the two stay in step.

export const USERNAME_MAX_LENGTH = 32;
export const MESSAGE_MAX_LENGTH = 2000;
export const ROOM_MAX_LENGTH = 40;
export const MAX_MARKS_PER_CHARACTER = 4;

// Control and formatting characters, line separators, lone surrogates, private-use and
// unassigned code points: never part of a name (the joiner is judged below, with emoji).
const FORBIDDEN = /(?!\u200d)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]/u;
// Characters that render as nothing, except the two emoji need: a joiner between two
// pictographs (👩‍💻) and the selector that asks for emoji presentation (❤️).
const HIDDEN = /\p{Default_Ignorable_Code_Point}/u;
const EMOJI_JOINER = /(?<=\p{Extended_Pictographic}[\uFE0F\p{Emoji_Modifier}]*)\u200D(?=\p{Extended_Pictographic})/gu;
const EMOJI_PRESENTATION = /(?<=\p{Emoji})\uFE0F/gu;
const BLANK = /[\u2800\u3164\uFFA0\u115F\u1160]/u;
const MARK = /[\p{Mn}\p{Me}]/u;
// In a message: control characters but newline and tab, lone surrogates, and the embeddings,
// overrides and isolates that reorder the text around them.
const MESSAGE_CONTROL = /(?![\n\t])[\p{Cc}\p{Cs}]/u;
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/u;
const ROOM = new RegExp(`^[a-z0-9-]{1,${ROOM_MAX_LENGTH}}$`);

// Lengths count code points, as Python's len() does, so an emoji counts once.
const lengthOf = (text) => [...text].length;
// What Python's str.strip() removes (String.prototype.trim differs on U+001C–U+001F, U+0085, U+FEFF).
const EDGE_SPACE = /^[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;
const trim = (text) => String(text ?? '').replace(EDGE_SPACE, '');

function stacksTooManyMarks(name) {
  let marks = 0;
  for (const char of name.normalize('NFD')) {
    marks = MARK.test(char) && char !== '\uFE0F' ? marks + 1 : 0;
    if (marks > MAX_MARKS_PER_CHARACTER) return true;
  }
  return false;
}

function nameProblem(name) {
  if (name === '') return 'Enter a name.';
  if (lengthOf(name) > USERNAME_MAX_LENGTH) return `Use at most ${USERNAME_MAX_LENGTH} characters.`;
  if (name.includes('*')) return 'Names cannot contain *.';
  const unexplained = name.replace(EMOJI_JOINER, '').replace(EMOJI_PRESENTATION, '');
  if (FORBIDDEN.test(name) || HIDDEN.test(unexplained) || BLANK.test(name)) return 'Use only visible characters.';
  if (stacksTooManyMarks(name)) return 'Use fewer accents on one letter.';
  if (name.normalize('NFKC').toLowerCase() === 'server') return 'That name is reserved.';
  return null;
}

export function checkUsername(raw) {
  const name = trim(raw).normalize('NFC');
  return { name, error: nameProblem(name) };
}

export function checkMessage(raw) {
  const text = trim(raw);
  const length = lengthOf(text);
  const error =
    length === 0 ? 'Type a message.'
    : length > MESSAGE_MAX_LENGTH ? `Messages are limited to ${MESSAGE_MAX_LENGTH} characters.`
    : MESSAGE_CONTROL.test(text) ? 'Remove the control characters.'
    : BIDI_CONTROL.test(text) ? 'Remove the text-direction control characters.'
    : null;
  return { text, length, error };
}

/** A room name as typed or linked, case-folded, and whether it is a valid one. */
export function checkRoom(raw) {
  const typed = trim(raw);
  const room = /^[\x00-\x7f]*$/.test(typed) ? typed.toLowerCase() : typed;
  const error = ROOM.test(room) ? null : `Room names are 1–${ROOM_MAX_LENGTH} of a–z, 0–9 and -.`;
  return { room, error };
}
