// Builds the site Vercel serves, dist/, from public/ (the source). Each page's module script
// becomes one minified bundle, the ably-js SDK included and cut down to what the modules import;
// each stylesheet one minified file. Both get source maps and content-hashed names under
// /assets/, so browsers may cache them for good. The pages are copied with their <head> pointing
// at the hashed files, and every other file in public/ as it is.
//
// A page may load more code later, after it is live: `import('./later/x.js')` of a module in
// public/js/later/ is built first as a bundle of its own (it shares nothing with the page's, so the
// page's first load stays one script), and the page's import points at its hashed name.
//
// `npm run build` runs this on Vercel and when `vercel dev` starts, so `make dev` and the
// browser tests serve this bundle too.  Usage: node scripts/build-client.mjs [--outdir DIR]
import * as esbuild from 'esbuild';
import {
  copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const sourceDir = path.join(root, 'public');
// A script or a stylesheet by a root-relative URL: what the bundler takes over.
const ASSET_TAG = new RegExp([
  String.raw`<script\b[^>]*\bsrc="(\/[^"]+)"[^>]*><\/script>`,
  String.raw`<link\b[^>]*\brel="stylesheet"[^>]*\bhref="(\/[^"]+)"[^>]*>`,
].join('|'), 'g');
// Never copied as they are: scripts and stylesheets reach the site through the bundler only.
const BUNDLED_SOURCE = /\.(m?js|css)$/;
const LATER_DIR = path.join(sourceDir, 'js', 'later');

const filesIn = (dir) => readdirSync(dir, { recursive: true })
  .filter((file) => statSync(path.join(dir, file)).isFile());
const urlOf = (from, file) => `/${path.relative(from, file).split(path.sep).join('/')}`;

/**
 * Builds public/ into `outDir`, replacing what was there. `plugins` run before the build's own
 * (the benchmarks use this to measure variants). Returns the paths of the bundles written.
 */
export async function buildSite(outDir, { plugins = [] } = {}) {
  // Built next to outDir, at the same depth (so the source maps' relative paths and the hashes
  // are the same), then moved into place: a server showing outDir never finds it half written.
  mkdirSync(path.dirname(outDir), { recursive: true });
  const staging = mkdtempSync(`${outDir}.building-`);
  try {
    const bundles = await buildInto(staging, plugins);
    const previous = `${staging}.previous`;
    if (existsSync(outDir)) renameSync(outDir, previous);
    renameSync(staging, outDir);
    rmSync(previous, { recursive: true, force: true });
    return bundles.map((bundle) => path.join(outDir, path.relative(staging, bundle)));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

async function buildInto(outDir, plugins) {
  const files = filesIn(sourceDir);
  const pages = new Map(files.filter((file) => file.endsWith('.html'))
    .map((page) => [page, readFileSync(path.join(sourceDir, page), 'utf8')]));
  const entryUrls = new Set([...pages.values()]
    .flatMap((html) => [...html.matchAll(ASSET_TAG)].map((match) => match[1] ?? match[2])));

  const later = await buildLater(outDir, plugins);
  const { metafile } = await esbuild.build({
    ...BUNDLE_OPTIONS,
    entryPoints: [...entryUrls].map((url) => path.join(sourceDir, url)),
    outdir: outDir,
    plugins: [...plugins, loadLater(later.urls)],
  });

  const builtUrl = new Map(Object.entries(metafile.outputs).filter(([, output]) => output.entryPoint)
    .map(([file, output]) => [
      urlOf(sourceDir, path.join(root, output.entryPoint)), urlOf(outDir, path.join(root, file)),
    ]));
  for (const [page, html] of pages) {
    const built = html.replace(ASSET_TAG, (tag, src, href) => tag.replace(src ?? href, builtUrl.get(src ?? href)));
    mkdirSync(path.dirname(path.join(outDir, page)), { recursive: true });
    writeFileSync(path.join(outDir, page), built);
  }
  for (const file of files.filter((f) => !pages.has(f) && !BUNDLED_SOURCE.test(f))) {
    mkdirSync(path.dirname(path.join(outDir, file)), { recursive: true });
    copyFileSync(path.join(sourceDir, file), path.join(outDir, file));
  }
  return [...builtUrl.values(), ...later.urls.values()].map((url) => path.join(outDir, url));
}

const BUNDLE_OPTIONS = {
  absWorkingDir: root, // the metafile's paths are relative to it
  outbase: sourceDir,
  entryNames: 'assets/[name]-[hash]',
  bundle: true,
  minify: true,
  sourcemap: 'linked',
  format: 'esm',
  platform: 'browser',
  target: 'es2022', // module scripts run in browsers from 2021 on: no syntax needs lowering
  charset: 'utf8',
  legalComments: 'external', // the SDK's licence ships beside its bundle (.LEGAL.txt), with no comment in it
  metafile: true,
  logLevel: 'silent', // failures are thrown, messages included
};

/** The bundles of public/js/later/: {urls: source path → built URL}. */
async function buildLater(outDir, plugins) {
  const entries = existsSync(LATER_DIR) ? readdirSync(LATER_DIR).filter((file) => file.endsWith('.js')) : [];
  if (!entries.length) return { urls: new Map() };
  const { metafile } = await esbuild.build({
    ...BUNDLE_OPTIONS,
    entryPoints: entries.map((file) => path.join(LATER_DIR, file)),
    outdir: outDir,
    plugins,
  });
  return {
    urls: new Map(Object.entries(metafile.outputs).filter(([, output]) => output.entryPoint)
      .map(([file, output]) => [path.join(root, output.entryPoint), urlOf(outDir, path.join(root, file))])),
  };
}

/** A plugin: a dynamic import of a module in public/js/later/ loads its own bundle, by its hashed URL. */
function loadLater(urls) {
  return {
    name: 'load-later',
    setup(build) {
      build.onResolve({ filter: /\/later\/[^/]+\.js$/ }, (args) => {
        const url = urls.get(path.resolve(args.resolveDir, args.path));
        if (!url) return undefined;
        if (args.kind !== 'dynamic-import') return { errors: [{ text: `${args.path} is loaded later: import() it` }] };
        return { path: url, external: true };
      });
    },
  };
}

function describe(file) {
  const bytes = readFileSync(file);
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  const brotli = brotliCompressSync(bytes, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }).length;
  return `${path.relative(root, file)}: ${kib(bytes.length)}, ${kib(gzipSync(bytes, { level: 9 }).length)} gzip, `
    + `${kib(brotli)} brotli`;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { outdir: { type: 'string', default: path.join(root, 'dist') } } });
  const bundles = await buildSite(path.resolve(values.outdir));
  console.log(bundles.map(describe).join('\n'));
}
