import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord.ts';
import { startBot, type BotProcess } from '../support/run-isdown.ts';
import { distributedOn, dropRedisPrefix, uniquePrefix } from '../support/services.ts';
import { LOCAL_TARGETS } from '../support/settings.ts';
import { until } from '../support/until.ts';

const GUILD = '800000000000000009';
const CHANNEL = '810000000000000009';

function help(discord: FakeDiscord): string {
  return discord.interact({
    type: 2,
    guild_id: GUILD,
    channel_id: CHANNEL,
    channel: { id: CHANNEL, type: 0, guild_id: GUILD, name: 'general', permissions: '2147483647' },
    member: { user: { id: '820000000000000009', username: 'u', discriminator: '0', global_name: null, avatar: null }, roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0, pending: false, permissions: '32' },
    data: { id: '830000000000000009', name: 'isdown', type: 1, options: [{ type: 1, name: 'help', options: [] }] },
  });
}

describe('Discord with several bot processes', () => {
  const procs: BotProcess[] = [];
  let discord: FakeDiscord | undefined;
  const prefix = uniquePrefix('gateway');
  after(async () => {
    for (const p of procs) await p.kill('SIGKILL');
    await discord?.close();
    await dropRedisPrefix(prefix);
  });

  it('only the scheduler holds a gateway session, so each interaction is answered once; its successor connects', async () => {
    discord = await startFakeDiscord({ guilds: [{ id: GUILD, channels: [CHANNEL] }] });
    const env = { ...LOCAL_TARGETS, ...distributedOn(prefix), DISCORD_TOKEN: discord.token, DISCORD_APPLICATION_ID: discord.applicationId, DISCORD_API_URL: discord.apiUrl };
    const a = startBot(env);
    procs.push(a);
    await a.waitForErr(/connected to discord \(this process runs the scheduler\)/);
    const b = startBot(env);
    procs.push(b);
    await b.health();
    await new Promise((r) => setTimeout(r, 2_500));
    assert.equal(discord.opcodes.filter((op) => op === 2).length, 1, 'one IDENTIFY');

    const first = help(discord);
    await until(() => discord!.responses.get(first), 'an answer to the first command');
    await new Promise((r) => setTimeout(r, 500));
    const callbacks = (id: string) => discord!.calls.filter((c) => c.path.startsWith(`/interactions/${id}/`)).length;
    assert.equal(callbacks(first), 1, 'answered once');

    await a.kill('SIGKILL');
    await b.waitForErr(/connected to discord \(this process runs the scheduler\)/, 30_000);
    const second = help(discord);
    await until(() => discord!.responses.get(second), 'an answer from the successor');
    assert.equal(discord.responses.get(second)?.type, 4);
    assert.equal(callbacks(second), 1);
  });
});
