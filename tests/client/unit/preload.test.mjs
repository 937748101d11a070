// index.html preloads every module app.js reaches, so the browser fetches them all at once
// instead of discovering the import chain one level per round trip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const publicDir = fileURLToPath(new URL('../../../public/', import.meta.url));

function reachableModules(entry) {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    if (file.startsWith('vendor/')) return; // the built SDK bundle: one file, and maybe not built yet
    const source = readFileSync(path.join(publicDir, file), 'utf8');
    for (const [, specifier] of source.matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)) {
      visit(path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)));
    }
  };
  visit(entry);
  seen.delete(entry);
  return seen;
}

test('every module the app imports is preloaded, and nothing else', () => {
  const html = readFileSync(path.join(publicDir, 'index.html'), 'utf8');
  const preloaded = new Set([...html.matchAll(/rel="modulepreload" href="\/([^"]+)"/g)].map((m) => m[1]));
  assert.deepEqual([...preloaded].sort(), [...reachableModules('js/app.js')].sort());
});
