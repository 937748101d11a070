// Builds the site as `npm run build` does, and variants of it, for bench/client_weight.py.
//
//   node bench/bundle_variants.mjs DIR
//
// Writes each variant into DIR/<n> and prints one JSON line: {"variant label": "DIR/<n>", ...}.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSite } from '../scripts/build-client.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

// The page's ably-js imports with the Rest plugin left out: what the page weighs if history is
// fetched without it (Rest is there for channel.history() alone).
const withoutRestPlugin = {
  name: 'without-rest-plugin',
  setup(build) {
    build.onResolve({ filter: /\/vendor\/ably\.mjs$|^ably\/modular$/ }, (args) => (
      args.namespace === 'without-rest' ? undefined : { path: 'ably', namespace: 'without-rest' }));
    build.onLoad({ filter: /.*/, namespace: 'without-rest' }, () => ({
      contents: "export * from 'ably/modular'; export const Rest = undefined;",
      resolveDir: root,
    }));
  },
};

const variants = {
  'as built (`npm run build`)': [],
  'without the ably-js Rest plugin': [withoutRestPlugin],
};
const [outRoot] = process.argv.slice(2);
const written = {};
for (const [index, [label, plugins]] of Object.entries(variants).entries()) {
  written[label] = path.join(outRoot, String(index));
  await buildSite(written[label], { plugins });
}
console.log(JSON.stringify(written));
