// The name form both pages open with (the lobby's also asks for a room), and what a tab keeps
// between its pages in sessionStorage: the room and name it is in, and a problem to show next.
import { checkUsername } from './validation.js';

const TAB_KEY = 'chat.tab';
const NOTICE_KEY = 'chat.notice';

/** What a tab remembers across loads: where it is (so a reload goes straight back in), and a notice. */
export class TabMemory {
  #storage;

  constructor(storage) {
    this.#storage = storage;
  }

  /** {room, name} of the room this tab is in, or null. */
  get place() {
    try {
      return JSON.parse(this.#storage.getItem(TAB_KEY) ?? 'null');
    } catch {
      return null;
    }
  }

  enter(room, name) {
    this.#storage.setItem(TAB_KEY, JSON.stringify({ room, name }));
  }

  leave() {
    this.#storage.removeItem(TAB_KEY);
  }

  /** Leaves the room, with a notice for the name form the next load shows. */
  leaveWithNotice(notice) {
    this.leave();
    this.#storage.setItem(NOTICE_KEY, notice);
  }

  /** The notice left for this load, once. */
  takeNotice() {
    const notice = this.#storage.getItem(NOTICE_KEY);
    this.#storage.removeItem(NOTICE_KEY);
    return notice;
  }
}

/**
 * The form's name field, room field (the lobby's only) and Connect button in `doc`.
 * `roomProblem()` says what is wrong with the room chosen, or null.
 */
export class JoinFormView {
  #byId;

  constructor(doc, { roomProblem = () => null } = {}) {
    this.#byId = (id) => doc.getElementById(id);
    this.form = this.#byId('join-form');
    this.nameInput = this.#byId('username');
    this.roomInput = this.#byId('room-name'); // null on a room's page
    this.connectButton = this.#byId('connect');
    this.roomProblem = roomProblem;
    for (const input of [this.nameInput, this.roomInput].filter(Boolean)) {
      input.addEventListener('input', () => {
        const { name, error } = checkUsername(this.nameInput.value);
        this.connectButton.disabled = this.problem() !== null;
        // A blank field only disables the button; other problems are worth saying as you type.
        this.showError('username', name === '' ? null : error);
        if (this.roomInput) this.showError('room', this.roomInput.value === '' ? null : this.roomProblem());
      });
    }
  }

  problem() {
    return checkUsername(this.nameInput.value).error ?? this.roomProblem();
  }

  /** Calls `join(typedName)` when the form is submitted. */
  onSubmit(join) {
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      join(this.nameInput.value);
    });
  }

  /** Offers `name` (with `notice` under it, if any) and waits for the reader. */
  offer(name, notice = null) {
    this.nameInput.value = name;
    this.connectButton.disabled = this.problem() !== null;
    this.showError('username', notice);
    this.nameInput.focus();
  }

  /** Shows `message` under `field` ('username' or 'room'), or clears it; focusing the field with `focus`. */
  showError(field, message, { focus = false } = {}) {
    const input = field === 'room' ? this.roomInput : this.nameInput;
    const error = this.#byId(`${field}-error`);
    error.textContent = message ?? '';
    error.hidden = !message;
    input.setAttribute('aria-invalid', String(Boolean(message)));
    if (focus) input.focus();
  }

  setJoining(joining) {
    this.connectButton.disabled = joining;
    this.connectButton.textContent = joining ? 'Connecting…' : 'Connect ⚡️';
  }
}

/** The unsent text of a room's message box, kept for the tab (so a reload finds it again). */
export function draftsFor(storage, room) {
  const key = `chat.draft.${room}`;
  return {
    load: () => storage.getItem(key) ?? '',
    save: (text) => (text ? storage.setItem(key, text) : storage.removeItem(key)),
  };
}
