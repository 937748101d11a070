// A room's page, `/r/<room>`: a form to pick a name, then the conversation. The name and room a
// tab is in are kept for that tab (sessionStorage), so a reload, or a join from the lobby, goes
// straight in; the claim on the name is kept per browser (see identity.js). This is the page's
// controller: its views, storage and services are handed in (main/room-page.js wires the real ones).
import { friendlyMessage } from './errors.js';
import { setUpComposer } from './composer.js';
import { openRoom } from './room.js';
import { pageFor, pathFor } from './rooms.js';
import { checkUsername } from './validation.js';

/**
 * `path`: location.pathname. `view`: the page (main/room-page.js): {form (JoinFormView), showJoin(room),
 * showRoom(name), showBadLink(typed, problem), onLeave(fn), roomView(name, actions), composerView()}.
 * `store` (SessionStore), `tab` (TabMemory), `drafts(room)` ({load, save}), `navigate` ({reload,
 * assign, replace, fixPath}), `newIdentity(options)` (an Identity), `requestToken` (api.js) and
 * `connect(options, listener)` (realtime.js's connectToChat) are its collaborators.
 * Returns {setVisible(visible), restored()} for the page's events.
 */
export function startRoomPage({ path, view, store, tab, drafts, navigate, newIdentity, requestToken, connect }) {
  const page = pageFor(path);
  const form = view.form;
  let identity = null;
  let room = null;
  let lost = false;
  let visible = true;

  /** The name is no longer ours (a renewal could not mend it): leave the room, back to the name form. */
  function lostName(error) {
    if (lost) return;
    lost = true;
    tab.leaveWithNotice(friendlyMessage(error, 'You no longer hold your name here. Pick a name again.'));
    room?.session.close();
    identity?.stop({ forget: true });
    navigate.reload();
  }

  async function join(rawName) {
    const { name, error } = checkUsername(rawName);
    if (error) return form.showError('username', error, { focus: true });
    form.setJoining(true);
    try {
      identity = await newIdentity({ room: page.room, username: name, store, onLost: lostName }).claim();
      const { tokenRequest, connectionOptions } = await identity.withSession(requestToken);
      tab.enter(page.room, identity.username);
      enterRoom({ tokenRequest, connectionOptions });
    } catch (failure) {
      identity?.stop();
      identity = null;
      tab.leave();
      form.setJoining(false);
      form.showError('username', friendlyMessage(failure), { focus: true });
    }
  }

  function enterRoom({ tokenRequest, connectionOptions }) {
    view.showRoom(identity.username);
    let composer;
    const roomView = view.roomView(identity.username, {
      retry: (id) => room.retry(id),
      edit: (id) => {
        const text = room.takeBack(id);
        if (text !== null) composer.edit(text);
      },
      earlier: () => room.loadEarlier(),
    });
    room = openRoom({
      identity,
      view: roomView,
      onLost: lostName,
      connect: (listener) => connect({ identity, connectionOptions, tokenRequest, listener }),
    });
    if (!visible) room.setVisible(false); // opened in a background tab
    composer = setUpComposer(view.composerView(), {
      onSend: (text) => room.send(text),
      onTyping: (typing) => room.typing(typing),
      drafts: drafts(page.room),
    });
  }

  view.onLeave(() => {
    tab.leave();
    room?.session.close(); // out of presence at once
    identity?.leave();
    drafts(page.room).save('');
    navigate.assign('/');
  });

  if (page.page !== 'room') {
    navigate.replace('/'); // this page only serves rooms' links
  } else if (!page.room) {
    view.showBadLink(page.typed, page.error);
  } else {
    if (path !== pathFor(page.room)) navigate.fixPath(pathFor(page.room));
    view.showJoin(page.room);
    form.onSubmit(join);
    const here = tab.place;
    if (here && here.room === page.room) {
      form.nameInput.value = here.name;
      join(here.name);
    } else {
      form.offer(store.lastName(), tab.takeNotice());
    }
  }

  return {
    /** The tab was hidden or shown (a backgrounded tab may have missed ably-js's retries). */
    setVisible(isVisible) {
      visible = isVisible;
      room?.setVisible(visible);
    },
    /** Restored from the back/forward cache: the page's connection was closed on the way out. */
    restored() {
      if (room) navigate.reload();
    },
  };
}
