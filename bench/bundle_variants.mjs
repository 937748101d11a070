// Builds the site as `npm run build` does, and variants of it, for bench/client_weight.py.
//
//   node bench/bundle_variants.mjs DIR
//
// Writes each variant into DIR/<n> and prints one JSON line: {"variant label": "DIR/<n>", ...}.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSite } from '../scripts/build-client.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

// The page's ably-js imports with the Rest plugin kept in the bundle: what the page would weigh had
// it kept channel.history() (which needs the plugin) instead of its own history request.
const withRestPlugin = {
  name: 'with-rest-plugin',
  setup(build) {
    build.onResolve({ filter: /^ably\/modular$/ }, (args) => (
      args.namespace === 'with-rest' ? undefined : { path: 'ably', namespace: 'with-rest' }));
    build.onLoad({ filter: /.*/, namespace: 'with-rest' }, () => ({
      contents: "import { Rest } from 'ably/modular'; globalThis.keptRestPlugin = Rest; export * from 'ably/modular';",
      resolveDir: root,
    }));
  },
};

const variants = {
  'as built (`npm run build`)': [],
  'with the ably-js Rest plugin (for channel.history())': [withRestPlugin],
};
const [outRoot] = process.argv.slice(2);
const written = {};
for (const [index, [label, plugins]] of Object.entries(variants).entries()) {
  written[label] = path.join(outRoot, String(index));
  await buildSite(written[label], { plugins });
}
console.log(JSON.stringify(written));
