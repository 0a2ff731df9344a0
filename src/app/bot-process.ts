import type { Writable } from 'node:stream';
import { consoleAlerts } from '../../adapters/console/alerts.ts';
import { createDiscord, DiscordTokenError, type DiscordIntegration } from '../../adapters/discord/discord.ts';
import { createSlack, type SlackIntegration } from '../../adapters/slack/slack.ts';
import type { Config } from './config.ts';
import { startHttp } from './http.ts';
import { startRuntime, type Runtime } from './runtime.ts';

/** A reason the bot cannot start that the operator can fix (a port taken, a platform not built). */
export class StartError extends Error {}

export interface RunningBot {
  readonly runtime: Runtime;
  readonly slack?: SlackIntegration;
  readonly discord?: DiscordIntegration;
  /** The port /healthz (and Slack's /slack/events) listen on. */
  readonly port?: number;
  /** True when alerts and answers go to a person at a terminal. */
  readonly interactive: boolean;
  stop(): Promise<void>;
}

/**
 * Starts what `npm start` runs: the runtime, the chat platforms that have tokens (else the
 * console's alerts), and the HTTP server. The console prompt itself is the caller's.
 */
export interface BotIo {
  /** Information: where the bot listens, what connected. */
  readonly log: (line: string) => void;
  /** Problems: a store failing, an alert undelivered (defaults to log). */
  readonly warn?: (line: string) => void;
  readonly stdout: Writable;
  readonly interactive: boolean;
  /** A setting turned out wrong after start-up (a Discord token refused on a later try): the caller stops with exit 78. */
  readonly onFatal?: (message: string) => void;
}

export async function startBotProcess(config: Config, io: BotIo): Promise<RunningBot> {
  const slackOn = Boolean(config.slack.botToken || config.slack.clientId);
  const discordOn = Boolean(config.discord.token);
  const interactive = !slackOn && !discordOn && io.interactive;
  let slack: SlackIntegration | undefined;
  const discord = discordOn ? createDiscord({ token: config.discord.token!, ...(config.discord.apiUrl ? { apiUrl: config.discord.apiUrl } : {}) }) : undefined;
  // Distributed mode: Discord delivers every interaction to every connected gateway session, so
  // only the elected scheduler connects; the others still post alerts over REST if they must.
  let elected = false;
  let onElected: (() => void) | undefined;
  const runtime = await startRuntime(config, {
    warn: io.warn ?? io.log,
    onElected: async () => {
      elected = true;
      onElected?.();
    },
    adapters: (store) => {
      if (!slackOn && !discord) return [consoleAlerts(io.stdout, { color: interactive })];
      if (slackOn) slack = createSlack(config.slack, store.kv);
      return [...(slack ? [slack.adapter] : []), ...(discord ? [discord.adapter] : [])];
    },
  });
  try {
    const watcher = runtime.watcher!;
    if (slack) {
      await slack.attach({ bot: runtime.bot, log: io.log, onUninstall: async (team) => void (await watcher.removeTenant('slack', team)) });
    }
    if (discord) {
      const d = discord;
      // Resolves once connected, or once the first attempt failed and retries went to the
      // background (start-up, /healthz and Slack must not wait for Discord); a refused token
      // is a setting to fix and stops the start.
      const connect = () =>
        new Promise<void>((resolve, reject) => {
          let background = false;
          d.start({
            bot: runtime.bot,
            complete: (input, max) => runtime.checker.index.complete(input, max),
            log: io.log,
            onGuildGone: async (guild) => void (await watcher.removeTenant('discord', guild)),
            onChannelDeleted: async (guild, channel) => void (await watcher.removeChannel({ platform: 'discord', tenant: guild, channel })),
            onUnreachable: () => {
              background = true;
              resolve();
            },
          }).then(
            () => {
              if (background) io.log('isdown: connected to the Discord gateway');
              resolve();
            },
            (err: unknown) => {
              if (!background) return reject(err instanceof DiscordTokenError ? new StartError(err.message) : err);
              io.log(`isdown: Discord: ${err instanceof Error ? err.message : String(err)}`);
              io.onFatal?.(err instanceof DiscordTokenError ? err.message : String(err));
            },
          );
        });
      if (!runtime.role) await connect();
      else {
        onElected = () => void connect().then(() => io.log('isdown: connected to the Discord gateway'), (err: unknown) => io.log(`isdown: Discord gateway: ${String(err)}`));
        if (elected) onElected();
      }
    }
    let http: Awaited<ReturnType<typeof startHttp>> | undefined;
    try {
      http = await startHttp(runtime, config.port, slack?.routes ?? [], io.log);
      io.log(`isdown: health at http://127.0.0.1:${http.port}/healthz${slack?.routes ? ', Slack at /slack/events' : ''}`);
    } catch (err) {
      if (slack?.routes) throw new StartError(`PORT ${config.port} is not available (${(err as Error).message}); Slack could not reach the bot.`);
      io.log(`isdown: PORT ${config.port} is not available (${(err as Error).message}); /healthz is off.`);
    }
    let stopping: Promise<void> | undefined;
    return {
      runtime,
      ...(slack ? { slack } : {}),
      ...(discord ? { discord } : {}),
      ...(http ? { port: http.port } : {}),
      interactive,
      stop: () =>
        (stopping ??= (async () => {
          // Drain: in-flight checks finish; the outbox keeps whatever is not yet delivered.
          await http?.close();
          await slack?.stop();
          await discord?.stop();
          await runtime.close();
        })()),
    };
  } catch (err) {
    await discord?.stop().catch(() => undefined);
    await runtime.close();
    throw err;
  }
}
