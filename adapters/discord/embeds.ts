import { TONE_EMOJI, type Action, type Message, type Tone } from '../../src/core/messages.ts';

/**
 * The neutral Message as a Discord embed, coloured by state, within Discord's limits (title 256,
 * description 4096, 25 fields, 6000 characters in all): long content is summarised, never refused.
 */
export const EMBED_LIMITS = { title: 256, description: 4096, fields: 25, fieldName: 256, fieldValue: 1024, total: 6000, customId: 100 } as const;

export const COLORS: Record<Tone, number> = {
  up: 0x2ecc71,
  degraded: 0xf1c40f,
  partial: 0xe67e22,
  down: 0xe74c3c,
  maintenance: 0x3498db,
  unknown: 0x95a5a6,
  info: 0x95a5a6,
  error: 0x95a5a6,
};

export interface DiscordEmbed {
  title: string;
  description?: string;
  color: number;
  fields?: { name: string; value: string; inline?: boolean }[];
  timestamp?: string;
  footer?: { text: string };
}

export interface DiscordPayload {
  content?: string;
  embeds: DiscordEmbed[];
  components: { type: 1; components: Record<string, unknown>[] }[];
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

function button(a: Action): Record<string, unknown> | null {
  const id =
    a.kind === 'recheck' ? `isdown:recheck:${a.target}` : a.kind === 'watch' ? `isdown:watch:${a.target}` : `isdown:mute:${a.target}|${Math.round(a.durationMs / 60_000)}m`;
  // A custom id over 100 characters is refused by Discord; such a button is left out.
  if (id.length > EMBED_LIMITS.customId) return null;
  const label = a.kind === 'recheck' ? 'Re-check' : a.kind === 'watch' ? 'Watch' : 'Mute 1 h';
  return { type: 2, style: a.kind === 'recheck' ? 1 : 2, label, custom_id: id };
}

/** Discord timestamps render in each reader's time zone: <t:unix:R> reads "5 minutes ago". */
export const discordTime = (epochMs: number, style: 'R' | 'f' | 't' = 'R') => `<t:${Math.floor(epochMs / 1_000)}:${style}>`;

export function toDiscord(m: Message): DiscordPayload {
  const title = clip(`${TONE_EMOJI[m.tone]} ${m.title}`, EMBED_LIMITS.title);
  let budget = EMBED_LIMITS.total - title.length;
  const fields: DiscordEmbed['fields'] = [];
  const allFields = m.fields.slice(0, EMBED_LIMITS.fields);
  for (const f of allFields) {
    const name = clip(f.label, EMBED_LIMITS.fieldName);
    const value = clip(f.value || '—', EMBED_LIMITS.fieldValue);
    if (name.length + value.length > budget - 200) break;
    fields.push({ name, value, inline: f.value.length < 40 });
    budget -= name.length + value.length;
  }
  const more = m.fields.length - fields.length;
  const lines = [...m.lines, ...(m.at !== undefined ? [`Checked ${discordTime(m.at)}`] : []), ...(more > 0 ? [`…and ${more} more`] : [])];
  const description = clip(lines.join('\n'), Math.min(EMBED_LIMITS.description, Math.max(0, budget)));
  const buttons = m.actions.map(button).filter((b): b is Record<string, unknown> => b !== null);
  for (const l of m.links) buttons.push({ type: 2, style: 5, label: clip(l.label, 80), url: l.url });
  return {
    embeds: [{ title, color: COLORS[m.tone], ...(description ? { description } : {}), ...(fields.length ? { fields } : {}), ...(m.at !== undefined ? { timestamp: new Date(m.at).toISOString() } : {}) }],
    components: buttons.length ? [{ type: 1, components: buttons.slice(0, 5) }] : [],
  };
}
