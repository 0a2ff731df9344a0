import type { Writable } from 'node:stream';
import { consoleAlerts } from '../../adapters/console/alerts.ts';
import { DiscordTokenError } from '../../adapters/discord/discord.ts';
import { PLATFORMS } from '../../adapters/index.ts';
import type { InboundDeps, Platform } from '../../adapters/platform.ts';
import type { Config } from './config.ts';
import { closeInOrder, stepLimitMs, type Closer } from './closers.ts';
import { startHttp } from './http.ts';
import { startRuntime, type Runtime } from './runtime.ts';

/** A reason the bot cannot start that the operator can fix (a port taken, a token refused). */
export class StartError extends Error {}

export interface RunningBot {
  readonly runtime: Runtime;
  /** The chat platforms this process speaks (none: the console). */
  readonly platforms: readonly Platform[];
  /** The port /healthz (and Slack's /slack/events) listen on. */
  readonly port?: number;
  /** True when alerts and answers go to a person at a terminal. */
  readonly interactive: boolean;
  stop(): Promise<void>;
}

export interface BotIo {
  /** Information: where the bot listens, what connected. */
  readonly log: (line: string) => void;
  /** Problems: a store failing, an alert undelivered (defaults to log). */
  readonly warn?: (line: string) => void;
  readonly stdout: Writable;
  readonly interactive: boolean;
  /** A setting turned out wrong after start-up (a token refused on a later try): the caller stops with exit 78. */
  readonly onFatal?: (message: string) => void;
}

/** A refused token is a setting to fix, not something to retry. */
const fatal = (err: unknown) => err instanceof DiscordTokenError;

/**
 * Starts what `npm start` runs: the runtime, the chat platforms that have tokens (else the
 * console's alerts), and the HTTP server. The console prompt itself is the caller's. Every
 * platform comes in through the same interface (adapters/platform.ts), listed in
 * adapters/index.ts; nothing here knows one platform from another.
 */
export async function startBotProcess(config: Config, io: BotIo): Promise<RunningBot> {
  const factories = PLATFORMS.filter((p) => p.enabled(config));
  // Outbound webhooks only receive alerts: with no chat platform, the console still takes commands.
  const chat = factories.filter((f) => !f.alertsOnly);
  const interactive = chat.length === 0 && io.interactive;
  let platforms: Platform[] = [];
  // Distributed mode: a platform that hands every event to every session connects from the
  // elected scheduler only; the others still post alerts over its API if they must.
  let elected = false;
  const whenElected: (() => void)[] = [];
  const runtime = await startRuntime(config, {
    warn: io.warn ?? io.log,
    backgroundStatus: true,
    onElected: async () => {
      elected = true;
      for (const f of whenElected.splice(0)) f();
    },
    adapters: (store, services) => {
      const made = factories.map((f) => f.create(config, store.kv, services));
      platforms = made.filter((p) => !p.alertsOnly);
      return [...(platforms.length ? [] : [consoleAlerts(io.stdout, { color: interactive })]), ...made.map((p) => p.alerts)];
    },
  });
  try {
    const watcher = runtime.watcher!;
    const depsFor = (p: Platform, onUnreachable: () => void): InboundDeps => ({
      bot: runtime.bot,
      complete: (input, max) => runtime.checker.index.complete(input, max),
      log: io.log,
      onTenantGone: async (tenant) => void (await watcher.removeTenant(p.name, tenant)),
      onChannelDeleted: async (tenant, channel) => void (await watcher.removeChannel({ platform: p.name, tenant, channel })),
      onUnreachable,
    });
    // Resolves once connected, or once the first attempt failed and retries went to the
    // background (start-up, /healthz and the other platforms must not wait); a refused token
    // stops the start.
    const connect = (p: Platform) =>
      new Promise<void>((resolve, reject) => {
        let background = false;
        p.start(
          depsFor(p, () => {
            background = true;
            resolve();
          }),
        ).then(
          () => {
            if (background) io.log(`isdown: connected to ${p.name}`);
            resolve();
          },
          (err: unknown) => {
            const message = err instanceof Error ? err.message : String(err);
            if (!background) return reject(fatal(err) ? new StartError(message) : err);
            io.log(`isdown: ${p.name}: ${message}`);
            if (fatal(err)) io.onFatal?.(message);
          },
        );
      });
    for (const p of platforms) {
      if (!p.onePerDeployment || !runtime.role) await connect(p);
      else {
        const go = () => void connect(p).then(() => io.log(`isdown: connected to ${p.name} (this process runs the scheduler)`), (err: unknown) => io.log(`isdown: ${p.name}: ${String(err)}`));
        if (elected) go();
        else whenElected.push(go);
      }
    }
    const routes = platforms.flatMap((p) => p.routes ?? []);
    let http: Awaited<ReturnType<typeof startHttp>> | undefined;
    try {
      http = await startHttp(runtime, config.port, routes, io.log);
      io.log(`isdown: health at http://127.0.0.1:${http.port}/healthz${routes.length ? `, ${routes.map((r) => r.path).join(', ')}` : ''}`);
    } catch (err) {
      if (routes.length) throw new StartError(`PORT ${config.port} is not available (${(err as Error).message}); ${routes[0]!.path} could not be reached.`);
      io.log(`isdown: PORT ${config.port} is not available (${(err as Error).message}); /healthz is off.`);
    }
    let stopping: Promise<void> | undefined;
    return {
      runtime,
      platforms,
      ...(http ? { port: http.port } : {}),
      interactive,
      stop: () =>
        (stopping ??= (async () => {
          // Drain: in-flight checks finish; the outbox keeps whatever is not yet delivered.
          // The runtime bounds each of its own steps; these get the same limit.
          const front: Closer[] = [...(http ? [{ what: 'the HTTP server', close: http.close }] : []), ...platforms.map((p) => ({ what: p.name, close: () => p.stop() }))];
          await closeInOrder(front, stepLimitMs(config.limits.totalTimeoutMs), io.warn ?? io.log);
          await runtime.close();
        })()),
    };
  } catch (err) {
    for (const p of platforms) await p.stop().catch(() => undefined);
    await runtime.close();
    throw err;
  }
}
