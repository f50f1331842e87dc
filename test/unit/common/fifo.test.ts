import { strict as assert } from 'assert';
import fc from 'fast-check';
import { Fifo } from '../../../src/lib/common/fifo';

describe('fifo', () => {
  it('gives items back in the order they came, across its compactions (property, against an array)', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constant(-1), fc.constant(-2)), { maxLength: 3000 }), (ops) => {
      const q = new Fifo<number>(8);
      const model: number[] = [];
      for (const op of ops) {
        if (op === -1) assert.equal(q.shift(), model.shift());
        else if (op === -2) assert.deepEqual(q.drain(), model.splice(0));
        else {
          q.push(op);
          model.push(op);
        }
        assert.equal(q.size, model.length);
        assert.equal(q.peek(), model[0]);
      }
    }), { numRuns: 200 });
  });

  it('drops its taken front once that is most of it, so a queue that never empties stays bounded', () => {
    const q = new Fifo<number>(64);
    q.push(-1);
    for (let i = 0; i < 100_000; i++) {
      q.push(i);
      assert.equal(q.shift(), i - 1);
    }
    assert.equal(q.size, 1);
    const held = (q as unknown as { items: unknown[] }).items.length;
    assert.ok(held <= 130, `holds ${held} slots for one item`);
    q.shift();
    assert.equal((q as unknown as { items: unknown[] }).items.length, 0, 'emptied: nothing held');
  });
});
