/**
 * The series store and its exposition: staleness by each series' own interval, the
 * cap, name clashes, alerts, both formats (checked by Debian's promtool where it can),
 * format negotiation, and bounded memory under a flood of distinct label values.
 */
import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { acceptsGzip, chooseFormat, exposition } from '../../../src/lib/metrics/exposition';
import { readMessage, type SampleSink } from '../../../src/lib/metrics/read-message';
import { FIRST_INTERVAL_MS, SeriesStore } from '../../../src/lib/metrics/series-store';

const PROMTOOL = '/usr/bin/promtool';

function store(over: Partial<ConstructorParameters<typeof SeriesStore>[0]> = {}) {
  return new SeriesStore({ prefix: 'snmp_', maxSeries: 1000, staleAfter: 3, ...over });
}

function sinkFor(s: SeriesStore, now: () => number): SampleSink {
  return {
    sample: (f, k, v, t, l, val) => s.put(f, k, v, t, l, val, now()),
    drop: (r, d) => s.drop(r, d),
    cut: () => { s.cutLabels++; },
  };
}

const text = (s: SeriesStore, now: number, format: 'text' | 'openmetrics' = 'text') => [...exposition(s, format, now)].join('');

describe('metrics: series store and exposition', () => {
  it('writes counters with _total, in each format as its parser expects', () => {
    const s = store();
    s.put('ifHCInOctets', 'counter', 'raw', 'Counter64', '{device="r1",index="1"}', '18446744073709551615', 0);
    s.put('ifHighSpeed', 'gauge', 'raw', 'Gauge32', '{device="r1",index="1"}', 1000, 0);
    s.put('ifHCInOctets', 'gauge', 'rate', 'Counter64', '{device="r1",index="1"}', 12.5, 0);
    assert.equal(text(s, 0), [
      '# HELP snmp_ifHCInOctets_total ifHCInOctets (Counter64) as polled over SNMP: a raw counter, use rate()',
      '# TYPE snmp_ifHCInOctets_total counter',
      'snmp_ifHCInOctets_total{device="r1",index="1"} 18446744073709551615',
      '# HELP snmp_ifHighSpeed ifHighSpeed (Gauge32) as polled over SNMP',
      '# TYPE snmp_ifHighSpeed gauge',
      'snmp_ifHighSpeed{device="r1",index="1"} 1000',
      '# HELP snmp_ifHCInOctets_rate ifHCInOctets (Counter64) per second, from counter-rate',
      '# TYPE snmp_ifHCInOctets_rate gauge',
      'snmp_ifHCInOctets_rate{device="r1",index="1"} 12.5',
      '',
    ].join('\n'));
    const om = text(s, 0, 'openmetrics');
    assert.match(om, /^# HELP snmp_ifHCInOctets ifHCInOctets/);
    assert.match(om, /\n# TYPE snmp_ifHCInOctets counter\nsnmp_ifHCInOctets_total\{device="r1",index="1"\} 18446744073709551615\n/);
  });

  it('passes promtool check metrics with hostile label values, exact counters and many families', function () {
    assert.ok(fs.existsSync(PROMTOOL), `no ${PROMTOOL}: install it with: apt-get install -y prometheus (or run npm run system-deps as root)`);
    const s = store();
    const sink = sinkFor(s, () => 0);
    readMessage({
      topic: 'core "1" \\ \n ü 東京', device: { host: '192.0.2.1', port: 1161, labels: { site: 'Zürich\n"HQ"\\', 'rack-row': 'a,b=c}' } },
      payload: [{ index: '1', ifName: 'ge-0/0/1 "x"', ifHCInOctets: 2 ** 64 - 1, ifOperStatus: 1, ifHighSpeed: 1e4, ifInErrors: 0 }],
      types: { ifHCInOctets: 'Counter64', ifOperStatus: 'Integer', ifHighSpeed: 'Gauge32', ifInErrors: 'Counter32', ifName: 'OctetString' },
      varbinds: [{ name: 'IF-MIB::ifHCInOctets.1', type: 'Counter64', value: 2 ** 64 - 1, exact: '18446744073709551615' }],
    }, { labelColumns: ['ifName'] }, sink);
    const exposed = text(s, 0);
    let out = '';
    try {
      execFileSync(PROMTOOL, ['check', 'metrics'], { input: exposed, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (err) {
      out = `${(err as { stdout?: string }).stdout ?? ''}${(err as { stderr?: string }).stderr ?? ''}`;
    }
    // promtool's only complaint may be its style lint: MIB names keep their camel case, as snmp_exporter keeps it
    const complaints = out.split('\n').filter((l) => l.trim() !== '' && !/should be written in 'snake_case' not 'camelCase'/.test(l));
    assert.deepEqual(complaints, [], exposed);
    assert.match(exposed, /ifHCInOctets_total\{.*\} 18446744073709551615\n/);
  });

  it('lets a series go stale after staleAfter of its own intervals, and keeps alerts until resolved', () => {
    const s = store({ staleAfter: 3 });
    s.put('a', 'gauge', 'raw', undefined, '{x="1"}', 1, 0);
    s.alert('{alertname="Down"}', true, 0);
    // seen once: lives for the first interval (Prometheus's lookback delta)
    assert.equal(s.sweep(FIRST_INTERVAL_MS - 1), 0);
    s.put('a', 'gauge', 'raw', undefined, '{x="1"}', 2, 10_000);
    s.put('a', 'gauge', 'raw', undefined, '{x="1"}', 3, 20_000);
    assert.equal(s.sweep(20_000 + 30_000), 0, 'three intervals of 10 s: still there');
    assert.match(text(s, 50_000), /snmp_a\{x="1"\} 3/);
    assert.equal(text(s, 50_001).includes('snmp_a{'), false, 'the scrape leaves it out once stale');
    assert.equal(s.size, 1, 'and removed it on the way: only the alert is left');
    assert.match(text(s, 10 * 86400_000), /snmp_alert_firing\{alertname="Down"\} 1/);
    s.alert('{alertname="Down"}', false, 1);
    assert.equal(s.size, 0);
    assert.equal(text(s, 1), '');
  });

  it('does not let a burst of duplicates shorten the interval much', () => {
    const s = store({ staleAfter: 2 });
    s.put('a', 'gauge', 'raw', undefined, '', 1, 0);
    s.put('a', 'gauge', 'raw', undefined, '', 1, 60_000);
    s.put('a', 'gauge', 'raw', undefined, '', 1, 60_001);
    s.put('a', 'gauge', 'raw', undefined, '', 1, 60_002);
    // interval 60 s → 30 s → 15 s at worst: stale only after 2 × 15 s
    assert.equal(s.sweep(60_002 + 29_000), 0);
  });

  it('holds the cap: one count per refused series, the first reported once', () => {
    const s = store({ maxSeries: 10 });
    const first: string[] = [];
    s.onFirstDrop = (reason) => first.push(reason);
    for (let i = 0; i < 100; i++) s.put('v', 'gauge', 'raw', undefined, `{i="${i}"}`, i, 0);
    for (let i = 0; i < 5; i++) s.put(`f${i}`, 'gauge', 'raw', undefined, '{}', i, 0);
    assert.equal(s.size, 10);
    assert.equal(s.dropped.cap, 95);
    assert.deepEqual(first, ['cap']);
    // existing series still update at the cap
    s.put('v', 'gauge', 'raw', undefined, '{i="3"}', 33, 1);
    assert.match(text(s, 1), /snmp_v\{i="3"\} 33\n/);
  });

  it('refuses a name that arrives as counter and gauge, or whose samples would clash', () => {
    const s = store();
    s.put('x', 'counter', 'raw', 'Counter32', '{}', 1, 0);
    s.put('x', 'gauge', 'raw', undefined, '{}', 2, 0);
    s.put('x_total', 'gauge', 'raw', undefined, '{}', 3, 0);
    s.put('bad\u0000', 'gauge', 'raw', undefined, '{}', 3, 0);
    s.put('y'.repeat(300), 'gauge', 'raw', undefined, '{}', 3, 0);
    assert.equal(s.dropped['type-conflict'], 2);
    assert.equal(s.dropped['bad-name'], 1);
    assert.equal(s.size, 2, 'x and bad_: the control character became _');
    assert.match(text(s, 0), /^snmp_x_total\{\} 1$/m);
  });

  it('keeps memory bounded under 100,000 distinct label values', () => {
    const s = store({ maxSeries: 5000 });
    const sink = sinkFor(s, () => 0);
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    for (let batch = 0; batch < 100; batch++) {
      const rows = Array.from({ length: 1000 }, (_, i) => ({ index: `${batch}-${i}`, ifAlias: `alias ${batch * 1000 + i} ${'x'.repeat(50)}`, v: i }));
      readMessage({ topic: 'flood', payload: rows }, { labelColumns: ['ifAlias'] }, sink);
    }
    global.gc?.();
    const grown = process.memoryUsage().heapUsed - before;
    assert.equal(s.size, 5000);
    assert.equal(s.dropped.cap, 95_000);
    // 5,000 series of ~200 bytes of labels each; far from 100,000
    assert.ok(grown < 20 * 1024 * 1024, `heap grew ${Math.round(grown / 1048576)} MB`);
  });

  it('chooses OpenMetrics when the scraper ranks it first, the text format otherwise', () => {
    const prometheus = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
    assert.equal(chooseFormat(prometheus), 'openmetrics');
    assert.equal(chooseFormat('text/plain;version=0.0.4;q=1,application/openmetrics-text;q=0.5'), 'text');
    assert.equal(chooseFormat('*/*'), 'text');
    assert.equal(chooseFormat(undefined), 'text');
    assert.equal(chooseFormat('application/openmetrics-text;q=0'), 'text');
    assert.ok(acceptsGzip('gzip') && acceptsGzip('deflate, gzip;q=1.0, *;q=0.5') && acceptsGzip('*'));
    assert.ok(!acceptsGzip(undefined) && !acceptsGzip('identity') && !acceptsGzip('gzip;q=0'));
  });
});
