/**
 * The pack's health (common/health.ts families) in either exposition format, through
 * prom-client: a private registry per scrape, holding prom-client counters and gauges
 * set from the families. A fresh registry each time because prom-client renames a
 * counter (drops `_total`) on its first OpenMetrics rendering and would keep that name
 * for later text-format scrapes; the health is a few hundred series at most, so
 * building it costs little.
 */
import { Counter, Gauge, Registry, type RegistryContentType } from 'prom-client';
import type { HealthFamily } from '../common/health';
import type { ExpositionFormat } from './exposition';

/**
 * The families as exposition text. In OpenMetrics the text ends with `# EOF`; in the
 * text format with a newline. Families without samples are left out (prom-client would
 * invent a zero sample for them).
 */
export async function healthText(families: HealthFamily[], format: ExpositionFormat): Promise<string> {
  const registry = new Registry<RegistryContentType>();
  registry.setContentType(format === 'openmetrics' ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE);
  for (const f of families) {
    if (f.samples.length === 0) continue;
    const config = { name: f.name, help: f.help, labelNames: [...f.labelNames], registers: [registry as Registry] };
    if (f.type === 'counter') {
      const c = new Counter(config);
      for (const s of f.samples) if (Number.isFinite(s.value) && s.value >= 0) c.inc(s.labels, s.value);
    } else {
      const g = new Gauge(config);
      for (const s of f.samples) if (Number.isFinite(s.value)) g.set(s.labels, s.value);
    }
  }
  const text = await registry.metrics();
  // an empty registry renders as "\n" (text) or "\n# EOF\n" (OpenMetrics)
  return text.replace(/^\n+/, '');
}
