/**
 * Registers /isdown with Discord: globally, or for one guild with --guild ID (instant, for
 * development). It overwrites the command set, so running it again is harmless.
 *   npm run discord:register [-- --guild ID]
 */
import { parseArgs } from 'node:util';
import { REST, Routes } from 'discord.js';
import { ISDOWN_COMMAND } from '../../adapters/discord/commands.ts';
import { ConfigError, loadConfig, loadDotEnv } from './config.ts';

async function main(): Promise<number> {
  loadDotEnv();
  let args;
  try {
    args = parseArgs({ options: { guild: { type: 'string' } } }).values;
  } catch (err) {
    process.stderr.write(`discord:register: ${(err as Error).message}\nusage: npm run discord:register [-- --guild ID]\n`);
    return 64;
  }
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`discord:register: ${err.message}\n`);
      return 78;
    }
    throw err;
  }
  const { token, applicationId, apiUrl } = config.discord;
  const guild = args.guild ?? config.discord.guildId;
  if (!token || !applicationId) {
    process.stderr.write('discord:register: set DISCORD_TOKEN and DISCORD_APPLICATION_ID (the numeric application id).\n');
    return 78;
  }
  if (guild && !/^\d{5,25}$/.test(guild)) {
    process.stderr.write(`discord:register: --guild expects a numeric guild id, got "${guild}".\n`);
    return 64;
  }
  const rest = new REST(apiUrl ? { api: apiUrl } : {}).setToken(token);
  const route = guild ? Routes.applicationGuildCommands(applicationId, guild) : Routes.applicationCommands(applicationId);
  try {
    const saved = (await rest.put(route, { body: [ISDOWN_COMMAND] })) as unknown[];
    process.stdout.write(`Registered /isdown (${saved.length} command) ${guild ? `for guild ${guild} (available now)` : 'globally (may take up to an hour to appear)'}.\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`discord:register: Discord refused: ${(err as Error).message}\n`);
    return 1;
  }
}

main().then((code) => (process.exitCode = code));
