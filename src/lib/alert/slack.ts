/**
 * Slack Block Kit bodies for threshold-alert, for one alert or a group. Device text
 * (names, instances, values, row fields, error text, labels) is shown literally:
 * - every mrkdwn object is `verbatim`, so Slack does not turn URLs or #channel names in
 *   an ifAlias into links, nor parse mentions;
 * - `&`, `<`, `>` become entities, as Slack asks, which also makes `<!channel>`,
 *   `<@U…>` and `<http://…|link>` inert; bare `@channel`/`@here`/`@everyone` get a word
 *   joiner so no client setting turns them into mentions;
 * - Slack has no escape for its emphasis marks: a `*`, `_`, `~` or backtick that could
 *   open or close emphasis (next to a space or the edge) becomes a look-alike (∗ ＿ ∼ ˋ),
 *   so a device cannot make text bold, struck or code;
 * - control characters become spaces, bidi overrides and other invisible characters
 *   show as `[U+202E]` (common/templates.ts).
 * Times are Slack date tokens, which every reader sees in their own time zone. Lengths
 * keep to Block Kit's limits without cutting an entity in half; a group lists what fits
 * and counts the rest.
 * https://api.slack.com/reference/surfaces/formatting#escaping
 */
import type { AlertNotification } from './notification';
import type { AlertGroup } from './dispatch';
import { cleanText, renderTemplate } from '../common/templates';

/** Block Kit limits (https://api.slack.com/reference/block-kit/blocks). */
export const SLACK_LIMITS = { sectionText: 3000, fieldText: 2000, fields: 10, contextText: 2000, text: 3000, blocks: 50 };
/** Alerts a group message names one by one; the rest are counted. */
export const SLACK_GROUP_LIST = 20;

type Mrkdwn = { type: 'mrkdwn'; text: string; verbatim: true };

/** Escapes one device-provided string for Slack mrkdwn. */
export function slackEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@(channel|here|everyone)\b/gi, '@\u2060$1');
}

const LOOK_ALIKE: Record<string, string> = { '*': '\u2217', _: '\uff3f', '~': '\u223c', '`': '\u02cb' };

/**
 * Emphasis marks that could open or close Slack formatting (next to a non-letter or the
 * edge) as look-alikes; marks inside a word (`core_sw_1`) stay, Slack ignores those.
 */
export function defuseMrkdwn(s: string): string {
  return s.replace(/[*_~`]/g, (c, at: number) => {
    const before = at === 0 ? '' : s[at - 1];
    const after = at + 1 >= s.length ? '' : s[at + 1];
    const inWord = /[\p{L}\p{N}]/u.test(before) && /[\p{L}\p{N}]/u.test(after);
    return inWord ? c : LOOK_ALIKE[c];
  });
}

/** Cuts escaped text to `max` characters, never inside an `&…;` entity. */
export function truncateEscaped(s: string, max: number): string {
  if (s.length <= max) return s;
  let cut = s.slice(0, max - 1);
  const amp = cut.lastIndexOf('&');
  if (amp >= 0 && cut.indexOf(';', amp) < 0) cut = cut.slice(0, amp);
  const code = cut.charCodeAt(cut.length - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut = cut.slice(0, -1);
  return cut + '…';
}

/** Device text for mrkdwn: cleaned, emphasis defused, escaped. */
const esc = (s: string): string => slackEscape(defuseMrkdwn(cleanText(s)));

function mrkdwn(text: string, max: number): Mrkdwn {
  return { type: 'mrkdwn', text: truncateEscaped(text, max), verbatim: true };
}

function field(title: string, value: string): Mrkdwn {
  return mrkdwn(`*${title}*\n${value === '' ? '—' : value}`, SLACK_LIMITS.fieldText);
}

/**
 * A Slack date token: each reader sees the time in their own zone; the fallback (older
 * clients, notifications) is UTC to the minute, `2024-12-06T00:00Z`.
 */
export function slackDate(ms: number): string {
  const fallback = new Date(Math.floor(ms / 60000) * 60000).toISOString().replace(/:00\.000Z$/, 'Z');
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${fallback}>`;
}

function whenText(n: AlertNotification): string {
  return `since ${slackDate(n.startsAt)}` + (n.status === 'resolved' && n.endsAt !== undefined ? ` · resolved ${slackDate(n.endsAt)}` : '');
}

function word(n: AlertNotification): string {
  return n.status === 'resolved' ? 'RESOLVED' : n.repeat ? 'STILL FIRING' : 'FIRING';
}

function icon(n: AlertNotification): string {
  return n.status === 'resolved' ? ':large_green_circle:' : n.repeat ? ':repeat:' : ':red_circle:';
}

/** A Block Kit message body (`{text, blocks}`) for one alert, for an incoming webhook or chat.postMessage. */
export function slackBody(n: AlertNotification): { text: string; blocks: unknown[] } {
  const name = esc(n.alertname);
  const device = esc(n.device);
  const instance = esc(n.instance);
  const summary = renderTemplate(n.template, n.vars, esc);
  const headline = `${icon(n)} *${word(n)}: ${name}* · ${esc(n.severity)}`;
  const fields = [field('Device', device), field('Instance', instance), field('Value', esc(valueString(n.value)))];
  if (n.threshold !== null && n.threshold !== '') fields.push(field('Threshold', esc(`${n.op ?? ''} ${valueString(n.threshold)}`.trim())));
  const labels = Object.entries(n.labels).slice(0, SLACK_LIMITS.fields - fields.length);
  for (const [k, v] of labels) fields.push(field(esc(k), esc(v)));
  return {
    text: truncateEscaped(`${word(n)}: ${name} on ${device}${instance ? ' ' + instance : ''} · ${summary}`, SLACK_LIMITS.text),
    blocks: [
      { type: 'section', text: mrkdwn(`${headline}\n${summary}`, SLACK_LIMITS.sectionText) },
      { type: 'section', fields },
      { type: 'context', elements: [mrkdwn(whenText(n), SLACK_LIMITS.contextText)] },
    ],
  };
}

/** "3 × InterfaceDown, 1 × HighUtilization": what a list of alerts is about. */
function countsByName(ns: AlertNotification[]): string {
  const counts = new Map<string, number>();
  for (const n of ns) counts.set(n.alertname, (counts.get(n.alertname) ?? 0) + 1);
  return [...counts].map(([name, c]) => (c === 1 ? esc(name) : `${c} × ${esc(name)}`)).join(', ');
}

/** Who the group is about: its devices (the first three, then a count). */
function devicesOf(ns: AlertNotification[]): string {
  const devices = [...new Set(ns.map((n) => n.device))];
  const named = devices.slice(0, 3).map(esc).join(', ');
  return devices.length > 3 ? `${named} +${devices.length - 3} more` : named;
}

/** One line of a group's list: instance (or device), summary. */
function line(n: AlertNotification, multiDevice: boolean): string {
  const who = [multiDevice ? esc(n.device) : '', esc(n.instance)].filter((s) => s !== '').join(' ');
  const summary = renderTemplate(n.template, n.vars, esc);
  return `• ${who ? `*${who}* — ` : ''}${summary}`;
}

/**
 * Lines into sections of at most 3,000 characters and `maxBlocks` blocks; what does
 * not fit is counted in a last line.
 */
function listSections(lines: string[], total: number, maxBlocks: number): unknown[] {
  const blocks: unknown[] = [];
  let current = '';
  let shown = 0;
  const more = (n: number): string => `_+${n} more_`;
  for (const l of lines) {
    const next = current === '' ? l : `${current}\n${l}`;
    if (next.length + more(total).length + 1 <= SLACK_LIMITS.sectionText) {
      current = next;
      shown++;
      continue;
    }
    if (blocks.length + 2 >= maxBlocks) break;
    if (current !== '') blocks.push({ type: 'section', text: mrkdwn(current, SLACK_LIMITS.sectionText) });
    current = truncateEscaped(l, SLACK_LIMITS.sectionText - more(total).length - 1);
    shown++;
  }
  if (shown < total) current = current === '' ? more(total - shown) : `${current}\n${more(total - shown)}`;
  if (current !== '') blocks.push({ type: 'section', text: mrkdwn(current, SLACK_LIMITS.sectionText) });
  return blocks;
}

/**
 * A Block Kit body for a group of alert changes: one headline ("core-1: 48 ×
 * InterfaceDown"), the firing and the resolved alerts listed (the first
 * {@link SLACK_GROUP_LIST} of each, then "+N more"), times as Slack date tokens. A
 * group of one alert reads as {@link slackBody}.
 */
export function slackGroupBody(g: AlertGroup): { text: string; blocks: unknown[] } {
  if (g.notifications.length === 1 && g.stillFiring === 0) return slackBody(g.notifications[0]);
  const firing = g.notifications.filter((n) => n.status === 'firing');
  const resolved = g.notifications.filter((n) => n.status === 'resolved');
  const multiDevice = new Set(g.notifications.map((n) => n.device)).size > 1;
  const who = devicesOf(g.notifications);
  const parts: string[] = [];
  if (firing.length > 0) parts.push(`${firing.every((n) => n.repeat) ? 'STILL FIRING' : 'FIRING'} ${countsByName(firing)}`);
  if (resolved.length > 0) parts.push(`RESOLVED ${countsByName(resolved)}`);
  const headIcon = firing.length > 0 ? (firing.every((n) => n.repeat) ? ':repeat:' : ':red_circle:') : ':large_green_circle:';
  const severities = [...new Set(firing.map((n) => n.severity))].map(esc).join(', ');
  const headline = `${headIcon} *${who}*: ${parts.join(' · ')}${severities ? ` · ${severities}` : ''}`;
  const names = (ns: AlertNotification[]): string => {
    const shown = ns.slice(0, 3).map((n) => esc(multiDevice ? `${n.device} ${n.instance}`.trim() : n.instance || n.device));
    return `${shown.join(', ')}${ns.length > 3 ? ` +${ns.length - 3} more` : ''}`;
  };
  const textParts = [
    firing.length > 0 ? `FIRING: ${countsByName(firing)} (${names(firing)})` : '',
    resolved.length > 0 ? `RESOLVED: ${countsByName(resolved)} (${names(resolved)})` : '',
  ].filter((s) => s !== '');
  const blocks: unknown[] = [{ type: 'section', text: mrkdwn(headline, SLACK_LIMITS.sectionText) }];
  // headline + at most two lists + context: the lists share the rest of the 50 blocks
  const budget = Math.floor((SLACK_LIMITS.blocks - 2) / (firing.length > 0 && resolved.length > 0 ? 2 : 1));
  for (const [title, ns] of [['Firing', firing], ['Resolved', resolved]] as const) {
    if (ns.length === 0) continue;
    const lines = [`*${title}*`, ...ns.slice(0, SLACK_GROUP_LIST).map((n) => line(n, multiDevice))];
    blocks.push(...listSections(lines, ns.length + 1, budget));
  }
  const first = Math.min(...g.notifications.map((n) => n.startsAt));
  const context = [`since ${slackDate(first)}`];
  if (resolved.length > 0) context.push(`resolved ${slackDate(Math.max(...resolved.map((n) => n.endsAt ?? g.time)))}`);
  if (g.stillFiring > 0) context.push(`${g.stillFiring} more of this group still firing`);
  blocks.push({ type: 'context', elements: [mrkdwn(context.join(' · '), SLACK_LIMITS.contextText)] });
  return { text: truncateEscaped(`${who}: ${textParts.join(' · ')}`, SLACK_LIMITS.text), blocks };
}

function valueString(v: number | string | null): string {
  if (v === null) return '';
  return typeof v === 'number' ? String(Number(v.toPrecision(6))) : v;
}
