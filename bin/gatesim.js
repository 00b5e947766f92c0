#!/usr/bin/env node
// Starts the TypeScript CLI from its compiled, cached form (bin/bundle.js): a start after the
// first pays only a hash of the sources before running the CLI.
import module from 'node:module';
import { join } from 'node:path';
import { bundle, entryUrl } from './bundle.js';

// Stack traces in TypeScript terms are only ever shown with GATESIM_DEBUG=1; mapping every loaded
// module costs each start ~15 ms, so only then.
if (process.env.GATESIM_DEBUG) process.setSourceMapsEnabled(true);
let dir;
try {
  dir = await bundle();
} catch (e) {
  process.stderr.write(`gatesim: cannot compile the CLI: ${e.message.split('\n')[0]}\n`);
  process.exit(1);
}
// Node ≥ 22.1 keeps V8's compiled code of the bundle between starts (beside the build it belongs
// to, so it goes with it). Node 20 has no compile cache for ES modules: there this does nothing.
module.enableCompileCache?.(join(dir, '.v8'));
await import(entryUrl(dir, 'cli'));
