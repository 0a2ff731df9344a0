import type { RequestListener } from 'node:http';
import bolt, { type Installation, type InstallationQuery, type InstallationStore } from '@slack/bolt';
import type { KeyValue } from '../../src/core/store-port.ts';
import type { Bot, Requester } from '../../src/core/bot.ts';
import { parseCommand, type Command } from '../../src/core/commands.ts';
import { errorMessage, type Message } from '../../src/core/messages.ts';
import { DeliveryError, type ChatAdapter, type DeliveryKey, type PlatformRef } from '../../src/core/notify.ts';
import type { ChannelRef } from '../../src/core/watch.ts';
import type { PlatformFactory } from '../platform.ts';
import { ackFirstListener } from './ack-first.ts';
import { ACTION_IDS, SLACK_LIMITS, toSlack, type SlackBlock } from './blocks.ts';
import { chartDescription, type Chart } from '../../src/core/uptime.ts';

const { App, HTTPReceiver, LogLevel } = bolt;
type WebClient = InstanceType<typeof bolt.webApi.WebClient>;

export interface SlackSettings {
  readonly botToken?: string;
  readonly signingSecret?: string;
  readonly appToken?: string;
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly stateSecret?: string;
  readonly apiUrl: string;
}

export interface SlackIntegration {
  /** The ChatAdapter alerts go through. */
  readonly adapter: ChatAdapter;
  /** Mounted on the process's HTTP server in HTTP mode: /slack/events, and the OAuth install paths. */
  readonly routes?: readonly { readonly path: string; readonly methods: { readonly GET?: RequestListener; readonly POST?: RequestListener } }[];
  /** Wires commands and buttons to the bot once the runtime exists. */
  attach(deps: SlackDeps): Promise<void>;
  stop(): Promise<void>;
}

export interface SlackDeps {
  readonly bot: Bot;
  /** Called when a workspace uninstalls the app or revokes its tokens. */
  readonly onUninstall: (teamId: string) => Promise<void>;
  readonly log: (line: string) => void;
}

const INSTALL_PATH = '/slack/install';
/** The metadata event type every alert carries, with its outbox key. */
const METADATA_EVENT = 'isdown_alert';
const REDIRECT_PATH = '/slack/oauth_redirect';

/**
 * Bolt's own listener for the OAuth pages. It is reached only through our router, for the two
 * paths it serves; HEAD is answered as GET without a body (Node drops the body of a HEAD reply).
 */
function oauthListener(bolts: RequestListener): RequestListener {
  return (req, res) => {
    if (req.method === 'HEAD') req.method = 'GET';
    return bolts(req, res);
  };
}

/** Slack says these of the channel: the bot cannot post there again until someone acts. */
const GONE = new Set(['not_in_channel', 'channel_not_found', 'is_archived', 'restricted_action']);
/** Slack says these of the token: the whole workspace is unreachable until it is fixed, and nothing is dropped meanwhile. */
const AUTH = new Set(['invalid_auth', 'not_authed', 'token_revoked', 'token_expired', 'account_inactive', 'team_access_not_granted', 'no_permission', 'ekm_access_denied']);

/** The installation store on the project's keyv store, keyed by team (or enterprise). */
export function keyvInstallationStore(kv: KeyValue): InstallationStore & { deleteTeam(teamId: string): Promise<void> } {
  const keyOf = (q: { isEnterpriseInstall?: boolean; enterpriseId?: string | undefined; teamId?: string | undefined }) =>
    q.isEnterpriseInstall && q.enterpriseId ? `slack-install:E:${q.enterpriseId}` : `slack-install:T:${q.teamId}`;
  return {
    async storeInstallation(installation: Installation) {
      const key = keyOf({ isEnterpriseInstall: installation.isEnterpriseInstall ?? false, enterpriseId: installation.enterprise?.id, teamId: installation.team?.id });
      await kv.set(key, installation);
    },
    async fetchInstallation(query: InstallationQuery<boolean>) {
      const found = await kv.get<Installation>(keyOf(query));
      if (!found) throw new Error(`no installation for ${query.teamId ?? query.enterpriseId}`);
      return found as never;
    },
    async deleteInstallation(query: InstallationQuery<boolean>) {
      await kv.delete(keyOf(query));
    },
    async deleteTeam(teamId: string) {
      await kv.delete(`slack-install:T:${teamId}`);
    },
  };
}

function deliveryError(err: unknown): DeliveryError {
  const e = err as { code?: string; data?: { error?: string }; retryAfter?: number; message?: string };
  const slackError = e.data?.error;
  if (e.code === 'slack_webapi_rate_limited_error') return new DeliveryError('ratelimited', { retryAfterMs: (e.retryAfter ?? 1) * 1_000, code: 'ratelimited' });
  if (slackError && GONE.has(slackError)) return new DeliveryError(slackError, { gone: true, code: slackError });
  if (slackError && AUTH.has(slackError)) return new DeliveryError(`Slack refused the token (${slackError})`, { unavailable: true, code: slackError });
  return new DeliveryError(slackError ?? e.message ?? String(err), slackError ? { code: slackError } : {});
}

export function createSlack(settings: SlackSettings, kv: KeyValue, renderChart?: (chart: Chart) => Uint8Array): SlackIntegration {
  const oauth = Boolean(settings.clientId && settings.clientSecret);
  const installations = keyvInstallationStore(kv);
  // The outbox owns retries: the client makes one attempt, with a time limit, and hands a 429 back
  // (with its Retry-After) instead of sleeping through it, so a hung or rate-limited Slack never
  // holds a delivery. Failures that last are logged by the outbox.
  const clientOptions = { slackApiUrl: settings.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: 10_000, logLevel: LogLevel.ERROR };
  const clients = new Map<string, WebClient>();

  async function clientFor(teamId: string): Promise<WebClient> {
    let token = settings.botToken;
    if (oauth) {
      const inst = await installations.fetchInstallation({ teamId, isEnterpriseInstall: false, enterpriseId: undefined }).catch(() => undefined);
      token = inst?.bot?.token;
      if (!token) throw new DeliveryError(`workspace ${teamId} has no installation`, { gone: true, code: 'not_installed' });
    }
    if (!token) throw new DeliveryError('no Slack bot token', { gone: true });
    let c = clients.get(token);
    if (!c) clients.set(token, (c = new bolt.webApi.WebClient(token, clientOptions)));
    return c;
  }

  async function call<T>(teamId: string, fn: (c: WebClient) => Promise<T>): Promise<T> {
    const client = await clientFor(teamId);
    try {
      return await fn(client);
    } catch (err) {
      throw deliveryError(err);
    }
  }

  /** Posts with blocks; if Slack refuses the blocks, the plain text still goes out. */
  async function withFallback<T>(fn: (m: { text: string; blocks?: unknown[] }) => Promise<T>, message: Message): Promise<T> {
    const rendered = toSlack(message);
    try {
      return await fn(rendered);
    } catch (err) {
      if (err instanceof DeliveryError && (err.opts.code === 'invalid_blocks' || err.opts.code === 'invalid_blocks_format')) return fn({ text: rendered.text });
      throw err;
    }
  }

  /**
   * Slack has no idempotency key, but a message can carry metadata: every alert carries its
   * outbox key, and a step that may have been accepted before a crash is first looked for among
   * the channel's (or thread's) latest messages. If the lookup itself fails (a missing
   * *:history scope), posting goes ahead: a rare double is better than a lost alert.
   */
  async function findSent(teamId: string, channel: string, key: string, thread?: string): Promise<string | undefined> {
    try {
      const client = await clientFor(teamId);
      const res = thread
        ? await client.conversations.replies({ channel, ts: thread, limit: 100, include_all_metadata: true })
        : await client.conversations.history({ channel, limit: 100, include_all_metadata: true });
      const messages = (res.messages ?? []) as { ts?: string; metadata?: { event_type?: string; event_payload?: { key?: unknown } } }[];
      return messages.find((m) => m.metadata?.event_type === METADATA_EVENT && m.metadata.event_payload?.key === key)?.ts;
    } catch (err) {
      log(`isdown: slack: could not look for an alert already posted (${deliveryError(err).message}); posting it`);
      return undefined;
    }
  }

  const adapter: ChatAdapter = {
    platform: 'slack',
    async post(to: ChannelRef, message: Message, o: DeliveryKey): Promise<PlatformRef> {
      if (o.maybeSent) {
        const found = await findSent(to.tenant, to.channel, o.key);
        if (found) return { id: found, channel: to.channel };
      }
      const res = await withFallback(
        (m) =>
          call(to.tenant, (c) =>
            c.chat.postMessage({ channel: to.channel, text: m.text, ...(m.blocks ? { blocks: m.blocks as never } : {}), metadata: { event_type: METADATA_EVENT, event_payload: { key: o.key } } }),
          ),
        message,
      );
      return { id: String(res.ts), channel: String(res.channel ?? to.channel) };
    },
    async update(to: ChannelRef, ref: PlatformRef, message: Message): Promise<void> {
      await withFallback((m) => call(to.tenant, (c) => c.chat.update({ channel: ref.channel, ts: ref.id, text: m.text, ...(m.blocks ? { blocks: m.blocks as never } : {}) })), message);
    },
    async reply(to: ChannelRef, parent: PlatformRef, message: Message, o: DeliveryKey & { broadcast: boolean }): Promise<PlatformRef> {
      if (o.maybeSent) {
        const found = await findSent(to.tenant, parent.channel, o.key, parent.id);
        if (found) return { id: found, channel: parent.channel };
      }
      const res = await withFallback(
        (m) =>
          call(to.tenant, (c) =>
            c.chat.postMessage({
              channel: parent.channel,
              thread_ts: parent.id,
              reply_broadcast: o.broadcast,
              text: m.text,
              ...(m.blocks ? { blocks: m.blocks as never } : {}),
              metadata: { event_type: METADATA_EVENT, event_payload: { key: o.key } },
            }),
          ),
        message,
      );
      return { id: String(res.ts), channel: parent.channel };
    },
    async direct(tenant: string, user: string, message: Message): Promise<void> {
      const m = toSlack(message);
      await call(tenant, (c) => c.chat.postMessage({ channel: user, text: m.text, blocks: m.blocks as never }));
    },
  };

  const socketMode = Boolean(settings.appToken);
  const receiver = socketMode
    ? undefined
    : new HTTPReceiver({
        signingSecret: settings.signingSecret ?? '',
        endpoints: '/slack/events',
        processBeforeResponse: false,
        ...(oauth
          ? {
              clientId: settings.clientId!,
              clientSecret: settings.clientSecret!,
              stateSecret: settings.stateSecret!,
              scopes: ['commands', 'chat:write', 'chat:write.public', 'users:read', 'files:write'],
              installationStore: installations,
              installerOptions: { directInstall: true, installPath: INSTALL_PATH, redirectUriPath: REDIRECT_PATH, clientOptions: { ...clientOptions } },
            }
          : {}),
      });

  const app = new App({
    ...(receiver ? { receiver } : { socketMode: true, appToken: settings.appToken! }),
    ...(oauth ? {} : { token: settings.botToken! }),
    ...(oauth && socketMode ? { clientId: settings.clientId!, clientSecret: settings.clientSecret!, installationStore: installations } : {}),
    // A copy: Bolt writes its own log level into the options object it is given.
    clientOptions: { ...clientOptions },
    logLevel: LogLevel.WARN,
    // The token is checked on first use rather than at start, so a start never hangs on Slack.
    tokenVerificationEnabled: false,
  });

  let log: (line: string) => void = () => {};
  return {
    adapter,
    ...(receiver
      ? {
          routes: [
            { path: '/slack/events', methods: { POST: ackFirstListener({ app, signingSecret: settings.signingSecret ?? '', log: (l) => log(l) }) } },
            ...(oauth ? [INSTALL_PATH, REDIRECT_PATH].map((path) => ({ path, methods: { GET: oauthListener(receiver.requestListener) } })) : []),
          ],
        }
      : {}),
    async attach(deps) {
      log = deps.log;
      const requester = (teamId: string, channel: string, user: string): Requester => ({
        platform: 'slack',
        tenant: teamId,
        channel,
        user,
        isAdmin: async () => {
          const info = await (await clientFor(teamId)).users.info({ user });
          return Boolean(info.user?.is_admin || info.user?.is_owner);
        },
      });
      /**
       * The answer. After a "checking…" placeholder it replaces the placeholder in place when it is
       * for the channel; a private answer (an error) removes the placeholder and comes privately.
       */
      const respondWith = async (respond: (m: Record<string, unknown>) => Promise<unknown>, message: Message, placeholder: boolean, teamId: string) => {
        const visible = message.visibility === 'channel';
        if (placeholder && !visible) await respond({ delete_original: true });
        const rendered = toSlack(message);
        const base = { response_type: visible ? 'in_channel' : 'ephemeral', replace_original: placeholder && visible, ...rendered };
        const image = rendered.blocks.length < SLACK_LIMITS.blocks ? await chartBlock(teamId, message) : undefined;
        if (!image) return void (await respond(base));
        // Slack may refuse the image (the file still processing): the words go out regardless.
        await respond({ ...base, blocks: [...rendered.blocks, image] }).catch(async (err: unknown) => {
          deps.log(`isdown: slack refused the chart (${String(err)}); answering without it`);
          await respond(base);
        });
      };
      /**
       * A message's chart as an image block: the PNG is uploaded as a file of the app's own,
       * shared in no channel, and shown by its id. Without the files:write scope (an app
       * installed before charts) the answer comes without it.
       */
      const chartBlock = async (teamId: string, message: Message): Promise<SlackBlock | undefined> => {
        if (!message.chart || !renderChart) return undefined;
        try {
          const png = renderChart(message.chart);
          const up = await call(teamId, (c) => c.files.uploadV2({ file: Buffer.from(png), filename: 'isdown-chart.png', title: message.chart!.title.slice(0, 200) }));
          const id = (up as { files?: { files?: { id?: string }[] }[] }).files?.[0]?.files?.[0]?.id;
          if (!id) return undefined;
          return { type: 'image', slack_file: { id }, alt_text: chartDescription(message.chart).slice(0, 2_000), title: { type: 'plain_text', text: message.chart.title.slice(0, 2_000) } };
        } catch (err) {
          deps.log(`isdown: slack: the chart could not be uploaded (${err instanceof Error ? err.message : String(err)}); answering without it`);
          return undefined;
        }
      };
      const safely = async (respond: (m: Record<string, unknown>) => Promise<unknown>, teamId: string, work: () => Promise<Message>, checking?: string) => {
        // A check can take up to 20 s: the channel sees at once that it is under way.
        const placeholder = checking
          ? await respond({ response_type: 'in_channel', replace_original: false, text: `⏳ Checking ${checking}… (up to 20 s)` }).then(
              () => true,
              () => false,
            )
          : false;
        let message: Message;
        try {
          message = await work();
        } catch (err) {
          deps.log(`isdown: slack command failed: ${err instanceof Error ? err.message : String(err)}`);
          message = errorMessage('Something went wrong inside isdown; the error is in its log. Try again in a moment.');
        }
        await respondWith(respond, message, placeholder, teamId).catch((err: unknown) => deps.log(`isdown: slack response_url failed: ${String(err)}`));
      };

      app.command('/isdown', async ({ command, ack, respond }) => {
        // Ack first: Slack gives 3 seconds, a check can take 15. The answer follows via response_url.
        await ack();
        const parsed = parseCommand(command.text);
        const checking = parsed.ok && parsed.command.kind === 'check' && parsed.command.target ? parsed.command.target : undefined;
        void safely(respond, command.team_id, () => deps.bot.handle(command.text, requester(command.team_id, command.channel_id, command.user_id)), checking);
      });

      const fromAction = (body: { team?: { id: string } | null; channel?: { id: string }; user: { id: string }; container?: { channel_id?: string } }) =>
        requester(body.team?.id ?? '', body.channel?.id ?? body.container?.channel_id ?? '', body.user.id);
      const onButton = (actionId: string, toCommand: (value: string) => Command | null) =>
        app.action(actionId, async ({ ack, body, action, respond }) => {
          await ack();
          const value = (action as { value?: string }).value ?? '';
          const command = toCommand(value);
          if (!command) return;
          // No placeholder here: a button's response_url points at the message that carries the
          // button (an alert), and replacing "the original" would overwrite that alert.
          const who = fromAction(body as never);
          void safely(respond, who.tenant, () => deps.bot.run(command, who));
        });
      onButton(ACTION_IDS.recheck, (v) => (v ? { kind: 'check', target: v } : null));
      onButton(ACTION_IDS.watch, (v) => (v ? { kind: 'watch', target: v } : null));
      onButton(ACTION_IDS.mute, (v) => {
        try {
          const { t, d } = JSON.parse(v) as { t: string; d: number };
          return typeof t === 'string' && Number.isFinite(d) ? { kind: 'mute', target: t, durationMs: d } : null;
        } catch {
          return null;
        }
      });
      // Link buttons open a page in the browser; Slack still tells us, and wants an ack.
      app.action(new RegExp(`^${ACTION_IDS.link}`), async ({ ack }) => {
        await ack();
      });

      const uninstall = async (teamId: string) => {
        await installations.deleteTeam(teamId);
        await deps.onUninstall(teamId);
      };
      app.event('app_uninstalled', async ({ body }) => uninstall((body as { team_id: string }).team_id));
      app.event('tokens_revoked', async ({ body, event }) => {
        if ((event as { tokens?: { bot?: string[] } }).tokens?.bot?.length) await uninstall((body as { team_id: string }).team_id);
      });
      app.error(async (err) => deps.log(`isdown: slack: ${err.message}`));
      if (socketMode) await app.start();
    },
    async stop() {
      if (socketMode) await app.stop();
    },
  };
}

export const slackPlatform: PlatformFactory = {
  name: 'slack',
  enabled: (s) => Boolean(s.slack.botToken || s.slack.clientId),
  create(s, kv, services) {
    const slack = createSlack(s.slack, kv, services?.renderChart);
    return {
      name: 'slack',
      alerts: slack.adapter,
      ...(slack.routes ? { routes: slack.routes } : {}),
      start: (deps) => slack.attach({ bot: deps.bot, log: deps.log, onUninstall: deps.onTenantGone }),
      stop: () => slack.stop(),
    };
  },
};
