/**
 * `npm run dashboards`: writes the Grafana dashboards built by build.ts into grafana/.
 */
import * as fs from 'fs';
import * as path from 'path';
import { dashboards, dashboardText } from './build';

const dir = path.resolve(__dirname, '..', '..', 'grafana');
fs.mkdirSync(dir, { recursive: true });
for (const [file, d] of Object.entries(dashboards())) {
  fs.writeFileSync(path.join(dir, file), dashboardText(d));
  process.stdout.write(`grafana/${file}: ${d.panels?.length ?? 0} panels\n`);
}
