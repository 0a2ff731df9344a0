import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  MessageFlags,
  PermissionFlagsBits,
  RateLimitError,
  RESTJSONErrorCodes,
  Routes,
  type AutocompleteInteraction,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
} from 'discord.js';
import type { Bot, Requester } from '../../src/core/bot.ts';
import { errorMessage, type Message } from '../../src/core/messages.ts';
import { DeliveryError, type ChatAdapter, type PlatformRef } from '../../src/core/notify.ts';
import type { CompleteServices } from '../../src/core/types.ts';
import type { ChannelRef } from '../../src/core/watch.ts';
import { buttonCommand, toGrammar } from './commands.ts';
import { toDiscord } from './embeds.ts';
import type { PlatformFactory } from '../platform.ts';
import { chartDescription, type Chart } from '../../src/core/uptime.ts';

const CHART_FILE = 'isdown-chart.png';

export interface DiscordSettings {
  readonly token: string;
  /** Draws a message's chart (uptime, history) as a PNG, attached to the answer. */
  readonly renderChart?: (chart: Chart) => Uint8Array;
  /** REST base including /api; the gateway address comes from GET /gateway/bot under it. */
  readonly apiUrl?: string;
}

export interface DiscordDeps {
  readonly bot: Bot;
  /** Service names for autocomplete. */
  readonly complete: CompleteServices;
  /** The bot left a guild (or it was deleted): its watches go. */
  readonly onGuildGone: (guildId: string) => Promise<void>;
  /** A channel was deleted: its watches go. */
  readonly onChannelDeleted: (guildId: string, channelId: string) => Promise<void>;
  readonly log: (line: string) => void;
  /** The first connection attempt failed and retries go on in the background. */
  readonly onUnreachable?: () => void;
}

export interface DiscordIntegration {
  readonly adapter: ChatAdapter;
  readonly client: Client;
  /** Connects to the gateway and wires commands, autocomplete and buttons to the bot. */
  start(deps: DiscordDeps): Promise<void>;
  stop(): Promise<void>;
}

/** Discord's codes for "you cannot post here": pause, tell someone, stop retrying. */
const GONE = new Set<number>([RESTJSONErrorCodes.MissingAccess, RESTJSONErrorCodes.MissingPermissions, RESTJSONErrorCodes.UnknownChannel]);

function deliveryError(err: unknown): DeliveryError {
  if (err instanceof RateLimitError) return new DeliveryError(`rate limited on ${err.route}`, { retryAfterMs: err.retryAfter, code: '429' });
  if (err instanceof DiscordAPIError) {
    const code = typeof err.code === 'number' ? err.code : 0;
    if (GONE.has(code)) return new DeliveryError(`${code} ${err.message}`, { gone: true, code: String(code) });
    if (err.status === 401) return new DeliveryError(`Discord refused the token (${err.message})`, { unavailable: true, code: '401' });
    return new DeliveryError(`${code} ${err.message}`, { code: String(code) });
  }
  return new DeliveryError(err instanceof Error ? err.message : String(err));
}

/**
 * Discord's nonce (at most 25 characters) for one outbox step: a digest of the whole key, so
 * every message has its own, and a retry of the same step after a crash has the same one.
 */
export function nonceOf(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 25);
}

/** DISCORD_TOKEN was refused: retrying cannot help, the operator must fix the setting. */
export class DiscordTokenError extends Error {
  constructor() {
    super('DISCORD_TOKEN was refused by Discord (401): copy the bot token again from the Developer Portal');
    this.name = 'DiscordTokenError';
  }
}

const isTokenError = (err: unknown) => (err as { code?: unknown }).code === 'TokenInvalid' || (err instanceof DiscordAPIError && err.status === 401) || (err as { status?: unknown }).status === 401;

export function createDiscord(settings: DiscordSettings): DiscordIntegration {
  // Only the Guilds intent: slash commands and buttons arrive as interactions, no message content needed.
  // The outbox owns retries: one attempt per call, 10 s at most, and a rate limit on posting to a
  // channel comes back (with its retry-after) rather than being slept through. Interaction replies
  // keep discord.js's own queueing: they answer a person who is waiting.
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    rest: { ...(settings.apiUrl ? { api: settings.apiUrl } : {}), retries: 0, timeout: 10_000, rejectOnRateLimit: (r) => r.route.startsWith('/channels/') },
  });
  client.rest.setToken(settings.token);

  const rest = async <T>(fn: () => Promise<unknown>): Promise<T> => {
    try {
      return (await fn()) as T;
    } catch (err) {
      throw deliveryError(err);
    }
  };

  const adapter: ChatAdapter = {
    platform: 'discord',
    async post(to: ChannelRef, message: Message, o: { key: string }): Promise<PlatformRef> {
      // An enforced nonce makes Discord itself drop a repeat of the same post within minutes.
      const nonce = nonceOf(o.key);
      const res = await rest<{ id: string; channel_id: string }>(() => client.rest.post(Routes.channelMessages(to.channel), { body: { ...toDiscord(message), nonce, enforce_nonce: true } }));
      return { id: res.id, channel: res.channel_id };
    },
    async update(to: ChannelRef, ref: PlatformRef, message: Message): Promise<void> {
      await rest(() => client.rest.patch(Routes.channelMessage(ref.channel, ref.id), { body: toDiscord(message) }));
    },
    async reply(to: ChannelRef, parent: PlatformRef, message: Message, o: { broadcast: boolean; key: string }): Promise<PlatformRef> {
      const res = await rest<{ id: string; channel_id: string }>(() =>
        client.rest.post(Routes.channelMessages(parent.channel), {
          body: { ...toDiscord(message), message_reference: { message_id: parent.id, fail_if_not_exists: false }, nonce: nonceOf(o.key), enforce_nonce: true },
        }),
      );
      return { id: res.id, channel: res.channel_id };
    },
    async direct(_tenant: string, user: string, message: Message): Promise<void> {
      const dm = await rest<{ id: string }>(() => client.rest.post(Routes.userChannels(), { body: { recipient_id: user } }));
      await rest(() => client.rest.post(Routes.channelMessages(dm.id), { body: toDiscord(message) }));
    },
  };

  let started = false;
  const stopping = new AbortController();
  return {
    adapter,
    client,
    async start(deps) {
      const requester = (i: Interaction): Requester => ({
        platform: 'discord',
        tenant: i.guildId ?? `dm:${i.user.id}`,
        channel: i.channelId ?? '',
        user: i.user.id,
        // The role only; what it allows is the core's decision (src/core/policy.ts).
        isAdmin: async () => Boolean(i.memberPermissions?.has(PermissionFlagsBits.ManageGuild)),
      });
      /** The embed, and the chart as an attached PNG that the embed shows; without it if it cannot be drawn. */
      const payload = (m: Message) => {
        const p = toDiscord(m);
        if (!m.chart || !settings.renderChart) return p;
        try {
          const png = settings.renderChart(m.chart);
          return {
            ...p,
            embeds: p.embeds.map((e, i) => (i === 0 ? { ...e, image: { url: `attachment://${CHART_FILE}` } } : e)),
            files: [{ attachment: Buffer.from(png), name: CHART_FILE, description: chartDescription(m.chart).slice(0, 1_024) }],
          };
        } catch (err) {
          deps.log(`isdown: discord: the chart could not be drawn (${err instanceof Error ? err.message : String(err)}); answering without it`);
          return p;
        }
      };

      const onCommand = async (i: ChatInputCommandInteraction) => {
        const sub = i.options.getSubcommand();
        const text = toGrammar(sub, (name) => i.options.getString(name));
        // A heartbeat's answer holds its secret URL: it never passes through a public reply.
        // A status page's address is its only secret too.
        const privately = sub === 'help' || sub === 'list' || sub === 'heartbeat' || sub === 'page';
        if (privately) {
          await i.reply({ ...payload(await deps.bot.handle(text, requester(i))), flags: MessageFlags.Ephemeral });
          return;
        }
        // Defer at once: Discord allows 3 seconds, a check can take 15.
        await i.deferReply();
        const message = await deps.bot.handle(text, requester(i));
        if (message.visibility === 'private') {
          // Private answers (errors, and anything only the person who asked should see): drop
          // the public placeholder and answer privately.
          await i.deleteReply().catch(() => undefined);
          await i.followUp({ ...payload(message), flags: MessageFlags.Ephemeral });
          return;
        }
        await i.editReply(payload(message));
      };

      const onAutocomplete = async (i: AutocompleteInteraction) => {
        const focused = i.options.getFocused(true);
        if (focused.name !== 'service') return i.respond([]);
        const choices = deps.complete(String(focused.value), 25).map((s) => ({ name: s.name.slice(0, 100), value: s.id }));
        await i.respond(choices);
      };

      const onButton = async (i: ButtonInteraction) => {
        const command = buttonCommand(i.customId);
        if (!command) return;
        await i.deferReply(command.kind !== 'check' ? { flags: MessageFlags.Ephemeral } : {});
        await i.editReply(payload(await deps.bot.run(command, requester(i))));
      };

      client.on(Events.InteractionCreate, (i) => {
        const work = i.isChatInputCommand() && i.commandName === 'isdown' ? onCommand(i) : i.isAutocomplete() ? onAutocomplete(i) : i.isButton() ? onButton(i) : undefined;
        void work?.catch(async (err: unknown) => {
          deps.log(`isdown: discord interaction failed: ${err instanceof Error ? err.message : String(err)}`);
          if (i.isRepliable()) {
            const m = { ...payload(errorMessage('Something went wrong inside isdown; the error is in its log.')), flags: MessageFlags.Ephemeral as const };
            await (i.deferred || i.replied ? i.followUp(m) : i.reply(m)).catch(() => undefined);
          }
        });
      });
      client.on(Events.GuildDelete, (g) => {
        // An outage makes a guild unavailable without the bot leaving it; only a real leave counts.
        if (!g.available) return;
        void deps.onGuildGone(g.id).catch((err: unknown) => deps.log(`isdown: removing guild ${g.id}: ${String(err)}`));
      });
      client.on(Events.ChannelDelete, (c) => {
        if ('guildId' in c && c.guildId) void deps.onChannelDeleted(c.guildId, c.id).catch((err: unknown) => deps.log(`isdown: removing channel ${c.id}: ${String(err)}`));
      });
      client.on(Events.Error, (err) => deps.log(`isdown: discord: ${err.message}`));
      const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
      started = true;
      // Discord unreachable at start (a network still coming up, an outage): say so once per try
      // and retry with backoff; only a refused token ends the start.
      for (let pause = 1_000; ; pause = Math.min(pause * 2, 30_000)) {
        try {
          await client.login(settings.token);
          break;
        } catch (err) {
          if (isTokenError(err)) throw new DiscordTokenError();
          if (stopping.signal.aborted) return;
          deps.log(`isdown: Discord is not reachable (${err instanceof Error ? err.message : String(err)}); retrying in ${pause / 1_000} s`);
          deps.onUnreachable?.();
          await client.destroy().catch(() => undefined);
          client.rest.setToken(settings.token);
          await sleep(pause, undefined, { signal: stopping.signal }).catch(() => undefined);
          if (stopping.signal.aborted) return;
        }
      }
      await Promise.race([ready, new Promise<void>((resolve) => stopping.signal.addEventListener('abort', () => resolve(), { once: true }))]);
    },
    async stop() {
      stopping.abort();
      if (started) await client.destroy();
    },
  };
}

export const discordPlatform: PlatformFactory = {
  name: 'discord',
  enabled: (s) => Boolean(s.discord.token),
  create(s, _kv, services) {
    const discord = createDiscord({ token: s.discord.token!, ...(s.discord.apiUrl ? { apiUrl: s.discord.apiUrl } : {}), ...(services?.renderChart ? { renderChart: services.renderChart } : {}) });
    return {
      name: 'discord',
      alerts: discord.adapter,
      onePerDeployment: true,
      start: (deps) =>
        discord.start({
          bot: deps.bot,
          complete: deps.complete,
          log: deps.log,
          onGuildGone: deps.onTenantGone,
          onChannelDeleted: deps.onChannelDeleted,
          ...(deps.onUnreachable ? { onUnreachable: deps.onUnreachable } : {}),
        }),
      stop: () => discord.stop(),
    };
  },
};
