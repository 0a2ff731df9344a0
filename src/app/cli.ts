import { runCheck } from '../core/check.ts';
import { parseStatusList } from '../core/status-codes.ts';
import { isStoreFailure } from '../core/store-port.ts';
import { MAX_TEXT_LENGTH } from '../core/commands.ts';
import { checkMessage } from '../core/messages.ts';
import type { VerdictState } from '../core/types.ts';
import { renderText } from '../../adapters/console/render.ts';
import { startRuntime } from './runtime.ts';
import type { Config } from './config.ts';

/** Exit codes scripts rely on (CONTRACT.md). */
export const EXIT = { up: 0, trouble: 1, unknown: 2, usage: 64, config: 78 } as const;

export function exitCodeFor(state: VerdictState): number {
  switch (state) {
    case 'up':
      return EXIT.up;
    case 'unknown':
      return EXIT.unknown;
    default:
      return EXIT.trouble;
  }
}

export const CHECK_USAGE = `usage: isdown check <service|url> [--json] [--expect TEXT] [--forbid TEXT] [--status LIST]

Checks once and exits: 0 up, 1 down/degraded/partial/maintenance, 2 unknown (my own
network is failing), 64 bad input, 78 a wrong setting.
  --status 200-299,401   the HTTP codes that count as up, replacing the default reading
                         (2xx/3xx up; 401, 403, 407 and bot challenges up but walled; 429
                         degraded; other 4xx and 5xx down)`;

export interface CheckArgs {
  readonly target: string;
  readonly json: boolean;
  readonly expect?: string;
  readonly forbid?: string;
  readonly status?: string;
}

export function parseCheckArgs(argv: readonly string[]): { ok: true; args: CheckArgs } | { ok: false; error: string } {
  let target: string | undefined;
  let json = false;
  let expect: string | undefined;
  let forbid: string | undefined;
  let status: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--status') {
      const list = parseStatusList(argv[++i] ?? '');
      if (!list.ok) return { ok: false, error: `--status: ${list.error}` };
      status = list.text;
    }
    else if (a === '--expect' || a === '--forbid') {
      const v = argv[++i];
      if (v === undefined || v === '') return { ok: false, error: `${a} needs some text` };
      if (v.length > MAX_TEXT_LENGTH) return { ok: false, error: `${a} text is limited to ${MAX_TEXT_LENGTH} characters` };
      if (a === '--expect') expect = v;
      else forbid = v;
    } else if (a.startsWith('-')) return { ok: false, error: `unknown option ${a}` };
    else if (target === undefined) target = a;
    else return { ok: false, error: `one target at a time; got "${target}" and "${a}"` };
  }
  if (!target) return { ok: false, error: 'which service or URL?' };
  return { ok: true, args: { target, json, ...(expect ? { expect } : {}), ...(forbid ? { forbid } : {}), ...(status ? { status } : {}) } };
}

export async function runCheckCommand(config: Config, argv: readonly string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    out.write(`${CHECK_USAGE}\n`);
    return EXIT.up;
  }
  const parsed = parseCheckArgs(argv);
  if (!parsed.ok) {
    err.write(`isdown check: ${parsed.error}\n${CHECK_USAGE}\n`);
    return EXIT.usage;
  }
  const { args } = parsed;
  const warn = (line: string) => err.write(`${line}\n`);
  // A one-shot answer must not wait on a store: if it fails, check without other teams' reports.
  const runtime = await startRuntime(config, { warn, storeRetry: 'never' }).catch(async (e: unknown) => {
    if (!isStoreFailure(e)) throw e;
    warn(`isdown check: the store is failing (${e.reason}); checking without other teams' reports`);
    return startRuntime({ ...config, storeUrl: 'sqlite://:memory:' }, { warn, storeRetry: 'never' });
  });
  const { checker } = runtime;
  try {
    const resolved = checker.resolve(args.target);
    if (!resolved.ok) {
      if (args.json) out.write(`${JSON.stringify({ error: resolved.message, suggestions: resolved.suggestions ?? [] })}\n`);
      else err.write(`isdown check: ${resolved.message}\n`);
      return EXIT.usage;
    }
    const outcome = await runCheck(
      resolved.target,
      { ...(args.expect ? { expect: args.expect } : {}), ...(args.forbid ? { forbid: args.forbid } : {}), ...(args.status ? { status: args.status } : {}) },
      checker.ports,
      checker.policy,
    );
    if (args.json) {
      const { verdict, target, probes, status, crowd, control } = outcome;
      const probe = probes[probes.length - 1];
      out.write(`${JSON.stringify({ verdict, target, probe, probes, status, crowd, control })}\n`);
    } else {
      out.write(`${renderText(checkMessage(outcome), { color: Boolean((out as NodeJS.WriteStream).isTTY) })}\n`);
    }
    return exitCodeFor(outcome.verdict.state);
  } finally {
    await runtime.close();
  }
}
