// The room page's entry: the real views, storage, services and events, handed to its controller.
import { requestToken } from '../api.js';
import { Identity, SessionStore } from '../identity.js';
import { draftsFor, JoinFormView, TabMemory } from '../join-form.js';
import { connectToChat } from '../realtime.js';
import { startRoomPage } from '../room-page.js';
import { ComposerView, RoomView } from '../room-view.js';

const byId = (id) => document.getElementById(id);
const show = (ids, visible) => ids.forEach((id) => { byId(id).hidden = !visible; });
let title = document.title;

const view = {
  form: new JoinFormView(document),
  showJoin(room) {
    title = `#${room} · Chat ⚡️`;
    document.title = title;
    byId('join-title').textContent = `Join #${room}`;
    byId('room-title').textContent = `#${room}`;
  },
  showRoom(name) {
    show(['join'], false);
    show(['room', 'room-status'], true);
    byId('reader-name').textContent = name;
  },
  showBadLink(typed, problem) {
    byId('join-title').textContent = 'There is no such room';
    byId('join-hint').textContent = `“${typed}” cannot be a room name. ${problem} Pick a room in the lobby.`;
    byId('join-hint').classList.add('field-error');
    show(['username', 'connect', 'username-label'], false);
    show(['to-lobby'], true);
  },
  onLeave: (handler) => byId('leave').addEventListener('click', handler),
  roomView: (readerName, actions) => new RoomView(document, { readerName, title, actions }),
  composerView: () => new ComposerView(byId('composer')),
};

const page = startRoomPage({
  path: location.pathname,
  view,
  store: new SessionStore(localStorage),
  tab: new TabMemory(sessionStorage),
  drafts: (room) => draftsFor(sessionStorage, room),
  navigate: {
    reload: () => location.reload(),
    assign: (url) => location.assign(url),
    replace: (url) => location.replace(url),
    fixPath: (url) => history.replaceState(null, '', url),
  },
  newIdentity: (options) => new Identity(options),
  requestToken,
  connect: connectToChat,
});
const onVisibility = () => page.setVisible(document.visibilityState === 'visible');
onVisibility();
document.addEventListener('visibilitychange', onVisibility);
addEventListener('pageshow', (event) => event.persisted && page.restored());
