// The lobby, `/`: the rooms with people in them, and a form to pick a name and a room. It loads
// no ably-js: joining claims the name here, so a refusal shows on this form, then opens the
// room's page, which goes straight in with that claim (room-page.js). This is the controller;
// main/lobby-page.js hands it the real form, storage and navigation.
import { friendlyMessage } from './errors.js';
import { DEFAULT_ROOM, pathFor } from './rooms.js';
import { checkRoom, checkUsername } from './validation.js';

/**
 * `form` (JoinFormView, its room problem from `chosenRoom`), `store` (SessionStore), `tab`
 * (TabMemory), `newIdentity(options)` (an Identity) and `assign(url)` (navigation).
 */
export function startLobbyPage({ form, store, tab, newIdentity, assign }) {
  async function join(rawName) {
    const { name, error } = checkUsername(rawName);
    const { room, error: roomError } = chosenRoom(form);
    if (error) return form.showError('username', error, { focus: true });
    if (roomError) return form.showError('room', roomError, { focus: true });
    form.setJoining(true);
    try {
      const identity = await newIdentity({ room, username: name, store }).claim();
      identity.stop(); // the room's page renews the claim from here
      tab.enter(room, identity.username);
      assign(pathFor(room));
    } catch (failure) {
      form.setJoining(false);
      form.showError(failure?.field === 'room' ? 'room' : 'username', friendlyMessage(failure), { focus: true });
    }
  }

  form.onSubmit(join);
  form.roomInput.value = DEFAULT_ROOM;
  form.offer(store.lastName(), tab.takeNotice());
}

/** The room the lobby's form asks for (the default when blank), and what is wrong with it. */
export const chosenRoom = (form) => checkRoom(form.roomInput.value || DEFAULT_ROOM);
