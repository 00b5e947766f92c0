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

/** A pool kept open across batches (a search asks for a few simulations at a time, many times). */
export interface OpenPool {
  run(task: Task): Promise<TaskResult>;
  destroy(): Promise<void>;
}

/** `jobs` threads started once; `run` queues a task on them. Call `destroy` when done. */
export async function openPool(jobs: number): Promise<OpenPool> {
  const filename = await workerFile();
  const threads = Math.max(1, jobs);
  const { default: Tinypool } = await import('tinypool');
  const pool = new Tinypool({ filename, minThreads: threads, maxThreads: threads });
  return { run: async (task) => (await pool.run(task)) as TaskResult, destroy: () => pool.destroy() };
}

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
