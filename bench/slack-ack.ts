/**
 * Slack under load, against the fake Slack on 127.0.0.1:
 *  1. 200 concurrent signed /isdown commands for a target that takes 5 s to answer:
 *     p50/p99 time to the HTTP ack, and to the response_url answer.
 *  2. Alert fan-out: one incident to 1,000 watching channels with the fake enforcing about
 *     1 message/s per channel and a workspace-wide burst limit: all delivered, none twice.
 * Prints JSON. Usage: npm run bench:slack
 */
import { sendToBot, slackSignature, slashCommand, startFakeSlack } from '../test/fakes/slack.ts';
import { burst as fire, burstFloor, type BurstRequest } from './http-burst.ts';
import { startTarget } from '../test/fakes/target.ts';
import { scratchDir, startBot } from '../test/support/run-isdown.ts';
import { LOCAL_TARGETS, FAST_ROUNDS } from '../test/support/settings.ts';

const SECRET = 'bench-secret';
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 10) / 10 : 0;
};
const channels = Array.from({ length: 1_000 }, (_, i) => `C${String(i).padStart(4, '0')}`);

const slack = await startFakeSlack();
slack.addWorkspace({ teamId: 'T1', token: 'xoxb-bench', channels });
const site = await startTarget();
site.set('/slow', { kind: 'ok', body: 'slow but fine', delayMs: 5_000 });
site.set('/fan', { kind: 'ok', body: 'fine' });
// The bot runs in its own process, as in production: the load generator and the fakes do not
// share its event loop, so the ack times are the bot's.
const bot = startBot({
  SLACK_BOT_TOKEN: 'xoxb-bench',
  SLACK_SIGNING_SECRET: SECRET,
  SLACK_API_URL: slack.apiUrl,
  STORE_URL: `sqlite://${scratchDir()}/bench.sqlite`,
  ...LOCAL_TARGETS,
  ...FAST_ROUNDS,
  ISDOWN_HOST_CONCURRENCY: '256',
});
const events = `http://127.0.0.1:${await bot.port()}/slack/events`;
const command = (id: string, channel: string, user: string, text: string) =>
  sendToBot(events, slashCommand({ team: 'T1', channel, user, text, responseUrl: slack.responseUrl(id) }), { secret: SECRET });
const answers = async (ids: Set<string>, timeoutMs: number) => {
  const seen = new Map<string, number>();
  const t0 = performance.now();
  while (seen.size < ids.size && performance.now() - t0 < timeoutMs) {
    for (const r of slack.responses) {
      const id = r.path.slice('/response/'.length);
      if (ids.has(id) && !seen.has(id)) seen.set(id, performance.now());
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return seen;
};
// Warm up: the first request pays for module loading and connection setup.
await command('warm', channels[0]!, 'U0', 'help');
await command('warm-check', channels[0]!, 'U0', `${site.url}/fan`);
await answers(new Set(['warm', 'warm-check']), 10_000);

// 1. Acks: 200 different people in 200 channels ask about a site that takes 5 s to answer,
// all at once. The requests are signed beforehand and sent from a process of their own.
const timestamp = Math.floor(Date.now() / 1000);
const burst: BurstRequest[] = Array.from({ length: 200 }, (_, i) => {
  const body = slashCommand({ team: 'T1', channel: channels[i % channels.length]!, user: `U${i}`, text: `${site.url}/slow`, responseUrl: slack.responseUrl(`ack-${i}`) });
  return { body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': slackSignature(SECRET, timestamp, body) } };
});
const burstStart = performance.now();
const acks = await fire(events, burst);
const answeredAt = await answers(new Set(burst.map((_, i) => `ack-${i}`)), 60_000);
const floor = await burstFloor(burst);
// Time to the answer counts from the launch of the burst, so it includes the sender's start-up.
const answered = [...answeredAt.values()].map((t) => t - burstStart);
const slowHits = site.hits.get('/slow') ?? 0;

// 2. Fan-out: 1,000 channels watch one site, which then goes down.
const watchIds = new Set<string>();
for (let i = 0; i < channels.length; i += 50) {
  await Promise.all(
    channels.slice(i, i + 50).map((c) => {
      watchIds.add(`watch-${c}`);
      return command(`watch-${c}`, c, 'U1', `watch ${site.url}/fan every 1s`);
    }),
  );
}
const watched = await answers(watchIds, 60_000);
if (watched.size < channels.length) throw new Error(`only ${watched.size} watches answered`);
await new Promise((r) => setTimeout(r, 2_500));
slack.enforcePace({ perChannelPerSecond: 1, workspaceBurst: 100, workspaceWindowMs: 1_000 });
const before429 = slack.calls.filter((c) => c.status === 429).length;
site.set('/fan', { kind: 'status', status: 503 });
const fanStart = performance.now();
const roots = () => slack.posts.filter((p) => !p.thread_ts && channels.includes(p.channel));
while (roots().length < channels.length && performance.now() - fanStart < 300_000) await new Promise((r) => setTimeout(r, 50));
const fanSeconds = (performance.now() - fanStart) / 1_000;
await new Promise((r) => setTimeout(r, 2_000));
const perChannel = new Map<string, number>();
for (const p of roots()) perChannel.set(p.channel, (perChannel.get(p.channel) ?? 0) + 1);

console.log(
  JSON.stringify(
    {
      bench: 'slack',
      node: process.version,
      ack: {
        commands: 200,
        targetTakesMs: 5_000,
        statuses: [...new Set(acks.map((a) => a.status))],
        p50Ms: pct(acks.map((a) => a.ms), 50),
        p99Ms: pct(acks.map((a) => a.ms), 99),
        target: 'p99 < 50',
        harnessFloor: { p50Ms: pct(floor.map((a) => a.ms), 50), p99Ms: pct(floor.map((a) => a.ms), 99), note: 'the same burst against a server that answers at once' },
      },
      responseUrl: { answered: answered.length, p50Ms: pct(answered, 50), p99Ms: pct(answered, 99), siteRequests: slowHits },
      fanOut: {
        channels: channels.length,
        delivered: perChannel.size,
        doubled: [...perChannel.values()].filter((n) => n > 1).length,
        seconds: Math.round(fanSeconds * 10) / 10,
        ratelimited429: slack.calls.filter((c) => c.status === 429).length - before429,
        limits: '1 msg/s per channel, 100 msgs/s per workspace',
      },
    },
    null,
    2,
  ),
);
await bot.kill('SIGTERM');
await slack.close();
await site.close();
process.exit(0);
