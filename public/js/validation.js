// The server's main rules, checked here so the form can answer before a round trip. The
// server stays the authority (it also refuses control characters in messages, for one):
// its 400 messages are shown as they come.

export const USERNAME_MAX_LENGTH = 32;
export const MESSAGE_MAX_LENGTH = 2000;

// Control and invisible formatting characters (bidi overrides, zero-width spaces), except the
// zero-width joiner that emoji sequences need.
const HIDDEN_CHARACTER = /(?!\u200d)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

// Lengths count code points, as Python's len() does, so an emoji counts once.
const lengthOf = (text) => [...text].length;

export function checkUsername(raw) {
  const name = String(raw ?? '').trim();
  const error =
    name === '' ? 'Enter a name.'
    : lengthOf(name) > USERNAME_MAX_LENGTH ? `Use at most ${USERNAME_MAX_LENGTH} characters.`
    : HIDDEN_CHARACTER.test(name) ? 'Use only visible characters.'
    : name.toLowerCase() === 'server' ? 'That name is reserved.'
    : null;
  return { name, error };
}

export function checkMessage(raw) {
  const text = String(raw ?? '').trim();
  const length = lengthOf(text);
  const error =
    length === 0 ? 'Type a message.'
    : length > MESSAGE_MAX_LENGTH ? `Messages are limited to ${MESSAGE_MAX_LENGTH} characters.`
    : null;
  return { text, length, error };
}
