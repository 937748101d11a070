// The lobby's entry: the real form, room list, storage and navigation, handed to its controllers.
import { Identity, SessionStore } from '../identity.js';
import { JoinFormView, TabMemory } from '../join-form.js';
import { chosenRoom, startLobbyPage } from '../lobby-page.js';
import { showOccupiedRooms } from '../lobby.js';
import { pathFor } from '../rooms.js';

const byId = (id) => document.getElementById(id);
const form = new JoinFormView(document, { roomProblem: () => chosenRoom(form).error });
startLobbyPage({
  form,
  store: new SessionStore(localStorage),
  tab: new TabMemory(sessionStorage),
  newIdentity: (options) => new Identity(options),
  assign: (url) => location.assign(url),
});

const roomList = {
  render(rooms) {
    byId('rooms').replaceChildren(...rooms.map(({ room, people }) => {
      const item = document.createElement('li');
      const link = document.createElement('a');
      link.href = pathFor(room);
      link.className = 'lobby__room';
      link.textContent = `#${room}`;
      const count = document.createElement('span');
      count.className = 'lobby__count';
      count.textContent = `${people} ${people === 1 ? 'person' : 'people'}`;
      item.append(link, count);
      return item;
    }));
    byId('rooms-empty').hidden = rooms.length > 0;
  },
  showProblem(text) {
    byId('rooms-error').textContent = text ?? '';
    byId('rooms-error').hidden = !text;
  },
};
const rooms = showOccupiedRooms({ view: roomList, isHidden: () => document.visibilityState === 'hidden' });
document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && rooms.visible());
