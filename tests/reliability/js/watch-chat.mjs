// One ably-js client in Node subscribed to `chat` with ably-js's default retry behaviour, for tests
// that break things around it. Prints one JSON line per event: {"state":"connected"} for each
// connection state change, {"attached":true} once the channel is first attached, and
// {"message":"<id>"} for each chat message received. Runs until it is terminated.
import Ably from 'ably';

const emulator = new URL(process.env.ABLY_EMULATOR_URL);
const report = (event) => console.log(JSON.stringify(event));

const client = new Ably.Realtime({
  key: process.env.ABLY_EMULATOR_KEY,
  clientId: 'watcher',
  endpoint: emulator.hostname,
  port: Number(emulator.port),
  tls: false,
  connectivityCheckUrl: `${emulator.origin}/is-the-internet-up.txt`,
  wsConnectivityCheckUrl: `ws://${emulator.host}/ws-up`,
  logLevel: 0,
});
client.connection.on((change) => report({ state: change.current }));
const channel = client.channels.get('chat');
channel.subscribe('message', (message) => report({ message: message.id }));
await channel.attach();
report({ attached: true });

process.on('SIGTERM', () => {
  client.close();
  setTimeout(() => process.exit(0), 200);
});
