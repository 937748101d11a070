// The room's views: what room.js and composer.js decide, drawn into room.html's elements.
import { MessageView } from './message-view.js';
import { hueFor } from './name-hue.js';

/** The room's header, banner, people, typing line, hold notice and messages in `doc`. */
export class RoomView {
  #byId;
  #title;
  #messages;

  /** `actions`: {retry(id), edit(id), earlier()}, the buttons in the log. */
  constructor(doc, { readerName, title, actions }) {
    this.#byId = (id) => doc.getElementById(id);
    this.doc = doc;
    this.readerName = readerName;
    this.#title = title;
    this.#messages = new MessageView({
      log: this.#byId('messages'),
      list: this.#byId('message-list'),
      jumpButton: this.#byId('jump'),
      earlierButton: this.#byId('earlier'),
      empty: this.#byId('empty'),
      readerName,
      actions,
    });
  }

  /** `warn`: the connection was up and is not now, which the banner says. */
  showConnection({ state, label, warn }) {
    this.#byId('connection-status').dataset.state = state;
    this.#byId('connection-label').textContent = label;
    this.#byId('reconnect').hidden = state !== 'failed';
    const banner = this.#byId('offline-banner');
    banner.hidden = !warn;
    banner.textContent = `${label} Messages wait here until it is back.`;
  }

  showPeople(names, { stale }) {
    this.#byId('people').replaceChildren(...names.map((name) => {
      const item = this.doc.createElement('li');
      const label = this.doc.createElement('span');
      label.className = 'people__name';
      label.textContent = name;
      item.append(label);
      item.style.setProperty('--hue', hueFor(name));
      if (name === this.readerName) item.classList.add('is-you');
      return item;
    }));
    this.#byId('people-count').textContent = `${names.length}`;
    this.#byId('online-count').textContent = `${names.length} online`;
    this.#byId('people-panel').classList.toggle('is-stale', stale);
    this.#byId('people-stale').hidden = !stale;
  }

  showTyping(text) {
    this.#byId('typing').textContent = text;
  }

  showMessages(entries, options) {
    this.#messages.render(entries, options);
  }

  /** A rate limit holds the queue for `seconds` more (0: it does not). */
  showHold(seconds) {
    const hold = this.#byId('hold');
    hold.hidden = seconds === 0;
    hold.textContent = `Too many at once: the next goes in ${seconds} s.`;
  }

  showUnread(count) {
    this.doc.title = count ? `(${count}) ${this.#title}` : this.#title;
  }
}

/** The message box in `form`, for composer.js. */
export class ComposerView {
  #input;
  #send;
  #note;
  #fix;

  constructor(form) {
    this.form = form;
    this.#input = form.querySelector('textarea');
    this.#send = form.querySelector('button[type="submit"]');
    this.#note = form.querySelector('.composer__length');
    this.#fix = form.querySelector('.composer__fix');
    this.#input.addEventListener('keydown', (event) => {
      // While an IME is composing, Enter picks a candidate; it must not send.
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
  }

  get value() {
    return this.#input.value;
  }

  set value(text) {
    this.#input.value = text;
  }

  onInput(handler) {
    this.#input.addEventListener('input', handler);
  }

  onSubmit(handler) {
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      handler();
    });
  }

  onFix(handler) {
    this.#fix.addEventListener('click', handler);
  }

  show({ canSend, note, level, fixable }) {
    this.#send.disabled = !canSend;
    this.#note.textContent = note;
    this.#note.dataset.level = level;
    this.#fix.hidden = !fixable;
    this.#input.setAttribute('aria-invalid', String(level === 'over'));
  }

  focus() {
    this.#input.focus();
  }
}
