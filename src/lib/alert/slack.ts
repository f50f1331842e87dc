/**
 * Slack Block Kit bodies for threshold-alert. Every value that comes from a device or
 * a message (names, instances, values, row fields, error text, labels) is escaped as
 * Slack asks — `&`, `<`, `>` as entities — which also makes `<!channel>`, `<!here>`,
 * `<@U…>` and `<http://…|link>` inert; bare `@channel`/`@here`/`@everyone` get a word
 * joiner so no client setting turns them into mentions. Lengths are capped to Block
 * Kit's limits without cutting an entity in half.
 * https://api.slack.com/reference/surfaces/formatting#escaping
 */
import type { AlertNotification } from './notification';
import { cleanText, renderTemplate } from '../common/templates';

/** Block Kit limits (https://api.slack.com/reference/block-kit/blocks). */
export const SLACK_LIMITS = { sectionText: 3000, fieldText: 2000, fields: 10, contextText: 2000, text: 3000 };

/** Escapes one device-provided string for Slack mrkdwn. */
export function slackEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@(channel|here|everyone)\b/gi, '@\u2060$1');
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

const esc = (s: string): string => slackEscape(cleanText(s));

function field(title: string, value: string): { type: 'mrkdwn'; text: string } {
  return { type: 'mrkdwn', text: truncateEscaped(`*${title}*\n${value === '' ? '—' : value}`, SLACK_LIMITS.fieldText) };
}

/** A Block Kit message body (`{text, blocks}`) for an incoming webhook or chat.postMessage. */
export function slackBody(n: AlertNotification): { text: string; blocks: unknown[] } {
  const resolved = n.status === 'resolved';
  const icon = resolved ? ':large_green_circle:' : n.repeat ? ':repeat:' : ':red_circle:';
  const word = resolved ? 'RESOLVED' : n.repeat ? 'STILL FIRING' : 'FIRING';
  const name = esc(n.alertname);
  const device = esc(n.device);
  const instance = esc(n.instance);
  const summary = renderTemplate(n.template, n.vars, esc);
  const headline = `${icon} *${word}: ${name}* · ${esc(n.severity)}`;
  const fields = [field('Device', device), field('Instance', instance), field('Value', esc(valueString(n.value)))];
  if (n.threshold !== null && n.threshold !== '') fields.push(field('Threshold', esc(`${n.op ?? ''} ${valueString(n.threshold)}`.trim())));
  const labels = Object.entries(n.labels).slice(0, SLACK_LIMITS.fields - fields.length);
  for (const [k, v] of labels) fields.push(field(esc(k), esc(v)));
  const when = `since ${new Date(n.startsAt).toISOString()}` + (resolved && n.endsAt !== undefined ? ` · resolved ${new Date(n.endsAt).toISOString()}` : '');
  return {
    text: truncateEscaped(`${word}: ${name} on ${device}${instance ? ' ' + instance : ''} · ${summary}`, SLACK_LIMITS.text),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: truncateEscaped(`${headline}\n${summary}`, SLACK_LIMITS.sectionText) } },
      { type: 'section', fields },
      { type: 'context', elements: [{ type: 'mrkdwn', text: truncateEscaped(when, SLACK_LIMITS.contextText) }] },
    ],
  };
}

function valueString(v: number | string | null): string {
  if (v === null) return '';
  return typeof v === 'number' ? String(Number(v.toPrecision(6))) : v;
}
