// The Ably side of the room: one connection, the `chat` channel, presence. The page may
// subscribe, use presence and read history on `chat`, but never publish to it; chat
// messages go out through our server, typing signals ride on presence data.
import { BaseRealtime, FetchRequest, RealtimePresence, Rest, WebSocketTransport } from '../vendor/ably.mjs';
import { requestToken } from './api.js';
import { MESSAGE_CAP } from './message-log.js';

const CHANNEL_NAME = 'chat';

/**
 * Connects `username` and reports to `listener`:
 * - connectionState(state, reason): every connection state change;
 * - messages(ablyMessages): live messages, and history pages after (re)attaching;
 * - caughtUp(error): a history fetch after attaching finished (error if it failed);
 * - presenceEvent(event): each presence event, as it happens (typing signals ride on these);
 * - presence(members): the whole member list, rebuilt after each presence event.
 * Returns the controls the page needs.
 */
export function connectToChat({ username, connectionOptions, tokenRequest, listener }) {
  // Tokens come from our auth endpoint, through our own request rather than ably-js's authUrl:
  // ably-js writes the name form-encoded (a space becomes "+"), which not every server
  // decodes back into a space, while encodeURIComponent's "%20" is unambiguous. The token
  // fetched while joining is used first, so joining costs one auth request.
  let unusedTokenRequest = tokenRequest;
  const authCallback = (_tokenParams, callback) => {
    const next = unusedTokenRequest ?? requestToken(username).then((answer) => answer.tokenRequest);
    unusedTokenRequest = null;
    Promise.resolve(next).then(
      (signed) => callback(null, signed),
      (error) => callback({ message: error.message, statusCode: error.status || 401 }, null),
    );
  };
  const client = new BaseRealtime({
    ...connectionOptions,
    authCallback,
    clientId: username, // ably-js then refuses a token made out to anybody else
    plugins: { WebSocketTransport, FetchRequest, RealtimePresence, Rest },
  });
  const channel = client.channels.get(CHANNEL_NAME);

  client.connection.on((change) => listener.connectionState(change.current, change.reason));

  // The first attach, and any later one that lost continuity (resumed: false), may have
  // missed messages. untilAttach makes history end exactly where the live stream begins;
  // whatever still overlaps is dropped by message id.
  const catchUp = async () => {
    try {
      const page = await channel.history({ limit: MESSAGE_CAP, untilAttach: true });
      listener.messages(page.items.reverse());
      listener.caughtUp(null);
    } catch (error) {
      listener.caughtUp(error);
    }
  };
  const onAttach = (change) => {
    if (!change.resumed) catchUp();
  };
  channel.on('attached', onAttach);
  channel.on('update', onAttach);

  channel.subscribe('message', (message) => listener.messages([message]));

  // Subscribe before the first snapshot so no event slips between the two, then rebuild
  // from presence.get() on every event rather than patching a list by hand.
  let latestPresenceRequest = 0;
  const refreshPresence = async () => {
    const request = ++latestPresenceRequest;
    try {
      const members = await channel.presence.get();
      if (request === latestPresenceRequest) listener.presence(members);
    } catch {
      // The channel is not attached right now; the next presence event rebuilds the list.
    }
  };
  channel.presence.subscribe((event) => {
    listener.presenceEvent(event);
    refreshPresence();
  });
  refreshPresence();
  channel.presence.enter({ typing: false }).catch(() => {
    // ably-js enters again by itself once the connection is back.
  });

  return {
    setTyping(typing) {
      channel.presence.update({ typing }).catch(() => {});
    },
    /** Retries now instead of waiting for ably-js's next attempt (e.g. when the tab comes back). */
    reconnectIfDown() {
      if (['disconnected', 'suspended', 'failed'].includes(client.connection.state)) client.connect();
    },
  };
}
