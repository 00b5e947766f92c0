/**
 * Simulations on worker threads (tinypool). Each task is one resolved scenario: the worker runs
 * the same deterministic `simulate` as the main thread, so the results are the same bytes as a
 * serial run, gathered back in plan order whatever order the threads finish in.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../core/paths.js';
import type { Task, TaskResult } from './worker.js';

/**
 * The worker entry of the compiled CLI (bin/bundle.js builds it beside cli.js, cached by source
 * hash): a thread runs plain JS, and under vitest the same cached build serves.
 */
async function workerFile(): Promise<string> {
  const builder = pathToFileURL(join(projectRoot(), 'bin', 'bundle.js')).href;
  const { bundle, entryUrl } = (await import(builder)) as { bundle(): Promise<string>; entryUrl(dir: string, name: string): string };
  return entryUrl(await bundle(), 'study/worker');
}

/** Threads worth starting here: one per core. */
export const defaultJobs = (): number => Math.max(1, availableParallelism());

/**
 * Runs every task on up to `jobs` threads; `done(i, r)` is called as each finishes (any order).
 * Resolves to the results in task order.
 */
export async function runTasks(tasks: readonly Task[], jobs: number, done?: (index: number, r: TaskResult) => void): Promise<TaskResult[]> {
  const filename = await workerFile();
  const threads = Math.max(1, Math.min(jobs, tasks.length));
  // All threads start at once: each loads the bundle and warms its JIT while the others work.
  const { default: Tinypool } = await import('tinypool');
  const pool = new Tinypool({ filename, minThreads: threads, maxThreads: threads });
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
  }
}
