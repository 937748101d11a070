// Entry point. `/` is the lobby: the rooms with people in them, and a form to pick a name and
// a room. `/r/<room>` is a room: the same form without the room field, then the conversation.
// The name and room a tab is in are kept for that tab (sessionStorage), so a reload goes
// straight back in; the claim on the name is kept per browser (see identity.js).
import { ApiError, requestToken } from './api.js';
import { Identity, SessionStore } from './identity.js';
import { showOccupiedRooms } from './lobby.js';
import { openRoom } from './room.js';
import { DEFAULT_ROOM, pageFor, pathFor } from './rooms.js';
import { checkRoom, checkUsername } from './validation.js';

const TAB_KEY = 'chat.tab';
const NOTICE_KEY = 'chat.notice'; // a problem to show once the page has loaded again

const byId = (id) => document.getElementById(id);
const joinForm = byId('join-form');
const nameInput = byId('username');
const roomInput = byId('room-name');
const connectButton = byId('connect');

const store = new SessionStore(localStorage);
const page = pageFor(location.pathname);
let stopListingRooms = () => {};
let identity = null;
let session = null;

function showError(id, input, message) {
  const error = byId(id);
  error.textContent = message ?? '';
  error.hidden = !message;
  input.setAttribute('aria-invalid', String(Boolean(message)));
}

function setJoining(joining) {
  connectButton.disabled = joining;
  connectButton.textContent = joining ? 'Connecting…' : 'Connect ⚡️';
}

function chosenRoom() {
  return page.page === 'room' ? { room: page.room, error: null } : checkRoom(roomInput.value || DEFAULT_ROOM);
}

function formProblem() {
  return checkUsername(nameInput.value).error ?? chosenRoom().error;
}

/** The name is no longer ours (the session could not be renewed): start again from the form. */
function lostName(error) {
  sessionStorage.removeItem(TAB_KEY);
  sessionStorage.setItem(NOTICE_KEY, `${error?.message || 'You no longer hold your name here.'} Pick a name again.`);
  identity?.stop({ forget: true });
  location.reload();
}

async function join(rawName) {
  const { name, error } = checkUsername(rawName);
  const { room, error: roomError } = chosenRoom();
  if (error) return showError('username-error', nameInput, error);
  if (roomError) return showError('room-error', roomInput, roomError);
  setJoining(true);
  try {
    identity = await new Identity({ room, username: name, store, onLost: lostName }).claim();
    const { tokenRequest, connectionOptions } = await requestToken(identity.session);
    sessionStorage.setItem(TAB_KEY, JSON.stringify({ room, name: identity.username }));
    if (location.pathname !== pathFor(room)) history.pushState(null, '', pathFor(room));
    enterRoom(room);
    session = openRoom({ identity, connectionOptions, tokenRequest, onLost: lostName });
  } catch (failure) {
    identity?.stop();
    identity = null;
    sessionStorage.removeItem(TAB_KEY);
    setJoining(false);
    const field = failure instanceof ApiError && failure.field === 'room' ? ['room-error', roomInput] : ['username-error', nameInput];
    showError(...field, failure.message);
    field[1].focus();
  }
}

function enterRoom(room) {
  stopListingRooms();
  document.title = `#${room} · Chat ⚡️`;
  byId('room-title').textContent = `#${room}`;
  byId('room-title').hidden = false;
  byId('join').hidden = true;
  byId('room').hidden = false;
  byId('room-status').hidden = false;
  byId('reader-name').textContent = identity.username;
}

function showJoinForm() {
  if (page.page === 'room') {
    document.title = `#${page.room} · Chat ⚡️`;
    byId('join-title').textContent = `Join #${page.room}`;
    byId('join-hint').textContent = 'Pick a name. Everyone in the room sees it next to what you write.';
    byId('room-field').hidden = true;
    byId('room-title').textContent = `#${page.room}`;
    byId('room-title').hidden = false;
  } else {
    roomInput.value = DEFAULT_ROOM;
    byId('lobby').hidden = false;
    stopListingRooms = showOccupiedRooms({ list: byId('rooms'), empty: byId('rooms-empty'), problem: byId('rooms-error') });
  }
}

function showBadLink() {
  byId('join-title').textContent = 'There is no such room';
  byId('join-hint').textContent = `“${page.typed}” cannot be a room name. ${page.error} Pick a room in the lobby.`;
  byId('join-hint').classList.add('field-error');
  for (const id of ['username', 'connect', 'room-field']) byId(id).hidden = true;
  joinForm.querySelector('label[for="username"]').hidden = true;
  const back = document.createElement('a');
  back.href = '/';
  back.textContent = 'Go to the lobby';
  back.className = 'primary-button';
  joinForm.append(back);
}

for (const input of [nameInput, roomInput]) {
  input.addEventListener('input', () => {
    const { name, error } = checkUsername(nameInput.value);
    connectButton.disabled = formProblem() !== null;
    // A blank field only disables the button; other problems are worth saying as you type.
    showError('username-error', nameInput, name === '' ? null : error);
    showError('room-error', roomInput, page.page === 'room' || roomInput.value === '' ? null : chosenRoom().error);
  });
}
joinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  join(nameInput.value);
});

byId('leave').addEventListener('click', () => {
  sessionStorage.removeItem(TAB_KEY);
  session?.close(); // out of presence at once
  identity?.leave();
  location.assign('/');
});

// A backgrounded tab may have missed ably-js's retry schedule; try at once when it is back.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') session?.reconnectIfDown();
});
// Restored from the back/forward cache, the page's connection was closed on the way out.
addEventListener('pageshow', (event) => {
  if (event.persisted && session) location.reload();
});
// Back from a room to the lobby (or forward again) loads that page afresh.
addEventListener('popstate', () => location.reload());

if (page.page === 'room' && !page.room) {
  showBadLink();
} else {
  if (page.page === 'room' && location.pathname !== pathFor(page.room)) history.replaceState(null, '', pathFor(page.room));
  showJoinForm();
  const tab = JSON.parse(sessionStorage.getItem(TAB_KEY) ?? 'null');
  if (tab && page.page === 'room' && tab.room === page.room) {
    nameInput.value = tab.name;
    join(tab.name);
  } else {
    nameInput.value = store.lastName();
    connectButton.disabled = formProblem() !== null;
    showError('username-error', nameInput, sessionStorage.getItem(NOTICE_KEY));
    sessionStorage.removeItem(NOTICE_KEY);
    nameInput.focus();
  }
}
