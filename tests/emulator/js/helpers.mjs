// Shared setup for the ably-js tests: the emulator comes from the environment
// (ABLY_EMULATOR_URL, ABLY_EMULATOR_KEY), set by tests/emulator/test_js_sdk.py.
import net from 'node:net';
import { once } from 'node:events';
import Ably from 'ably';

export { Ably };

const url = new URL(process.env.ABLY_EMULATOR_URL ?? 'http://127.0.0.1:8081');
export const KEY = process.env.ABLY_EMULATOR_KEY ?? 'local.dev:local-dev-secret';
export const HOST = url.hostname;
export const PORT = Number(url.port);
// The emulator's --channel-close-delay: how long a channel stays listed after its last activity.
export const CHANNEL_CLOSE_DELAY_MS = 1000 * Number(process.env.ABLY_EMULATOR_CHANNEL_CLOSE_DELAY_S ?? 60);

let counter = 0;
export const uniqueChannel = (label) => `js-${label}-${process.pid}-${Date.now()}-${counter++}`;

export function options(extra = {}) {
  const port = extra.port ?? PORT;
  return {
    key: KEY,
    endpoint: HOST,
    tls: false,
    connectivityCheckUrl: `http://${HOST}:${PORT}/is-the-internet-up.txt`,
    wsConnectivityCheckUrl: `ws://${HOST}:${PORT}/ws-up`,
    logLevel: 0,
    ...extra,
    port,
  };
}

const open = new Set();

export async function realtime(extra = {}) {
  const client = new Ably.Realtime(options(extra));
  open.add(client);
  await client.connection.once('connected');
  return client;
}

export const rest = (extra = {}) => new Ably.Rest(options(extra));

export function closeAll() {
  for (const client of open) client.close();
  open.clear();
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// `promise`, or a failure after `ms`: an event that never comes must fail a test, not hang it.
export function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function waitFor(predicate, { timeout = 5000, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

// Kill the WebSocket under an ably-js client without a CLOSE or DISCONNECT,
// as a network failure would. (ably-js 2.28 internals: pinned in package.json.)
export function dropTransport(client) {
  const transport = client.connection.connectionManager.activeProtocol.getTransport();
  transport.wsConnection.terminate();
}

// A TCP proxy in front of the emulator that tests can cut and block, to stage
// outages longer than one dropped socket.
export async function startProxy() {
  const sockets = new Set();
  let blocked = false;
  const server = net.createServer((inbound) => {
    if (blocked) return inbound.destroy();
    const outbound = net.connect(PORT, HOST);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    inbound.pipe(outbound).pipe(inbound);
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: server.address().port,
    cut() { for (const s of sockets) s.destroy(); },
    block(value) { blocked = value; },
    async close() { this.cut(); server.close(); },
  };
}
