// A room once the reader holds a name in it: it keeps the pure state (messages, who is here,
// who is typing), feeds it from Ably and the composer, and keeps the page in step.
import { sendMessage } from './api.js';
import { setUpComposer } from './composer.js';
import { entryFromAbly, MessageLog } from './message-log.js';
import { MessageView } from './message-view.js';
import { hueFor } from './name-hue.js';
import { rosterChanges, rosterFrom } from './presence.js';
import { connectToChat } from './realtime.js';
import { describeTypists, TypingTracker } from './typing.js';

const CONNECTION_LABELS = {
  initialized: 'Connecting…',
  connecting: 'Connecting…',
  connected: 'Live',
  disconnected: 'Offline, reconnecting…',
  suspended: 'Offline for a while, still retrying…',
  closing: 'Leaving…',
  closed: 'Disconnected',
  failed: 'Connection failed',
};

const byId = (id) => document.getElementById(id);

/** `identity` holds the reader's name in the room; `onLost(error)` hears when it is lost. */
export function openRoom({ identity, connectionOptions, tokenRequest, onLost }) {
  const username = identity.username;
  const log = new MessageLog();
  const typists = new TypingTracker();
  let roster = null; // null until the first snapshot, so the people already here don't "join"
  let caughtUpBefore = false;
  let typingTimer;

  const status = byId('connection-status');
  const statusLabel = byId('connection-label');
  const reconnectButton = byId('reconnect');
  const people = byId('people');
  const typingLine = byId('typing');

  const view = new MessageView({
    list: byId('messages'),
    jumpButton: byId('jump'),
    readerName: username,
    actions: { retry, edit },
  });
  const render = (options) => view.render(log.entries, options);

  function showConnection(state, reason) {
    status.dataset.state = state;
    statusLabel.textContent = CONNECTION_LABELS[state] ?? state;
    status.title = reason?.message ?? '';
    reconnectButton.hidden = state !== 'failed';
  }

  function showRoster() {
    people.replaceChildren(
      ...roster.map((name) => {
        const item = document.createElement('li');
        const label = document.createElement('span');
        label.className = 'people__name';
        label.textContent = name;
        item.append(label);
        item.style.setProperty('--hue', hueFor(name));
        if (name === username) item.classList.add('is-you');
        return item;
      }),
    );
    const count = `${roster.length}`;
    byId('people-count').textContent = count;
    byId('online-count').textContent = `${count} online`;
  }

  function showTypists() {
    clearTimeout(typingTimer);
    typingLine.textContent = describeTypists(typists.names(username));
    const nextExpiry = typists.nextExpiry();
    if (nextExpiry !== null) typingTimer = setTimeout(showTypists, nextExpiry - Date.now() + 20);
  }

  const session = connectToChat({
    identity,
    connectionOptions,
    tokenRequest,
    listener: {
      connectionState(state, reason) {
        showConnection(state, reason);
        if (state === 'failed' && reason?.statusCode === 403) onLost(reason);
      },
      messages(ablyMessages) {
        for (const message of ablyMessages) {
          const entry = entryFromAbly(message);
          if (entry) log.receive(entry);
          else console.warn('Skipped a malformed chat message', message);
        }
        render();
      },
      caughtUp(error) {
        if (!caughtUpBefore) {
          if (error) log.addNotice('Earlier messages could not be loaded.');
          log.addNotice('Connected to chat! ⚡️');
        } else {
          log.addNotice(error ? 'Reconnected, but missed messages could not be loaded.' : 'Reconnected ⚡️');
        }
        caughtUpBefore = true;
        render();
      },
      presenceEvent(event) {
        // Only an update carries a fresh typing signal; entering, leaving or a sync ends any old one.
        const isTyping = event.action === 'update' && event.data?.typing === true;
        typists.update(event.connectionId, event.clientId, isTyping);
        showTypists();
      },
      presence(members) {
        const next = rosterFrom(members);
        if (roster) {
          const { joined, left } = rosterChanges(roster, next);
          for (const name of joined) if (name !== username) log.addNotice('joined', { about: name });
          for (const name of left) if (name !== username) log.addNotice('left', { about: name });
          render();
        }
        roster = next;
        showRoster();
      },
    },
  });
  reconnectButton.addEventListener('click', () => session.reconnectIfDown());

  const composer = setUpComposer(byId('composer'), {
    onSend(text) {
      // The server publishes the message as `<claim>:<requestId>`: knowing that id now, the
      // page recognises the message when Ably delivers it, whichever arrives first.
      const requestId = crypto.randomUUID();
      const entry = log.addOutgoing({ id: `${identity.claimId}:${requestId}`, requestId, username, text });
      render({ follow: true });
      deliver(entry);
    },
    onTyping: (typing) => session.setTyping(typing),
  });

  async function deliver(entry) {
    try {
      const answer = await identity.withSession((current) =>
        sendMessage({ session: current, id: entry.requestId, text: entry.text }));
      log.markSent(entry.id, answer?.message);
    } catch (error) {
      log.markFailed(entry.id, error.message); // a lost name is the identity's to report (onLost)
    }
    render();
  }

  function retry(id) {
    const entry = log.get(id);
    if (!entry) return;
    log.markSending(id);
    render();
    deliver(entry); // the same id: if an earlier attempt did get through, it is still published once
  }

  function edit(id) {
    const entry = log.get(id);
    if (!entry) return;
    log.remove(id);
    render();
    composer.edit(entry.text);
  }

  return session;
}
