/**
 * The real-mode client alone against `gatesim serve bench/zero.yaml` (for profiling it:
 * `node --cpu-prof --import tsx bench/real-client.ts [requests]`). Prints requests/s and client
 * CPU per request.
 */
import { compareReal } from './real-compare.js';

const r = await compareReal(0, Number(process.argv[2] ?? 40_000), 1);
console.log(`real mode: ${r.gatesimRate.toFixed(0)} requests/s, ${r.cpuPerRequestUs.toFixed(1)} µs client CPU per request (${r.ok} ok of ${r.requests})`);
