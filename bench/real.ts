/**
 * npm run bench:real — the real-mode client path against `gatesim serve` answering at once, next to
 * autocannon against the same server in the same run, and the gateway's own cost per request.
 */
import { loadScenario } from '../src/scenario/load.js';
import { simulate } from '../src/modes/simulate.js';
import { compareReal, CONCURRENCY } from './real-compare.js';

const r = await compareReal();

// The gateway's own decisions (limiter, balancer, dispatcher, metrics) without any I/O: the same
// scenario simulated, per request.
const s = loadScenario('bench/zero.yaml').runs[0]!.variants[0]!.scenario;
const sim0 = performance.now();
simulate({ ...s, workload: { ...s.workload, requests: 200_000 } }, 'zero');
const gatewayUs = ((performance.now() - sim0) * 1000) / 200_000;

console.log('| measure | value |\n| --- | ---: |');
console.log(`| autocannon, ${CONCURRENCY} connections, median of 5 rounds of 2 s | ${r.autocannonRate.toFixed(0)} requests/s |`);
console.log(`| gatesim real mode, ${CONCURRENCY} workers, median of 5 rounds of ${r.requests} requests | ${r.gatesimRate.toFixed(0)} requests/s (${r.ok} ok) |`);
console.log(`| ratio gatesim / autocannon (median of the rounds' ratios; lowest–highest) | ${r.ratio.toFixed(2)} (${r.ratioLow.toFixed(2)}–${r.ratioHigh.toFixed(2)}) |`);
console.log(`| client CPU per request (gatesim + undici) | ${r.cpuPerRequestUs.toFixed(1)} µs |`);
console.log(`| gateway decisions per request (limiter, balancer, dispatcher, metrics; simulated) | ${gatewayUs.toFixed(2)} µs |`);
