import { runConsole } from '../../adapters/console/console.ts';
import { startBotProcess, StartError, type RunningBot } from './bot-process.ts';
import { CHECK_USAGE, EXIT, runCheckCommand } from './cli.ts';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, loadDotEnv, REGION, type Config } from './config.ts';
import { createLogger, secretsOf } from './log.ts';
import { startWorker } from './worker.ts';
import { formatWatchesFile } from './watches-file.ts';
import { parseChannelRef, type ChannelRef } from '../core/watch.ts';
import { isStoreFailure } from '../core/store-port.ts';
import { createMonitorRepository } from '../store/monitors.ts';
import { openStore } from '../store/open.ts';
import { runImport } from './import-command.ts';

const USAGE = `usage: isdown [command]

  (no command)                 run the bot: Slack/Discord with tokens, else a console prompt
  check <service|url> [...]    check once and exit (see: isdown check --help)
  export [--channel REF]       print the watches as a watches file (YAML; ISDOWN_WATCHES_FILE reads it)
  import kuma|gatus FILE --channel REF [--dry-run]
                               turn an Uptime Kuma backup or a Gatus config into watches; says what it skipped and why
  worker                       a check worker for this machine's region (ISDOWN_REGION; distributed mode)
  probe --region NAME          a probe worker for region NAME (distributed mode)
  help                         this text`;

async function startBot(config: Config): Promise<number> {
  const logger = createLogger(config.logLevel, secretsOf(config));
  const log = logger.info;
  let bot: RunningBot;
  try {
    bot = await startBotProcess(config, {
      log,
      warn: logger.warn,
      stdout: process.stdout,
      interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
      onFatal: (message) => {
        log(`isdown: ${message}`);
        void bot.stop().finally(() => process.exit(EXIT.config));
      },
    });
  } catch (err) {
    if (err instanceof StartError) {
      log(`isdown: ${err.message}`);
      return EXIT.config;
    }
    throw err;
  }
  const onSignal = () => void bot.stop().then(() => process.exit(0));
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  if (bot.platforms.length) {
    // With a chat platform, stdin is not ours: its end must not stop the bot.
    await new Promise<void>(() => {});
  }
  const console_ = runConsole({ bot: bot.runtime.bot, input: process.stdin, output: process.stdout, interactive: bot.interactive });
  const { lines } = await console_.done;
  if (lines === 0 && !process.stdin.isTTY) {
    // Under a service manager stdin is empty: exiting 0 would have it restart the bot in a loop.
    logger.error('isdown: no chat token is set and there is no terminal or input to read commands from; set SLACK_BOT_TOKEN or DISCORD_TOKEN (see .env.example), or run it in a terminal');
    await bot.stop();
    return EXIT.config;
  }
  // Input ended: give alerts already queued a moment to go out; the outbox keeps the rest.
  await Promise.race([bot.runtime.notifier?.idle(), new Promise((r) => setTimeout(r, 5_000).unref())]);
  await bot.stop();
  return 0;
}

/** `isdown export [--channel REF]`: the stored watches as a watches file, on stdout. */
async function runExport(config: Config, args: readonly string[]): Promise<number> {
  let only: ChannelRef | undefined;
  try {
    const { values } = parseArgs({ args: [...args], options: { channel: { type: 'string' } } });
    if (values.channel !== undefined) {
      const ref = parseChannelRef(values.channel);
      if (!ref.ok) throw new Error(`--channel: ${ref.error}`);
      only = ref.channel;
    }
  } catch (err) {
    process.stderr.write(`isdown export: ${(err as Error).message}\nusage: isdown export [--channel console|slack:<team>/<channel>|discord:<guild>/<channel>]\n`);
    return EXIT.usage;
  }
  const store = await openStore(config.storeUrl, { prefix: config.keyPrefix, timeoutMs: config.storeTimeoutMs });
  try {
    const records = await createMonitorRepository(store.kv, { retentionMs: config.retentionMs, lock: store.lock }).all();
    process.stdout.write(formatWatchesFile(records, only));
    return 0;
  } catch (err) {
    process.stderr.write(`isdown export: could not read the watches: ${isStoreFailure(err) ? err.reason : String(err)}\n`);
    return EXIT.config;
  } finally {
    await store.close();
  }
}

async function runWorker(config: Config, command: 'worker' | 'probe', args: readonly string[]): Promise<number> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  let region = config.region;
  try {
    const { values } = parseArgs({ args: [...args], options: { region: { type: 'string' } } });
    if (command === 'probe') {
      if (!values.region) throw new Error('--region NAME is required, like: isdown probe --region us-west');
      if (!REGION.test(values.region)) throw new Error(`--region expects a short lowercase name like us-west, got "${values.region}"`);
      region = values.region;
    } else if (values.region) {
      throw new Error('a worker runs for ISDOWN_REGION; for another region use: isdown probe --region NAME');
    }
  } catch (err) {
    log(`isdown ${command}: ${(err as Error).message}`);
    return EXIT.usage;
  }
  if (!config.redisUrl) {
    log(`isdown ${command}: needs Redis: set REDIS_URL (or a redis:// STORE_URL)`);
    return EXIT.config;
  }
  const worker = await startWorker(config, { region, log });
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  // Drain: jobs in hand finish; jobs not started stay in the queue for the other workers.
  await worker.close();
  return 0;
}

async function main(argv: readonly string[]): Promise<number> {
  loadDotEnv();
  const [command, ...rest] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`isdown: ${err.message}\n`);
      return EXIT.config;
    }
    throw err;
  }
  switch (command) {
    case undefined:
    case 'start':
      return startBot(config);
    case 'check':
      return runCheckCommand(config, rest, process.stdout, process.stderr);
    case 'export':
      return runExport(config, rest);
    case 'import':
      return runImport(config, rest, process.stdout, process.stderr);
    case 'worker':
    case 'probe':
      return runWorker(config, command, rest);
    default:
      process.stderr.write(`isdown: unknown command "${command}"\n${USAGE}\n\n${CHECK_USAGE}\n`);
      return EXIT.usage;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`isdown: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 70;
  },
);
