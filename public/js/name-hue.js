// Each name gets its own colour, the same on every screen, so a conversation is easy to follow.
export function hueFor(name) {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.codePointAt(0)) % 360;
  return hash;
}
