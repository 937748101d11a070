// The Ably side of a room: one connection, the room's channel, presence. The page may
// subscribe, use presence and read history on its room's channel, but never publish to it;
// chat messages go out through our server, typing signals ride on presence data.
//
// The first attach asks for the last 50 messages with the channel's `rewind` param, so the room's
// first script needs no REST client. History through REST (later/history.js, its own bundle) is
// loaded only when needed: after an attach that lost continuity, and for "Load earlier messages".
import { BaseRealtime, FetchRequest, RealtimePresence, WebSocketTransport } from 'ably/modular';
import { requestToken } from './api.js';
import { watchLiveness } from './liveness.js';
import { EARLIER_CAP, MESSAGE_CAP } from './message-log.js';
import { channelFor } from './rooms.js';

// Losing the name (409) or the session (401 after a renewal) will not mend by retrying:
// ably-js gives up on a token request that answers 403 and fails the connection.
const FATAL_STATUSES = new Set([401, 403, 409]);

/**
 * Connects `identity`'s holder to their room and reports to `listener`:
 * - connectionState(state, reason): every connection state change;
 * - messages(ablyMessages): live messages (the first attach's rewind among them), and history
 *   after an attach that lost continuity;
 * - caughtUp(error, hasEarlier, at): the first attach (at: the server's time just before it, which
 *   places the greeting after the rewound messages, whenever they arrive), or history after a later
 *   attach that lost continuity was read (error if it failed);
 * - earlierExists(): the rewind was full, so Ably may hold older messages;
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
  // ably-js then refuses a token made out to anybody else.
  const clientOptions = { ...connectionOptions, authCallback, clientId: identity.username };
  const client = new BaseRealtime({ ...clientOptions, plugins: { WebSocketTransport, FetchRequest, RealtimePresence } });
  // Ably sends a rewind on the first attach only; a resumed attach continues where it was.
  const channelName = channelFor(identity.room);
  const channel = client.channels.get(channelName, { params: { rewind: String(MESSAGE_CAP) } });
  let reader = null;
  const history = () => {
    if (!reader) {
      reader = import('./later/history.js').then((code) => code.historyReader(clientOptions, channelName));
      reader.catch(() => { reader = null; }); // a failed download is tried again next time
    }
    return reader;
  };
  const presenceData = (typing) => ({ claim: identity.claimId, typing });

  const liveness = watchLiveness({ ping: () => client.connection.ping(), report: listener.responsive });
  client.connection.on((change) => {
    listener.connectionState(change.current, change.reason);
    liveness.setConnected(change.current === 'connected');
  });

  // The first attach rewinds: the messages from before it (timestamps up to the token's, made just
  // before) arrive as live ones, and a full rewind means there may be more. A later attach that lost
  // continuity (resumed: false) may have missed messages: history is read back until it reaches
  // the newest message seen before, and whatever overlaps is dropped by message id.
  const attachedAt = tokenRequest?.timestamp;
  let attachedBefore = false;
  let rewound = new Set(); // ids of the rewound messages, until the rewind is known to be full
  let newestSeen = -Infinity;
  const see = (message) => {
    if (Number.isFinite(message.timestamp)) newestSeen = Math.max(newestSeen, message.timestamp);
  };
  const catchUp = async (seenUntil) => {
    try {
      const since = await (await history()).since(seenUntil, MESSAGE_CAP + EARLIER_CAP);
      since.forEach(see);
      listener.messages(since);
      listener.caughtUp(null, false);
    } catch (error) {
      listener.caughtUp(error, false);
    }
  };
  const onAttach = (change) => {
    if (!attachedBefore) listener.caughtUp(null, false, attachedAt);
    else if (!change.resumed) catchUp(newestSeen);
    attachedBefore = true;
  };
  channel.on('attached', onAttach);
  channel.on('update', onAttach);

  const countRewound = (message) => {
    if (!rewound || message.action === 'message.summary' || !(message.timestamp <= attachedAt)) return;
    rewound.add(message.id);
    if (rewound.size < MESSAGE_CAP) return;
    rewound = null;
    listener.earlierExists();
  };
  // Every name: a summary of reactions may carry none.
  channel.subscribe((message) => {
    countRewound(message);
    see(message);
    listener.messages([message]);
  });

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
    /** A page of the messages from before `before` (the oldest timestamp shown): {messages (oldest first), hasEarlier}. */
    async loadEarlier(before) {
      return (await history()).before(before);
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
