#!/usr/bin/env node
import { relative } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { runPlan } from './run.js';
import { markdownReport, comparison, toMarkdown, toText } from './report/table.js';
import { reportDir, writeAll } from './output.js';
import { loadScenario } from './scenario/load.js';
import { ScenarioError } from './scenario/errors.js';
import { scenarioJsonSchema } from './scenario/schema.js';

/** A mistake of the user's (bad flag, bad file): one line, exit 2, no stack. */
class UsageError extends Error {}

function simulateFile(argv: { file: string; seed?: number; set?: string[]; format: string; out: string; quiet: boolean }): void {
  const plan = loadScenario(argv.file, { seed: argv.seed, sets: argv.set ?? [] });
  const started = performance.now();
  const results = runPlan(plan, (run, variant, s) => {
    if (!argv.quiet) {
      const rate = s.wallMs > 0 ? ((s.events / s.wallMs) * 1000) / 1e6 : 0;
      process.stderr.write(
        `  ${run} / ${variant}: ${s.events} events, ${(s.virtualMs / 1000).toFixed(1)} s simulated in ${s.wallMs.toFixed(0)} ms (${rate.toFixed(1)} M events/s)\n`,
      );
    }
  });
  const json = `${JSON.stringify(results, null, 2)}\n`;
  const md = markdownReport(results);
  const dir = reportDir(argv.out, argv.file);
  const written = writeAll(dir, { 'results.json': json, 'results.md': md });
  if (argv.format === 'json') process.stdout.write(json);
  else {
    const render = argv.format === 'markdown' ? toMarkdown : toText;
    process.stdout.write(results.runs.map((r) => render(comparison(results, r))).join('\n\n') + '\n');
  }
  if (!argv.quiet) {
    const peakMb = process.resourceUsage().maxRSS / 1024;
    process.stderr.write(
      `wrote ${written.map((f) => relative(process.cwd(), f)).join(', ')} in ${((performance.now() - started) / 1000).toFixed(2)} s (peak memory ${peakMb.toFixed(0)} MB)\n`,
    );
  }
}

export function main(args: string[]): void {
  void yargs(args)
    .scriptName('gatesim')
    .usage('$0 FILE [options]\n\nSimulate a scenario file: compare its variants in virtual time and write reports/<name>/.')
    .command('schema', 'print the JSON Schema of scenario files', {}, () => {
      process.stdout.write(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
    })
    .command(
      '$0 <file>',
      'simulate a scenario file',
      (y) =>
        y
          .positional('file', { type: 'string', demandOption: true, describe: 'scenario YAML file' })
          .option('seed', { type: 'number', describe: 'override the scenario seed' })
          .option('set', { type: 'string', array: true, describe: 'override a field: --set workload.concurrency=20 (repeatable)' })
          .option('format', { choices: ['table', 'markdown', 'json'] as const, default: 'table', describe: 'what to print on stdout' })
          .option('out', { type: 'string', default: 'reports', describe: 'reports folder (results go to OUT/<scenario>/)' })
          .option('quiet', { type: 'boolean', default: false, alias: 'q', describe: 'no progress on stderr' }),
      (argv) => {
        if (argv.seed !== undefined && (!Number.isInteger(argv.seed) || argv.seed < 0)) {
          throw new UsageError(`--seed: expected a non-negative integer, got ${String(argv.seed)}`);
        }
        simulateFile(argv as Parameters<typeof simulateFile>[0]);
      },
    )
    .example('$0 scenarios/high-concurrency.yaml', 'run the connection-pool study')
    .example('$0 scenarios/high-concurrency.yaml --set keys.count=8 --seed 7', 'same with 8 keys and another seed')
    .example('$0 schema > scenarios/scenario.schema.json', 'regenerate the JSON Schema')
    .strict()
    .help()
    .version()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    })
    .parseSync();
}

try {
  main(hideBin(process.argv));
} catch (e) {
  if (e instanceof ScenarioError) {
    process.stderr.write(`${e.lines.join('\n')}\n`);
    process.exitCode = 2;
  } else if (e instanceof UsageError) {
    process.stderr.write(`gatesim: ${e.message}\nRun with --help for usage.\n`);
    process.exitCode = 2;
  } else {
    const err = e as Error;
    process.stderr.write(`gatesim: internal error: ${err.message}\n${process.env.GATESIM_DEBUG ? `${err.stack}\n` : 'Set GATESIM_DEBUG=1 for the stack trace.\n'}`);
    process.exitCode = 1;
  }
}
