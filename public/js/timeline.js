// How the conversation reads: which day a message belongs to, which messages run on under one
// name, and which parts of a text are links. Pure, so the view only draws what these decide.

/** Messages by one person this close together share one name and time. */
export const GROUP_WITHIN_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

const startOfDay = (when) => new Date(when).setHours(0, 0, 0, 0);

/** The reader's local calendar day of `when`, as a key ("2026-01-31"). */
export function dayKey(when) {
  const date = new Date(when);
  return `${date.getFullYear()}-${date.getMonth() + 1}-${date.getDate()}`;
}

/** "Today", "Yesterday", or the date in the reader's language. */
export function dayLabel(when, now = Date.now()) {
  const days = Math.round((startOfDay(now) - startOfDay(when)) / DAY_MS);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  return new Date(when).toLocaleDateString(undefined, { dateStyle: 'full' });
}

/** Whether `entry` runs on from `previous`: one person's messages, on one day, minutes apart. */
export function continues(previous, entry) {
  return Boolean(previous) && previous.type === 'message' && entry.type === 'message'
    && previous.username === entry.username && entry.status !== 'failed' && previous.status !== 'failed'
    && entry.time - previous.time < GROUP_WITHIN_MS && entry.time >= previous.time
    && dayKey(previous.time) === dayKey(entry.time);
}

// A link runs from http(s):// to the next space; closing punctuation at its end is the sentence's.
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"]+/giu;
const TRAILING = /[.,;:!?'")\]}]+$/u;

/** `text` as parts: {text} for words, {text, href} for an http(s) link. Nothing else becomes a link. */
export function linkParts(text) {
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const url = match[0].replace(TRAILING, '');
    let href;
    try {
      href = new URL(url).href;
    } catch {
      continue;
    }
    if (match.index > last) parts.push({ text: text.slice(last, match.index) });
    parts.push({ text: url, href });
    last = match.index + url.length;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  return parts;
}
