// Draws the message log into the list and decides about scrolling: the view follows new
// messages only while the reader is at the bottom; otherwise it leaves them where they are
// reading and offers a button down to what they have not seen.
import { formatClock } from './clock.js';
import { hueFor } from './name-hue.js';

// Within this distance of the end the reader counts as "at the bottom".
const BOTTOM_SLACK_PX = 48;

function element(tag, className, text) {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(action, label) {
  const node = element('button', 'entry__action', label);
  node.type = 'button';
  node.dataset.action = action;
  return node;
}

const DELIVERY_NOTES = { sending: 'Sending…', sent: 'Sent' };

function nameTag(className, name) {
  const tag = element('span', className, name);
  tag.style.setProperty('--hue', hueFor(name));
  return tag;
}

// User text only ever goes through textContent.
function renderEntry(entry, readerName) {
  const row = element('li', `entry entry--${entry.type}`);
  row.dataset.id = entry.id;
  row.dataset.status = entry.status;
  if (entry.type === 'message' && entry.username === readerName) row.classList.add('entry--mine');

  const time = element('time', 'entry__time', formatClock(entry.time));
  time.dateTime = new Date(entry.time).toISOString();
  row.append(time);
  if (entry.type === 'message') row.append(nameTag('entry__author', entry.username));
  const text = element('p', 'entry__text', entry.text);
  // A notice about someone shows their name as a name, apart from the notice's own words, so
  // a name can never read as part of a notice ("⚠ SYSTEM: chat moved …" joined).
  if (entry.type === 'notification' && entry.username) text.prepend(nameTag('entry__subject', entry.username), ' ');
  row.append(text);

  if (entry.status === 'failed') {
    const failure = element('div', 'entry__failure');
    const problem = element('p', 'entry__problem', `Not sent: ${entry.error}`);
    problem.setAttribute('role', 'alert');
    failure.append(problem, button('retry', 'Retry'), button('edit', 'Edit'));
    row.append(failure);
  } else if (DELIVERY_NOTES[entry.status]) {
    row.append(element('span', 'entry__delivery', DELIVERY_NOTES[entry.status]));
  }
  return row;
}

export class MessageView {
  #list;
  #jumpButton;
  #readerName;
  #rows = new Map(); // entry id → { entry, row }
  #unseen = 0;

  /** `actions` handles the buttons on a failed message: { retry(id), edit(id) }. */
  constructor({ list, jumpButton, readerName, actions }) {
    this.#list = list;
    this.#jumpButton = jumpButton;
    this.#readerName = readerName;
    list.addEventListener('scroll', () => {
      if (this.#isAtBottom()) this.#setUnseen(0);
    });
    jumpButton.addEventListener('click', () => this.scrollToBottom());
    list.addEventListener('click', (event) => {
      const target = event.target.closest('button[data-action]');
      if (target) actions[target.dataset.action](target.closest('li').dataset.id);
    });
  }

  /** Shows `entries` in order. `follow` scrolls down regardless: the reader just sent something. */
  render(entries, { follow = false } = {}) {
    const stayAtBottom = follow || this.#isAtBottom();
    const current = new Set(entries.map((entry) => entry.id));
    for (const [id, { row }] of this.#rows) {
      if (!current.has(id)) {
        row.remove();
        this.#rows.delete(id);
      }
    }

    let added = 0;
    entries.forEach((entry, index) => {
      const known = this.#rows.get(entry.id);
      let row = known?.row;
      if (known?.entry !== entry) {
        const fresh = renderEntry(entry, this.#readerName);
        if (row) row.replaceWith(fresh);
        else if (!entry.local) added += 1; // this page's own notices are not news
        row = fresh;
        this.#rows.set(entry.id, { entry, row });
      }
      const occupant = this.#list.children[index];
      if (occupant !== row) this.#list.insertBefore(row, occupant ?? null);
    });

    if (stayAtBottom) this.scrollToBottom();
    else if (added) this.#setUnseen(this.#unseen + added);
  }

  scrollToBottom() {
    this.#list.scrollTop = this.#list.scrollHeight;
    this.#setUnseen(0);
  }

  #isAtBottom() {
    const { scrollHeight, scrollTop, clientHeight } = this.#list;
    return scrollHeight - scrollTop - clientHeight <= BOTTOM_SLACK_PX;
  }

  #setUnseen(count) {
    this.#unseen = count;
    this.#jumpButton.hidden = count === 0;
    this.#jumpButton.textContent = `${count} new message${count === 1 ? '' : 's'} ↓`;
  }
}
