import { existsSync, readFileSync } from 'node:fs';
import { DEFAULT_LIMITS, type ProbeLimits } from '../checks/probe.ts';
import { parseControlTarget, type ControlTarget } from '../checks/control.ts';
import { DEFAULT_PORTS, makePolicy, parseCidrList, type AddressPolicy } from '../checks/ssrf.ts';
import { parseDuration } from '../core/duration.ts';
import { redactUrl } from '../core/redact.ts';

/**
 * Every setting and limit in one place, validated at start. A wrong value stops start-up
 * with one line that names the variable and what it expects.
 */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** A region's name: short, lowercase, like us-west. */
export const REGION = /^[a-z0-9][a-z0-9-]{0,31}$/;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Config {
  readonly port: number;
  readonly storeUrl: string;
  readonly redisUrl?: string;
  /** Names this deployment's keys in a shared Redis or Postgres (keyv namespace, table, queue prefix). */
  readonly keyPrefix: string;
  readonly mode: 'single' | 'distributed';
  readonly policy: AddressPolicy;
  readonly controlUrls: readonly ControlTarget[];
  readonly catalogFile?: string;
  /** ISDOWN_WATCHES_FILE: watches as code, applied at start and on every change. */
  readonly watchesFile?: string;
  readonly region: string;
  /** Distributed mode: the regions every check is probed from, each served by `isdown probe --region`. */
  readonly regions: readonly string[];
  readonly limits: ProbeLimits;
  readonly slowMs: number;
  readonly confirmAttempts: number;
  readonly confirmDelayMs: number;
  readonly statusTtlMs: number;
  /** Storm grouping (ISDOWN_STORM_*): threshold 0 turns it off. */
  readonly storm: { readonly threshold: number; readonly windowMs: number; readonly holdMs: number };
  /** ISDOWN_STATUS_POLL: read every known status page in the background. */
  readonly statusPoll: boolean;
  /** Feeds: how long an unresolved incident or maintenance stays open after its last update. */
  readonly feedHorizonMs: number;
  /** Every store operation's time limit. */
  readonly storeTimeoutMs: number;
  readonly checkConcurrency: number;
  readonly hostConcurrency: number;
  readonly retentionMs: number;
  readonly failRounds: number;
  readonly recoverRounds: number;
  readonly recheckDelayMs: number;
  readonly timeZone: string;
  readonly minIntervalMs: number;
  readonly restrictChanges: boolean;
  /** ISDOWN_METRICS_PER_MONITOR: each monitor's up and response-time series in /metrics (off: their number grows with the watches). */
  readonly metricsPerMonitor: boolean;
  readonly maxWatchesPerChannel: number;
  readonly maxWatchesPerPerson: number;
  /** Days before an https target's certificate expires that its watches warn (ISDOWN_CERT_WARN_DAYS). */
  readonly certWarnDays: number;
  /** The bot's public base URL, no trailing slash (ISDOWN_PUBLIC_URL): heartbeat links start with it. */
  readonly publicUrl?: string;
  readonly extraCa: readonly string[];
  readonly logLevel: LogLevel;
  readonly slack: {
    readonly botToken?: string;
    readonly signingSecret?: string;
    readonly appToken?: string;
    readonly clientId?: string;
    readonly clientSecret?: string;
    readonly stateSecret?: string;
    readonly apiUrl: string;
  };
  /** Outbound webhooks are on when their signing secret is set (ISDOWN_WEBHOOK_SECRET). */
  readonly webhook: { readonly secret?: string };
  readonly discord: {
    readonly token?: string;
    readonly applicationId?: string;
    readonly apiUrl?: string;
    readonly guildId?: string;
  };
}

/** Captive-portal detection URLs with a known answer, run by three different companies. */
export const DEFAULT_CONTROL_URLS = ['https://www.google.com/generate_204=204', 'https://cp.cloudflare.com/generate_204=204', 'https://www.apple.com/library/test/success.html=200'];

type Env = Readonly<Record<string, string | undefined>>;

function str(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const v = str(env, name);
  if (v === undefined) return def;
  if (!/^\d+$/.test(v)) throw new ConfigError(name, `expects a whole number from ${min} to ${max}, got "${v}"`);
  const n = Number(v);
  if (n < min || n > max) throw new ConfigError(name, `expects a whole number from ${min} to ${max}, got ${n}`);
  return n;
}

function duration(env: Env, name: string, defMs: number, minMs: number, maxMs: number): number {
  const v = str(env, name);
  if (v === undefined) return defMs;
  // "0s" is a duration where the range allows it (ISDOWN_CONFIRM_DELAY=0s: no pause between attempts).
  const ms = minMs === 0 && /^0+(\.0+)?\s*[a-z]*$/i.test(v) ? 0 : parseDuration(v);
  if (ms === null || ms < minMs || ms > maxMs) {
    throw new ConfigError(name, `expects a duration like 5s or 1500ms, from ${minMs / 1000}s to ${maxMs / 1000}s, got "${v}"`);
  }
  return ms;
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], def: T): T {
  const v = str(env, name);
  if (v === undefined) return def;
  if (!(values as readonly string[]).includes(v)) throw new ConfigError(name, `expects one of ${values.join(', ')}, got "${v}"`);
  return v as T;
}

function url(env: Env, name: string, protocols: readonly string[]): string | undefined {
  const v = str(env, name);
  if (v === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(v);
  } catch {
    throw new ConfigError(name, `expects a URL (${protocols.join(', ')}), got something that does not parse`);
  }
  if (!protocols.includes(parsed.protocol.replace(/:$/, ''))) {
    throw new ConfigError(name, `expects a ${protocols.join(' or ')} URL, got ${parsed.protocol.replace(/:$/, '')}:`);
  }
  return v;
}

function ports(env: Env): ReadonlySet<number> | 'any' {
  const v = str(env, 'ISDOWN_ALLOWED_PORTS');
  if (v === undefined) return DEFAULT_PORTS;
  if (v === 'any') return 'any';
  const list = v.split(',').map((p) => p.trim());
  if (list.some((p) => !/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535)) {
    throw new ConfigError('ISDOWN_ALLOWED_PORTS', `expects "any" or comma-separated ports like 80,443,8080, got "${v}"`);
  }
  return new Set(list.map(Number));
}

function timeZone(env: Env): string {
  const tz = str(env, 'ISDOWN_TIMEZONE') ?? 'UTC';
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: tz });
  } catch {
    throw new ConfigError('ISDOWN_TIMEZONE', `expects an IANA time zone like Europe/Berlin or UTC, got "${tz}"`);
  }
  return tz;
}

export function loadConfig(env: Env = process.env): Config {
  let allow;
  try {
    allow = parseCidrList(str(env, 'ISDOWN_ALLOW_PRIVATE') ?? '');
  } catch {
    throw new ConfigError('ISDOWN_ALLOW_PRIVATE', 'expects comma-separated CIDRs like 127.0.0.1/32,10.0.0.0/8');
  }
  const controlRaw = env.ISDOWN_CONTROL_URLS;
  const controlUrls = (controlRaw === undefined ? DEFAULT_CONTROL_URLS : controlRaw.split(',').map((s) => s.trim()).filter(Boolean)).map(parseControlTarget);
  for (const c of controlUrls) {
    try {
      const p = new URL(c.url);
      if (p.protocol !== 'http:' && p.protocol !== 'https:') throw new Error();
      if (c.status !== undefined && (c.status < 100 || c.status > 599)) throw new Error();
    } catch {
      throw new ConfigError('ISDOWN_CONTROL_URLS', `expects comma-separated http(s) URLs, each optionally with =STATUS (like https://www.google.com/generate_204=204), or empty to disable; "${c.url}${c.status ? `=${c.status}` : ''}" is not one`);
    }
  }

  const storeUrl = str(env, 'STORE_URL') ?? 'sqlite://./data/isdown.sqlite';
  if (!/^(sqlite|redis|rediss|postgres|postgresql):\/\//.test(storeUrl)) {
    throw new ConfigError('STORE_URL', `expects sqlite://<path>, redis://host:port[/db] or postgres://…, got "${redactUrl(storeUrl)}"`);
  }
  const mode = oneOf(env, 'ISDOWN_MODE', ['single', 'distributed'] as const, 'single');
  const redisUrl = url(env, 'REDIS_URL', ['redis', 'rediss']) ?? (/^rediss?:/.test(storeUrl) ? storeUrl : undefined);
  if (mode === 'distributed' && !redisUrl) {
    throw new ConfigError('ISDOWN_MODE', 'distributed mode needs Redis: set REDIS_URL or a redis:// STORE_URL');
  }

  const keyPrefix = str(env, 'ISDOWN_KEY_PREFIX') ?? 'isdown';
  if (!/^[a-z][a-z0-9_]{0,31}$/.test(keyPrefix)) throw new ConfigError('ISDOWN_KEY_PREFIX', `expects a short lowercase name (letters, digits, _), got "${keyPrefix}"`);

  const region = str(env, 'ISDOWN_REGION') ?? 'local';
  if (!REGION.test(region)) throw new ConfigError('ISDOWN_REGION', `expects a short lowercase name like us-west, got "${region}"`);
  const regions = (str(env, 'ISDOWN_REGIONS') ?? region).split(',').map((r) => r.trim()).filter(Boolean);
  for (const r of regions) if (!REGION.test(r)) throw new ConfigError('ISDOWN_REGIONS', `expects comma-separated short lowercase names like us-west,eu-west; "${r}" is not one`);
  if (new Set(regions).size !== regions.length || regions.length === 0 || regions.length > 16) {
    throw new ConfigError('ISDOWN_REGIONS', 'expects 1 to 16 different region names');
  }
  if (mode === 'distributed' && storeUrl.startsWith('sqlite:')) {
    throw new ConfigError('STORE_URL', 'distributed mode shares its state between processes: use a redis:// or postgres:// STORE_URL, not SQLite');
  }

  const extraCaFile = str(env, 'NODE_EXTRA_CA_CERTS');
  if (extraCaFile && !existsSync(extraCaFile)) throw new ConfigError('NODE_EXTRA_CA_CERTS', `expects a PEM file, but ${extraCaFile} does not exist`);
  const catalogFile = str(env, 'CATALOG_FILE');
  if (catalogFile && !existsSync(catalogFile)) throw new ConfigError('CATALOG_FILE', `expects a catalog file, but ${catalogFile} does not exist`);
  const watchesFile = str(env, 'ISDOWN_WATCHES_FILE');
  if (watchesFile && !existsSync(watchesFile)) throw new ConfigError('ISDOWN_WATCHES_FILE', `expects a watches file (YAML), but ${watchesFile} does not exist; \`isdown export > watches.yaml\` writes one from the current watches`);

  const limits: ProbeLimits = {
    connectTimeoutMs: duration(env, 'ISDOWN_CONNECT_TIMEOUT', DEFAULT_LIMITS.connectTimeoutMs, 1_000, 60_000),
    headersTimeoutMs: duration(env, 'ISDOWN_HEADERS_TIMEOUT', DEFAULT_LIMITS.headersTimeoutMs, 1_000, 120_000),
    totalTimeoutMs: duration(env, 'ISDOWN_TOTAL_TIMEOUT', DEFAULT_LIMITS.totalTimeoutMs, 1_000, 300_000),
    maxRedirects: int(env, 'ISDOWN_MAX_REDIRECTS', DEFAULT_LIMITS.maxRedirects, 0, 20),
    maxBodyBytes: int(env, 'ISDOWN_MAX_BODY_BYTES', DEFAULT_LIMITS.maxBodyBytes, 1_024, 16 * 1024 * 1024),
  };

  const slackApi = url(env, 'SLACK_API_URL', ['https', 'http']) ?? 'https://slack.com/api/';
  const publicUrl = url(env, 'ISDOWN_PUBLIC_URL', ['https', 'http']);
  const discordApi = url(env, 'DISCORD_API_URL', ['https', 'http']);
  const slack = {
    botToken: str(env, 'SLACK_BOT_TOKEN'),
    signingSecret: str(env, 'SLACK_SIGNING_SECRET'),
    appToken: str(env, 'SLACK_APP_TOKEN'),
    clientId: str(env, 'SLACK_CLIENT_ID'),
    clientSecret: str(env, 'SLACK_CLIENT_SECRET'),
    stateSecret: str(env, 'SLACK_STATE_SECRET'),
    apiUrl: slackApi.endsWith('/') ? slackApi : `${slackApi}/`,
  };
  if (slack.botToken && !slack.botToken.startsWith('xoxb-')) throw new ConfigError('SLACK_BOT_TOKEN', 'expects a bot token starting with xoxb-');
  if (slack.appToken && !slack.appToken.startsWith('xapp-')) throw new ConfigError('SLACK_APP_TOKEN', 'expects an app-level token starting with xapp-');
  if (slack.botToken && !slack.appToken && !slack.signingSecret) {
    throw new ConfigError('SLACK_SIGNING_SECRET', 'is needed with SLACK_BOT_TOKEN in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)');
  }
  if (slack.clientId || slack.clientSecret) {
    // OAuth in HTTP mode: each needs the others. The state secret signs the install flow's state;
    // a fixed fallback would let anyone forge it, so there is none.
    if (!slack.clientId || !slack.clientSecret) throw new ConfigError(slack.clientId ? 'SLACK_CLIENT_SECRET' : 'SLACK_CLIENT_ID', 'is needed with the other for a multi-workspace install (both are on the app\'s Basic Information page)');
    if (!slack.stateSecret || slack.stateSecret.length < 16) {
      throw new ConfigError('SLACK_STATE_SECRET', 'is needed with SLACK_CLIENT_ID: at least 16 random characters, for example from `openssl rand -hex 32`');
    }
    if (!slack.appToken && !slack.signingSecret) throw new ConfigError('SLACK_SIGNING_SECRET', 'is needed with SLACK_CLIENT_ID in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)');
  }
  const discord = {
    token: str(env, 'DISCORD_TOKEN'),
    applicationId: str(env, 'DISCORD_APPLICATION_ID'),
    apiUrl: discordApi,
    guildId: str(env, 'DISCORD_GUILD_ID'),
  };
  if (discord.applicationId && !/^\d{5,25}$/.test(discord.applicationId)) throw new ConfigError('DISCORD_APPLICATION_ID', 'expects the numeric application id');
  if (discord.guildId && !/^\d{5,25}$/.test(discord.guildId)) throw new ConfigError('DISCORD_GUILD_ID', 'expects a numeric guild id');
  const webhookSecret = str(env, 'ISDOWN_WEBHOOK_SECRET');
  // A receiver checks every alert against it: a short one could be guessed.
  if (webhookSecret !== undefined && webhookSecret.length < 16) throw new ConfigError('ISDOWN_WEBHOOK_SECRET', 'expects at least 16 characters (e.g. openssl rand -hex 32)');

  return {
    port: int(env, 'PORT', 3000, 0, 65535),
    storeUrl,
    ...(redisUrl ? { redisUrl } : {}),
    keyPrefix,
    mode,
    policy: makePolicy({ allow, ports: ports(env) }),
    controlUrls,
    ...(catalogFile ? { catalogFile } : {}),
    ...(watchesFile ? { watchesFile } : {}),
    region,
    regions,
    limits,
    slowMs: duration(env, 'ISDOWN_SLOW_THRESHOLD', 3_000, 100, 120_000),
    confirmAttempts: int(env, 'ISDOWN_CONFIRM_CHECKS', 3, 1, 10),
    confirmDelayMs: duration(env, 'ISDOWN_CONFIRM_DELAY', 2_000, 0, 60_000),
    statusTtlMs: duration(env, 'ISDOWN_STATUS_TTL', 120_000, 5_000, 3_600_000),
    storm: {
      threshold: int(env, 'ISDOWN_STORM_THRESHOLD', 3, 0, 1_000),
      windowMs: duration(env, 'ISDOWN_STORM_WINDOW', 60_000, 1_000, 3_600_000),
      holdMs: duration(env, 'ISDOWN_STORM_HOLD', 5_000, 0, 60_000),
    },
    statusPoll: oneOf(env, 'ISDOWN_STATUS_POLL', ['on', 'off'] as const, 'on') === 'on',
    storeTimeoutMs: duration(env, 'ISDOWN_STORE_TIMEOUT', 5_000, 500, 60_000),
    feedHorizonMs: duration(env, 'ISDOWN_FEED_HORIZON', 7 * 86_400_000, 3_600_000, 90 * 86_400_000),
    checkConcurrency: int(env, 'ISDOWN_CHECK_CONCURRENCY', 200, 1, 10_000),
    hostConcurrency: int(env, 'ISDOWN_HOST_CONCURRENCY', 4, 1, 1_000),
    retentionMs: duration(env, 'ISDOWN_RETENTION', 90 * 86_400_000, 86_400_000, 3_650 * 86_400_000),
    failRounds: int(env, 'ISDOWN_FAIL_ROUNDS', 2, 1, 20),
    recoverRounds: int(env, 'ISDOWN_RECOVER_ROUNDS', 2, 1, 20),
    recheckDelayMs: duration(env, 'ISDOWN_RECHECK_DELAY', 10_000, 0, 600_000),
    timeZone: timeZone(env),
    minIntervalMs: duration(env, 'ISDOWN_MIN_INTERVAL', 30_000, 1_000, 86_400_000),
    restrictChanges: oneOf(env, 'ISDOWN_RESTRICT_CHANGES', ['true', 'false'] as const, 'false') === 'true',
    metricsPerMonitor: oneOf(env, 'ISDOWN_METRICS_PER_MONITOR', ['true', 'false'] as const, 'false') === 'true',
    maxWatchesPerChannel: int(env, 'ISDOWN_MAX_WATCHES_PER_CHANNEL', 200, 1, 100_000),
    maxWatchesPerPerson: int(env, 'ISDOWN_MAX_WATCHES_PER_PERSON', 50, 1, 100_000),
    certWarnDays: int(env, 'ISDOWN_CERT_WARN_DAYS', 14, 4, 365),
    ...(publicUrl ? { publicUrl: publicUrl.replace(/\/+$/, '') } : {}),
    extraCa: extraCaFile ? [readFileSync(extraCaFile, 'utf8')] : [],
    logLevel: oneOf(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
    slack,
    discord,
    webhook: webhookSecret ? { secret: webhookSecret } : {},
  };
}

/** Loads .env from the working directory when present; real environment wins. */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}
