// The production build (scripts/build-client.mjs): each page loads one script and the stylesheet,
// all under content-hashed names; the lobby's script holds no ably-js; both pages keep to their
// weight budgets (brotli, JS + CSS, as issue 19 sets them).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib } from 'node:zlib';
import { buildSite } from '../../../scripts/build-client.mjs';

const publicDir = fileURLToPath(new URL('../../../public/', import.meta.url));
const ASSET_URL = /(?:src|href)="(\/[^"]+)"/g;
// page file -> its module script, the hashed name the build gives it, and its budget in bytes.
const PAGES = {
  'index.html': { entry: 'js/main/lobby-page.js', built: /^\/assets\/lobby-page-[A-Z0-9]{8}\.js$/, budget: 12_000 },
  'room.html': { entry: 'js/main/room-page.js', built: /^\/assets\/room-page-[A-Z0-9]{8}\.js$/, budget: 52_000 },
};
const scratch = mkdtempSync(path.join(tmpdir(), 'chat-build-'));
let site;

before(async () => {
  site = path.join(scratch, 'site');
  await buildSite(site);
});
after(() => rmSync(scratch, { recursive: true, force: true }));

const page = (file) => readFileSync(path.join(site, file), 'utf8');
const assetUrls = (html) => [...html.matchAll(ASSET_URL)].map((m) => m[1]);
const scriptUrl = (file) => page(file).match(/<script type="module" src="([^"]+)"><\/script>/)[1];
const brotliSize = (file) => brotliCompressSync(readFileSync(file), {
  params: { [zlib.BROTLI_PARAM_QUALITY]: 11 },
}).length;

function sourcesOf(scriptPath) {
  const script = readFileSync(path.join(site, scriptPath), 'utf8');
  const mapName = script.match(/\/\/# sourceMappingURL=(\S+)\s*$/)[1];
  const map = JSON.parse(readFileSync(path.join(site, path.dirname(scriptPath), mapName), 'utf8'));
  assert.equal(map.sourcesContent.length, map.sources.length, 'the map carries the sources, for debugging');
  return map.sources.map((source) => path.resolve(site, 'assets', source));
}

function reachableModules(entry) {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(path.join(publicDir, file), 'utf8');
    for (const [, specifier] of source.matchAll(/^import[^'"]*['"](\.[^'"]+)['"]/gm)) {
      visit(path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)));
    }
  };
  visit(entry);
  return seen;
}

const fromAblyJs = (source) => source.includes(`${path.sep}node_modules${path.sep}ably${path.sep}`);

for (const [file, { entry, built, budget }] of Object.entries(PAGES)) {
  test(`${file} loads one hashed script and the hashed stylesheet, and they exist`, () => {
    const urls = assetUrls(page(file));
    assert.equal(urls.length, 2, urls.join(' '));
    assert.match(urls.find((url) => url.endsWith('.js')), built);
    assert.match(urls.find((url) => url.endsWith('.css')), /^\/assets\/styles-[A-Z0-9]{8}\.css$/);
    for (const url of urls) assert.ok(existsSync(path.join(site, url)), url);
  });

  test(`${file} is its source apart from the asset URLs, with nothing inline`, () => {
    const source = readFileSync(path.join(publicDir, file), 'utf8');
    const withoutUrls = (html) => html.replace(ASSET_URL, 'URL');
    assert.equal(withoutUrls(page(file)), withoutUrls(source));
    // The Content-Security-Policy allows scripts and styles from files only.
    assert.doesNotMatch(page(file), /<script(?![^>]*\bsrc=)|<style\b/);
  });

  test(`${file}'s script bundles every module its entry imports, with a source map`, () => {
    const sources = sourcesOf(scriptUrl(file));
    for (const module of reachableModules(entry)) {
      assert.ok(sources.includes(path.join(publicDir, module)), `${module} is not in the bundle`);
    }
  });

  test(`${file} keeps to ${budget / 1000} KB with brotli, script and stylesheet`, () => {
    const bytes = assetUrls(page(file)).reduce((sum, url) => sum + brotliSize(path.join(site, url)), 0);
    assert.ok(bytes <= budget, `${bytes} bytes`);
  });
}

test('the lobby ships no ably-js; the room bundles only the SDK plugins it uses', () => {
  assert.ok(!sourcesOf(scriptUrl('index.html')).some(fromAblyJs), 'ably-js in the lobby');
  assert.ok(sourcesOf(scriptUrl('room.html')).some(fromAblyJs), 'the SDK in the room');
  assert.ok(readFileSync(path.join(site, scriptUrl('room.html'))).length
    < readFileSync(path.join(publicDir, '../node_modules/ably/build/ably.min.js')).length, 'minified and cut down');
});

test('only the bundles ship: no loose modules or stylesheets from public/', () => {
  const shipped = readdirSync(site, { recursive: true });
  const linked = new Set(Object.keys(PAGES).flatMap((file) => assetUrls(page(file)).map((url) => url.slice(1))));
  const later = [laterUrl(), laterUrl('history')].map((url) => url.slice(1));
  assert.deepEqual(shipped.filter((file) => /\.(m?js|css)$/.test(file)).sort(), [...linked, ...later].sort());
});

// The room's editing and reactions come after it is live, and its REST history only when needed: bundles
// of their own, which the room's script imports by their hashed names, sharing no module file with it
// (the first load stays one script).
const laterUrl = (name = 'edit-react') => readFileSync(path.join(site, scriptUrl('room.html')), 'utf8')
  .match(new RegExp(`import\\("(/assets/${name}-[A-Z0-9]{8}\\.js)"\\)`))[1];

test('the room reads REST history through ably-js from a bundle loaded only when needed', () => {
  const url = laterUrl('history');
  assert.ok(existsSync(path.join(site, url)), url);
  assert.ok(sourcesOf(url).some(fromAblyJs), "ably-js's REST client in the history bundle");
  assert.ok(!sourcesOf(scriptUrl('room.html')).some((source) => source.endsWith(`${path.sep}history.js`)));
});

test('the room loads its editing and reactions later, from a bundle of their own', () => {
  const url = laterUrl();
  assert.ok(existsSync(path.join(site, url)), url);
  assert.ok(!sourcesOf(url).some(fromAblyJs), 'no ably-js in the later bundle');
  assert.ok(brotliSize(path.join(site, url)) <= 8_000, 'the later bundle keeps to 8 KB with brotli');
  assert.ok(!sourcesOf(scriptUrl('room.html')).some((source) => source.includes(`${path.sep}later${path.sep}`)));
});

test('a change to a module renames the scripts that hold it and leaves the others alone', async () => {
  const changed = path.join(scratch, 'changed');
  const touchRoom = {
    name: 'touch-room',
    setup(build) {
      build.onLoad({ filter: /public[\\/]js[\\/]room\.js$/ }, (args) => ({
        contents: `${readFileSync(args.path, 'utf8')}\nconsole.info('changed');\n`, loader: 'js',
      }));
    },
  };
  await buildSite(changed, { plugins: [touchRoom] });
  const urls = (dir, file) => assetUrls(readFileSync(path.join(dir, file), 'utf8'));
  const [roomBefore, roomAfter] = [urls(site, 'room.html'), urls(changed, 'room.html')];
  assert.notEqual(roomAfter.find((u) => u.endsWith('.js')), roomBefore.find((u) => u.endsWith('.js')));
  assert.equal(roomAfter.find((u) => u.endsWith('.css')), roomBefore.find((u) => u.endsWith('.css')));
  assert.deepEqual(urls(changed, 'index.html'), urls(site, 'index.html'), 'the lobby does not hold room.js');
});
