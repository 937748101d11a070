// What happens to a message after it is sent: its author edits or deletes it (Ably publishes a new
// version under the same serial, action message.update or message.delete), and people react to it
// (annotations, which Ably sums up per message as message.summary). Pure: the log's entries in,
// changed entries out, so this runs under node.

export const REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🎉'];
export const REACTION_TYPE = 'reaction:distinct.v1';
export const DELETED_TEXT = 'message deleted';

/**
 * The reactions in an Ably message's summary: {emoji: {count, names}} for each emoji of ours that
 * somebody chose, or null when the summary says nothing about reactions.
 */
export function reactionsOf(message) {
  const summary = message?.annotations?.summary?.[REACTION_TYPE];
  if (!summary || typeof summary !== 'object') return null;
  const reactions = {};
  for (const emoji of REACTIONS) {
    const { total, clientIds } = summary[emoji] ?? {};
    if (Number.isInteger(total) && total > 0) {
      reactions[emoji] = { count: total, names: Array.isArray(clientIds) ? clientIds.filter((n) => typeof n === 'string') : [] };
    }
  }
  return reactions;
}

/**
 * What an Ably message says about a change of the message with its serial: {serial, reactions} for a
 * summary or a new message that carries one; {serial, version, edited, deleted, text, username, claim, reactions}
 * for a new version. Null when it is not a well-formed change of a chat message.
 */
export function changeFromAbly(message) {
  const serial = message?.serial;
  if (typeof serial !== 'string' || !serial) return null;
  if (message.action === 'message.summary') return { serial, reactions: reactionsOf(message) ?? {} };
  // A message as history shows it carries its summary.
  if (!message.action || message.action === 'message.create') {
    return { serial, reactions: reactionsOf(message) ?? {} };
  }
  if (message.action !== 'message.update' && message.action !== 'message.delete') return null;
  const data = message.data;
  if (data === null || typeof data !== 'object' || typeof data.username !== 'string') return null;
  const deleted = message.action === 'message.delete';
  if (!deleted && typeof data.text !== 'string') return null;
  return {
    serial,
    version: typeof message.version?.serial === 'string' ? message.version.serial : serial,
    edited: !deleted,
    deleted,
    text: deleted ? '' : data.text,
    username: data.username,
    claim: message.version?.metadata?.claim ?? null,
    reactions: reactionsOf(message),
  };
}

/**
 * `entry` with `change` applied: a newer version replaces the text (a delete, for good); an older one
 * changes nothing but what it knows of reactions. It keeps its id, time and place.
 */
export function applyChange(entry, change) {
  const same = JSON.stringify(change.reactions ?? {}) === JSON.stringify(entry.reactions ?? {});
  const reactions = change.reactions && !same ? change.reactions : entry.reactions;
  if (change.version === undefined || (entry.version ?? '') >= change.version || entry.deleted) {
    return reactions === entry.reactions ? entry : { ...entry, reactions };
  }
  const { edited, deleted, text, version, claim } = change;
  return { ...entry, edited: edited || Boolean(entry.edited), deleted, text, version, claim: claim ?? entry.claim, reactions };
}

/** A row for a changed message the log does not hold yet (history shows the latest version in its place). */
export function entryFromChange(message, change) {
  const timestamp = Number.isFinite(message.timestamp) ? message.timestamp : Date.parse(message.data?.date);
  if (!Number.isFinite(timestamp) || change.version === undefined) return null;
  const sentAt = Date.parse(message.data?.date);
  return applyChange({
    id: typeof message.id === 'string' ? message.id : `#serial-${change.serial}`,
    serial: change.serial,
    version: '',
    type: 'message',
    username: change.username,
    text: '',
    time: Number.isFinite(sentAt) ? sentAt : timestamp,
    timestamp,
    status: 'delivered',
  }, change);
}

/** Whether the reader (holding `claimId`) wrote `entry` and may still edit or delete it. */
export function isEditable(entry, claimId) {
  return Boolean(entry?.type === 'message' && !entry.deleted && !entry.local && typeof entry.serial === 'string'
    && entry.status === 'delivered'
    && (entry.id.startsWith(`${claimId}:`) || (entry.edited && entry.claim === claimId)));
}

/** The reader's newest message they may edit (Up-arrow in an empty composer), or null. */
export function lastEditable(entries, claimId) {
  return entries.findLast((entry) => isEditable(entry, claimId)) ?? null;
}

/** What a click on `emoji` asks the server: {reaction, remove} (a second click takes it back). */
export function toggleReaction(entry, emoji, name) {
  return { reaction: emoji, remove: Boolean(entry.reactions?.[emoji]?.names.includes(name)) };
}

/** "Ana, Bo and Cy" reacted: who, for a title and a label. */
export function describeReaction(emoji, { count, names }) {
  const who = names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names[0] ?? '';
  const others = count - names.length;
  return `${emoji} ${count}: ${who}${others > 0 ? `${who ? ' and ' : ''}${others} more` : ''}`;
}
