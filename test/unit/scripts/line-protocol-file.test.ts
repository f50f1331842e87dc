/**
 * The demo's line-protocol file (scripts/lib/line-protocol-file.js): what the examples'
 * influxdb nodes write ends up importable, in ms, and the file never grows past its cap.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const { startLineProtocolFile, createLineProtocolFile, toMilliseconds } = require('../../../scripts/lib/line-protocol-file.js') as {
  startLineProtocolFile(file: string, o: { database: string; maxBytes?: number }): Promise<{ hostname: string; port: number; stop(): Promise<void> }>;
  createLineProtocolFile(file: string, o: { database: string; maxBytes?: number; onRotate?: (f: string) => void }): { append(body: string, precision?: string | null): void };
  toMilliseconds(body: string, precision?: string | null): string;
};

describe('demo line-protocol file', function () {
  let dir = '';
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-file-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes every timestamp in ms, whatever precision the writer asked for', function () {
    const line = 'snmp_interface,device=sim-0001,ifName=Gi0/1\\ 12 in_bps=1200,name="a b 1700000000123"';
    assert.equal(toMilliseconds(`${line} 1700000000123`, 'ms'), `${line} 1700000000123`);
    assert.equal(toMilliseconds(`${line} 1700000000123456789`, null), `${line} 1700000000123`, 'InfluxDB reads no precision as ns');
    assert.equal(toMilliseconds(`${line} 1700000000123456`, 'u'), `${line} 1700000000123`);
    assert.equal(toMilliseconds(`${line} 1700000000`, 's'), `${line} 1700000000000`);
    // no timestamp: the tag's escaped space and the string's digits are not one
    assert.equal(toMilliseconds(line, 's'), line);
    assert.equal(toMilliseconds('m,t=x\\ 17 v=1', 'n'), 'm,t=x\\ 17 v=1');
  });

  it('starts each file with the header influx -import needs', function () {
    const file = path.join(dir, 'points.lp');
    const sink = createLineProtocolFile(file, { database: 'snmp_fleet' });
    sink.append('m v=1 1000\nm v=2 2000\n', 'ms');
    sink.append('m v=3 3000', 'ms');
    assert.equal(fs.readFileSync(file, 'utf8'), '# DML\n# CONTEXT-DATABASE: snmp_fleet\nm v=1 1000\nm v=2 2000\nm v=3 3000\n');
  });

  it('moves the file to .1 past its cap, so the two stay under twice the cap however much is written', function () {
    const file = path.join(dir, 'points.lp');
    const rotated: string[] = [];
    const cap = 4096;
    const sink = createLineProtocolFile(file, { database: 'db', maxBytes: cap, onRotate: (f) => rotated.push(f) });
    const body = Array.from({ length: 10 }, (_, i) => `snmp_interface,device=sim-0001 in_bps=${i} ${1700000000000 + i}`).join('\n');
    for (let i = 0; i < 500; i++) sink.append(body, 'ms');
    const size = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : 0);
    assert.ok(rotated.length > 50, `${rotated.length} rotations`);
    assert.deepEqual([...new Set(rotated)], [`${file}.1`]);
    assert.ok(size(file) + size(`${file}.1`) < 2 * cap + body.length + 100, `${size(file)} + ${size(`${file}.1`)} bytes`);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['points.lp', 'points.lp.1']);
    for (const f of [file, `${file}.1`]) assert.match(fs.readFileSync(f, 'utf8'), /^# DML\n# CONTEXT-DATABASE: db\nsnmp_interface,/);
  });

  it('answers the InfluxDB 1.x endpoints the influxdb nodes call', async function () {
    const file = path.join(dir, 'points.lp');
    const sink = await startLineProtocolFile(file, { database: 'snmp_fleet' });
    try {
      const base = `http://${sink.hostname}:${sink.port}`;
      assert.equal((await fetch(`${base}/ping`)).status, 204);
      const w = await fetch(`${base}/write?db=snmp_fleet&precision=s`, { method: 'POST', body: 'm v=1 1700000000' });
      assert.equal(w.status, 204);
      assert.equal((await fetch(`${base}/query?q=SHOW+DATABASES`)).status, 200);
      assert.match(fs.readFileSync(file, 'utf8'), /\nm v=1 1700000000000\n$/);
    } finally {
      await sink.stop();
    }
  });
});
