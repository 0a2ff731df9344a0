import { consoleAlerts } from '../../adapters/console/alerts.ts';
import { runConsole } from '../../adapters/console/console.ts';
import { startHttp } from './http.ts';
import { CHECK_USAGE, EXIT, runCheckCommand } from './cli.ts';
import { startRuntime } from './runtime.ts';
import { ConfigError, hasChatTokens, loadConfig, loadDotEnv, type Config } from './config.ts';

const USAGE = `usage: isdown [command]

  (no command)                 run the bot: Slack/Discord with tokens, else a console prompt
  check <service|url> [...]    check once and exit (see: isdown check --help)
  worker                       a check worker (distributed mode)
  probe --region NAME          a regional probe worker (distributed mode)
  help                         this text`;

async function startBot(config: Config): Promise<number> {
  if (hasChatTokens(config)) {
    process.stderr.write('isdown: the Slack and Discord adapters are not built yet; unset the tokens to use the console.\n');
    return EXIT.config;
  }
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const runtime = await startRuntime(config, { adapters: [consoleAlerts(process.stdout, { color: interactive })] });
  let httpServer: Awaited<ReturnType<typeof startHttp>> | undefined;
  try {
    httpServer = await startHttp(runtime, config.port);
    process.stderr.write(`isdown: health at http://127.0.0.1:${httpServer.port}/healthz\n`);
  } catch (err) {
    process.stderr.write(`isdown: PORT ${config.port} is not available (${(err as Error).message}); /healthz is off.\n`);
  }
  const console_ = runConsole({ bot: runtime.bot, input: process.stdin, output: process.stdout, interactive });
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // Drain: in-flight checks finish, the outbox keeps whatever is not yet delivered.
      await httpServer?.close();
      await runtime.close();
    })());
  const onSignal = () => void stop().then(() => process.exit(0));
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  await console_.done;
  // Input ended: give alerts already queued a moment to go out; the outbox keeps the rest.
  await Promise.race([runtime.notifier?.idle(), new Promise((r) => setTimeout(r, 5_000).unref())]);
  await stop();
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
