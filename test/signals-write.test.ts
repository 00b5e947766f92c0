import { spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { tmp } from './helpers/cli.js';

// A report is written to temporary names, then renamed: a signal in the middle of the writing must
// not leave a temporary file behind (a simulation has no signal handler of its own, so the signal
// used to end the process mid-write, leaving a truncated .results.json.<pid>.tmp).

/** A child that writes a report of `mb` MB with writeAll into `out`, as the CLI does. */
function writer(out: string, mb: number) {
  const script = join(out, '..', `writer-${Math.random().toString(36).slice(2)}.ts`);
  const output = pathToFileURL(join(process.cwd(), 'src', 'core', 'output.ts')).href;
  writeFileSync(
    script,
    `import { writeAll } from '${output}';
const chunk = 'x'.repeat(1 << 20);
writeAll(${JSON.stringify(out)}, { 'results.json': Array.from({ length: ${mb} }, () => chunk), 'results.md': 'md' });
`,
  );
  const p = spawn(process.execPath, ['--import', 'tsx', script], { stdio: 'ignore' });
  onTestFinished(() => void (p.exitCode === null && p.signalCode === null && p.kill('SIGKILL')));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => p.on('exit', (code, signal) => resolve({ code, signal })));
  return { p, ended };
}

describe('a signal while a report is written', () => {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`${signal}: the process still ends by it, and no temporary file is left in --out`, async () => {
      const root = tmp('gatesim-write-');
      onTestFinished(() => rmSync(root, { recursive: true, force: true }));
      const out = join(root, 'report');
      const mb = 200;
      // The signal goes as soon as the temporary results.json appears: the writing has begun.
      const { p, ended } = writer(out, mb);
      await new Promise<void>((resolve) => {
        const look = (): void => {
          if (existsSync(out) && readdirSync(out).some((f) => f.endsWith('.tmp'))) {
            w?.close();
            resolve();
          }
        };
        let w: ReturnType<typeof watch> | undefined;
        const poll = (): void => {
          if (!existsSync(out)) return void setImmediate(poll);
          w = watch(out, look);
          look();
        };
        poll();
      });
      p.kill(signal);
      const end = await ended;
      expect(end.signal).toBe(signal);
      const left = readdirSync(out);
      expect(left.filter((f) => f.endsWith('.tmp'))).toEqual([]);
      // What is there is whole: the writing finished before the signal took effect.
      for (const f of left) if (f === 'results.json') expect(statSync(join(out, f)).size).toBe(mb << 20);
    }, 60_000);
  }
});
