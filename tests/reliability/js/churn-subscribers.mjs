// N ably-js subscribers spread over the rooms' channels (CHURN_CHANNELS, comma-separated), each
// behind a TCP proxy that cuts connections at random. Driven by tests/reliability/test_churn.py
// over stdio: prints {"ready":true,"proxyPort":…} once every subscriber is attached (other clients
// may connect through the proxy too, and get cut alike), starts cutting when it reads the line
// "cut" (so that every subscriber starts attached), then reads one line, a JSON object of the
// message ids /api/sendMessage accepted per channel, waits until every subscriber has its room's
// (or gives up), and prints a JSON summary, with any message from another room as `foreign`.
// Edits, deletes and reactions are kept apart: each subscriber folds them into the latest state of
// each changed message (`changes`: serial -> {version, deleted, text, reactions}), which the same
// line's `expected` (what the emulator serves) is waited for.
import net from 'node:net';
import readline from 'node:readline';
import { once } from 'node:events';
import Ably from 'ably';

const realtime = new URL(process.env.ABLY_EMULATOR_URL);
const subscriberCount = Number(process.env.CHURN_SUBSCRIBERS ?? 20);
const cutEveryMs = Number(process.env.CHURN_CUT_EVERY_MS ?? 100);
const settleTimeoutMs = Number(process.env.CHURN_SETTLE_TIMEOUT_MS ?? 30000);
const channelNames = (process.env.CHURN_CHANNELS ?? 'chat').split(',');

// One proxy for all subscribers: every accepted socket pair is one client's transport.
const pairs = new Set();
const proxy = net.createServer((inbound) => {
  const outbound = net.connect(Number(realtime.port), realtime.hostname);
  const pair = { inbound, outbound };
  pairs.add(pair);
  for (const socket of [inbound, outbound]) {
    socket.on('error', () => {});
    socket.on('close', () => { pairs.delete(pair); inbound.destroy(); outbound.destroy(); });
  }
  inbound.pipe(outbound).pipe(inbound);
});
proxy.listen(0, '127.0.0.1');
await once(proxy, 'listening');

function subscribe(index) {
  const client = new Ably.Realtime({
    key: process.env.ABLY_EMULATOR_KEY,
    clientId: `subscriber-${index}`,
    endpoint: '127.0.0.1',
    port: proxy.address().port,
    tls: false,
    useBinaryProtocol: index % 2 === 0, // half msgpack, half JSON
    disableConnectivityCheck: true,
    logLevel: 0,
  });
  const channelName = channelNames[index % channelNames.length];
  const state = { client, channelName, live: [], recovered: [], seen: new Map(), discontinuities: 0 };
  const channel = client.channels.get(channelName);
  const record = (id, list) => {
    state.seen.set(id, (state.seen.get(id) ?? 0) + 1);
    list.push(id);
  };
  state.changes = {};
  channel.subscribe((message) => {
    if (!message.action || message.action === 'message.create') record(message.id, state.live);
    else noteChange(state.changes, message);
  });
  // Continuity lost (the resume window passed): fill the gap from history, skipping what we have.
  const backfill = async (change) => {
    if (change.resumed || !state.attachedOnce) return;
    state.discontinuities += 1;
    const page = await channel.history({ limit: 1000 });
    for (const message of page.items.reverse()) {
      if (!state.seen.has(message.id)) record(message.id, state.recovered);
      if (message.version?.serial !== message.serial) noteChange(state.changes, message);
      if (Object.keys(message.annotations?.summary ?? {}).length) noteChange(state.changes, { ...message, action: 'message.summary' });
    }
  };
  channel.on('attached', backfill);
  channel.on('update', backfill);
  state.ready = channel.attach().then(() => { state.attachedOnce = true; });
  return state;
}

const REACTIONS = 'reaction:distinct.v1';

/** Folds a new version (newest by version serial wins) or a summary (the latest wins) into `changes`. */
function noteChange(changes, message) {
  const known = changes[message.serial] ?? { version: null, deleted: false, text: null, reactions: {} };
  if (message.action === 'message.summary') {
    const summary = message.annotations?.summary?.[REACTIONS] ?? {};
    const people = Object.entries(summary).sort().map(([emoji, { clientIds }]) => [emoji, [...clientIds].sort()]);
    known.reactions = Object.fromEntries(people.filter(([, names]) => names.length));
  } else if (known.version === null || message.version.serial > known.version) {
    const deleted = message.action === 'message.delete';
    Object.assign(known, { version: message.version.serial, deleted, text: message.data?.text ?? null });
  }
  changes[message.serial] = known;
}

const subscribers = Array.from({ length: subscriberCount }, (_, index) => subscribe(index));
await Promise.all(subscribers.map((s) => s.ready));

console.log(JSON.stringify({ ready: true, proxyPort: proxy.address().port }));
const lines = readline.createInterface({ input: process.stdin });
await once(lines, 'line');

let cuts = 0;
const cutter = setInterval(() => {
  const all = [...pairs];
  if (all.length === 0) return;
  const victim = all[Math.floor(Math.random() * all.length)];
  victim.inbound.destroy(); // both ends close: the client sees its transport die mid-stream
  cuts += 1;
}, cutEveryMs);

const [accepted] = await once(lines, 'line');
const { accepted: acceptedIds, expected } = JSON.parse(accepted); // channel name -> ids, -> changes
clearInterval(cutter);

const sameChanges = (s) => JSON.stringify(sorted(s.changes)) === JSON.stringify(sorted(expected[s.channelName]));
const hasAll = (s) => acceptedIds[s.channelName].every((id) => s.seen.has(id)) && sameChanges(s);
const deadline = Date.now() + settleTimeoutMs;
while (!subscribers.every(hasAll) && Date.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 50));
}

const summary = subscribers.map((s) => ({
  channel: s.channelName,
  live: s.live,
  recovered: s.recovered,
  missing: acceptedIds[s.channelName].filter((id) => !s.seen.has(id)),
  foreign: [...s.seen.keys()].filter((id) => !acceptedIds[s.channelName].includes(id)),
  duplicated: [...s.seen].filter(([, count]) => count > 1).map(([id]) => id),
  discontinuities: s.discontinuities,
  changes: s.changes,
}));
console.log(JSON.stringify({ cuts, subscribers: summary }));

function sorted(changes) {
  return Object.keys(changes).sort().map((serial) => [serial, changes[serial]]);
}
subscribers.forEach((s) => s.client.close());
proxy.close();
setTimeout(() => process.exit(0), 200);
