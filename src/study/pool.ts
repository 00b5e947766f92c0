/**
 * Simulations on worker threads (tinypool). Each task is one resolved scenario: the worker runs
 * the same deterministic `simulate` as the main thread, so the results are the same bytes as a
 * serial run, gathered back in plan order whatever order the threads finish in.
 */
import { build } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Tinypool from 'tinypool';
import type { Task, TaskResult } from './worker.js';

/** The folder of gatesim's package.json, above this module (src/study/ or the CLI bundle in node_modules/.cache). */
function projectRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'gatesim') return dir;
    if (dirname(dir) === dir) throw new Error('gatesim: cannot find its package.json above the running module');
  }
}

/** Threads worth starting here: one per core. */
export const defaultJobs = (): number => Math.max(1, availableParallelism());

/**
 * Runs every task on up to `jobs` threads; `done(i, r)` is called as each finishes (any order).
 * Resolves to the results in task order.
 */
export async function runTasks(tasks: readonly Task[], jobs: number, done?: (index: number, r: TaskResult) => void): Promise<TaskResult[]> {
  const root = projectRoot();
  // The worker is bundled like the CLI (bin/gatesim.js), per process, so it is never stale.
  const outfile = join(root, 'node_modules', '.cache', 'gatesim', `worker-${process.pid}-${Date.now()}.mjs`);
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [join(root, 'src', 'study', 'worker.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile,
    logLevel: 'error',
  });
  const threads = Math.max(1, Math.min(jobs, tasks.length));
  // All threads start at once: each loads the bundle and warms its JIT while the others work.
  const pool = new Tinypool({ filename: outfile, minThreads: threads, maxThreads: threads });
  try {
    return await Promise.all(
      tasks.map(async (task, i) => {
        const r = (await pool.run(task)) as TaskResult;
        done?.(i, r);
        return r;
      }),
    );
  } finally {
    await pool.destroy();
    rmSync(outfile, { force: true });
  }
}
