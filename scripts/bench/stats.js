'use strict';
/**
 * Pure helpers of the benchmark: summaries of repeated measurements, the pack/raw
 * ratio of paired cycles, and the plain-text table. No I/O, so they are unit-tested
 * (test/unit/bench-stats.test.ts).
 */

/** Median of a non-empty list (mean of the two middle values for an even count). */
function median(values) {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * min, median, max, mean and the spread as a coefficient of variation (stdev / mean,
 * sample stdev): the figures a reader needs to tell a difference from noise.
 */
function summarize(values) {
  const n = values.length;
  if (n === 0) return { n: 0, min: NaN, median: NaN, max: NaN, mean: NaN, cv: NaN };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1) : 0;
  return {
    n,
    min: Math.min(...values),
    median: median(values),
    max: Math.max(...values),
    mean,
    cv: mean === 0 ? 0 : Math.sqrt(variance) / mean,
  };
}

/**
 * The pack/raw ratio of paired measurements: the median of the per-pair ratios. Each
 * pair ran back to back, so a slow patch of the shared machine hits both sides of one
 * pair; the median then drops the pairs a burst of noise hit on one side only.
 */
function pairedRatio(pack, raw) {
  const n = Math.min(pack.length, raw.length);
  const ratios = [];
  for (let i = 0; i < n; i++) if (raw[i] > 0) ratios.push(pack[i] / raw[i]);
  return { ratio: median(ratios), ratios };
}

/**
 * The order of the two sides in cycle i: pack first on even cycles, raw first on odd
 * ones, so whatever drifts during a run (heap, caches, the neighbours' load) is shared.
 */
function cycleOrder(i) {
  return i % 2 === 0 ? ['pack', 'raw'] : ['raw', 'pack'];
}

/** A number for a table cell: thousands separated, `digits` decimals, '-' when absent. */
function fmt(value, digits = 0) {
  if (value === undefined || value === null || Number.isNaN(value)) return '-';
  if (!Number.isFinite(value)) return String(value);
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `12.3%` from 0.123. */
function pct(value, digits = 1) {
  if (value === undefined || value === null || Number.isNaN(value)) return '-';
  return `${(value * 100).toFixed(digits)}%`;
}

/**
 * A plain-text table: the first row is the header, numbers (and '-') right-aligned,
 * text left-aligned, columns two spaces apart, a dashed rule under the header. A row of
 * one cell is a section title: printed as it is, without widening the first column.
 */
function table(rows) {
  if (rows.length === 0) return '';
  const cells = rows.map((r) => r.map((c) => (c === undefined || c === null ? '' : String(c))));
  const cols = Math.max(...cells.map((r) => r.length));
  const sized = cells.filter((r, i) => i === 0 || r.length > 1);
  const widths = [];
  for (let c = 0; c < cols; c++) widths.push(Math.max(...sized.map((r) => (r[c] ?? '').length)));
  const numeric = (s) => /^[-+]?[\d,.]+(%| ms| s| MB| µs|x)?$/.test(s) || s === '-';
  const line = (r, header) => r.map((s, c) => {
    const v = s ?? '';
    return !header && numeric(v) ? v.padStart(widths[c]) : v.padEnd(widths[c]);
  }).join('  ').replace(/\s+$/, '');
  const out = [line(cells[0], true), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const r of cells.slice(1)) out.push(r.length === 1 && cols > 1 ? r[0] : line(r, false));
  return out.join('\n');
}

/** `met` / `MISSED` against a target, for the verdict column. */
function verdict(ok) {
  if (ok === undefined || ok === null) return 'n/a';
  return ok ? 'met' : 'MISSED';
}

/**
 * Highest rate with no loss, by bisection between a rate known to pass and one known
 * to fail: `probe(rate)` resolves with true when nothing was lost. Stops when the
 * bracket is within `resolution` (relative) or after `maxProbes`. Returns the best
 * passing rate (0 when even `low` failed) and every probe made.
 */
async function searchHighestRate(probe, { low, high, resolution = 0.08, maxProbes = 8 }) {
  const probes = [];
  let ok = 0;
  let lo = low;
  let hi = high;
  const run = async (rate) => {
    const pass = await probe(rate);
    probes.push({ rate, pass });
    return pass;
  };
  if (!(await run(lo))) return { rate: 0, probes };
  ok = lo;
  if (await run(hi)) return { rate: hi, probes };
  while (probes.length < maxProbes && (hi - lo) / hi > resolution) {
    const mid = Math.round(Math.sqrt(lo * hi));
    if (await run(mid)) {
      lo = mid;
      ok = mid;
    } else {
      hi = mid;
    }
  }
  return { rate: ok, probes };
}

module.exports = { median, summarize, pairedRatio, cycleOrder, fmt, pct, table, verdict, searchHighestRate };
