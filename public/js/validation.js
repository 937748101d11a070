// The server's rules for names, messages and rooms, checked here so the form can answer before
// a round trip. The server stays the authority: it also refuses look-alikes of names present in
// the room and of "server", and its messages are shown as they come. A test runs these rules and
// the server's over the same inputs, so the two stay in step.

export const USERNAME_MAX_LENGTH = 32;
export const MESSAGE_MAX_LENGTH = 2000;
export const MESSAGE_MAX_LINES = 40;
export const ROOM_MAX_LENGTH = 40;
export const MAX_MARKS_PER_CHARACTER = 4;
/** What a room name may be, in the reader's words (the server's 400 says the same). */
export const ROOM_RULE = `Room names are 1–${ROOM_MAX_LENGTH} of a–z, 0–9 and -.`;

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
// A thin or hair space passes for no space ("ser\u200aver"), a wide one for two.
const ODD_SPACE = /(?! )\p{Zs}/u;
// In a message: control characters but newline and tab, lone surrogates, the embeddings,
// overrides and isolates that reorder the text around them, and format characters, which
// render as nothing, but the direction marks LRM and RLM, the joiner inside an emoji and the
// tags of a subdivision flag (🏴 + gbsct + cancel tag).
const MESSAGE_CONTROL = /(?![\n\t])[\p{Cc}\p{Cs}]/u;
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/u;
const FORMAT = /(?![\u200E\u200F])\p{Cf}/u;
const FLAG_TAGS = /(?<=\u{1F3F4})[\u{E0061}-\u{E007A}]{2}[\u{E0030}-\u{E0039}\u{E0061}-\u{E007A}]{1,4}\u{E007F}/gu;
const LINE_BREAK = /[\n\u2028\u2029]/g;
const ROOM = new RegExp(`^[a-z0-9-]{1,${ROOM_MAX_LENGTH}}$`);

// Lengths count code points, as Python's len() does, so an emoji counts once.
const lengthOf = (text) => [...text].length;
// What Python's str.strip() removes (String.prototype.trim differs on U+001C–U+001F, U+0085, U+FEFF).
const SPACE = '[\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const EDGE_SPACE = new RegExp(`^${SPACE}+|${SPACE}+$`, 'g');
const LEADING_SPACE = new RegExp(`^${SPACE}*`);
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
  if (ODD_SPACE.test(name)) return 'Use only ordinary spaces.';
  if (stacksTooManyMarks(name)) return 'Use fewer accents on one letter.';
  if (name.normalize('NFKC').toLowerCase() === 'server') return 'That name is reserved.';
  return null;
}

export function checkUsername(raw) {
  const name = trim(raw).normalize('NFC');
  return { name, error: nameProblem(name) };
}

// What kind of character a message must not hold `char` is, or null.
const refusedKind = (char) => MESSAGE_CONTROL.test(char) ? 'control character'
  : BIDI_CONTROL.test(char) ? 'text-direction control'
  : FORMAT.test(char) ? 'invisible character'
  : null;

// The text's code points with the allowed format characters masked, one stand-in per code point.
const maskedCharacters = (text) =>
  [...text.replace(EMOJI_JOINER, ' ').replace(FLAG_TAGS, (tags) => 'x'.repeat(lengthOf(tags)))];

/** The first character a message must not hold, as "U+200B (character 6)", counted from 1 in the text as typed. */
function unseenCharacter(text, offset) {
  const chars = maskedCharacters(text);
  const index = chars.findIndex(refusedKind);
  if (index < 0) return null;
  const code = chars[index].codePointAt(0).toString(16).toUpperCase().padStart(4, '0');
  return `Remove the ${refusedKind(chars[index])} U+${code} (character ${index + offset}).`;
}

/** `text` without the characters a message must not hold (what the composer's "Remove" does). */
export function withoutRefusedCharacters(text) {
  const kept = [...text];
  return maskedCharacters(text).map((char, index) => (refusedKind(char) ? '' : kept[index])).join('');
}

export function checkMessage(raw) {
  const text = trim(raw);
  const length = lengthOf(text);
  const lines = (text.match(LINE_BREAK)?.length ?? 0) + 1;
  const error =
    length === 0 ? 'Type a message.'
    : length > MESSAGE_MAX_LENGTH ? `Messages are limited to ${MESSAGE_MAX_LENGTH} characters.`
    : lines > MESSAGE_MAX_LINES ? `Messages are limited to ${MESSAGE_MAX_LINES} lines.`
    : unseenCharacter(text, lengthOf(String(raw ?? '').match(LEADING_SPACE)[0]) + 1);
  return { text, length, error };
}

/** A room name as typed or linked, case-folded, and whether it is a valid one. */
export function checkRoom(raw) {
  const typed = trim(raw);
  const room = /^[\x00-\x7f]*$/.test(typed) ? typed.toLowerCase() : typed;
  const error = ROOM.test(room) ? null : ROOM_RULE;
  return { room, error };
}
