// LOAD_CONNECTIONS ably-js connections subscribed to `chat`, opened LOAD_BATCH at a time and held
// with protocol heartbeats every LOAD_HEARTBEAT_MS. Driven by tests/reliability/test_load.py over
// stdio: prints {"ready":true} once every connection is attached, then reads one line, the JSON list
// of message ids that were published, waits until every connection has them all (or gives up), and
// prints a JSON summary.
import readline from 'node:readline';
import { once } from 'node:events';
import Ably from 'ably';

const emulator = new URL(process.env.ABLY_EMULATOR_URL);
const connectionCount = Number(process.env.LOAD_CONNECTIONS ?? 100);
const batchSize = Number(process.env.LOAD_BATCH ?? 50);
const heartbeatMs = Number(process.env.LOAD_HEARTBEAT_MS ?? 1000);
const settleTimeoutMs = Number(process.env.LOAD_SETTLE_TIMEOUT_MS ?? 60000);

// Delivery latency, from the `date` sendMessage stamped to arrival here, as a histogram of whole ms.
const latencyHistogram = new Map();
// Per message id, when its last copy arrived in this process (the end of its fan-out).
const lastArrival = new Map();

function open(index) {
  const client = new Ably.Realtime({
    key: process.env.ABLY_EMULATOR_KEY,
    clientId: `load-${process.pid}-${index}`,
    endpoint: emulator.hostname,
    port: Number(emulator.port),
    tls: false,
    useBinaryProtocol: index % 2 === 0, // half msgpack, half JSON
    disableConnectivityCheck: true,
    // Without a short interval the emulator would only send a HEARTBEAT after 15 s of silence.
    transportParams: { heartbeatInterval: heartbeatMs },
    logLevel: 0,
  });
  const state = { client, counts: new Map(), heartbeats: 0, leftConnected: [] };
  client.connection.on('connected', () => {
    // ably-js 2.28 internals (pinned in package.json): the transport reports each HEARTBEAT.
    const transport = client.connection.connectionManager.activeProtocol.getTransport();
    transport.on('heartbeat', () => { state.heartbeats += 1; });
  });
  const channel = client.channels.get('chat');
  channel.subscribe('message', (message) => {
    const now = Date.now();
    state.counts.set(message.id, (state.counts.get(message.id) ?? 0) + 1);
    lastArrival.set(message.id, now);
    const latency = Math.max(0, now - Date.parse(message.data.date));
    latencyHistogram.set(latency, (latencyHistogram.get(latency) ?? 0) + 1);
  });
  state.ready = channel.attach().then(() => {
    // From here on, any state change means the connection was not held.
    client.connection.on((change) => state.leftConnected.push(change.current));
  });
  return state;
}

const connections = [];
const openingStarted = Date.now();
for (let first = 0; first < connectionCount; first += batchSize) {
  const batch = [];
  for (let index = first; index < Math.min(first + batchSize, connectionCount); index += 1) batch.push(open(index));
  await Promise.all(batch.map((c) => c.ready));
  connections.push(...batch);
}
console.log(JSON.stringify({ ready: true, openingMs: Date.now() - openingStarted }));

const lines = readline.createInterface({ input: process.stdin });
const [published] = await once(lines, 'line');
const publishedIds = JSON.parse(published);
const publishedSet = new Set(publishedIds);

const hasAll = (c) => publishedIds.every((id) => c.counts.has(id));
const deadline = Date.now() + settleTimeoutMs;
while (!connections.every(hasAll) && Date.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 50));
}

let missing = 0;
let duplicated = 0;
let unexpected = 0;
for (const c of connections) {
  missing += publishedIds.filter((id) => !c.counts.has(id)).length;
  duplicated += [...c.counts.values()].filter((count) => count > 1).length;
  unexpected += [...c.counts.keys()].filter((id) => !publishedSet.has(id)).length;
}
console.log(JSON.stringify({
  connections: connections.length,
  notHeld: connections.filter((c) => c.leftConnected.length > 0).map((c) => c.leftConnected),
  deliveries: connections.reduce((sum, c) => sum + [...c.counts.values()].reduce((a, b) => a + b, 0), 0),
  missing,
  duplicated,
  unexpected,
  fewestHeartbeats: Math.min(...connections.map((c) => c.heartbeats)),
  heartbeats: connections.reduce((sum, c) => sum + c.heartbeats, 0),
  latencyHistogram: Object.fromEntries(latencyHistogram),
  lastArrival: Object.fromEntries(lastArrival),
}));
connections.forEach((c) => c.client.close());
setTimeout(() => process.exit(0), 500);
