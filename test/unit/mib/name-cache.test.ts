/**
 * Issue 14, defect 3: the cache of describe() answers is bounded in bytes, so a walk or
 * a trap flood that names millions of distinct instances cannot grow the heap past it.
 */
import { strict as assert } from 'assert';
import * as v8 from 'v8';
import * as vm from 'vm';
import { getMibService, MibService } from '../../../src/lib/mib';
import { applyMibNameCacheSetting } from '../../../src/lib/red/mib-access';
import { bundledMibDir } from '../../../src/lib/mib/sources';
import { DEFAULT_NAME_CACHE_BYTES, NameCache } from '../../../src/lib/mib/name-cache';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const IF_HC_IN_OCTETS = '1.3.6.1.2.1.31.1.1.1.6';
/** An instance of 120 arcs, as a hostile trap may carry: about 1.1 KB of OID text. */
function longInstance(i: number): string {
  const arcs: number[] = [];
  for (let k = 0; k < 120; k++) arcs.push((i * 7919 + k * 104729) % 4294967295);
  return `${IF_HC_IN_OCTETS}.${arcs.join('.')}`;
}

describe('MIB name cache (issue 14, defect 3)', function () {
  this.timeout(120000);
  const BUNDLED = bundledMibDir()!;

  it('holds at most its cap in bytes while 300,000 short and 30,000 long distinct instances are named', () => {
    const cap = 4 * 1024 * 1024;
    const mib = new MibService({ defaults: false, dirs: [BUNDLED], nameCacheBytes: cap });
    mib.load();
    const before = heapAfterGc();
    let peak = 0;
    for (let i = 0; i < 300_000; i++) {
      const info = mib.describe(`${IF_HC_IN_OCTETS}.${i}`);
      if (info?.name !== 'ifHCInOctets') assert.fail(`instance ${i} was not named`);
      if (i % 10_000 === 0) peak = Math.max(peak, mib.nameCacheStats().bytes);
    }
    for (let i = 0; i < 30_000; i++) {
      const info = mib.describe(longInstance(i));
      if (info?.name !== 'ifHCInOctets') assert.fail(`long instance ${i} was not named`);
      if (i % 1_000 === 0) peak = Math.max(peak, mib.nameCacheStats().bytes);
    }
    const stats = mib.nameCacheStats();
    assert.ok(stats.bytes <= cap && peak <= cap, `counted ${stats.bytes} B, peak ${peak} B, cap ${cap} B`);
    const grown = heapAfterGc() - before;
    // counted bytes are a slight overestimate of the heap they hold; 2x leaves room for GC noise.
    // The old 200,000-entry cap held about 45 MB here.
    assert.ok(grown < 2 * cap, `heap grew by ${(grown / 1e6).toFixed(1)} MB`);
    assert.ok(mib.describe(`${IF_HC_IN_OCTETS}.1`)?.instance === '1', 'still answers after the churn');
  });

  it('keeps the names polled every cycle while one-off names pass through (under half the cap between two polls)', () => {
    const mib = new MibService({ defaults: false, dirs: [BUNDLED], nameCacheBytes: 256 * 1024 });
    const fleetOids = Array.from({ length: 200 }, (_, i) => `${IF_HC_IN_OCTETS}.${i + 1}`);
    const first = fleetOids.map((o) => mib.describe(o));
    for (let cycle = 0; cycle < 20; cycle++) {
      // one-off instances between two polls (traps): over 20 cycles, 4 times what the cache holds
      for (let i = 0; i < 200; i++) mib.describe(`${IF_HC_IN_OCTETS}.${1_000_000 + cycle * 200 + i}`);
      fleetOids.forEach((o, i) => assert.equal(mib.describe(o), first[i], `${o} answered from the cache in cycle ${cycle}`));
    }
    assert.ok(mib.nameCacheStats().bytes <= 256 * 1024);
  });

  it('is settable, down to caching nothing', () => {
    const mib = new MibService({ defaults: false, dirs: [BUNDLED] });
    assert.equal(mib.nameCacheStats().limit, DEFAULT_NAME_CACHE_BYTES);
    const a = mib.describe(`${IF_HC_IN_OCTETS}.7`);
    assert.equal(mib.describe(`${IF_HC_IN_OCTETS}.7`), a, 'cached by default');
    mib.setNameCacheBytes(0);
    assert.equal(mib.nameCacheStats().entries, 0);
    const b = mib.describe(`${IF_HC_IN_OCTETS}.7`);
    assert.notEqual(mib.describe(`${IF_HC_IN_OCTETS}.7`), b, 'a fresh answer each time');
    assert.deepEqual(b, a, 'the same answer');
    assert.throws(() => mib.setNameCacheBytes(-1), RangeError);
  });

  it('takes its size from settings.js snmpConfigMibNameCacheMb, refusing a bad value', () => {
    try {
      assert.equal(applyMibNameCacheSetting(undefined), undefined);
      assert.equal(getMibService().nameCacheStats().limit, DEFAULT_NAME_CACHE_BYTES);
      assert.equal(applyMibNameCacheSetting('2'), undefined);
      assert.equal(getMibService().nameCacheStats().limit, 2 * 1024 * 1024);
      assert.match(applyMibNameCacheSetting('lots') ?? '', /snmpConfigMibNameCacheMb must be a number of megabytes/);
      assert.equal(getMibService().nameCacheStats().limit, 2 * 1024 * 1024, 'unchanged by a bad value');
    } finally {
      getMibService().setNameCacheBytes(DEFAULT_NAME_CACHE_BYTES);
    }
  });

  it('never caches one entry larger than half its cap', () => {
    const cache = new NameCache<number>(1000);
    cache.set('x'.repeat(600), 1);
    assert.equal(cache.size, 0);
    cache.set('1.3.6', 2);
    assert.equal(cache.get('1.3.6'), 2);
    assert.equal(cache.get('1.3.7'), undefined);
  });
});
