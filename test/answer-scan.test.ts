import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnswerScan, MAX_ANSWER_BYTES, MAX_USAGE_BYTES } from '../src/providers/answer-scan.js';

/** Scans `text` cut at `cuts` (byte offsets, any order). */
function scan(text: string | Buffer, cuts: number[] = []): AnswerScan {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const s = new AnswerScan();
  let from = 0;
  for (const c of [...at, bytes.length]) {
    s.feed(bytes.subarray(from, c));
    from = c;
  }
  return s;
}

const isCompletion = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Array.isArray((v as { choices?: unknown }).choices) && ((v as { object?: unknown }).object ?? 'chat.completion') === 'chat.completion';

describe('AnswerScan: a chat completion read in pieces, only its usage held', () => {
  it('tells a chat completion from any other JSON, and reads its usage, however the body is cut', () => {
    const answer = fc.record(
      {
        id: fc.string(),
        object: fc.constantFrom('chat.completion', 'list', 'chat.completion.chunk'),
        choices: fc.oneof(fc.array(fc.jsonValue(), { maxLength: 3 }), fc.jsonValue()),
        usage: fc.oneof(fc.record({ prompt_tokens: fc.nat(), completion_tokens: fc.nat() }), fc.jsonValue()),
        content: fc.string({ unit: 'binary' }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(answer, fc.jsonValue()), fc.array(fc.nat(), { maxLength: 8 }), fc.boolean(), (v, cuts, pretty) => {
        const text = JSON.stringify(v, null, pretty ? 2 : undefined) ?? 'null';
        const s = scan(text, cuts);
        expect(s.complete()).toBe(isCompletion(v));
        if (s.complete() && 'usage' in (v as object)) expect(s.usage()).toEqual(JSON.parse(JSON.stringify((v as { usage: unknown }).usage)));
        // A body cut short is never whole.
        if (text.length > 1) expect(scan(text.slice(0, -1), cuts).complete()).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses what is not JSON at the first byte, and text after the object', () => {
    for (const bad of ['<html>', 'HTTP/1.1 200', ' x{"choices":[]}', '{"choices":[]}{}', '{"choices":[]} x', '{"choices":[}', '{"choices":[]]', '{"choices" []}', '', '{"choices":["unterminated]}']) {
      expect(scan(bad).complete(), bad).toBe(false);
    }
    expect(scan('\n {"choices":[{"message":{"content":"a \\"}\\" b"}}],"usage":{"completion_tokens":3}}\n').usage()).toEqual({ completion_tokens: 3 });
  });

  it('holds only the usage field, whatever the length of the content: 20 MB read, under 100 bytes held', () => {
    const content = 'tok '.repeat(5_000_000);
    const usage = '{"prompt_tokens":3,"completion_tokens":5000000,"total_tokens":5000003}';
    const body = Buffer.from(`{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"${content}"}}],"usage":${usage}}`);
    const s = new AnswerScan();
    for (let i = 0; i < body.length; i += 65_536) s.feed(body.subarray(i, i + 65_536));
    expect(s.bytes).toBe(body.length);
    expect(s.complete()).toBe(true);
    expect(s.usage()).toEqual(JSON.parse(usage));
    expect(s.peakHeld).toBe(usage.length); // a key is let go before its value is kept
  });

  it(`gives up past ${MAX_ANSWER_BYTES} bytes read, a usage over ${MAX_USAGE_BYTES} bytes, or nesting past 64`, () => {
    const big = new AnswerScan();
    big.feed(Buffer.from('{"choices":[],"content":"'));
    const mib = Buffer.alloc(1 << 20, 0x61);
    for (let i = 0; i <= MAX_ANSWER_BYTES >> 20 && !big.broken; i++) big.feed(mib);
    expect(big.broken).toBe(true);
    expect(big.bytes).toBeLessThanOrEqual(MAX_ANSWER_BYTES + mib.length);

    const usage = scan(`{"choices":[],"usage":{"x":"${'a'.repeat(MAX_USAGE_BYTES)}"}}`);
    expect(usage.broken).toBe(true);
    expect(usage.peakHeld).toBeLessThanOrEqual(MAX_USAGE_BYTES);

    expect(scan(`{"choices":[],"x":${'['.repeat(70)}${']'.repeat(70)}}`).complete()).toBe(false);
    expect(scan(`{"choices":[],"x":${'['.repeat(60)}${']'.repeat(60)}}`).complete()).toBe(true);
  });
});
