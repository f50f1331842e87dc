/**
 * The Grafana dashboards of grafana/: the files are what the code in
 * scripts/dashboards builds (nobody edits the JSON by hand), each has a data-source and
 * a device variable, panels for what the issue asks, every target on the chosen data
 * source, and PromQL that Prometheus's own parser accepts (promtool check rules). The
 * queries run against real data in test/integration/examples-e2e.test.ts.
 */
import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { dashboards, dashboardText } from '../../../scripts/dashboards/build';
import { dashboardQueries, GRAFANA_DIR, promQL } from '../../support/dashboards';

const PROMTOOL = '/usr/bin/promtool';
const FILES = ['snmp-fleet-influxdb.json', 'snmp-fleet-prometheus.json'];

describe('Grafana dashboards', () => {
  it('ships exactly what scripts/dashboards builds (npm run dashboards)', () => {
    const built = dashboards();
    assert.deepEqual(Object.keys(built).sort(), FILES);
    assert.deepEqual(fs.readdirSync(GRAFANA_DIR).sort(), FILES);
    for (const [file, d] of Object.entries(built)) {
      assert.equal(fs.readFileSync(path.join(GRAFANA_DIR, file), 'utf8'), dashboardText(d), `${file} differs from the generated one: run npm run dashboards`);
    }
  });

  for (const file of FILES) {
    it(`${file}: data-source and device variables, the panels asked for, every target on the chosen data source`, () => {
      const d = JSON.parse(fs.readFileSync(path.join(GRAFANA_DIR, file), 'utf8'));
      const kind = file.includes('influx') ? 'influxdb' : 'prometheus';
      const vars = d.templating.list.map((v: any) => [v.name, v.type]);
      assert.deepEqual(vars, [['datasource', 'datasource'], ['device', 'query']]);
      assert.equal(d.templating.list[0].query, kind);
      const titles = d.panels.filter((p: any) => p.type !== 'row').map((p: any) => p.title.toLowerCase()).join(' | ');
      for (const topic of ['traffic in per interface', 'traffic per device', 'utilisation', 'error', 'devices down', 'alert', 'trap rate']) {
        assert.ok(titles.includes(topic), `${file}: a panel about ${topic} (${titles})`);
      }
      const ids = d.panels.map((p: any) => p.id);
      assert.equal(new Set(ids).size, ids.length, 'unique panel ids');
      for (const p of d.panels.filter((x: any) => x.type !== 'row')) {
        assert.deepEqual(p.datasource, { type: kind, uid: '${datasource}' }, p.title);
        assert.ok(p.targets.length > 0, p.title);
        for (const t of p.targets) assert.deepEqual(t.datasource, { type: kind, uid: '${datasource}' }, `${p.title} ${t.refId}`);
        assert.ok(p.description && p.description.length > 20, `${p.title} explains itself`);
      }
      assert.ok(dashboardQueries(file).length >= 12);
    });
  }

  it('has PromQL that Prometheus parses (promtool check rules)', () => {
    assert.ok(fs.existsSync(PROMTOOL), `no ${PROMTOOL}: install it with: apt-get install -y prometheus (or run npm run system-deps as root)`);
    const exprs = dashboardQueries('snmp-fleet-prometheus.json').filter((q) => !q.variable).map((q) => promQL(q.query, 60, 3600));
    const rules = { groups: [{ name: 'dashboard', rules: exprs.map((expr, i) => ({ record: `dashboard:query_${i}`, expr })) }] };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-rules-'));
    try {
      const file = path.join(dir, 'rules.yml');
      fs.writeFileSync(file, JSON.stringify(rules));
      const out = execFileSync(PROMTOOL, ['check', 'rules', file], { encoding: 'utf8' });
      assert.match(out, new RegExp(`SUCCESS: ${exprs.length} rules found`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
