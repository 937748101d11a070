// The lobby, `/`: the rooms with people in them, and a form to pick a name and a room. It loads
// no ably-js: joining claims the name here, so a refusal shows on this form, then opens the
// room's page, which goes straight in with that claim (room-page.js).
import { ApiError } from './api.js';
import { Identity, SessionStore } from './identity.js';
import { JoinFormView, TabMemory } from './join-form.js';
import { showOccupiedRooms } from './lobby.js';
import { DEFAULT_ROOM, pathFor } from './rooms.js';
import { checkRoom, checkUsername } from './validation.js';

const byId = (id) => document.getElementById(id);
const store = new SessionStore(localStorage);
const tab = new TabMemory(sessionStorage);
const chosenRoom = () => checkRoom(form.roomInput.value || DEFAULT_ROOM);
const form = new JoinFormView(document, { roomProblem: () => chosenRoom().error });

async function join(rawName) {
  const { name, error } = checkUsername(rawName);
  const { room, error: roomError } = chosenRoom();
  if (error) return form.showError('username', error, { focus: true });
  if (roomError) return form.showError('room', roomError, { focus: true });
  form.setJoining(true);
  try {
    const identity = await new Identity({ room, username: name, store }).claim();
    identity.stop(); // the room's page renews the claim from here
    tab.enter(room, identity.username);
    location.assign(pathFor(room));
  } catch (failure) {
    form.setJoining(false);
    form.showError(failure instanceof ApiError && failure.field === 'room' ? 'room' : 'username', failure.message,
      { focus: true });
  }
}

form.onSubmit(join);
form.roomInput.value = DEFAULT_ROOM;
form.offer(store.lastName(), tab.takeNotice());
showOccupiedRooms({ list: byId('rooms'), empty: byId('rooms-empty'), problem: byId('rooms-error') });
