import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseMultipart } from './multipart.ts';

/**
 * A Slack Web API on 127.0.0.1 that checks what Slack checks and answers in Slack's shapes:
 * tokens in the Authorization header (or the form), form or JSON bodies, `{ok:false, error}` for
 * bad input, Block Kit limits, membership, and 429 + Retry-After when rate limited.
 */
export interface FakeWorkspace {
  readonly teamId: string;
  readonly token: string;
  /** Channels the bot is a member of; others answer not_in_channel. */
  readonly channels: string[];
  readonly archived?: string[];
  readonly admins?: string[];
  /** The bot token's scopes; unset means every scope isdown's manifest asks for. */
  readonly scopes?: string[];
}

export interface SlackPost {
  readonly team: string;
  readonly channel: string;
  readonly ts: string;
  readonly thread_ts?: string;
  readonly reply_broadcast: boolean;
  /** Message metadata as Slack keeps it; returned by history only with include_all_metadata. */
  readonly metadata?: { event_type: string; event_payload: Record<string, unknown> };
  text: string;
  blocks: { type: string; [k: string]: unknown }[];
  readonly updates: { text: string; blocks: unknown[] }[];
}

export interface FakeSlack {
  readonly url: string;
  readonly apiUrl: string;
  readonly posts: SlackPost[];
  readonly responses: { path: string; body: Record<string, unknown> }[];
  /** Files uploaded through files.getUploadURLExternal, the upload URL and files.completeUploadExternal. */
  readonly files: Map<string, { id: string; team: string; filename: string; length: number; title?: string; bytes?: Buffer; completed: boolean }>;
  /** The messages a response_url shows now, after replacements and deletions, oldest first. */
  shown(id: string): Record<string, unknown>[];
  readonly calls: { method: string; status: number; error?: string; at: number; channel?: string }[];
  /** The next `times` calls of `method` answer 429 with this Retry-After (seconds). */
  rateLimit(method: string, times: number, retryAfterSeconds: number): void;
  /** The next `times` calls of `method` are read and never answered, as when Slack hangs. */
  hang(method: string, times: number): void;
  /** Enforce Slack's per-channel pace (1 message/s) and a workspace-wide burst limit. */
  enforcePace(opts: { perChannelPerSecond: number; workspaceBurst: number; workspaceWindowMs: number }): void;
  responseUrl(id: string): string;
  addWorkspace(w: FakeWorkspace): void;
  removeBot(teamId: string, channel: string): void;
  /** An OAuth code that oauth.v2.access exchanges for this workspace's token. */
  oauthCode(w: FakeWorkspace): string;
  close(): Promise<void>;
}

const LIMITS = { blocks: 50, header: 150, sectionText: 3000, text: 40_000 };

function validBlocks(blocks: unknown): string | null {
  if (!Array.isArray(blocks)) return 'invalid_blocks_format';
  if (blocks.length > LIMITS.blocks) return 'invalid_blocks';
  for (const b of blocks) {
    if (!b || typeof b !== 'object' || typeof (b as { type?: unknown }).type !== 'string') return 'invalid_blocks';
    const block = b as { type: string; text?: { text?: string }; fields?: { text?: string }[]; elements?: unknown[] };
    if (block.type === 'header' && (block.text?.text?.length ?? 0) > LIMITS.header) return 'invalid_blocks';
    if (block.type === 'section' && (block.text?.text?.length ?? 0) > LIMITS.sectionText) return 'invalid_blocks';
    if (block.type === 'section' && block.fields && block.fields.length > 10) return 'invalid_blocks';
    if (block.type === 'actions' && (!Array.isArray(block.elements) || block.elements.length > 25)) return 'invalid_blocks';
  }
  return null;
}

export async function startFakeSlack(): Promise<FakeSlack> {
  const workspaces = new Map<string, FakeWorkspace & { channels: string[] }>();
  const byToken = new Map<string, string>();
  const codes = new Map<string, string>();
  const posts: SlackPost[] = [];
  const responses: FakeSlack['responses'] = [];
  const calls: FakeSlack['calls'] = [];
  const limited = new Map<string, { times: number; retryAfter: number }>();
  const hanging = new Map<string, number>();
  const shown = new Map<string, Record<string, unknown>[]>();
  let pace: { perChannelPerSecond: number; workspaceBurst: number; workspaceWindowMs: number } | undefined;
  const channelTimes = new Map<string, number[]>();
  const teamTimes = new Map<string, number[]>();
  const files: FakeSlack['files'] = new Map();
  let fileCounter = 0;
  /** An image block names a public URL or a file of Slack's, one of the two, with alt text; a file must be an uploaded, completed image. */
  const badImage = (blocks: unknown): boolean =>
    (blocks as { type: string; alt_text?: unknown; image_url?: unknown; slack_file?: { id?: string; url?: string } }[]).some((b) => {
      if (b.type !== 'image') return false;
      if (typeof b.alt_text !== 'string' || !b.alt_text || b.alt_text.length > 2_000) return true;
      if ((b.image_url === undefined) === (b.slack_file === undefined)) return true;
      if (b.slack_file) {
        if ((b.slack_file.id === undefined) === (b.slack_file.url === undefined)) return true;
        const f = b.slack_file.id ? files.get(b.slack_file.id) : undefined;
        if (!f || !f.completed || !f.bytes || !/\.(png|jpe?g|gif)$/i.test(f.filename)) return true;
      }
      return false;
    });
  let tsCounter = 0;

  const readBody = (req: http.IncomingMessage) =>
    new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
    });

  const server = http.createServer(async (req, res) => {
    const bytes = await readBody(req);
    const raw = bytes.toString();
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
    };

    // The address files.getUploadURLExternal hands out: the file's bytes, as they are.
    const upload = /^\/upload\/v1\/(F[A-Z0-9]+)$/.exec(url.pathname);
    if (upload && req.method === 'POST') {
      const f = files.get(upload[1]!);
      if (!f || f.bytes) return res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
      // Raw bytes, or a form whose file part holds them (what @slack/web-api sends).
      if (/^multipart\/form-data/i.test(req.headers['content-type'] ?? '')) {
        const parts = parseMultipart(req.headers['content-type'], bytes);
        const file = Array.isArray(parts) ? parts.find((p) => p.filename !== undefined) : undefined;
        if (!file) return res.writeHead(400, { 'content-type': 'text/plain' }).end('Bad Request');
        f.bytes = Buffer.from(file.data);
      } else f.bytes = bytes;
      return res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${f.bytes.length}`);
    }
    if (url.pathname.startsWith('/response/')) {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return send(400, { ok: false, error: 'invalid_json' });
      }
      if (body.blocks !== undefined && (validBlocks(body.blocks) || badImage(body.blocks))) return send(400, { ok: false, error: 'invalid_blocks' });
      responses.push({ path: url.pathname, body });
      // What the person sees now: replace_original edits the earlier message, delete_original removes it.
      if (body.delete_original === true) shown.delete(url.pathname);
      else if (body.replace_original === true && !shown.has(url.pathname)) return send(404, { ok: false, error: 'message_not_found' });
      else shown.set(url.pathname, [...(body.replace_original === true ? (shown.get(url.pathname) ?? []).slice(0, -1) : (shown.get(url.pathname) ?? [])), body]);
      return send(200, { ok: true });
    }
    if (!url.pathname.startsWith('/api/')) return send(404, { ok: false, error: 'unknown_method' });
    const method = url.pathname.slice('/api/'.length);
    const type = req.headers['content-type'] ?? '';
    let params: Record<string, unknown> = {};
    if (type.includes('application/json')) {
      try {
        params = JSON.parse(raw || '{}') as Record<string, unknown>;
      } catch {
        return send(200, { ok: false, error: 'invalid_json' });
      }
    } else {
      params = Object.fromEntries(new URLSearchParams(raw));
    }
    const answer = (status: number, body: { ok: boolean; error?: string; [k: string]: unknown }, headers?: Record<string, string>) => {
      calls.push({ method, status, at: Date.now(), ...(typeof params.channel === 'string' ? { channel: params.channel } : {}), ...(body.error ? { error: body.error } : {}) });
      send(status, body, headers);
    };

    const hangs = hanging.get(method) ?? 0;
    if (hangs > 0) {
      hanging.set(method, hangs - 1);
      calls.push({ method, status: 0, at: Date.now(), ...(typeof params.channel === 'string' ? { channel: params.channel } : {}), error: 'no answer' });
      return;
    }
    const rl = limited.get(method);
    if (rl && rl.times > 0) {
      rl.times--;
      return answer(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(rl.retryAfter) });
    }

    if (method === 'oauth.v2.access') {
      const basic = req.headers.authorization?.startsWith('Basic ') ? Buffer.from(req.headers.authorization.slice(6), 'base64').toString() : undefined;
      const clientId = basic?.split(':')[0] ?? params.client_id;
      if (clientId !== 'test-client-id') return answer(200, { ok: false, error: 'invalid_client_id' });
      const team = codes.get(String(params.code));
      if (!team) return answer(200, { ok: false, error: 'invalid_code' });
      codes.delete(String(params.code));
      const w = workspaces.get(team)!;
      return answer(200, {
        ok: true,
        app_id: 'A0ISDOWN',
        authed_user: { id: 'U0INSTALLER' },
        scope: 'commands,chat:write',
        token_type: 'bot',
        access_token: w.token,
        bot_user_id: 'U0BOT',
        team: { id: w.teamId, name: `Team ${w.teamId}` },
        enterprise: null,
        is_enterprise_install: false,
      });
    }

    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : typeof params.token === 'string' ? params.token : undefined;
    if (!token) return answer(200, { ok: false, error: 'not_authed' });
    const teamId = byToken.get(token);
    if (!teamId) return answer(200, { ok: false, error: 'invalid_auth' });
    const ws = workspaces.get(teamId)!;

    const channelCheck = (channel: unknown): string | null => {
      if (typeof channel !== 'string' || !channel) return 'channel_not_found';
      if (ws.archived?.includes(channel)) return 'is_archived';
      if (!ws.channels.includes(channel)) return /^[CG]/.test(channel) ? 'not_in_channel' : 'channel_not_found';
      return null;
    };
    const paced = (channel: string): string | null => {
      if (!pace) return null;
      const t = Date.now();
      const ch = (channelTimes.get(`${teamId}:${channel}`) ?? []).filter((x) => t - x < 1_000);
      const team = (teamTimes.get(teamId) ?? []).filter((x) => t - x < pace!.workspaceWindowMs);
      if (ch.length >= pace.perChannelPerSecond || team.length >= pace.workspaceBurst) return '1';
      channelTimes.set(`${teamId}:${channel}`, [...ch, t]);
      teamTimes.set(teamId, [...team, t]);
      return null;
    };
    const parseBlocks = (v: unknown) => (typeof v === 'string' ? (JSON.parse(v) as unknown) : v);

    switch (method) {
      case 'files.getUploadURLExternal': {
        if (ws.scopes && !ws.scopes.includes('files:write')) return answer(200, { ok: false, error: 'missing_scope', needed: 'files:write', provided: ws.scopes.join(',') });
        const length = Number(params.length);
        if (typeof params.filename !== 'string' || !params.filename || !Number.isInteger(length) || length <= 0) return answer(200, { ok: false, error: 'invalid_arguments' });
        const id = `F${String(++fileCounter).padStart(9, '0')}`;
        files.set(id, { id, team: teamId, filename: params.filename, length, completed: false });
        return answer(200, { ok: true, upload_url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/upload/v1/${id}`, file_id: id });
      }
      case 'files.completeUploadExternal': {
        let list: { id?: string; title?: string }[];
        try {
          list = typeof params.files === 'string' ? (JSON.parse(params.files) as typeof list) : (params.files as typeof list);
        } catch {
          return answer(200, { ok: false, error: 'invalid_arguments' });
        }
        if (!Array.isArray(list) || list.length === 0) return answer(200, { ok: false, error: 'invalid_arguments' });
        for (const item of list) {
          const f = item.id ? files.get(item.id) : undefined;
          if (!f || f.team !== teamId || !f.bytes) return answer(200, { ok: false, error: 'file_not_found' });
          if (f.bytes.length !== f.length) return answer(200, { ok: false, error: 'file_upload_size_mismatch' });
        }
        if (params.channel_id !== undefined && channelCheck(params.channel_id)) return answer(200, { ok: false, error: channelCheck(params.channel_id)! });
        for (const item of list) {
          const f = files.get(item.id!)!;
          f.completed = true;
          if (item.title) f.title = item.title;
        }
        return answer(200, { ok: true, files: list.map((i) => ({ id: i.id, title: i.title ?? files.get(i.id!)!.filename, name: files.get(i.id!)!.filename, mimetype: 'image/png' })) });
      }
      case 'auth.test':
        return answer(200, { ok: true, url: `https://${teamId}.slack.test/`, team: `Team ${teamId}`, user: 'isdown', team_id: teamId, user_id: 'U0BOT', bot_id: 'B0BOT', is_enterprise_install: false });
      case 'users.info': {
        const user = String(params.user ?? '');
        if (!user) return answer(200, { ok: false, error: 'user_not_found' });
        return answer(200, { ok: true, user: { id: user, team_id: teamId, is_admin: ws.admins?.includes(user) ?? false, is_owner: false } });
      }
      case 'conversations.info': {
        const err = channelCheck(params.channel);
        if (err === 'channel_not_found') return answer(200, { ok: false, error: err });
        return answer(200, { ok: true, channel: { id: params.channel, is_member: !err, is_archived: err === 'is_archived' } });
      }
      case 'chat.postMessage':
      case 'chat.postEphemeral': {
        const err = channelCheck(params.channel);
        if (err) return answer(200, { ok: false, error: err });
        const text = typeof params.text === 'string' ? params.text : '';
        if (text.length > LIMITS.text) return answer(200, { ok: false, error: 'msg_too_long' });
        let blocks: unknown = [];
        try {
          blocks = params.blocks === undefined ? [] : parseBlocks(params.blocks);
        } catch {
          return answer(200, { ok: false, error: 'invalid_blocks_format' });
        }
        const bad = validBlocks(blocks);
        if (bad) return answer(200, { ok: false, error: bad });
        if (!text && (blocks as unknown[]).length === 0) return answer(200, { ok: false, error: 'no_text' });
        const wait = paced(String(params.channel));
        if (wait) return answer(429, { ok: false, error: 'ratelimited' }, { 'retry-after': wait });
        const ts = `${Math.floor(Date.now() / 1000)}.${String(++tsCounter).padStart(6, '0')}`;
        if (method === 'chat.postEphemeral') return answer(200, { ok: true, message_ts: ts });
        const threadTs = typeof params.thread_ts === 'string' ? params.thread_ts : undefined;
        if (threadTs && !posts.some((p) => p.ts === threadTs && p.channel === params.channel)) return answer(200, { ok: false, error: 'thread_not_found' });
        let metadata: SlackPost['metadata'];
        try {
          const raw = typeof params.metadata === 'string' ? (JSON.parse(params.metadata) as unknown) : params.metadata;
          if (raw !== undefined) {
            const m = raw as { event_type?: unknown; event_payload?: unknown };
            if (typeof m.event_type !== 'string' || !m.event_payload || typeof m.event_payload !== 'object') return answer(200, { ok: false, error: 'invalid_metadata_format' });
            metadata = { event_type: m.event_type, event_payload: m.event_payload as Record<string, unknown> };
          }
        } catch {
          return answer(200, { ok: false, error: 'invalid_metadata_format' });
        }
        posts.push({
          team: teamId,
          channel: String(params.channel),
          ts,
          ...(threadTs ? { thread_ts: threadTs } : {}),
          ...(metadata ? { metadata } : {}),
          reply_broadcast: params.reply_broadcast === true || params.reply_broadcast === 'true',
          text,
          blocks: blocks as SlackPost['blocks'],
          updates: [],
        });
        return answer(200, { ok: true, channel: params.channel, ts, message: { text, ts, type: 'message', bot_id: 'B0BOT' } });
      }
      case 'conversations.history':
      case 'conversations.replies': {
        if (ws.scopes && !ws.scopes.includes('channels:history')) return answer(200, { ok: false, error: 'missing_scope', needed: 'channels:history', provided: ws.scopes.join(',') });
        const err = channelCheck(params.channel);
        if (err) return answer(200, { ok: false, error: err });
        const limit = Math.min(999, Number(params.limit ?? 100) || 100);
        const withMeta = params.include_all_metadata === true || params.include_all_metadata === 'true';
        const inChannel = posts.filter((p) => p.team === teamId && p.channel === params.channel);
        const shown = (p: SlackPost) => ({ type: 'message', ts: p.ts, text: p.text, bot_id: 'B0BOT', ...(p.thread_ts ? { thread_ts: p.thread_ts } : {}), ...(withMeta && p.metadata ? { metadata: p.metadata } : {}) });
        if (method === 'conversations.history') {
          // Newest first; thread replies appear only when broadcast to the channel.
          const top = inChannel.filter((p) => !p.thread_ts || p.reply_broadcast).reverse().slice(0, limit);
          return answer(200, { ok: true, messages: top.map(shown), has_more: false });
        }
        const parent = inChannel.find((p) => p.ts === params.ts && !p.thread_ts);
        if (!parent) return answer(200, { ok: false, error: 'thread_not_found' });
        const thread = [parent, ...inChannel.filter((p) => p.thread_ts === parent.ts)].slice(0, limit);
        return answer(200, { ok: true, messages: thread.map(shown), has_more: false });
      }
      case 'chat.update': {
        const err = channelCheck(params.channel);
        if (err) return answer(200, { ok: false, error: err });
        const post = posts.find((p) => p.channel === params.channel && p.ts === params.ts && p.team === teamId);
        if (!post) return answer(200, { ok: false, error: 'message_not_found' });
        let blocks: unknown;
        try {
          blocks = parseBlocks(params.blocks ?? '[]');
        } catch {
          return answer(200, { ok: false, error: 'invalid_blocks_format' });
        }
        const bad = validBlocks(blocks);
        if (bad) return answer(200, { ok: false, error: bad });
        post.updates.push({ text: String(params.text ?? ''), blocks: blocks as unknown[] });
        post.text = String(params.text ?? '');
        post.blocks = blocks as SlackPost['blocks'];
        return answer(200, { ok: true, channel: params.channel, ts: params.ts, text: post.text });
      }
      default:
        return answer(200, { ok: false, error: 'unknown_method' });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    apiUrl: `${url}/api/`,
    posts,
    responses,
    files,
    calls,
    rateLimit: (method, times, retryAfter) => limited.set(method, { times, retryAfter }),
    hang: (method, times) => hanging.set(method, times),
    enforcePace: (p) => (pace = p),
    responseUrl: (id) => `${url}/response/${id}`,
    shown: (id) => shown.get(`/response/${id}`) ?? [],
    addWorkspace(w) {
      workspaces.set(w.teamId, { ...w, channels: [...w.channels] });
      byToken.set(w.token, w.teamId);
    },
    removeBot(teamId, channel) {
      const w = workspaces.get(teamId);
      if (w) w.channels = w.channels.filter((c) => c !== channel);
    },
    oauthCode(w) {
      const code = randomBytes(8).toString('hex');
      codes.set(code, w.teamId);
      return code;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Signs a request body exactly as Slack does: v0:timestamp:body, HMAC-SHA256 with the signing secret. */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** Sends a form-encoded request to the bot with Slack's headers; `sign: false` or a wrong secret forges it. */
export async function sendToBot(
  url: string,
  body: string,
  opts: { secret?: string; timestamp?: number; sign?: boolean } = {},
): Promise<{ status: number; text: string; ms: number }> {
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(timestamp) };
  if (opts.sign !== false && opts.secret) headers['x-slack-signature'] = slackSignature(opts.secret, timestamp, body);
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, text, ms: performance.now() - started };
}

export function slashCommand(fields: { team: string; channel: string; user: string; text: string; responseUrl: string }): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: fields.team,
    team_domain: fields.team.toLowerCase(),
    channel_id: fields.channel,
    channel_name: 'general',
    user_id: fields.user,
    user_name: 'someone',
    command: '/isdown',
    text: fields.text,
    api_app_id: 'A0ISDOWN',
    is_enterprise_install: 'false',
    response_url: fields.responseUrl,
    trigger_id: '13345224609.738474920.8088930838d88f008e0',
  }).toString();
}

export function blockAction(fields: { team: string; channel: string; user: string; actionId: string; value: string; responseUrl: string }): string {
  const payload = {
    type: 'block_actions',
    team: { id: fields.team, domain: fields.team.toLowerCase() },
    user: { id: fields.user, team_id: fields.team },
    api_app_id: 'A0ISDOWN',
    token: 'deprecated-verification-token',
    container: { type: 'message', channel_id: fields.channel, is_ephemeral: false },
    trigger_id: '13345224609.738474920.8088930838d88f008e0',
    channel: { id: fields.channel, name: 'general' },
    response_url: fields.responseUrl,
    actions: [{ action_id: fields.actionId, block_id: 'b1', type: 'button', value: fields.value, action_ts: `${Date.now() / 1000}` }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}
