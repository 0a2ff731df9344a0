import { formatDuration } from '../../src/core/duration.ts';
import { TONE_EMOJI, type Action, type Message } from '../../src/core/messages.ts';

/**
 * The neutral Message as Block Kit. Slack rejects a message over its limits instead of
 * trimming it, so every limit is respected here: long lists are summarised, never refused.
 */
export const SLACK_LIMITS = { blocks: 50, sectionText: 3000, header: 150, fieldText: 2000, fields: 10, buttonText: 75, actionValue: 2000, fallbackText: 3000 } as const;

export interface SlackBlock {
  readonly type: string;
  readonly [k: string]: unknown;
}

export interface SlackMessage {
  readonly text: string;
  readonly blocks: SlackBlock[];
}

export const ACTION_IDS = { recheck: 'isdown_recheck', mute: 'isdown_mute', watch: 'isdown_watch', link: 'isdown_link' } as const;

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** Slack's mrkdwn treats &, < and > as control characters. */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Times in the reader's own time zone: Slack formats <!date^…> per user. */
export function slackDate(epochMs: number, fallback: string): string {
  return `<!date^${Math.floor(epochMs / 1_000)}^{date_short_pretty} {time}|${fallback}>`;
}

function button(a: Action): SlackBlock {
  switch (a.kind) {
    case 'recheck':
      return { type: 'button', action_id: ACTION_IDS.recheck, text: { type: 'plain_text', text: 'Re-check' }, value: clip(a.target, SLACK_LIMITS.actionValue) };
    case 'mute':
      return { type: 'button', action_id: ACTION_IDS.mute, text: { type: 'plain_text', text: `Mute ${formatDuration(a.durationMs)}` }, value: clip(JSON.stringify({ t: a.target, d: a.durationMs }), SLACK_LIMITS.actionValue) };
    case 'watch':
      return { type: 'button', action_id: ACTION_IDS.watch, text: { type: 'plain_text', text: 'Watch' }, value: clip(a.target, SLACK_LIMITS.actionValue) };
  }
}

/** Splits text into section blocks of at most 3000 characters, on line breaks where possible. */
function sections(text: string): SlackBlock[] {
  const out: SlackBlock[] = [];
  let rest = text;
  while (rest.length > 0) {
    let cut = rest.length <= SLACK_LIMITS.sectionText ? rest.length : rest.lastIndexOf('\n', SLACK_LIMITS.sectionText);
    if (cut <= 0) cut = SLACK_LIMITS.sectionText;
    out.push({ type: 'section', text: { type: 'mrkdwn', text: rest.slice(0, cut) } });
    rest = rest.slice(cut).replace(/^\n/, '');
  }
  return out;
}

export function toSlack(m: Message): SlackMessage {
  const emoji = TONE_EMOJI[m.tone];
  const headline = `${emoji} ${m.title}`;
  const blocks: SlackBlock[] = [];
  // A header holds 150 plain-text characters; a longer title goes in a section instead.
  if (headline.length <= SLACK_LIMITS.header) blocks.push({ type: 'header', text: { type: 'plain_text', text: headline, emoji: true } });
  else blocks.push(...sections(`*${escapeMrkdwn(headline)}*`));

  if (m.lines.length) {
    // Lines that are a list's items already carry their bullet ("now", a storm's members).
    const bullets = m.lines.map((l) => (l.startsWith('• ') ? escapeMrkdwn(l) : `• ${escapeMrkdwn(l)}`));
    blocks.push(...sections(bullets.join('\n')));
  }
  if (m.fields.length) {
    const fields = m.fields.slice(0, SLACK_LIMITS.fields).map((f) => ({ type: 'mrkdwn', text: clip(`*${escapeMrkdwn(f.label)}*\n${escapeMrkdwn(f.value)}`, SLACK_LIMITS.fieldText) }));
    blocks.push({ type: 'section', fields });
    if (m.fields.length > SLACK_LIMITS.fields) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `…and ${m.fields.length - SLACK_LIMITS.fields} more` }] });
  }
  const elements: SlackBlock[] = m.actions.map(button);
  for (const l of m.links) elements.push({ type: 'button', action_id: `${ACTION_IDS.link}_${elements.length}`, text: { type: 'plain_text', text: clip(l.label, SLACK_LIMITS.buttonText) }, url: l.url });
  if (elements.length) blocks.push({ type: 'actions', elements: elements.slice(0, 25) });
  if (m.at !== undefined) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Checked ${slackDate(m.at, new Date(m.at).toISOString().replace('T', ' ').slice(0, 16) + ' UTC')}` }] });
  }

  // Over 50 blocks: keep the head and the actions, say what was left out.
  let final = blocks;
  if (blocks.length > SLACK_LIMITS.blocks) {
    const tail = blocks.filter((b) => b.type === 'actions' || b.type === 'context').slice(-2);
    const head = blocks.filter((b) => !tail.includes(b)).slice(0, SLACK_LIMITS.blocks - tail.length - 1);
    final = [...head, { type: 'context', elements: [{ type: 'mrkdwn', text: `…${blocks.length - head.length - tail.length} more sections left out` }] }, ...tail];
  }
  const text = clip([headline, ...m.lines].join('\n'), SLACK_LIMITS.fallbackText);
  return { text, blocks: final };
}
