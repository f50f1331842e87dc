/**
 * The Redis store's property paths against Node-RED's own (@node-red/util, a dev
 * dependency here): the same parts or the same refusal for any expression, and the
 * same objects after any series of sets and deletes.
 */
import { strict as assert } from 'assert';
import fc from 'fast-check';
import { getPath, parsePath, setPath } from '../../../src/lib/red/context-path';

const { util } = require('@node-red/util');

/** Expressions from the characters that matter to the grammar. */
const expression = fc.array(fc.constantFrom('a', 'b', 'x1', '0', '12', '.', '[', ']', "'", '"', ' ', '$', '_', '-', 'msg'), { minLength: 0, maxLength: 10 }).map((a) => a.join(''));

function nodeRedParts(expr: string): unknown {
  try {
    return util.normalisePropertyExpression(expr);
  } catch (err) {
    return (err as { code?: string }).code ?? 'error';
  }
}

function ourParts(expr: string): unknown {
  try {
    return parsePath(expr);
  } catch (err) {
    return (err as { code?: string }).code ?? 'error';
  }
}

describe('context paths (the grammar of Node-RED property expressions)', () => {
  it('parses what Node-RED parses, into the same parts, and refuses the rest', () => {
    for (const expr of ['a', 'a.b', 'a[0]', 'a["b.c"]', "a['b'].c", 'a.0.b', 'a[0][1]', '"a.b"', 'x.$y', 'a._b']) {
      assert.deepEqual(ourParts(expr), nodeRedParts(expr), expr);
    }
    for (const bad of ['', ' ', '.a', 'a.', 'a..b', '[0]', 'a[b]', 'a[0', "a['b]", 'a b', 'a.-b', "a''"]) {
      assert.equal(ourParts(bad), 'INVALID_EXPR', bad);
      assert.equal(nodeRedParts(bad), 'INVALID_EXPR', bad);
    }
  });

  it('agrees with normalisePropertyExpression on any expression (cross references aside)', () => {
    fc.assert(fc.property(expression, (expr) => {
      // `[msg.x]` needs a message; a context key never holds one
      fc.pre(!/\[msg[.[]/.test(expr));
      assert.deepEqual(ourParts(expr), nodeRedParts(expr), JSON.stringify(expr));
    }), { numRuns: 3000 });
  });

  it('sets, deletes and reads as setObjectProperty / getObjectProperty do', () => {
    const op = fc.record({
      path: fc.constantFrom('a', 'a.b', 'a.b.c', 'a[0]', 'a[1].x', 'b', 'b[0]', 'b[2]', 'c.d', 'a.b[0]'),
      value: fc.oneof(fc.constant(undefined), fc.integer(), fc.constant(null), fc.constant('s'), fc.constant({}), fc.constant([])),
    });
    fc.assert(fc.property(fc.array(op, { maxLength: 12 }), (ops) => {
      const ours: Record<string, any> = {};
      const theirs: Record<string, any> = {};
      for (const { path, value } of ops) {
        const copy = value === undefined ? undefined : structuredClone(value);
        setPath(ours, parsePath(path), copy);
        util.setObjectProperty(theirs, path, value === undefined ? undefined : structuredClone(value));
      }
      assert.deepEqual(ours, theirs);
      for (const path of ['a', 'a.b', 'a[0]', 'b[2]', 'c.d', 'a.b.c']) {
        let expected: unknown;
        try {
          expected = util.getObjectProperty(theirs, path);
        } catch {
          expected = undefined; // a missing parent: the memory store answers undefined
        }
        assert.deepEqual(getPath(ours, parsePath(path)), expected, path);
      }
    }), { numRuns: 1000 });
  });
});
