// Editing, deleting and reacting, loaded once the room is live (the room's first script stays
// within its budget): draws the controls into each message row, and hands room.js the controller
// that applies the changes Ably delivers. User text only ever goes through textContent and value.
import { changeMessage } from '../api.js';
import { createChanges } from '../message-actions.js';
import { DELETED_TEXT, describeReaction, REACTIONS } from '../message-changes.js';

const STYLES = `
.entry__edited,.entry__text--deleted{color:var(--muted,#666);font-size:.85em}
.entry__text--deleted{font-style:italic}
.reactions{display:flex;flex-wrap:wrap;gap:.25rem;margin-top:.25rem}
.reactions button{font:inherit;font-size:.85em;border:1px solid #ccc;border-radius:1rem;background:transparent;padding:0 .5rem;cursor:pointer}
.reactions button[aria-pressed=true]{border-color:#36c;background:#e8efff}
.reactions [role=group]{display:inline-flex;gap:.1rem}
.entry__editor textarea{width:100%;font:inherit}
.entry__tools{display:flex;gap:.4rem;justify-self:start}
.entry__tool{font:inherit;font-size:.8em;border:1px solid #ccc;border-radius:1rem;background:transparent;color:inherit;padding:0 .6rem;cursor:pointer}
`;
const TOOL = { className: 'entry__tool' };

function element(doc, tag, className, text) {
  const node = doc.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(doc, change, label, extra = {}) {
  const node = element(doc, 'button', extra.className ?? 'entry__action', label);
  node.type = 'button';
  node.dataset.change = change;
  for (const [name, value] of Object.entries(extra.attributes ?? {})) node.setAttribute(name, value);
  return node;
}

// Within this distance of the end the reader counts as "at the bottom" (as message-view.js).
const BOTTOM_SLACK_PX = 48;

/**
 * Starts editing and reactions in the room: `log`, `identity` and `render()` are room.js's; `pending`
 * holds the changes that arrived before this code did. The rows message-view.js draws are decorated
 * as they appear (it draws a row afresh whenever its entry changes). Returns receive(message), which
 * changes the log and leaves drawing to the caller.
 */
export function start({ log, identity, render, pending, doc = document, post = changeMessage, ask = (q) => confirm(q) }) {
  const list = doc.getElementById('message-list');
  const scroller = doc.getElementById('messages');
  const composer = doc.querySelector('#composer textarea');
  const picking = new Set(); // ids whose reaction picker is open
  let editor = null; // {id, field}: kept across redraws, so typing survives a reaction arriving
  const changes = createChanges({ log, identity, render: () => { render(); redecorate(); }, post, ask });
  const sheet = new CSSStyleSheet(); // a stylesheet object: the page's CSP allows no inline styles
  sheet.replaceSync(STYLES);
  doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];

  function editorFor(entry) {
    if (editor?.id !== entry.id) {
      const field = element(doc, 'textarea');
      field.value = entry.text;
      field.setAttribute('aria-label', 'Edit your message');
      field.rows = Math.min(6, entry.text.split('\n').length + 1);
      editor = { id: entry.id, field };
      queueMicrotask(() => field.focus());
    }
    const form = element(doc, 'div', 'entry__editor');
    form.append(editor.field, button(doc, 'save', 'Save'), button(doc, 'cancel', 'Cancel'));
    return form;
  }

  function reactionBar(entry) {
    const bar = element(doc, 'div', 'reactions');
    for (const [emoji, reaction] of Object.entries(entry.reactions ?? {})) {
      const label = describeReaction(emoji, reaction);
      bar.append(button(doc, 'react', `${emoji} ${reaction.count}`, {
        className: 'reaction',
        attributes: {
          'data-emoji': emoji, title: label, 'aria-label': label,
          'aria-pressed': String(reaction.names.includes(identity.username)),
        },
      }));
    }
    const open = picking.has(entry.id);
    bar.append(button(doc, 'pick', open ? '×' : '☺+', {
      attributes: { 'aria-label': open ? 'Close the reactions' : 'Add a reaction', 'aria-expanded': String(open) },
    }));
    if (open) {
      const picker = element(doc, 'span');
      picker.setAttribute('role', 'group');
      picker.setAttribute('aria-label', 'Reactions');
      for (const emoji of REACTIONS) {
        picker.append(button(doc, 'react', emoji, { attributes: { 'data-emoji': emoji, 'aria-label': `React ${emoji}` } }));
      }
      bar.append(picker);
    }
    return bar;
  }

  /** Draws this code's parts of `row` afresh: what it added before goes, the text shows again. */
  function decorate(row) {
    row.querySelectorAll('[data-later]').forEach((part) => part.remove());
    const entry = log.get(row.dataset.id);
    const text = row.querySelector('.entry__text');
    if (text) text.hidden = false;
    if (!text || entry?.type !== 'message' || entry.local || !entry.serial) return;
    const parts = [];
    if (entry.deleted) {
      text.hidden = true;
      text.after(mark(element(doc, 'p', 'entry__text entry__text--deleted', DELETED_TEXT)));
    } else if (changes.editing === entry.id) {
      text.hidden = true;
      text.after(mark(editorFor(entry)));
    } else {
      if (entry.edited) text.append(mark(element(doc, 'span', 'entry__edited', ' (edited)')));
      if (changes.canEdit(entry)) {
        const tools = element(doc, 'span', 'entry__tools'); // one small row, under the text
        tools.append(button(doc, 'edit', 'Edit', TOOL), button(doc, 'delete', 'Delete', TOOL));
        parts.push(tools);
      }
    }
    const problem = changes.problem(entry.id);
    if (problem) {
      const note = element(doc, 'p', 'entry__problem', problem);
      note.setAttribute('role', 'alert');
      parts.push(note);
    }
    if (!entry.deleted && entry.status === 'delivered') parts.push(reactionBar(entry));
    row.append(...parts.map(mark));
  }

  function redecorate(rows = list.children) {
    const { scrollHeight, scrollTop, clientHeight } = scroller;
    const atBottom = scrollHeight - scrollTop - clientHeight <= BOTTOM_SLACK_PX;
    for (const row of rows) if (row.dataset.id) decorate(row);
    if (atBottom) scroller.scrollTop = scroller.scrollHeight; // as the view follows, never otherwise
    // A row drawn afresh (a reaction arrived) takes the focus with it: back onto the same control.
    if (focused && doc.activeElement === doc.body) focusIn(...focused);
  }

  const focusIn = (id, selector) => list.querySelector(`li[data-id="${CSS.escape(id)}"] ${selector}`)
    ?.focus({ preventScroll: true });
  function togglePicker(id) {
    if (!picking.delete(id)) picking.add(id);
    redecorate();
    focusIn(id, picking.has(id) ? '[role=group] button' : '[data-change=pick]');
  }
  let focused = null; // [row id, selector] of the control last focused in the list, until focus leaves it
  list.addEventListener('focusin', (event) => {
    const control = event.target.closest('button[data-change]');
    const { emoji, change } = control?.dataset ?? {};
    focused = control && [control.closest('li').dataset.id, emoji ? `[data-emoji="${emoji}"]` : `[data-change=${change}]`];
  });
  list.addEventListener('focusout', (event) => {
    queueMicrotask(() => { // the reader moved on, unless the control went with its row
      if (event.target.isConnected && !list.contains(doc.activeElement)) focused = null;
    });
  });
  new MutationObserver((records) => redecorate(records.flatMap((record) => [...record.addedNodes])))
    .observe(list, { childList: true });

  list.addEventListener('click', (event) => {
    const target = event.target.closest('button[data-change]');
    if (!target) return;
    const id = target.closest('li').dataset.id;
    const act = {
      edit: () => {
        editor = null;
        changes.startEdit(id);
      },
      delete: () => changes.remove(id),
      save: () => changes.saveEdit(id, editor?.field.value ?? ''),
      cancel: () => stopEditing(),
      pick: () => togglePicker(id),
      react: () => {
        if (picking.delete(id)) focusIn(id, '[data-change=pick]');
        changes.react(id, target.dataset.emoji);
      },
    };
    act[target.dataset.change]?.();
  });

  function stopEditing() {
    editor = null;
    changes.cancelEdit();
    composer.focus();
  }
  list.addEventListener('keydown', (event) => {
    const picker = event.key === 'Escape' && event.target.closest('[role=group]');
    if (picker) return togglePicker(picker.closest('li').dataset.id); // Esc closes it, back on its button
    if (!editor || event.target !== editor.field || event.isComposing) return;
    if (event.key === 'Escape') stopEditing();
    else if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      const { id, field } = editor;
      changes.saveEdit(id, field.value).then((saved) => saved && changes.editing !== id && composer.focus());
    }
  });
  composer.addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowUp' || composer.value !== '') return;
    editor = null;
    if (changes.editLast()) event.preventDefault();
  });

  // Every time the page is live again: what a history page then reads outranks earlier live summaries.
  const status = doc.getElementById('connection-status');
  new MutationObserver(() => status.dataset.state === 'connected' && changes.reconnected())
    .observe(status, { attributeFilter: ['data-state'] });

  for (const message of pending) changes.receive(message);
  render();
  redecorate();
  return changes.receive; // room.js draws the room after handing messages over
}

function mark(part) {
  part.dataset.later = '';
  return part;
}
