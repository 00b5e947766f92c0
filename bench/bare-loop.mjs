// A bare event loop: a binary min-heap of (time, id) in typed arrays, 1,000 pending events, each
// event popped schedules the next at a pseudo-random delay (the hold model). No engine, no
// handlers, no model: the floor any discrete-event simulator in JavaScript stands on.
// Usage: node bench/bare-loop.mjs [events]  → prints "events N wall S s ns/event X".
const N = Number(process.argv[2] ?? 5_000_000);
const PENDING = 1_000;
const cap = PENDING + 1;
const time = new Float64Array(cap);
const id = new Int32Array(cap);
let size = 0;
let seed = 1;
const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
function push(t, i) {
  let k = size++;
  while (k > 0) {
    const p = (k - 1) >> 1;
    if (time[p] <= t) break;
    time[k] = time[p];
    id[k] = id[p];
    k = p;
  }
  time[k] = t;
  id[k] = i;
}
function pop() {
  const t = time[--size];
  const i = id[size];
  let k = 0;
  for (;;) {
    let c = 2 * k + 1;
    if (c >= size) break;
    if (c + 1 < size && time[c + 1] < time[c]) c++;
    if (time[c] >= t) break;
    time[k] = time[c];
    id[k] = id[c];
    k = c;
  }
  time[k] = t;
  id[k] = i;
}
const t0 = performance.now();
for (let i = 0; i < PENDING; i++) push(rand() * 1000, i);
let sum = 0;
for (let e = 0; e < N; e++) {
  const now = time[0];
  const i = id[0];
  sum += i;
  pop();
  push(now + rand() * 1000, i);
}
const s = (performance.now() - t0) / 1000;
console.log(`events ${N} wall ${s.toFixed(3)} s ns/event ${((s * 1e9) / N).toFixed(1)} (checksum ${sum})`);
