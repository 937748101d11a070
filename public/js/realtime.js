// The Ably side of a room: one connection, the room's channel, presence. The page may
// subscribe, use presence and read history on its room's channel, but never publish to it;
// chat messages go out through our server, typing signals ride on presence data.
import { BaseRealtime, FetchRequest, RealtimePresence, Rest, WebSocketTransport } from 'ably/modular';
import { requestToken } from './api.js';
import { watchLiveness } from './liveness.js';
import { MESSAGE_CAP } from './message-log.js';
import { channelFor } from './rooms.js';

// Losing the name (409) or the session (401 after a renewal) will not mend by retrying:
// ably-js gives up on a token request that answers 403 and fails the connection.
const FATAL_STATUSES = new Set([401, 403, 409]);

/**
 * Connects `identity`'s holder to their room and reports to `listener`:
 * - connectionState(state, reason): every connection state change;
 * - messages(ablyMessages): live messages, and history pages after (re)attaching;
 * - caughtUp(error, hasEarlier): a history fetch after attaching finished (error if it failed);
 * - responsive(answering): whether the service answers pings while ably-js says connected and the tab
 *   is in view (liveness.js);
 * - presenceEvent(event): each presence event, as it happens (typing signals ride on these);
 * - presence(members): the whole member list, rebuilt after each presence event.
 * Returns the controls the page needs.
 */
export function connectToChat({ identity, connectionOptions, tokenRequest, listener }) {
  // Tokens come from our token endpoint through our own request (not ably-js's authUrl), so
  // the session travels in a header. The token fetched while joining is used first, so
  // joining costs one token request.
  let unusedTokenRequest = tokenRequest;
  const authCallback = (_tokenParams, callback) => {
    const next = unusedTokenRequest
      ?? identity.withSession((session) => requestToken(session)).then((answer) => answer.tokenRequest);
    unusedTokenRequest = null;
    Promise.resolve(next).then(
      (signed) => callback(null, signed),
      (error) => callback({
        message: error.message,
        statusCode: FATAL_STATUSES.has(error.status) ? 403 : error.status || 401,
      }, null),
    );
  };
  const client = new BaseRealtime({
    ...connectionOptions,
    authCallback,
    clientId: identity.username, // ably-js then refuses a token made out to anybody else
    plugins: { WebSocketTransport, FetchRequest, RealtimePresence, Rest }, // Rest: channel.history()
  });
  const channel = client.channels.get(channelFor(identity.room));
  const presenceData = (typing) => ({ claim: identity.claimId, typing });

  const liveness = watchLiveness({ ping: () => client.connection.ping(), report: listener.responsive });
  client.connection.on((change) => {
    listener.connectionState(change.current, change.reason);
    liveness.setConnected(change.current === 'connected');
  });

  // The first attach, and any later one that lost continuity (resumed: false), may have
  // missed messages. History until the attach ends exactly where the live stream begins;
  // whatever still overlaps is dropped by message id.
  // The oldest page read so far: "Load earlier messages" asks ably-js for the one after it.
  let oldestPage = null;
  const catchUp = async () => {
    try {
      const page = await channel.history({ untilAttach: true, limit: MESSAGE_CAP });
      oldestPage ??= page;
      listener.messages(page.items.reverse()); // newest first from Ably
      listener.caughtUp(null, oldestPage.hasNext());
    } catch (error) {
      listener.caughtUp(error, false);
    }
  };
  const onAttach = (change) => {
    if (!change.resumed) catchUp();
  };
  channel.on('attached', onAttach);
  channel.on('update', onAttach);

  // Every name: a summary of reactions may carry none.
  channel.subscribe((message) => listener.messages([message]));

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
  // The claim's id in our presence data tells the server our own tabs from somebody else.
  channel.presence.enter(presenceData(false)).catch(() => {
    // ably-js enters again by itself once the connection is back.
  });

  return {
    /** The next older page of history: {messages (oldest first), hasEarlier}. */
    async loadEarlier() {
      const page = oldestPage?.hasNext() ? await oldestPage.next() : null;
      if (page) oldestPage = page;
      return { messages: page ? page.items.reverse() : [], hasEarlier: Boolean(page?.hasNext()) };
    },
    setTyping(typing) {
      channel.presence.update(presenceData(typing)).catch(() => {});
    },
    /** The tab was hidden or shown: pings stop while hidden; shown, a connection that is down is
     * retried now rather than at ably-js's next attempt (a backgrounded tab may have missed some). */
    setVisible(visible) {
      liveness.setVisible(visible);
      if (visible && ['disconnected', 'suspended', 'failed'].includes(client.connection.state)) client.connect();
    },
    /** Leaves the room at once: closing the connection takes us out of presence. */
    close() {
      client.close();
    },
  };
}
