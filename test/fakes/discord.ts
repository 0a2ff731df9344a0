import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseMultipart } from './multipart.ts';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * Discord on 127.0.0.1: a REST API under /api/v10 (gateway/bot, application commands,
 * interaction callbacks, webhooks for follow-ups and edits, channel messages) with Discord's
 * error bodies ({code, message}) and rate-limit headers, and a gateway WebSocket speaking the
 * real protocol (HELLO, IDENTIFY, READY, heartbeats and ACKs, GUILD_CREATE, dispatches,
 * RESUME, reconnect requests).
 */
export interface FakeGuild {
  readonly id: string;
  /** Text channels the bot may post in; others answer 50001 Missing Access. */
  readonly channels: string[];
}

export interface DiscordMessage {
  readonly id: string;
  readonly channel_id: string;
  content: string;
  embeds: { title?: string; description?: string; color?: number; fields?: { name: string; value: string }[]; timestamp?: string }[];
  components: unknown[];
  readonly message_reference?: { message_id: string };
  readonly nonce?: string;
  readonly edits: number;
}

export interface InteractionResponse {
  readonly interactionId: string;
  readonly type: number;
  readonly data?: Record<string, unknown>;
  /** The original response after edits (deferred replies are edited through the webhook). */
  original?: Record<string, unknown>;
  readonly followups: Record<string, unknown>[];
}

export interface FakeDiscord {
  readonly apiUrl: string;
  readonly applicationId: string;
  readonly token: string;
  readonly messages: DiscordMessage[];
  readonly responses: Map<string, InteractionResponse>;
  readonly commands: Map<string, unknown[]>;
  readonly calls: { method: string; path: string; status: number }[];
  /** Gateway opcodes received, in order (2 IDENTIFY, 6 RESUME, 1 heartbeat). */
  readonly opcodes: number[];
  ready(): Promise<void>;
  /** Delivers an interaction over the gateway, as Discord does. */
  interact(payload: Record<string, unknown>): string;
  /** Asks the client to reconnect (op 7); it must RESUME. */
  requestReconnect(): void;
  rateLimit(pathPrefix: string, times: number, retryAfterSeconds: number, global?: boolean): void;
  enforcePace(opts: { perChannel: number; windowMs: number; global: number }): void;
  removeAccess(channel: string): void;
  /** The direct-message channel opened with a user, if any. */
  dmChannel(user: string): string | undefined;
  /** A channel is deleted: CHANNEL_DELETE, and it answers 10003 from then on. */
  deleteChannel(guild: string, channel: string): void;
  /** The bot is removed from a guild: GUILD_DELETE without `unavailable`. */
  removeFromGuild(guild: string): void;
  close(): Promise<void>;
}

let snowflake = 1_100_000_000_000_000_000n;
const nextId = () => String(++snowflake);

export async function startFakeDiscord(opts: { guilds: FakeGuild[]; token?: string; applicationId?: string }): Promise<FakeDiscord> {
  const token = opts.token ?? 'fake-discord-token';
  const applicationId = opts.applicationId ?? '900000000000000001';
  const botUser = { id: applicationId, username: 'isdown', discriminator: '0', global_name: null, avatar: null, bot: true };
  const guilds = new Map(opts.guilds.map((g) => [g.id, { id: g.id, channels: [...g.channels] }]));
  const revoked = new Set<string>();
  const messages: DiscordMessage[] = [];
  const responses = new Map<string, InteractionResponse>();
  const byToken = new Map<string, InteractionResponse>();
  const commands = new Map<string, unknown[]>();
  const calls: FakeDiscord['calls'] = [];
  const opcodes: number[] = [];
  const limited: { prefix: string; times: number; retryAfter: number; global: boolean }[] = [];
  let pace: { perChannel: number; windowMs: number; global: number } | undefined;
  const sent = new Map<string, number[]>();
  const nonces = new Map<string, DiscordMessage>();
  /** Direct-message channels by recipient. */
  const dms = new Map<string, string>();
  let sockets: WebSocket[] = [];
  let seq = 0;
  const sessionId = 'fake-session-1';
  let readyResolve: () => void;
  let readyPromise = new Promise<void>((r) => (readyResolve = r));

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });

  function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    // Like Discord, a 204 carries no body and no content type.
    res.writeHead(status, body === undefined ? headers : { 'content-type': 'application/json', ...headers });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  }

  function handle(req: http.IncomingMessage, res: http.ServerResponse, bytes: Buffer) {
    // A message with files comes as multipart/form-data: its JSON in payload_json, each file as files[n].
    let raw = bytes.toString();
    let uploads: { index: number; filename: string; data: Buffer }[] = [];
    if (/^multipart\/form-data/i.test(req.headers['content-type'] ?? '')) {
      const parts = parseMultipart(req.headers['content-type'], bytes);
      if (!Array.isArray(parts)) return json(res, 400, { code: 50035, message: 'Invalid Form Body' });
      raw = parts.find((p) => p.name === 'payload_json')?.data.toString() ?? '';
      uploads = parts.flatMap((p) => {
        const m = /^files\[(\d+)\]$/.exec(p.name);
        return m && p.filename !== undefined ? [{ index: Number(m[1]), filename: p.filename, data: Buffer.from(p.data) }] : [];
      });
      if (uploads.some((u) => u.data.length > 10 * 1024 * 1024)) return json(res, 413, { code: 40005, message: 'Request entity too large' });
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(url.pathname).replace(/^\/api\/v10/, '');
    const method = req.method ?? 'GET';
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      calls.push({ method, path, status });
      json(res, status, body, { 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '4', 'x-ratelimit-reset-after': '1', 'x-ratelimit-bucket': `b-${path.split('/')[1]}`, ...headers });
    };
    const body = (() => {
      try {
        return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      } catch {
        return null;
      }
    })();
    if (body === null) return reply(400, { code: 50109, message: 'The request body contains invalid JSON.' });
    // An embed may show an uploaded file as attachment://<filename>; any other name is refused.
    const named = JSON.stringify(body.embeds ?? []).match(/attachment:\/\/[^"]+/g) ?? [];
    const missing = named.find((n) => !uploads.some((u) => `attachment://${u.filename}` === n));
    if (missing) return reply(400, { code: 50035, message: 'Invalid Form Body', errors: { embeds: { _errors: [{ code: 'UNKNOWN_ATTACHMENT', message: `${missing} is not an attachment of this message.` }] } } });
    if (uploads.length) {
      const declared = Array.isArray(body.attachments) ? (body.attachments as { id?: unknown }[]) : [];
      if (uploads.some((u) => !declared.some((a) => String(a.id) === String(u.index)))) return reply(400, { code: 50035, message: 'Invalid Form Body', errors: { attachments: { _errors: [{ code: 'ATTACHMENT_NOT_DECLARED', message: 'Every file must be listed in attachments.' }] } } });
      body.files = uploads.map((u) => ({ filename: u.filename, data: u.data }));
    }

    // Webhooks (interaction follow-ups) are authorised by their token, not the bot's.
    const isWebhook = path.startsWith('/webhooks/') || path.startsWith('/interactions/');
    if (!isWebhook && req.headers.authorization !== `Bot ${token}`) return reply(401, { code: 0, message: '401: Unauthorized' });

    const limit = limited.find((l) => path.startsWith(l.prefix) && l.times > 0);
    if (limit) {
      limit.times--;
      return reply(429, { message: 'You are being rate limited.', retry_after: limit.retryAfter, global: limit.global }, {
        'retry-after': String(Math.ceil(limit.retryAfter)),
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset-after': String(limit.retryAfter),
        ...(limit.global ? { 'x-ratelimit-global': 'true', 'x-ratelimit-scope': 'global' } : { 'x-ratelimit-scope': 'user' }),
      });
    }

    if (method === 'GET' && path === '/gateway/bot') {
      const { port } = server.address() as AddressInfo;
      return reply(200, { url: `ws://127.0.0.1:${port}`, shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 } });
    }
    if (method === 'GET' && path === '/users/@me') return reply(200, botUser);
    if (method === 'POST' && path === '/users/@me/channels') {
      if (typeof body.recipient_id !== 'string' || !/^\d{17,20}$/.test(body.recipient_id)) {
        return reply(400, { code: 50035, message: 'Invalid Form Body', errors: { recipient_id: { _errors: [{ code: 'NUMBER_TYPE_COERCE', message: 'Value is not snowflake.' }] } } });
      }
      let dm = dms.get(body.recipient_id);
      if (!dm) dms.set(body.recipient_id, (dm = nextId()));
      return reply(200, { id: dm, type: 1, last_message_id: null, recipients: [{ id: body.recipient_id, username: 'someone', discriminator: '0', global_name: null, avatar: null }] });
    }

    let m = /^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/.exec(path);
    if (m && method === 'PUT') {
      if (m[1] !== applicationId) return reply(403, { code: 50001, message: 'Missing Access' });
      const list = Array.isArray(body) ? body : [];
      const stored = (list as Record<string, unknown>[]).map((c) => ({ ...c, id: nextId(), application_id: applicationId, version: nextId() }));
      commands.set(m[2] ?? 'global', stored);
      return reply(200, stored);
    }

    m = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(path);
    if (m && method === 'POST') {
      if (responses.has(m[1]!)) return reply(400, { code: 40060, message: 'Interaction has already been acknowledged.' });
      const r: InteractionResponse = { interactionId: m[1]!, type: Number(body.type), ...(body.data ? { data: body.data as Record<string, unknown> } : {}), followups: [] };
      if (body.type === 4 || body.type === 7) r.original = body.data as Record<string, unknown>;
      responses.set(m[1]!, r);
      byToken.set(m[2]!, r);
      return reply(204, undefined);
    }
    m = /^\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/(@original|\d+))?$/.exec(path);
    if (m) {
      const r = byToken.get(m[2]!);
      if (!r) return reply(404, { code: 10015, message: 'Unknown Webhook' });
      if (method === 'PATCH' && m[3] === '@original') {
        r.original = { ...(r.original ?? {}), ...body };
        return reply(200, { id: nextId(), channel_id: '0', ...r.original });
      }
      if (method === 'DELETE' && m[3] === '@original') {
        delete r.original;
        return reply(204, undefined);
      }
      if (method === 'POST' && !m[3]) {
        r.followups.push(body);
        return reply(200, { id: nextId(), channel_id: '0', ...body });
      }
    }

    m = /^\/channels\/(\d+)\/messages(?:\/(\d+))?$/.exec(path);
    if (m) {
      const channel = m[1]!;
      if (revoked.has(channel)) return reply(403, { code: 50001, message: 'Missing Access' });
      const guild = [...guilds.values()].find((g) => g.channels.includes(channel));
      if (!guild && ![...dms.values()].includes(channel)) return reply(404, { code: 10003, message: 'Unknown Channel' });
      const embeds = (body.embeds ?? []) as DiscordMessage['embeds'];
      const total = embeds.reduce((n, e) => n + (e.title?.length ?? 0) + (e.description?.length ?? 0) + (e.fields ?? []).reduce((k, f) => k + f.name.length + f.value.length, 0), 0);
      if (embeds.length > 10 || total > 6000 || embeds.some((e) => (e.title?.length ?? 0) > 256 || (e.description?.length ?? 0) > 4096 || (e.fields?.length ?? 0) > 25)) {
        return reply(400, { code: 50035, message: 'Invalid Form Body', errors: { embeds: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 6000 or fewer in length.' }] } } });
      }
      if (pace) {
        const t = Date.now();
        const ch = (sent.get(channel) ?? []).filter((x) => t - x < pace!.windowMs);
        const all = (sent.get('*') ?? []).filter((x) => t - x < 1_000);
        if (all.length >= pace.global) {
          return reply(429, { message: 'You are being rate limited.', retry_after: 1, global: true }, { 'retry-after': '1', 'x-ratelimit-global': 'true', 'x-ratelimit-scope': 'global' });
        }
        if (ch.length >= pace.perChannel) {
          const after = (pace.windowMs - (t - ch[0]!)) / 1_000;
          return reply(429, { message: 'You are being rate limited.', retry_after: after, global: false }, { 'retry-after': String(Math.ceil(after)), 'x-ratelimit-remaining': '0', 'x-ratelimit-reset-after': String(after), 'x-ratelimit-scope': 'user' });
        }
        sent.set(channel, [...ch, t]);
        sent.set('*', [...all, t]);
      }
      if (method === 'POST' && !m[2]) {
        const nonce = typeof body.nonce === 'string' ? body.nonce : undefined;
        if (nonce && body.enforce_nonce && nonces.has(nonce)) return reply(200, nonces.get(nonce));
        const ref = body.message_reference as { message_id: string } | undefined;
        if (ref && !messages.some((x) => x.id === ref.message_id)) return reply(400, { code: 50035, message: 'Invalid Form Body', errors: { message_reference: { _errors: [{ code: 'REPLIES_UNKNOWN_MESSAGE', message: 'Unknown message' }] } } });
        const msg: DiscordMessage = { id: nextId(), channel_id: channel, content: String(body.content ?? ''), embeds, components: (body.components ?? []) as unknown[], ...(ref ? { message_reference: { message_id: ref.message_id } } : {}), ...(nonce ? { nonce } : {}), edits: 0 };
        messages.push(msg);
        if (nonce) nonces.set(nonce, msg);
        return reply(200, { ...msg, type: ref ? 19 : 0, author: botUser, timestamp: new Date().toISOString(), edited_timestamp: null, tts: false, mention_everyone: false, mentions: [], mention_roles: [], attachments: [], pinned: false });
      }
      if (method === 'PATCH' && m[2]) {
        const msg = messages.find((x) => x.id === m![2] && x.channel_id === channel);
        if (!msg) return reply(404, { code: 10008, message: 'Unknown Message' });
        if (body.content !== undefined) msg.content = String(body.content);
        if (body.embeds !== undefined) msg.embeds = embeds;
        if (body.components !== undefined) msg.components = body.components as unknown[];
        (msg as { edits: number }).edits++;
        return reply(200, { ...msg, author: botUser, timestamp: new Date().toISOString(), edited_timestamp: new Date().toISOString() });
      }
    }
    return reply(404, { code: 0, message: '404: Not Found' });
  }

  const wss = new WebSocketServer({ server });
  const send = (ws: WebSocket, payload: Record<string, unknown>) => ws.send(JSON.stringify(payload));
  const dispatch = (t: string, d: unknown) => {
    for (const ws of sockets) send(ws, { op: 0, t, s: ++seq, d });
  };
  wss.on('connection', (ws) => {
    sockets.push(ws);
    ws.on('close', () => (sockets = sockets.filter((s) => s !== ws)));
    send(ws, { op: 10, d: { heartbeat_interval: 41_250 }, s: null, t: null });
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as { op: number; d: Record<string, unknown> };
      opcodes.push(msg.op);
      if (msg.op === 1) return send(ws, { op: 11, d: null, s: null, t: null });
      if (msg.op === 2) {
        if (msg.d.token !== token && msg.d.token !== `Bot ${token}`) return ws.close(4004, 'Authentication failed.');
        const { port } = server.address() as AddressInfo;
        send(ws, {
          op: 0,
          t: 'READY',
          s: ++seq,
          d: { v: 10, user: botUser, guilds: [...guilds.keys()].map((id) => ({ id, unavailable: true })), session_id: sessionId, resume_gateway_url: `ws://127.0.0.1:${port}`, shard: [0, 1], application: { id: applicationId, flags: 0 } },
        });
        for (const g of guilds.values()) {
          send(ws, {
            op: 0,
            t: 'GUILD_CREATE',
            s: ++seq,
            d: {
              id: g.id, name: `Guild ${g.id}`, icon: null, owner_id: '1', afk_timeout: 300, verification_level: 0, default_message_notifications: 0, explicit_content_filter: 0,
              roles: [{ id: g.id, name: '@everyone', permissions: '1024', position: 0, color: 0, hoist: false, managed: false, mentionable: false }],
              emojis: [], stickers: [], features: [], mfa_level: 0, system_channel_flags: 0, premium_tier: 0, preferred_locale: 'en-US', nsfw_level: 0,
              member_count: 2, large: false, unavailable: false, joined_at: new Date().toISOString(), members: [], presences: [], voice_states: [], threads: [], stage_instances: [], guild_scheduled_events: [],
              channels: g.channels.map((c, i) => ({ id: c, type: 0, guild_id: g.id, name: `channel-${i}`, position: i, permission_overwrites: [], nsfw: false, parent_id: null })),
            },
          });
        }
        readyResolve();
        return;
      }
      if (msg.op === 6) {
        if (msg.d.session_id !== sessionId) return send(ws, { op: 9, d: false, s: null, t: null });
        send(ws, { op: 0, t: 'RESUMED', s: ++seq, d: {} });
        readyResolve();
      }
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    apiUrl: `http://127.0.0.1:${port}/api`,
    applicationId,
    token,
    messages,
    responses,
    commands,
    calls,
    opcodes,
    ready: () => readyPromise,
    interact(payload) {
      const id = nextId();
      dispatch('INTERACTION_CREATE', { id, application_id: applicationId, token: `itok-${id}`, version: 1, locale: 'en-US', entitlements: [], app_permissions: '2147483647', authorizing_integration_owners: {}, ...payload });
      return id;
    },
    requestReconnect() {
      readyPromise = new Promise<void>((r) => (readyResolve = r));
      for (const ws of sockets) send(ws, { op: 7, d: null, s: null, t: null });
    },
    rateLimit: (prefix, times, retryAfter, global = false) => limited.push({ prefix, times, retryAfter, global }),
    enforcePace: (p) => (pace = p),
    removeAccess(channel) {
      revoked.add(channel);
    },
    dmChannel: (user) => dms.get(user),
    deleteChannel(guild, channel) {
      const g = guilds.get(guild);
      if (!g) return;
      g.channels = g.channels.filter((c) => c !== channel);
      dispatch('CHANNEL_DELETE', { id: channel, type: 0, guild_id: guild, name: 'deleted', position: 0, permission_overwrites: [], nsfw: false, parent_id: null });
    },
    removeFromGuild(guild) {
      guilds.delete(guild);
      dispatch('GUILD_DELETE', { id: guild });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of sockets) ws.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
