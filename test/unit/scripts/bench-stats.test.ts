import { strict as assert } from 'assert';
import fc from 'fast-check';

// scripts/bench is plain CommonJS (it runs the compiled nodes, outside tsc's project)
interface Summary { n: number; min: number; median: number; max: number; mean: number; cv: number }
const stats: {
  median(values: number[]): number;
  summarize(values: number[]): Summary;
  pairedRatio(pack: number[], raw: number[]): { ratio: number; ratios: number[] };
  cycleOrder(i: number): string[];
  fmt(value: number | undefined, digits?: number): string;
  pct(value: number | undefined): string;
  table(rows: unknown[][]): string;
  searchHighestRate(probe: (rate: number) => Promise<boolean>, o: { low: number; high: number; resolution?: number; maxProbes?: number }): Promise<{ rate: number; probes: Array<{ rate: number; pass: boolean }> }>;
} = require('../../../scripts/bench/stats');
const { parseTimes }: { parseTimes(text: string): number } = require('../../../scripts/bench/reference');

describe('bench stats', () => {
  it('summarises a series: min, median, max and the spread as stdev / mean', () => {
    const s = stats.summarize([10, 12, 11, 13, 9]);
    assert.equal(s.n, 5);
    assert.equal(s.min, 9);
    assert.equal(s.median, 11);
    assert.equal(s.max, 13);
    assert.equal(s.mean, 11);
    assert.ok(Math.abs(s.cv - Math.sqrt(2.5) / 11) < 1e-12);
    assert.equal(stats.median([4, 1, 3, 2]), 2.5);
    assert.equal(stats.summarize([7]).cv, 0);
    assert.ok(Number.isNaN(stats.summarize([]).median));
  });

  it('the median lies between min and max and ignores order (property)', () => {
    fc.assert(fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 30 }), (values) => {
      const s = stats.summarize(values);
      assert.ok(s.min <= s.median && s.median <= s.max);
      assert.equal(stats.median([...values].reverse()), s.median);
    }));
  });

  it('takes the pack/raw ratio as the median of the per-pair ratios, so one noisy pair does not move it', () => {
    const r = stats.pairedRatio([12, 13, 40, 12, 12], [10, 10, 10, 10, 10]);
    assert.deepEqual(r.ratios, [1.2, 1.3, 4, 1.2, 1.2]);
    assert.equal(r.ratio, 1.2);
  });

  it('alternates which side runs first', () => {
    assert.deepEqual(stats.cycleOrder(0), ['pack', 'raw']);
    assert.deepEqual(stats.cycleOrder(1), ['raw', 'pack']);
    assert.deepEqual(stats.cycleOrder(4), ['pack', 'raw']);
  });

  it('formats numbers with separators and shows absent values as a dash', () => {
    assert.equal(stats.fmt(1234567.891, 1), '1,234,567.9');
    assert.equal(stats.fmt(undefined), '-');
    assert.equal(stats.fmt(NaN), '-');
    assert.equal(stats.pct(0.1234), '12.3%');
  });

  it('lays out a table: header rule, numbers right-aligned, one-cell rows as section titles', () => {
    const text = stats.table([['name', 'value'], ['a section title longer than both columns'], ['  alpha', '1,234'], ['  b', '5 ms']]);
    assert.deepEqual(text.split('\n'), [
      'name     value',
      '-------  -----',
      'a section title longer than both columns',
      '  alpha  1,234',
      '  b       5 ms',
    ]);
  });

  it('finds the highest passing rate by bisection within the resolution', async () => {
    const limit = 23456;
    const r = await stats.searchHighestRate(async (rate) => rate <= limit, { low: 5000, high: 160000, resolution: 0.05, maxProbes: 20 });
    assert.ok(r.rate <= limit && r.rate >= limit * 0.95, `found ${r.rate}`);
    assert.ok(r.probes.every((p) => p.pass === p.rate <= limit));
    assert.equal((await stats.searchHighestRate(async () => false, { low: 5000, high: 160000 })).rate, 0);
    assert.equal((await stats.searchHighestRate(async () => true, { low: 5000, high: 160000 })).rate, 160000);
  });

  it('reads the children CPU time from bash `times`', () => {
    assert.equal(parseTimes('0m0.010s 0m0.002s\n1m2.500s 0m0.250s\n'), 62750);
  });
});
