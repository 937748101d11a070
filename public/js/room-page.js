// A room's page, `/r/<room>`: a form to pick a name, then the conversation. The name and room a
// tab is in are kept for that tab (sessionStorage), so a reload, or a join from the lobby, goes
// straight in; the claim on the name is kept per browser (see identity.js).
import { ApiError, requestToken } from './api.js';
import { Identity, SessionStore } from './identity.js';
import { JoinFormView, TabMemory } from './join-form.js';
import { openRoom } from './room.js';
import { pageFor, pathFor } from './rooms.js';
import { checkUsername } from './validation.js';

const byId = (id) => document.getElementById(id);
const store = new SessionStore(localStorage);
const tab = new TabMemory(sessionStorage);
const page = pageFor(location.pathname);
const form = new JoinFormView(document);
const RELEASED_NOTICE = 'Your name was released; pick it again.';
let identity = null;
let session = null;
let lost = false;

/** The name is no longer ours (a renewal could not mend it): leave the room, back to the name form. */
function lostName(error) {
  if (lost) return;
  lost = true;
  tab.leaveWithNotice(error?.reason === 'name-released'
    ? RELEASED_NOTICE : `${error?.message || 'You no longer hold your name here.'} Pick a name again.`);
  session?.close();
  identity?.stop({ forget: true });
  location.reload();
}

async function join(rawName) {
  const { name, error } = checkUsername(rawName);
  if (error) return form.showError('username', error, { focus: true });
  form.setJoining(true);
  try {
    identity = await new Identity({ room: page.room, username: name, store, onLost: lostName }).claim();
    const { tokenRequest, connectionOptions } = await identity.withSession(requestToken);
    tab.enter(page.room, identity.username);
    enterRoom();
    session = openRoom({ identity, connectionOptions, tokenRequest, onLost: lostName });
  } catch (failure) {
    identity?.stop();
    identity = null;
    tab.leave();
    form.setJoining(false);
    form.showError('username', failure.message, { focus: true });
  }
}

function enterRoom() {
  byId('join').hidden = true;
  byId('room').hidden = false;
  byId('room-status').hidden = false;
  byId('reader-name').textContent = identity.username;
}

function showJoinForm() {
  document.title = `#${page.room} · Chat ⚡️`;
  byId('join-title').textContent = `Join #${page.room}`;
  byId('room-title').textContent = `#${page.room}`;
  form.onSubmit(join);
  const here = tab.place;
  if (here && here.room === page.room) {
    form.nameInput.value = here.name;
    join(here.name);
  } else {
    form.offer(store.lastName(), tab.takeNotice());
  }
}

function showBadLink() {
  byId('join-title').textContent = 'There is no such room';
  byId('join-hint').textContent = `“${page.typed}” cannot be a room name. ${page.error} Pick a room in the lobby.`;
  byId('join-hint').classList.add('field-error');
  for (const id of ['username', 'connect']) byId(id).hidden = true;
  form.form.querySelector('label[for="username"]').hidden = true;
  const back = document.createElement('a');
  back.href = '/';
  back.textContent = 'Go to the lobby';
  back.className = 'primary-button';
  form.form.append(back);
}

byId('leave').addEventListener('click', () => {
  tab.leave();
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

if (page.page !== 'room') {
  location.replace('/'); // this page only serves rooms' links
} else if (!page.room) {
  showBadLink();
} else {
  if (location.pathname !== pathFor(page.room)) history.replaceState(null, '', pathFor(page.room));
  showJoinForm();
}
