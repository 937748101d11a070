// A room once the reader holds a name in it: the controller. It keeps the pure state (messages,
// the outbox, who is here, who is typing), feeds it from Ably and the composer, and tells its
// view what to show. The view and the Ably connection are handed in, so this runs under node.
import { sendMessage } from './api.js';
import { systemClock } from './clock.js';
import { entryFromAbly, MessageLog } from './message-log.js';
import { Outbox } from './outbox.js';
import { rosterChanges, rosterFrom } from './presence.js';
import { describeTypists, TypingTracker } from './typing.js';

export const CONNECTION_LABELS = {
  initialized: 'Connecting…',
  connecting: 'Connecting…',
  connected: 'Live',
  disconnected: 'Offline, reconnecting…',
  suspended: 'Offline for a while, still retrying…',
  closing: 'Leaving…',
  closed: 'Disconnected',
  failed: 'Connection failed',
};

/** Someone gone for less than this (a reload, a dropped connection) gets no "left" and "joined". */
export const LEAVE_GRACE_MS = 15_000;

/**
 * `identity` holds the reader's name; `connect(listener)` opens the Ably side (realtime.js's
 * connectToChat, bound to its options); `send` posts a message (api.js); `view` draws the room
 * (room-view.js); `onLost(error)` hears when the name is lost; `later()` loads the code for editing and
 * reactions (later/edit-react.js), once the room is live. Returns the room's controls.
 */
export function openRoom({
  identity, connect, view, onLost, send = sendMessage, clock = systemClock, later = () => import('./later/edit-react.js'),
}) {
  const username = identity.username;
  const log = new MessageLog();
  const typists = new TypingTracker();
  const pendingLeaves = new Map(); // name → timer of its "left" notice
  let roster = null; // null until the first snapshot, so the people already here don't "join"
  let caughtUpBefore = false;
  let connectedBefore = false;
  let ablyState = 'initialized';
  let responsive = true;
  let history = 'none'; // the "Load earlier messages" control: 'more', 'loading', 'none' or 'error'
  let unread = 0;
  let visible = true;
  let typingTimer;
  let holdTimer;
  // Edits, deletes and reactions: kept until the code for them (later/edit-react.js) is here.
  const pending = [];
  let receiveChange = (message) => pending.push(message);

  const online = () => ablyState === 'connected' && responsive;
  const render = (options = {}) => view.showMessages(log.entries, { offline: !online(), history, ...options });

  function showConnection() {
    // Connected but unanswered: as good as offline to the reader (ably-js will say so itself later).
    const state = ablyState === 'connected' && !responsive ? 'disconnected' : ablyState;
    connectedBefore ||= online();
    view.showConnection({ state, label: CONNECTION_LABELS[state] ?? state, warn: connectedBefore && !online() });
    if (roster) view.showPeople(roster, { stale: !online() });
    outbox.setOnline(online());
    render();
  }

  function showTypists() {
    clock.clearTimeout(typingTimer);
    view.showTyping(describeTypists(typists.names(username, clock.now())));
    const nextExpiry = typists.nextExpiry();
    if (nextExpiry !== null) typingTimer = clock.setTimeout(showTypists, nextExpiry - clock.now() + 20);
  }

  function showHold() {
    clock.clearTimeout(holdTimer);
    const left = Math.ceil((outbox.holdUntil - clock.now()) / 1000);
    view.showHold(outbox.size && left > 0 ? left : 0);
    if (left > 0) holdTimer = clock.setTimeout(showHold, Math.min(1000, outbox.holdUntil - clock.now()));
  }

  function deliver(entry) {
    return identity.withSession((current) => send({ session: current, id: entry.requestId, text: entry.text }));
  }

  const outbox = new Outbox({
    deliver,
    clock,
    report(entry, status, detail) {
      if (status === 'sent') log.markSent(entry.id, detail?.message);
      else if (status === 'failed') log.markFailed(entry.id, detail?.message); // a lost name is onLost's
      else if (status === 'sending') log.markSending(entry.id);
      else log.markWaiting(entry.id);
      if (status === 'held' || status === 'sent') showHold();
      render();
    },
  });

  function countUnread(entries) {
    if (visible) return;
    unread += entries.filter((entry) => entry.username !== username).length;
    view.showUnread(unread);
  }

  function noticeLeft(name) {
    pendingLeaves.delete(name);
    if (!roster?.includes(name)) {
      log.addNotice('left', { about: name, now: clock.now() });
      render();
    }
  }

  const listener = {
    connectionState(state, reason) {
      ablyState = state;
      if (state !== 'connected') responsive = true; // judged afresh on the next connection
      showConnection();
      if (state === 'failed' && reason?.statusCode === 403) onLost(reason);
    },
    responsive(answering) {
      if (answering === responsive) return;
      responsive = answering;
      showConnection();
    },
    messages(ablyMessages) {
      const added = [];
      for (const message of ablyMessages) {
        if (!message.action || message.action === 'message.create') {
          const entry = entryFromAbly(message);
          if (entry && log.receive(entry)) added.push(entry);
          else if (!entry) console.warn('Skipped a malformed chat message', message);
        }
        receiveChange(message); // a new version, a summary, or a message from history with its summary
      }
      countUnread(added);
      render();
    },
    caughtUp(error, hasEarlier, at) {
      if (!caughtUpBefore) {
        if (error) log.addNotice('Earlier messages could not be loaded.', { now: clock.now() });
        log.addNotice('Connected to chat! ⚡️', { now: clock.now(), at });
        history = hasEarlier ? 'more' : 'none';
      } else {
        log.addNotice(error ? 'Reconnected, but missed messages could not be loaded.' : 'Reconnected ⚡️',
          { now: clock.now() });
      }
      if (!caughtUpBefore) {
        later().then((code) => {
          receiveChange = code.start({ log, identity, render, pending });
        }, console.warn);
      }
      caughtUpBefore = true;
      render();
    },
    earlierExists() {
      if (history === 'none' && log.canAddEarlier) history = 'more';
      render();
    },
    presenceEvent(event) {
      // Only an update carries a fresh typing signal; entering, leaving or a sync ends any old one.
      const isTyping = event.action === 'update' && event.data?.typing === true;
      typists.update(event.connectionId, event.clientId, isTyping, clock.now());
      showTypists();
    },
    presence(members) {
      const next = rosterFrom(members);
      if (roster) {
        const { joined, left } = rosterChanges(roster, next);
        for (const name of joined.filter((who) => who !== username)) {
          if (pendingLeaves.has(name)) clock.clearTimeout(pendingLeaves.get(name)); // back within the grace
          else log.addNotice('joined', { about: name, now: clock.now() });
          pendingLeaves.delete(name);
        }
        for (const name of left.filter((who) => who !== username)) {
          pendingLeaves.set(name, clock.setTimeout(() => noticeLeft(name), LEAVE_GRACE_MS));
        }
        render();
      }
      roster = next;
      view.showPeople(roster, { stale: !online() });
    },
  };
  const session = connect(listener);

  return {
    session,
    /** The composer's valid, trimmed text: shown at once, sent when it can be, in order. */
    send(text) {
      // The server publishes the message as `<claim>:<requestId>`: knowing that id now, the
      // page recognises the message when Ably delivers it, whichever arrives first.
      const requestId = crypto.randomUUID();
      const entry = log.addOutgoing({ id: `${identity.claimId}:${requestId}`, requestId, username, text }, clock.now());
      render({ follow: true });
      outbox.add(entry);
    },
    typing: (isTyping) => session.setTyping(isTyping),
    /** A message the server refused: tried again, with the same id. */
    retry(id) {
      const entry = log.get(id);
      if (entry?.status !== 'failed') return;
      log.markWaiting(id);
      outbox.add(entry);
    },
    /** A refused message back to the composer: returns its text. */
    takeBack(id) {
      const entry = log.get(id);
      if (entry?.status !== 'failed') return null;
      log.remove(id);
      render();
      return entry.text;
    },
    async loadEarlier() {
      if ((history !== 'more' && history !== 'error') || !log.canAddEarlier) return;
      history = 'loading';
      render();
      try {
        const oldest = log.entries.find((entry) => !entry.local && entry.status === 'delivered');
        const { messages, hasEarlier } = await session.loadEarlier(oldest?.timestamp ?? clock.now());
        log.addEarlier(messages.map(entryFromAbly).filter(Boolean));
        messages.forEach(receiveChange); // their edits, deletes and reactions
        history = hasEarlier && log.canAddEarlier ? 'more' : 'none';
      } catch {
        history = 'error';
      }
      render({ keepPlace: true });
    },
    /** The tab was hidden or shown: unread messages are counted only while it is hidden. */
    setVisible(isVisible) {
      visible = isVisible;
      if (visible && unread) {
        unread = 0;
        view.showUnread(0);
      }
      session.setVisible(visible);
    },
  };
}
