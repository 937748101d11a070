// Builds public/vendor/ably.mjs: the pinned `ably` package's modular build, cut down to
// the plugins the chat client uses, as one minified ES module. `npm run build` runs this
// locally and on Vercel, so the browser never loads third-party code from anywhere else.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outfile = `${root}public/vendor/ably.mjs`;

// Rest is the plugin behind channel.history(); everything else is the realtime minimum.
const entry = `export {
  BaseRealtime, WebSocketTransport, FetchRequest, RealtimePresence, Rest,
} from 'ably/modular';`;

await build({
  stdin: { contents: entry, resolveDir: root, sourcefile: 'ably-entry.mjs' },
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2020',
  legalComments: 'eof',
  outfile,
  logLevel: 'warning',
});

const bytes = readFileSync(outfile);
const { version } = JSON.parse(readFileSync(`${root}node_modules/ably/package.json`, 'utf8'));
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(
  `public/vendor/ably.mjs (ably ${version}): ${kib(bytes.length)} raw, ${kib(gzipSync(bytes, { level: 9 }).length)} gzip`,
);
