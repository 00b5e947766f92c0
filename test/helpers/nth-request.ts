import type { Server } from 'node:http';

/** A promise for the `n`th chat request (POST) `server` receives: how a test waits for traffic on an event, not a timer. */
export function nthRequest(server: Server): (n: number) => Promise<void> {
  let seen = 0;
  const waiting: { n: number; resolve: () => void }[] = [];
  server.on('request', (req) => {
    if (req.method !== 'POST') return;
    seen++;
    for (const w of waiting.filter((x) => x.n <= seen)) {
      waiting.splice(waiting.indexOf(w), 1);
      w.resolve();
    }
  });
  return (n) => (seen >= n ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ n, resolve })));
}
