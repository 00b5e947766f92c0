#!/usr/bin/env node
// Starts the TypeScript CLI from its compiled, cached form (bin/bundle.js): a start after the
// first pays only a hash of the sources before running the CLI, whose compiled code V8 keeps.
import module from 'node:module';
import { join } from 'node:path';
import { bundle, entryUrl, start } from './bundle.js';

let dir;
try {
  dir = await bundle();
} catch (e) {
  process.stderr.write(`gatesim: cannot compile the CLI: ${e.message.split('\n')[0]}\n`);
  process.exit(1);
}
if (process.env.GATESIM_DEBUG) {
  // Stack traces in TypeScript terms are only ever shown with GATESIM_DEBUG=1, from the ES build
  // and its source maps (mapping every loaded module costs each start ~15 ms, so only then).
  process.setSourceMapsEnabled(true);
  // Node ≥ 22.1 keeps V8's compiled code of ES modules between starts (beside the build).
  module.enableCompileCache?.(join(dir, '.v8'));
  await import(entryUrl(dir, 'cli'));
} else start(dir);
