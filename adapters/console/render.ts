import { formatDuration, formatLatency } from '../../src/core/duration.ts';
import { TONE_EMOJI, type Message } from '../../src/core/messages.ts';
import { chartUnit, sparkline, type Chart } from '../../src/core/uptime.ts';

/** The picture as one line: response time per hour or day, ✖ where it was down, oldest first. */
function chartLine(chart: Chart): string {
  const per = chartUnit(chart);
  const slowest = Math.max(0, ...chart.points.map((p) => p.avgMs ?? 0));
  return `${sparkline(chart)} (average response time per ${per}, oldest first: █ is ${formatLatency(slowest)}, ✖ down, · not checked)`;
}

/**
 * Control characters (ESC and the rest of C0 but newline and tab, DEL, C1) taken out of text
 * from outside (a status feed, a page's title) before it reaches a terminal: an escape sequence
 * in a feed could otherwise move the cursor, retitle the window or hide lines.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
export const safeText = (s: string): string => s.replace(CONTROL, '');

/** A neutral Message as terminal text: the headline, then indented facts, reasons and links. */
export function renderText(message: Message, opts: { color?: boolean } = {}): string {
  const m: Message = {
    ...message,
    title: safeText(message.title),
    lines: message.lines.map(safeText),
    fields: message.fields.map((f) => ({ ...f, label: safeText(f.label), value: safeText(f.value) })),
    links: message.links.map((l) => ({ ...l, label: safeText(l.label), url: safeText(l.url) })),
  };
  const bold = (s: string) => (opts.color ? `\x1b[1m${s}\x1b[0m` : s);
  const dim = (s: string) => (opts.color ? `\x1b[2m${s}\x1b[0m` : s);
  const out = [`${TONE_EMOJI[m.tone]} ${bold(m.title)}`];
  for (const line of m.lines) out.push(`   ${line}`);
  if (m.chart) out.push(`   ${dim('chart:')} ${chartLine(m.chart)}`);
  for (const f of m.fields) out.push(`   ${dim(`${f.label}:`)} ${f.value}`);
  for (const l of m.links) out.push(`   ${dim(`${l.label}:`)} ${l.url}`);
  const actions = m.actions.map((a) =>
    a.kind === 'recheck' ? `"${a.target}" to re-check` : a.kind === 'mute' ? `"mute ${a.target} ${formatDuration(a.durationMs).replace(' ', '')}"` : `"watch ${a.target}"`,
  );
  if (actions.length && opts.color) out.push(dim(`   next: ${actions.join(' · ')}`));
  return out.join('\n');
}
