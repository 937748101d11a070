// The lobby's list of rooms with people in them, refreshed while the lobby is on screen. The
// view, the request and the clock are handed in (main/lobby-page.js wires the real ones).
import { listRooms as fetchRooms } from './api.js';

const REFRESH_MS = 5000;

/**
 * Keeps `view` ({render(rooms), showProblem(text or null)}) showing the occupied rooms. `isHidden()`
 * says whether the tab is hidden; the caller reports its return to `visible()`. Returns {visible, stop}.
 */
export function showOccupiedRooms({ view, isHidden, listRooms = fetchRooms, clock = globalThis }) {
  let timer;
  let stopped = false;

  async function refresh() {
    if (isHidden()) {
      timer = clock.setTimeout(refresh, REFRESH_MS); // a background tab asks again once it is looked at
      return;
    }
    try {
      view.render(await listRooms());
      view.showProblem(null);
    } catch (error) {
      view.showProblem(`Could not list the rooms. ${error.message}`);
    }
    if (!stopped) timer = clock.setTimeout(refresh, REFRESH_MS);
  }

  refresh();
  return {
    /** The tab is looked at again: refresh at once. */
    visible() {
      if (stopped) return;
      clock.clearTimeout(timer);
      refresh();
    },
    stop() {
      stopped = true;
      clock.clearTimeout(timer);
    },
  };
}
