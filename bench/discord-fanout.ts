/**
 * Discord alert fan-out, against the fake Discord on 127.0.0.1: one incident to 1,000 watching
 * channels across 50 guilds, the fake enforcing a per-channel route limit (5 messages per 5 s,
 * Discord's documented channel message limit) and the global limit (50 requests/s).
 * All delivered, none twice: prints JSON with total time and the 429 count.
 * Usage: npm run bench:discord
 */
import { Writable } from 'node:stream';
import { startBotProcess } from '../src/app/bot-process.ts';
import { loadConfig } from '../src/app/config.ts';
import { adhocTarget } from '../src/checks/adhoc.ts';
import { startFakeDiscord } from '../test/fakes/discord.ts';
import { startTarget } from '../test/fakes/target.ts';
import { scratchDir } from '../test/support/run-isdown.ts';
import { LOCAL_TARGETS, FAST_ROUNDS } from '../test/support/settings.ts';

const GUILDS = 50;
const PER_GUILD = 20;
const guilds = Array.from({ length: GUILDS }, (_, g) => ({
  id: String(800_000_000_000_000_000n + BigInt(g)),
  channels: Array.from({ length: PER_GUILD }, (_, c) => String(810_000_000_000_000_000n + BigInt(g * PER_GUILD + c))),
}));
const channels = new Set(guilds.flatMap((g) => g.channels));

const discord = await startFakeDiscord({ guilds });
const site = await startTarget();
site.set('/fan', { kind: 'ok', body: 'fine' });
const config = loadConfig({
  DISCORD_TOKEN: discord.token,
  DISCORD_APPLICATION_ID: discord.applicationId,
  DISCORD_API_URL: discord.apiUrl,
  STORE_URL: `sqlite://${scratchDir()}/bench.sqlite`,
  PORT: '0',
  ...LOCAL_TARGETS,
  ...FAST_ROUNDS,
});
const bot = await startBotProcess(config, { log: () => {}, stdout: new Writable({ write: (_c, _e, cb) => cb() }), interactive: false });

const resolved = adhocTarget(`${site.url}/fan`, config.policy);
if (!resolved.ok) throw new Error(resolved.message);
const watcher = bot.runtime.watcher!;
for (const g of guilds) {
  for (const c of g.channels) await watcher.watch({ channel: { platform: 'discord', tenant: g.id, channel: c }, user: '820000000000000001', target: resolved.target, everyMs: 1_000 });
}
await new Promise((r) => setTimeout(r, 2_500));
discord.enforcePace({ perChannel: 5, windowMs: 5_000, global: 50 });
const before429 = discord.calls.filter((c) => c.status === 429).length;
const beforeCalls = discord.calls.length;
site.set('/fan', { kind: 'status', status: 503 });
const start = performance.now();
const roots = () => discord.messages.filter((m) => !m.message_reference && channels.has(m.channel_id));
while (roots().length < channels.size && performance.now() - start < 300_000) await new Promise((r) => setTimeout(r, 50));
const seconds = (performance.now() - start) / 1_000;
// Give any straggling duplicate a chance to show before counting.
await new Promise((r) => setTimeout(r, 2_000));
const perChannel = new Map<string, number>();
for (const m of roots()) perChannel.set(m.channel_id, (perChannel.get(m.channel_id) ?? 0) + 1);

console.log(
  JSON.stringify(
    {
      bench: 'discord-fanout',
      node: process.version,
      guilds: GUILDS,
      channels: channels.size,
      delivered: perChannel.size,
      doubled: [...perChannel.values()].filter((n) => n > 1).length,
      seconds: Math.round(seconds * 10) / 10,
      requests: discord.calls.length - beforeCalls,
      ratelimited429: discord.calls.filter((c) => c.status === 429).length - before429,
      limits: '5 messages per 5 s per channel, 50 requests/s global',
      floorSeconds: channels.size / 50,
    },
    null,
    2,
  ),
);
await bot.stop();
await discord.close();
await site.close();
process.exit(0);
