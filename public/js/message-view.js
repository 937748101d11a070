// Draws the message log into the list and decides about scrolling: the view follows new
// messages only while the reader is at the bottom; otherwise it leaves them where they are
// reading and offers a button down to what they have not seen. Days get a heading, runs of one
// person's messages one name, and links are built as elements, never from HTML.
import { formatClock } from './clock.js';
import { hueFor } from './name-hue.js';
import { continues, dayKey, dayLabel, linkParts } from './timeline.js';

// Within this distance of the end the reader counts as "at the bottom".
const BOTTOM_SLACK_PX = 48;
const DELIVERY_NOTES = { sending: 'Sending…', sent: 'Sent' };
const HISTORY_LABELS = { more: 'Load earlier messages', loading: 'Loading…', error: 'Try loading again' };

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

function nameTag(className, name) {
  const tag = element('span', className, name);
  tag.style.setProperty('--hue', hueFor(name));
  return tag;
}

/** The text with its http(s) links as links that open elsewhere and vouch for nothing. */
function textWithLinks(text) {
  const paragraph = element('p', 'entry__text');
  for (const part of linkParts(text)) {
    if (!part.href) {
      paragraph.append(part.text);
      continue;
    }
    const link = element('a', 'entry__link', part.text);
    link.href = part.href;
    link.target = '_blank';
    link.rel = 'noopener noreferrer nofollow';
    paragraph.append(link);
  }
  return paragraph;
}

// User text only ever goes through textContent.
function renderEntry(entry, readerName, offline) {
  const row = element('li', `entry entry--${entry.type}`);
  row.dataset.id = entry.id;
  row.dataset.status = entry.status;
  row.tabIndex = -1; // focusable from script: the jump down lands on the newest row
  if (entry.type === 'message' && entry.username === readerName) row.classList.add('entry--mine');

  const time = element('time', 'entry__time', formatClock(entry.time));
  time.dateTime = new Date(entry.time).toISOString();
  row.append(time);
  if (entry.type === 'message') row.append(nameTag('entry__author', entry.username));
  const text = entry.type === 'message' ? textWithLinks(entry.text) : element('p', 'entry__text', entry.text);
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
  } else if (entry.status === 'waiting') {
    row.append(element('span', 'entry__delivery', offline ? 'Waiting for connection…' : 'Queued'));
  } else if (DELIVERY_NOTES[entry.status]) {
    row.append(element('span', 'entry__delivery', DELIVERY_NOTES[entry.status]));
  }
  return row;
}

function dayHeading(time) {
  const row = element('li', 'day');
  row.append(element('h2', 'day__label', dayLabel(time)));
  return row;
}

export class MessageView {
  #log;
  #list;
  #jumpButton;
  #earlierButton;
  #empty;
  #readerName;
  #rows = new Map(); // key → { entry, row, offline }
  #unseen = 0;

  /**
   * `log` scrolls, `list` holds the rows; `actions` handles the buttons: { retry(id), edit(id), earlier() }.
   */
  constructor({ log, list, jumpButton, earlierButton, empty, readerName, actions }) {
    this.#log = log;
    this.#list = list;
    this.#jumpButton = jumpButton;
    this.#earlierButton = earlierButton;
    this.#empty = empty;
    this.#readerName = readerName;
    log.addEventListener('scroll', () => {
      if (this.#isAtBottom()) this.#setUnseen(0);
    });
    jumpButton.addEventListener('click', () => {
      this.scrollToBottom();
      this.#list.lastElementChild?.focus(); // where the reader wanted to go, not <body>
    });
    earlierButton.addEventListener('click', () => actions.earlier());
    list.addEventListener('click', (event) => {
      const target = event.target.closest('button[data-action]');
      if (target) actions[target.dataset.action](target.closest('li').dataset.id);
    });
  }

  /**
   * Shows `entries` in order. `follow` scrolls down regardless (the reader just sent something);
   * `keepPlace` keeps the rows on screen where they are while older ones come in above.
   */
  render(entries, { follow = false, keepPlace = false, offline = false, history = 'none' } = {}) {
    const stayAtBottom = follow || (!keepPlace && this.#isAtBottom());
    const fromBottom = this.#log.scrollHeight - this.#log.scrollTop;
    const wanted = [];
    let previous = null;
    for (const entry of entries) {
      const day = dayKey(entry.time);
      if (entry.type === 'message' && (!previous || dayKey(previous.time) !== day)) {
        wanted.push({ key: `#day-${day}`, day: entry.time });
      }
      wanted.push({ key: entry.id, entry, runsOn: continues(previous, entry) });
      if (!entry.local) previous = entry;
    }

    const current = new Set(wanted.map((item) => item.key));
    for (const [key, { row }] of this.#rows) {
      if (!current.has(key)) {
        row.remove();
        this.#rows.delete(key);
      }
    }
    let added = 0;
    wanted.forEach(({ key, entry, day, runsOn }, index) => {
      const known = this.#rows.get(key);
      let row = known?.row;
      const stale = entry ? known?.entry !== entry || (entry.status === 'waiting' && known.offline !== offline) : !row;
      if (stale) {
        const fresh = entry ? renderEntry(entry, this.#readerName, offline) : dayHeading(day);
        if (row) row.replaceWith(fresh);
        else if (entry && !entry.local) added += 1; // this page's own notices are not news
        row = fresh;
        this.#rows.set(key, { entry, row, offline });
      }
      if (entry) row.classList.toggle('entry--continued', runsOn);
      const occupant = this.#list.children[index];
      if (occupant !== row) this.#list.insertBefore(row, occupant ?? null);
    });

    this.#empty.hidden = entries.some((entry) => entry.type === 'message');
    this.#earlierButton.hidden = history === 'none';
    this.#earlierButton.disabled = history === 'loading';
    this.#earlierButton.textContent = HISTORY_LABELS[history] ?? '';

    if (stayAtBottom) this.scrollToBottom();
    else if (keepPlace) this.#log.scrollTop = this.#log.scrollHeight - fromBottom;
    else if (added) this.#setUnseen(this.#unseen + added);
  }

  scrollToBottom() {
    this.#log.scrollTop = this.#log.scrollHeight;
    this.#setUnseen(0);
  }

  #isAtBottom() {
    const { scrollHeight, scrollTop, clientHeight } = this.#log;
    return scrollHeight - scrollTop - clientHeight <= BOTTOM_SLACK_PX;
  }

  #setUnseen(count) {
    this.#unseen = count;
    this.#jumpButton.hidden = count === 0;
    this.#jumpButton.textContent = `${count} new message${count === 1 ? '' : 's'} ↓`;
  }
}
