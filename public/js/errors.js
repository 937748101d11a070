// What went wrong, told to the reader in one voice: the server's errors (written for developers,
// naming fields and services) become short sentences that say what to do.
import { ROOM_RULE } from './validation.js';

// The page checks names and messages by the server's own rules first (a test keeps the two in
// step), so a 400 is about what only the server knows: a name reserved for a look-alike.
/** The reader's words for an answer with `status` and error `body` from our functions. */
export function explain(status, body, retryAfterSeconds = null) {
  const error = body?.error ?? {};
  if (status === 429) return `Too many requests. Try again ${retryAfterSeconds ? `in ${retryAfterSeconds} s` : 'soon'}.`;
  if (status === 409) {
    return typeof error.holder === 'string' ? `That name is too close to someone here ('${error.holder}'). Pick another.`
      : 'That name is taken here right now. Pick another.';
  }
  if (status === 401) {
    return error.reason === 'name-released' ? 'Your name was released. Pick it again.'
      : 'Your session has ended. Join again.';
  }
  if (status === 403) return 'That is not allowed. Join again.';
  if (status === 400 && error.field === 'username') return 'That name is reserved or cannot be used. Pick another.';
  if (status === 400 && error.field === 'room') return ROOM_RULE;
  if (status === 400 && error.field === 'message') return 'This message cannot be sent as it is.';
  if (status >= 500) return 'The chat is not answering right now. Try again soon.';
  return `Something went wrong (${status}). Try again.`;
}

export const UNREACHABLE = 'Could not reach the server. Check your connection and try again.';

/** An error's text for the reader: our own ApiErrors are worded already; anything else gets `fallback`. */
export function friendlyMessage(error, fallback = 'Something went wrong. Try again.') {
  return error?.name === 'ApiError' ? error.message : fallback;
}
