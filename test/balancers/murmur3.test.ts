import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fmix32, murmur3, murmur3Int, murmur3String } from '../../src/balancers/murmur3.js';

const bytes = (...b: number[]) => new Uint8Array(b);

describe('murmur3 x86_32', () => {
  it('matches the published test vectors (SMHasher / Appleby)', () => {
    expect(murmur3(bytes(), 0)).toBe(0);
    expect(murmur3(bytes(), 1)).toBe(0x514e28b7);
    expect(murmur3(bytes(), 0xffffffff)).toBe(0x81f16f39);
    expect(murmur3(bytes(0xff, 0xff, 0xff, 0xff), 0)).toBe(0x76293b50);
    expect(murmur3(bytes(0x21, 0x43, 0x65, 0x87), 0)).toBe(0xf55b516b);
    expect(murmur3(bytes(0x21, 0x43, 0x65, 0x87), 0x5082edee)).toBe(0x2362f9de);
    expect(murmur3(bytes(0x21, 0x43, 0x65), 0)).toBe(0x7e4a8634);
    expect(murmur3(bytes(0x21, 0x43), 0)).toBe(0xa0f7b07a);
    expect(murmur3(bytes(0x21), 0)).toBe(0x72661cf4);
    expect(murmur3(bytes(0, 0, 0, 0), 0)).toBe(0x2362f9de);
    expect(murmur3(bytes(0, 0, 0), 0)).toBe(0x85f0b427);
    expect(murmur3(bytes(0, 0), 0)).toBe(0x30f4c306);
    expect(murmur3(bytes(0), 0)).toBe(0x514e28b7);
    expect(murmur3String('aaaa', 0x9747b28c)).toBe(0x5a97808a);
    expect(murmur3String('Hello, world!', 0x9747b28c)).toBe(0x24884cba);
    expect(murmur3String('The quick brown fox jumps over the lazy dog', 0x9747b28c)).toBe(0x2fa826cd);
  });

  it('hashes strings as UTF-8', () => {
    expect(murmur3String('é')).toBe(murmur3(bytes(0xc3, 0xa9)));
  });

  it('hashes an integer as its 4 little-endian bytes', () => {
    expect(murmur3Int(0x87654321)).toBe(0xf55b516b);
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }), fc.nat(), (x, seed) => {
        const b = new Uint8Array(4);
        new DataView(b.buffer).setUint32(0, x >>> 0, true);
        expect(murmur3Int(x, seed)).toBe(murmur3(b, seed));
      }),
    );
  });

  it('fmix32 is unsigned and a bijection on a sample', () => {
    const seen = new Set<number>();
    let negative = 0;
    for (let i = 0; i < 100_000; i++) {
      const h = fmix32(i);
      if (h < 0) negative++;
      seen.add(h);
    }
    expect(negative).toBe(0);
    expect(seen.size).toBe(100_000);
  });
});
