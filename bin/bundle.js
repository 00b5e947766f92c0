// The compiled form of src/: one esbuild build per source version, kept in a cache folder and
// reused by every later start until a source file changes. Building (both forms below, esbuild's
// service process included) costs the first start about a second on a small machine; reusing costs a
// hash of the sources (~10 ms).
//
// - Content-addressed: the folder is named by a hash of every file under src/ (and this file), so a
//   start never runs a stale build, two versions never mix, and a process killed mid-build leaves
//   only a temporary folder that the next build removes.
// - Anywhere writable: package imports are pinned to absolute file URLs of this install's
//   node_modules, so the bundle can live outside the project; a read-only install builds into the
//   user's cache (XDG_CACHE_HOME, ~/.cache) or the temp folder instead.
// - Code-split: cli.js and study/worker.js share chunks, and what a run does not need (real mode's
//   HTTP client, the Redis store, the HTML page) is loaded only when asked for.
// - The CLI a second time as one CommonJS script, cli.cjs, which `start` runs through vm.Script
//   with V8's code cache (cli.cjs.v8, written by the first start that finds none): Node 20 keeps no
//   compiled code of ES modules between starts, and compiling the bundle cost each start ~60 ms.
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { builtinModules, createRequire } from 'node:module';
import vm from 'node:vm';

/** Bumped when the build's options change, so old builds are not reused. */
const FORMAT = 4;
/** Builds kept besides the current one; older ones are removed after a day unused. */
const STALE_MS = 24 * 3600 * 1000;

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function sourceFiles(dir, out = []) {
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, d.name);
    if (d.isDirectory()) sourceFiles(p, out);
    else if (d.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** A hash of the install's folder (the build pins its packages), every source file's path and bytes, this builder's text and FORMAT. */
function sourceHash() {
  const h = createHash('sha256');
  h.update(`format ${FORMAT}\n${root}\n`);
  h.update(readFileSync(fileURLToPath(import.meta.url)));
  for (const f of sourceFiles(join(root, 'src')).sort()) {
    h.update(relative(root, f));
    h.update('\0');
    h.update(readFileSync(f));
  }
  return h.digest('hex').slice(0, 16);
}

function writable(dir) {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where builds go: GATESIM_CACHE_DIR, the install's node_modules/.cache, the user's cache, the temp folder. */
function cacheRoot() {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  const candidates = [
    process.env.GATESIM_CACHE_DIR,
    join(root, 'node_modules', '.cache', 'gatesim'),
    join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'gatesim'),
    join(tmpdir(), `gatesim-${uid}`),
  ].filter(Boolean);
  for (const c of candidates) if (writable(c)) return c;
  throw new Error(`no writable folder for the compiled CLI (tried ${candidates.join(', ')}); set GATESIM_CACHE_DIR`);
}

/** Removes temporary folders of interrupted builds and builds unused for a day (never the current one). */
function prune(cache, keep) {
  for (const d of readdirSync(cache, { withFileTypes: true })) {
    if (!d.isDirectory() || d.name === keep) continue;
    const p = join(cache, d.name);
    try {
      if (Date.now() - statSync(p).mtimeMs > (d.name.startsWith('.tmp-') ? 60_000 : STALE_MS)) rmSync(p, { recursive: true, force: true });
    } catch {
      // Another process removed it first.
    }
  }
}

/**
 * Packages are compiled into the bundle (the scenario's YAML and schema, the command line, the
 * progress bar, the seeded streams): loading them as ~300 separate files cost every start ~0.3 s
 * of resolving, opening and compiling. These few load from the install, and only when a run asks
 * for them: real mode's HTTP client, Redis, the queue (bullmq), the worker pool, results validation, the builder itself.
 */
const ON_DEMAND = /^(undici|ioredis|bullmq|tinypool|ajv|esbuild|playwright-core|vega|vega-lite|vega-embed)(\/|$)/;

/**
 * Resolves an on-demand package from this install, so the bundle works from any folder: as a file
 * URL for the ES modules, as an absolute path for the CommonJS script (its require() takes no URL;
 * its import() takes the path as a URL relative to the file's own, which is the same on POSIX).
 */
const pinPackages = (asPath) => ({
  name: 'pin-packages',
  setup(build) {
    const builtins = new Set(builtinModules);
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:') || builtins.has(args.path)) return { path: args.path, external: true };
      if (!ON_DEMAND.test(args.path)) return undefined;
      const url = import.meta.resolve(args.path);
      return { path: asPath ? fileURLToPath(url) : url, external: true };
    });
  },
});

/** esbuild's form of `import(x)` where dynamic import is not supported, x without parentheses (a name or a string). */
const CONVERTED_IMPORT = /Promise\.resolve\(\)\.then\(\(\) => __toESM\(require\(([^()]*)\)(?:, 1)?\)\)/g;

/**
 * Turns every import() of the CommonJS script into a call of `__gatesimImport` (a parameter of its
 * wrapper, see `start`), which imports as an ES module would. esbuild writes each as a require()
 * (supported: dynamic-import false), which is found by its exact form; one left over fails the build.
 */
function handImportsOver(file) {
  const text = readFileSync(file, 'utf8').replace(CONVERTED_IMPORT, '__gatesimImport($1)');
  if (text.includes('Promise.resolve().then(() => __toESM(require(')) throw new Error('an import() in src/ that bin/bundle.js cannot hand over: import a name or a string');
  writeFileSync(file, text);
}

/**
 * The folder holding cli.js and study/worker.js for the current sources, built if needed.
 * Concurrent starts may both build; each writes its own temporary folder and the first rename wins.
 */
export async function bundle() {
  const cache = cacheRoot();
  const hash = sourceHash();
  const dir = join(cache, hash);
  if (existsSync(join(dir, 'ok'))) return dir;
  const { build } = await import('esbuild');
  const tmp = join(cache, `.tmp-${hash}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    await build({
      entryPoints: { cli: join(root, 'src', 'cli.ts'), 'study/worker': join(root, 'src', 'study', 'worker.ts') },
      bundle: true,
      splitting: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outdir: tmp,
      chunkNames: 'chunks/[name]-[hash]',
      sourcemap: 'linked',
      sourcesContent: false,
      plugins: [pinPackages(false)],
      define: { 'globalThis.__GATESIM_ROOT__': JSON.stringify(root) },
      // CommonJS packages compiled in (cli-progress, seedrandom) call require() for Node's own modules.
      banner: { js: "import { createRequire as __gatesimRequire } from 'node:module'; const require = __gatesimRequire(import.meta.url);" },
      logLevel: 'silent',
    });
    // The same CLI as one CommonJS script (no chunks: what the ES build loads on demand is compiled
    // in, and only evaluated when asked for). `import.meta.url` (the packages' shims read it) is
    // this file's URL, as in the ES build. Its import()s are handed to `start`'s ES module: on
    // Node 20 a function restored from V8's cache has lost the script's dynamic-import callback
    // ("A dynamic import callback was not specified").
    await build({
      entryPoints: { cli: join(root, 'src', 'cli.ts') },
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outdir: tmp,
      outExtension: { '.js': '.cjs' },
      supported: { 'dynamic-import': false },
      plugins: [pinPackages(true)],
      define: { 'globalThis.__GATESIM_ROOT__': JSON.stringify(root), 'import.meta.url': '__gatesimModuleUrl' },
      // ES modules are strict, and so was every line of the ES build.
      banner: { js: "'use strict'; const __gatesimModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
      logLevel: 'silent',
    });
    handImportsOver(join(tmp, 'cli.cjs'));
    writeFileSync(join(tmp, 'ok'), `${hash}\n`);
    try {
      renameSync(tmp, dir);
    } catch {
      // Another process finished the same build first: use theirs.
      rmSync(tmp, { recursive: true, force: true });
      if (!existsSync(join(dir, 'ok'))) throw new Error(`could not place the compiled CLI in ${dir}`);
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  prune(cache, hash);
  return dir;
}

export const entryUrl = (dir, name) => pathToFileURL(join(dir, `${name}.js`)).href;

/**
 * Runs the compiled CLI of `dir`: cli.cjs through vm.Script with V8's cached data. A start that
 * finds no cache, or one V8 turns down (another Node, other V8 flags), writes it as it exits: then
 * it holds every function that start compiled, not only the top level. Writing is best effort (a
 * temporary file renamed in place).
 */
export function start(dir) {
  const file = join(dir, 'cli.cjs');
  const cacheFile = join(dir, 'cli.cjs.v8');
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // None yet: this start writes it.
  }
  // The wrapper Node puts around a CommonJS file, and the import() of an ES module; the first line (the #! of the entry) becomes a comment, keeping line numbers.
  const source = `(function (exports, require, module, __filename, __dirname, __gatesimImport) {${readFileSync(file, 'utf8').replace(/^#!/, '//')}\n})`;
  const script = new vm.Script(source, { filename: file, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => {
      const tmp = `${cacheFile}.${process.pid}`;
      try {
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch {
        rmSync(tmp, { force: true });
      }
    });
  }
  const module = { exports: {}, filename: file, id: file, loaded: false };
  // Its import()s: a pinned package is a path here, made a URL (a path's '#' or '%' means something in a URL).
  const importer = (id) => import(isAbsolute(id) ? pathToFileURL(id).href : id);
  script.runInThisContext()(module.exports, createRequire(file), module, file, dir, importer);
}
