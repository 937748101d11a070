// A room's history through ably-js's REST client, loaded only when a page needs more than the live
// stream and its rewind: after an attach that lost continuity, and for "Load earlier messages". Its
// own client (BaseRest, which includes the Rest plugin) keeps ably-js's REST half out of the room's
// first script. Pages come newest first from Ably; what this returns is oldest first.
import { BaseRest, FetchRequest } from 'ably/modular';

export const PAGE_SIZE = 50;

/**
 * A reader of `channelName`'s history: `clientOptions` are the realtime client's (the endpoint, the
 * authCallback and the clientId), so it asks the same service with the same kind of token.
 */
export function historyReader(clientOptions, channelName) {
  const rest = new BaseRest({ ...clientOptions, plugins: { FetchRequest } });
  return readerOf(rest.channels.get(channelName));
}

/** The reader over any channel with ably-js's `history(params)` (a fake one in the unit tests). */
export function readerOf(channel) {
  let earlierPage = null; // the last page "Load earlier" read: its next() continues from there

  return {
    /**
     * What was missed after continuity was lost: pages back from now until one reaches a message
     * from `seenUntil` (the newest timestamp seen before) or earlier, at most `most` messages.
     * Overlap is dropped by the log, by message id.
     */
    async since(seenUntil, most) {
      const messages = [];
      let page = await channel.history({ limit: PAGE_SIZE });
      for (;;) {
        messages.push(...page.items);
        const reached = page.items.some((message) => message.timestamp <= seenUntil);
        if (reached || messages.length >= most || !page.hasNext()) break;
        page = await page.next();
        if (!page) break;
      }
      return messages.reverse();
    },

    /** A page of the messages from before `before` (the oldest timestamp shown): {messages, hasEarlier}. */
    async before(before) {
      const continues = earlierPage?.items.at(-1)?.timestamp === before && earlierPage.hasNext();
      const page = continues ? await earlierPage.next() : await channel.history({ end: before, limit: PAGE_SIZE });
      earlierPage = page;
      return { messages: page ? [...page.items].reverse() : [], hasEarlier: Boolean(page?.hasNext()) };
    },
  };
}
