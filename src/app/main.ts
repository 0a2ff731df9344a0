import { runConsole } from '../../adapters/console/console.ts';
import { startBotProcess, StartError, type RunningBot } from './bot-process.ts';
import { CHECK_USAGE, EXIT, runCheckCommand } from './cli.ts';
import { ConfigError, loadConfig, loadDotEnv, type Config } from './config.ts';

const USAGE = `usage: isdown [command]

  (no command)                 run the bot: Slack/Discord with tokens, else a console prompt
  check <service|url> [...]    check once and exit (see: isdown check --help)
  worker                       a check worker (distributed mode)
  probe --region NAME          a regional probe worker (distributed mode)
  help                         this text`;

async function startBot(config: Config): Promise<number> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  let bot: RunningBot;
  try {
    bot = await startBotProcess(config, { log, stdout: process.stdout, interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY) });
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
  if (bot.slack || bot.discord) {
    // With a chat platform, stdin is not ours: its end must not stop the bot.
    await new Promise<void>(() => {});
  }
  const console_ = runConsole({ bot: bot.runtime.bot, input: process.stdin, output: process.stdout, interactive: bot.interactive });
  await console_.done;
  // Input ended: give alerts already queued a moment to go out; the outbox keeps the rest.
  await Promise.race([bot.runtime.notifier?.idle(), new Promise((r) => setTimeout(r, 5_000).unref())]);
  await bot.stop();
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
    case 'worker':
    case 'probe':
      process.stderr.write(`isdown ${command}: distributed mode is not built yet; run "npm start" for the single-process bot.\n`);
      return EXIT.config;
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
