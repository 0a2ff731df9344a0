import type { LogLevel } from './config.ts';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(line: string): void;
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

/**
 * Lines to stderr at LOG_LEVEL and above. Every configured secret (tokens, signing and client
 * secrets, a store URL's password) is replaced before a line is written, whatever put it there:
 * a driver's error message quoting a URL is the usual way secrets reach logs.
 */
export function createLogger(level: LogLevel, secrets: readonly (string | undefined)[], write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Logger {
  const hidden = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 6).sort((a, b) => b.length - a.length);
  const scrub = (line: string) => {
    let out = line;
    for (const s of hidden) out = out.split(s).join('***');
    return out;
  };
  const at = (l: LogLevel) => (line: string) => {
    if (RANK[l] >= RANK[level]) write(scrub(line));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** The secrets a configuration holds, for the logger to hide. */
export function secretsOf(config: { storeUrl: string; redisUrl?: string; slack: Record<string, string | undefined>; discord: { token?: string }; webhook?: { secret?: string } }): string[] {
  const passwordOf = (url: string | undefined) => {
    if (!url) return undefined;
    try {
      return decodeURIComponent(new URL(url).password) || undefined;
    } catch {
      return undefined;
    }
  };
  return [
    config.slack.botToken,
    config.slack.signingSecret,
    config.slack.appToken,
    config.slack.clientSecret,
    config.slack.stateSecret,
    config.discord.token,
    config.webhook?.secret,
    passwordOf(config.storeUrl),
    passwordOf(config.redisUrl),
  ].filter((s): s is string => Boolean(s));
}
