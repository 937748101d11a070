// The lobby's list of rooms with people in them, refreshed while the lobby is on screen.
import { listRooms } from './api.js';
import { pathFor } from './rooms.js';

const REFRESH_MS = 5000;

/** Keeps `list` showing the occupied rooms; returns a function that stops it. */
export function showOccupiedRooms({ list, empty, problem }) {
  let timer;
  let stopped = false;

  function render(rooms) {
    list.replaceChildren(...rooms.map(({ room, people }) => {
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
    empty.hidden = rooms.length > 0;
  }

  async function refresh() {
    if (document.visibilityState === 'hidden') {
      timer = setTimeout(refresh, REFRESH_MS); // a background tab asks again once it is looked at
      return;
    }
    try {
      render(await listRooms());
      problem.hidden = true;
    } catch (error) {
      problem.textContent = `Could not list the rooms: ${error.message}`;
      problem.hidden = false;
    }
    if (!stopped) timer = setTimeout(refresh, REFRESH_MS);
  }

  const onVisible = () => {
    if (document.visibilityState === 'visible' && !stopped) {
      clearTimeout(timer);
      refresh();
    }
  };
  document.addEventListener('visibilitychange', onVisible);
  refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
    document.removeEventListener('visibilitychange', onVisible);
  };
}
