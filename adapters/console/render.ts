import { formatDuration } from '../../src/core/duration.ts';
import { TONE_EMOJI, type Message } from '../../src/core/messages.ts';

/** A neutral Message as terminal text: the headline, then indented facts, reasons and links. */
export function renderText(m: Message, opts: { color?: boolean } = {}): string {
  const bold = (s: string) => (opts.color ? `\x1b[1m${s}\x1b[0m` : s);
  const dim = (s: string) => (opts.color ? `\x1b[2m${s}\x1b[0m` : s);
  const out = [`${TONE_EMOJI[m.tone]} ${bold(m.title)}`];
  for (const line of m.lines) out.push(`   ${line}`);
  for (const f of m.fields) out.push(`   ${dim(`${f.label}:`)} ${f.value}`);
  for (const l of m.links) out.push(`   ${dim(`${l.label}:`)} ${l.url}`);
  const actions = m.actions.map((a) =>
    a.kind === 'recheck' ? `"${a.target}" to re-check` : a.kind === 'mute' ? `"mute ${a.target} ${formatDuration(a.durationMs).replace(' ', '')}"` : `"watch ${a.target}"`,
  );
  if (actions.length && opts.color) out.push(dim(`   next: ${actions.join(' · ')}`));
  return out.join('\n');
}
