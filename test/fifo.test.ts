import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fifo } from '../src/core/fifo.js';

describe('Fifo', () => {
  it('behaves as an array used as a queue, through any pushes, shifts and growth', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double({ noNaN: true }), fc.constant('shift' as const)), { maxLength: 500 }), fc.integer({ min: 1, max: 8 }), (ops, cap) => {
        const q = new Fifo(cap);
        const model: number[] = [];
        for (const op of ops) {
          if (op === 'shift') {
            if (model.length === 0) continue;
            expect(q.peek()).toBe(model[0]);
            expect(q.shift()).toBe(model.shift());
          } else {
            q.push(op);
            model.push(op);
          }
          expect(q.size).toBe(model.length);
        }
      }),
    );
  });
});
