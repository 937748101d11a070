// N chat subscribers in one Node process, for bench/fanout.py.
//
//   node bench/subscribers.mjs ably http://127.0.0.1:PORT KEY COUNT BATCH   (ably-js, channel "chat")
//   node bench/subscribers.mjs ws   ws://127.0.0.1:PORT  -   COUNT BATCH   (bare WebSocket, `ws`)
//
// Each chat message's text is "SEQ SENT_MS" (sender's wall clock, ms since the epoch), so every
// subscriber computes its own delivery latency. JSON lines on stdout:
//   {"event":"ready","connectMs":..}      all COUNT subscribers are connected (and attached)
//   {"event":"delivered","seq":N}         message N has reached all COUNT subscribers
//   {"event":"report","arrivals":[..]}    answer to {"command":"report"}: per message since the
//                                         last report, {seq, sentMs, latenciesMs, lastArrivalMs}
//   {"event":"closed"}                    answer to {"command":"close"}, then the process exits
//   {"event":"expecting"}                 answer to {"command":"expect","serial":S,"seq":N}: the next
//                                         reaction summary for message S counts as message N, its
//                                         latencies reported as arrival times (the sender knows when it left)
// An edit (message.update) carries "SEQ SENT_MS" as a new message does.
import readline from 'node:readline';
import Ably from 'ably';
import WebSocket from 'ws';

const [kind, url, key, countText, batchText] = process.argv.slice(2);
const count = Number(countText);
const batchSize = Number(batchText);
const nowMs = () => performance.timeOrigin + performance.now();
const emit = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);

let arrivals = new Map(); // seq -> {seq, sentMs, latenciesMs, lastArrivalMs}

const expectedSummaries = new Map(); // message serial -> the seq its next summary stands for

function onChatText(text) {
  const [seq, sentMs] = text.split(' ').map(Number);
  onArrival(seq, sentMs);
}

function onArrival(seq, sentMs) {
  const arrivedMs = nowMs();
  let record = arrivals.get(seq);
  if (!record) {
    record = { seq, sentMs, latenciesMs: [], lastArrivalMs: 0 };
    arrivals.set(seq, record);
  }
  record.latenciesMs.push(arrivedMs - sentMs);
  record.lastArrivalMs = arrivedMs;
  if (record.latenciesMs.length === count) emit({ event: 'delivered', seq });
}

async function ablySubscriber() {
  const { hostname, port, host } = new URL(url);
  const client = new Ably.Realtime({
    key, endpoint: hostname, port: Number(port), tls: false, useBinaryProtocol: false,
    transports: ['web_socket'], logLevel: 0,
    connectivityCheckUrl: `${url}/is-the-internet-up.txt`, wsConnectivityCheckUrl: `ws://${host}/ws-up`,
  });
  await client.channels.get('chat').subscribe((message) => {
    if (message.action !== 'message.summary') onChatText(message.data.text);
    else if (expectedSummaries.has(message.serial)) onArrival(expectedSummaries.get(message.serial), 0);
  });
  return { close: () => new Promise((resolve) => { client.connection.once('closed', resolve); client.close(); }) };
}

async function bareSubscriber() {
  const socket = new WebSocket(url);
  socket.on('message', (data) => onChatText(JSON.parse(data).text));
  await new Promise((resolve, reject) => { socket.once('open', resolve); socket.once('error', reject); });
  return { close: () => new Promise((resolve) => { socket.once('close', resolve); socket.close(); }) };
}

const started = nowMs();
const subscribers = [];
const open = kind === 'ably' ? ablySubscriber : bareSubscriber;
for (let first = 0; first < count; first += batchSize) {
  const batch = Array.from({ length: Math.min(batchSize, count - first) }, open);
  subscribers.push(...(await Promise.all(batch)));
}
emit({ event: 'ready', connectMs: nowMs() - started });

readline.createInterface({ input: process.stdin }).on('line', async (line) => {
  const { command, serial, seq } = JSON.parse(line);
  if (command === 'expect') {
    expectedSummaries.set(serial, seq);
    emit({ event: 'expecting' });
  } else if (command === 'report') {
    emit({ event: 'report', arrivals: [...arrivals.values()] });
    arrivals = new Map();
  } else if (command === 'close') {
    await Promise.all(subscribers.map((subscriber) => subscriber.close()));
    emit({ event: 'closed' });
    process.exit(0);
  }
});
