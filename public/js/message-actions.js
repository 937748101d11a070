// The controller for changing messages: the reader edits or deletes their own, and anybody
// reacts. It applies what Ably delivers (new versions, summaries) to the message log, and keeps
// which message is being edited and what went wrong. The log, the identity and the server call are
// handed in, so this runs under node; later/edit-react.js wires it to the page.
import {
  applyChange, changeFromAbly, entryFromChange, isEditable, lastEditable, toggleReaction,
} from './message-changes.js';

/**
 * `log` (MessageLog), `identity` ({username, claimId, withSession}), `render()` redraws the room,
 * `post(kind, body, session)` calls the server (api.js changeMessage), `ask(question)` confirms.
 */
export function createChanges({ log, identity, render, post, ask }) {
  let editing = null; // the id of the message being edited
  const problems = new Map(); // id → what went wrong with the last change asked of it
  // A history page (untilAttach) is read after the attach, so a live summary that reached us on this
  // connection may be newer than the one the page carries: serial → the connection it arrived on.
  let connection = 0;
  const liveSummaries = new Map();

  const find = (id) => log.get(id);
  const bySerial = (serial) => log.entries.find((entry) => entry.serial === serial);

  async function askServer(id, kind, body) {
    problems.delete(id);
    try {
      await identity.withSession((session) => post(kind, body, session));
      return true;
    } catch (error) {
      problems.set(id, error.message);
      return false;
    } finally {
      render();
    }
  }

  return {
    get editing() {
      return editing;
    },
    problem: (id) => problems.get(id) ?? null,
    canEdit: (entry) => isEditable(entry, identity.claimId),

    /**
     * A new version or a summary from Ably, live or from history (a message in its latest version, its
     * summary inside). Versions are ordered by their serials; summaries carry none, so a live one wins
     * over what a history page read on the same connection says.
     */
    receive(message) {
      const change = changeFromAbly(message);
      if (!change) return;
      if (message.action === 'message.summary') liveSummaries.set(change.serial, connection);
      else if (liveSummaries.get(change.serial) === connection) change.reactions = null;
      const known = bySerial(change.serial);
      if (known) {
        const changed = applyChange(known, change);
        // A new object in its place, live or on an older page: the view draws the row afresh.
        if (changed !== known) log.replace(changed);
        if (changed.deleted && editing === known.id) editing = null;
      } else {
        const entry = entryFromChange(message, change);
        if (entry) log.receive(entry);
      }
    },
    /** The connection is back (continuity may be lost): the next history page knows more than any live summary. */
    reconnected() {
      connection += 1;
    },

    startEdit(id) {
      if (!isEditable(find(id), identity.claimId)) return false;
      editing = id;
      render();
      return true;
    },
    /** Up-arrow in an empty composer: the reader's newest message they may edit. */
    editLast() {
      const entry = lastEditable(log.entries, identity.claimId);
      return entry ? this.startEdit(entry.id) : false;
    },
    cancelEdit() {
      editing = null;
      render();
    },
    async saveEdit(id, text) {
      const entry = find(id);
      if (!entry) return false;
      if (text.trim() === entry.text) {
        this.cancelEdit();
        return true;
      }
      const saved = await askServer(id, 'editMessage', { serial: entry.serial, message: text });
      if (saved && editing === id) this.cancelEdit();
      return saved;
    },
    async remove(id) {
      const entry = find(id);
      if (!entry || !ask('Delete this message for everyone?')) return false;
      return askServer(id, 'deleteMessage', { serial: entry.serial });
    },
    async react(id, emoji) {
      const entry = find(id);
      if (!entry?.serial || entry.deleted) return false;
      return askServer(id, 'react', { serial: entry.serial, ...toggleReaction(entry, emoji, identity.username) });
    },
  };
}
