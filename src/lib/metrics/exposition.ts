/**
 * Writing a series store in the Prometheus text format 0.0.4 or OpenMetrics 1.0, in
 * chunks, and choosing between them from the scraper's Accept header. The two formats
 * differ where Prometheus's parsers are strict: a counter's TYPE line names the family
 * (`snmp_ifHCInOctets`) in OpenMetrics and the sample (`snmp_ifHCInOctets_total`) in
 * the text format; OpenMetrics escapes quotes in HELP and ends with `# EOF`.
 */
import { escapeHelp, formatNumber } from './names';
import type { SeriesStore } from './series-store';

export type ExpositionFormat = 'text' | 'openmetrics';

export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** About this much text per chunk: large enough to write efficiently, small enough to yield often. */
export const CHUNK_CHARS = 64 * 1024;

/**
 * The format a scraper asked for: OpenMetrics when its Accept header ranks
 * `application/openmetrics-text` at least as high as `text/plain` (Prometheus sends
 * OpenMetrics at q=1, text at q=0.5), the text format otherwise.
 */
export function chooseFormat(accept: string | undefined): ExpositionFormat {
  if (!accept) return 'text';
  let om = -1;
  let text = -1;
  for (const range of accept.split(',')) {
    const [type, ...params] = range.split(';').map((s) => s.trim().toLowerCase());
    let q = 1;
    for (const p of params) {
      const m = /^q=([0-9.]+)$/.exec(p);
      if (m) q = Number(m[1]);
    }
    if (!Number.isFinite(q)) continue;
    if (type === 'application/openmetrics-text') om = Math.max(om, q);
    else if (type === 'text/plain') text = Math.max(text, q);
  }
  return om > 0 && om >= text ? 'openmetrics' : 'text';
}

/** True when the client takes gzip (Prometheus always asks for it). */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (!acceptEncoding) return false;
  return acceptEncoding.split(',').some((part) => {
    const [coding, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = params.map((p) => /^q=([0-9.]+)$/.exec(p)).find(Boolean);
    return !q || Number(q[1]) > 0;
  });
}

/**
 * The store as exposition text, chunk by chunk. Stale series met on the way are removed
 * (the scrape sweeps what it reads). Without the closing `# EOF`: the caller appends
 * what follows (the pack's health) and ends the document.
 */
export function* exposition(store: SeriesStore, format: ExpositionFormat, now: number): Generator<string> {
  const om = format === 'openmetrics';
  let buf = '';
  for (const f of store.families.values()) {
    let header = false;
    for (const [labels, s] of f.series) {
      if (store.isStale(f, s, now)) {
        store.removeSeries(f, labels);
        continue;
      }
      if (!header) {
        const typeName = om ? f.name : f.sampleName;
        buf += `# HELP ${typeName} ${escapeHelp(f.help, om)}\n# TYPE ${typeName} ${f.type}\n`;
        header = true;
      }
      buf += `${f.sampleName}${labels} ${typeof s.value === 'number' ? formatNumber(s.value) : s.value}\n`;
      if (buf.length >= CHUNK_CHARS) {
        yield buf;
        buf = '';
      }
    }
    if (f.series.size === 0) store.removeFamily(f);
  }
  if (buf) yield buf;
}
