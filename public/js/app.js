// Entry point: the name form, then the room. The name is kept for this tab only
// (sessionStorage), so a reload goes straight back into the room.
import { requestToken } from './api.js';
import { openRoom } from './room.js';
import { checkUsername } from './validation.js';

const NAME_KEY = 'chat.username';

const byId = (id) => document.getElementById(id);
const joinForm = byId('join-form');
const nameInput = byId('username');
const connectButton = byId('connect');
const nameError = byId('username-error');

let session = null;

function showNameError(message) {
  nameError.textContent = message ?? '';
  nameError.hidden = !message;
  nameInput.setAttribute('aria-invalid', String(Boolean(message)));
}

function setJoining(joining) {
  connectButton.disabled = joining;
  connectButton.textContent = joining ? 'Connecting…' : 'Connect ⚡️';
}

async function join(rawName) {
  const { name, error } = checkUsername(rawName);
  if (error) return showNameError(error);
  setJoining(true);
  try {
    const { tokenRequest, connectionOptions } = await requestToken(name);
    sessionStorage.setItem(NAME_KEY, name);
    byId('join').hidden = true;
    byId('room').hidden = false;
    byId('room-status').hidden = false;
    byId('reader-name').textContent = name;
    session = openRoom({ username: name, connectionOptions, tokenRequest });
  } catch (failure) {
    sessionStorage.removeItem(NAME_KEY);
    setJoining(false);
    showNameError(failure.message);
    nameInput.focus();
  }
}

nameInput.addEventListener('input', () => {
  const { name, error } = checkUsername(nameInput.value);
  connectButton.disabled = error !== null;
  // A blank field only disables the button; other problems are worth saying as you type.
  showNameError(name === '' ? null : error);
});
joinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  join(nameInput.value);
});

byId('leave').addEventListener('click', () => {
  sessionStorage.removeItem(NAME_KEY);
  location.reload(); // closing the page closes the Ably connection, which leaves presence
});

// A backgrounded tab may have missed ably-js's retry schedule; try at once when it is back.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') session?.reconnectIfDown();
});
// Restored from the back/forward cache, the page's connection was closed on the way out.
addEventListener('pageshow', (event) => {
  if (event.persisted && session) location.reload();
});

const rememberedName = sessionStorage.getItem(NAME_KEY);
if (rememberedName) {
  nameInput.value = rememberedName;
  join(rememberedName);
} else {
  nameInput.focus();
}
