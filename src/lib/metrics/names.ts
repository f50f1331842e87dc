/**
 * Names and label values in the Prometheus exposition formats: metric names from MIB
 * object names, label names from inventory keys, and the escaping both the text format
 * (0.0.4) and OpenMetrics 1.0 ask for in label values and HELP text.
 */

/** Prometheus metric names: `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
/** Label names: `[a-zA-Z_][a-zA-Z0-9_]*`; `__` at the start is Prometheus's own. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Longest metric name made from a field; a longer field name is not a MIB name. */
export const MAX_NAME_LENGTH = 200;
/** Longest label value kept; longer values (a runaway string) are cut here. */
export const MAX_LABEL_VALUE = 1024;

/** True when `prefix` can start a metric name (empty allowed). */
export function isValidPrefix(prefix: string): boolean {
  return prefix === '' || METRIC_NAME.test(prefix);
}

/**
 * The metric name of a field: `prefix` + the field with every character outside
 * `[a-zA-Z0-9_:]` turned into `_` (a numeric OID `1.3.6.1` becomes `1_3_6_1`); the MIB's
 * camel case is kept, as snmp_exporter keeps it. Undefined when the field is empty or
 * too long to be a name.
 */
export function metricName(prefix: string, field: string): string | undefined {
  if (field.length === 0 || field.length > MAX_NAME_LENGTH) return undefined;
  let name = prefix + field.replace(/[^a-zA-Z0-9_:]/g, '_');
  if (!/^[a-zA-Z_:]/.test(name)) name = `_${name}`;
  return METRIC_NAME.test(name) ? name : undefined;
}

/**
 * A label name for an inventory key (`rack-row` → `rack_row`); keys Prometheus keeps for
 * itself (`__…`) get a `label` prefix. Undefined for an empty key.
 */
export function labelName(key: string): string | undefined {
  if (key.length === 0 || key.length > MAX_NAME_LENGTH) return undefined;
  let name = key.replace(/[^a-zA-Z0-9_]/g, '_');
  if (/^[0-9]/.test(name)) name = `_${name}`;
  if (name.startsWith('__')) name = `label${name}`;
  return LABEL_NAME.test(name) ? name : undefined;
}

/**
 * A label value as both formats write it between double quotes: backslash, double
 * quote and line feed escaped, everything else (any Unicode) as it is.
 */
export function escapeLabelValue(value: string): string {
  // the common case has nothing to escape: skip the three replaces
  if (!/[\\"\n]/.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text: the text format escapes backslash and line feed; OpenMetrics also the double quote. */
export function escapeHelp(text: string, openMetrics: boolean): string {
  const s = text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return openMetrics ? s.replace(/"/g, '\\"') : s;
}

/**
 * Renders a label set as `{a="x",b="y"}` ('' when empty). Values longer than
 * {@link MAX_LABEL_VALUE} are cut; `onCut` hears about it.
 */
export function renderLabels(pairs: ReadonlyArray<readonly [string, string]>, onCut?: () => void): string {
  if (pairs.length === 0) return '';
  let out = '{';
  for (let i = 0; i < pairs.length; i++) {
    let v = pairs[i][1];
    if (v.length > MAX_LABEL_VALUE) {
      v = cutValue(v);
      onCut?.();
    }
    out += `${i > 0 ? ',' : ''}${pairs[i][0]}="${escapeLabelValue(v)}"`;
  }
  return `${out}}`;
}

/** Cuts a value to the maximum length without splitting a surrogate pair. */
function cutValue(v: string): string {
  let end = MAX_LABEL_VALUE;
  const code = v.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return v.slice(0, end);
}

/** A sample value: shortest decimal that reads back as the same double (Go's ParseFloat reads `1e+21`). */
export function formatNumber(n: number): string {
  return String(n);
}
