// The production build (scripts/build-client.mjs): the page it writes loads one script and one
// stylesheet, both under content-hashed names, and the script holds every module of the app.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSite } from '../../../scripts/build-client.mjs';

const publicDir = fileURLToPath(new URL('../../../public/', import.meta.url));
const ASSET_URL = /(?:src|href)="(\/[^"]+)"/g;
const scratch = mkdtempSync(path.join(tmpdir(), 'chat-build-'));
let site;

before(async () => {
  site = path.join(scratch, 'site');
  await buildSite(site);
});
after(() => rmSync(scratch, { recursive: true, force: true }));

const page = () => readFileSync(path.join(site, 'index.html'), 'utf8');
const assetUrls = (html) => [...html.matchAll(ASSET_URL)].map((m) => m[1]);
const scriptUrl = () => page().match(/<script type="module" src="([^"]+)"><\/script>/)[1];

function reachableModules(entry) {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(path.join(publicDir, file), 'utf8');
    for (const [, specifier] of source.matchAll(/^import[^'"]*['"](\.[^'"]+)['"]/gm)) {
      const imported = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
      if (!imported.startsWith('vendor/')) visit(imported); // the SDK: from the npm package, see below
    }
  };
  visit(entry);
  return seen;
}

test('the page loads one hashed script and one hashed stylesheet, and they exist', () => {
  const urls = assetUrls(page());
  assert.equal(urls.length, 2, urls.join(' '));
  assert.match(urls.find((url) => url.endsWith('.js')), /^\/assets\/app-[A-Z0-9]{8}\.js$/);
  assert.match(urls.find((url) => url.endsWith('.css')), /^\/assets\/styles-[A-Z0-9]{8}\.css$/);
  for (const url of urls) assert.ok(existsSync(path.join(site, url)), url);
});

test('the page is the source page apart from the asset URLs, with nothing inline', () => {
  const source = readFileSync(path.join(publicDir, 'index.html'), 'utf8');
  const withoutUrls = (html) => html.replace(ASSET_URL, 'URL');
  assert.equal(withoutUrls(page()), withoutUrls(source));
  // The Content-Security-Policy allows scripts and styles from files only.
  assert.doesNotMatch(page(), /<script(?![^>]*\bsrc=)|<style\b/);
});

test('the script bundles every module the app imports and the SDK, with a source map', () => {
  const script = readFileSync(path.join(site, scriptUrl()), 'utf8');
  const mapName = script.match(/\/\/# sourceMappingURL=(\S+)\s*$/)[1];
  const map = JSON.parse(readFileSync(path.join(site, path.dirname(scriptUrl()), mapName), 'utf8'));
  const sources = map.sources.map((source) => path.resolve(site, 'assets', source));
  for (const module of reachableModules('js/app.js')) {
    assert.ok(sources.includes(path.join(publicDir, module)), `${module} is not in the bundle`);
  }
  assert.ok(sources.some((source) => source.includes(`${path.sep}node_modules${path.sep}ably${path.sep}`)), 'the SDK');
  assert.equal(map.sourcesContent.length, map.sources.length, 'the map carries the sources, for debugging');
  assert.ok(script.length < readFileSync(path.join(publicDir, '../node_modules/ably/build/ably.min.js')).length,
    'minified, and only the SDK plugins the page uses');
});

test('only the bundles ship: no loose modules or stylesheets from public/', () => {
  const shipped = readdirSync(site, { recursive: true });
  assert.deepEqual(shipped.filter((file) => /\.(m?js|css)$/.test(file)).sort(),
    assetUrls(page()).map((url) => url.slice(1)).sort());
});

test('a change to a module renames the script and leaves the name of the stylesheet alone', async () => {
  const changed = path.join(scratch, 'changed');
  const touchApp = {
    name: 'touch-app',
    setup(build) {
      build.onLoad({ filter: /public[\\/]js[\\/]app\.js$/ }, (args) => ({
        contents: `${readFileSync(args.path, 'utf8')}\nconsole.info('changed');\n`, loader: 'js',
      }));
    },
  };
  await buildSite(changed, { plugins: [touchApp] });
  const [before, after] = [page(), readFileSync(path.join(changed, 'index.html'), 'utf8')].map(assetUrls);
  assert.notEqual(after.find((u) => u.endsWith('.js')), before.find((u) => u.endsWith('.js')));
  assert.equal(after.find((u) => u.endsWith('.css')), before.find((u) => u.endsWith('.css')));
});
