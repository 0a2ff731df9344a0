import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './until.ts';

const ENTRY = new URL('../../src/app/main.ts', import.meta.url).pathname;
/** The line a bot logs once it listens. */
const HEALTH_AT = /http:\/\/127\.0\.0\.1:(\d+)\/healthz/;

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const scratch: string[] = [];
const running = new Set<ChildProcess>();
// A test that fails before it kills its bot must not keep the file's process alive: the bot's
// handles are unref'd, so the file ends, and what is still running is killed here. (CI once
// waited 76 minutes on one such bot.) The stores go too: a run leaves tens of megabytes behind
// otherwise, and on a nearly full disk the next run's store writes fail.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** A fresh store directory per call site, so tests never share state by accident; removed when the test process exits. */
export function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'isdown-test-'));
  scratch.push(dir);
  return dir;
}

/**
 * How long a child may take to end once asked. A test that waits on a process for ever stalls the
 * whole suite until CI's own limit, with nothing said about which step hung; this turns it into a
 * failure that names the process and shows what it printed.
 */
const EXIT_LIMIT_MS = 30_000;
const RUN_LIMIT_MS = 120_000;

/** Runs the real CLI as a child process, as a script or a person at a pipe would. */
export function runIsdown(args: string[], env: Record<string, string>, stdin?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', STORE_URL: `sqlite://${scratchDir()}/isdown.sqlite`, PORT: '0', ISDOWN_STATUS_POLL: 'off', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const limit = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`isdown ${args.join(' ')} did not end within ${RUN_LIMIT_MS / 1000} s\n--- stdout:\n${stdout}\n--- stderr:\n${stderr}`));
    }, RUN_LIMIT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(limit);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(stdin ?? '');
  });
}

export interface BotProcess {
  send(line: string): void;
  /**
   * Resolves with the output once it matches; rejects after the safety timeout with what the bot
   * printed and what its /healthz said then (its scheduler, store, outbox and status page reader).
   */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  /** The same, on stderr (logs: where a worker says it is ready). */
  waitForErr(re: RegExp, timeoutMs?: number): Promise<string>;
  output(): string;
  errors(): string;
  /** The /healthz document, once the bot has said where it listens. */
  health(): Promise<{ status: string; outbox: { pending: number; stuck: number } }>;
  /** The HTTP port, once the bot has said where it listens. */
  port(): Promise<number>;
  /** Sends the signal and resolves with the exit code; a process still running after the limit is killed and the call rejects. */
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/** The bot as a long-running child process with its stdin kept open, like a person at a prompt. */
export function startBot(env: Record<string, string>, args: string[] = []): BotProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: '0', ISDOWN_STATUS_POLL: 'off', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  child.on('close', () => running.delete(child));
  child.unref();
  for (const pipe of [child.stdin, child.stdout, child.stderr]) (pipe as unknown as { unref(): void }).unref();
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    for (const l of listeners) l();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const port = async () => {
    const m = await until(() => HEALTH_AT.exec(err), () => `the bot reporting its health address\n${err}`);
    return Number(m[1]);
  };
  return {
    send: (line) => child.stdin.write(`${line}\n`),
    output: () => out,
    errors: () => err,
    port,
    async health() {
      const res = await fetch(`http://127.0.0.1:${await port()}/healthz`, { signal: AbortSignal.timeout(10_000) });
      return (await res.json()) as { status: string; outbox: { pending: number; stuck: number } };
    },
    waitFor: (re, timeoutMs) => waitOn(() => out, re, timeoutMs),
    waitForErr: (re, timeoutMs) => waitOn(() => err, re, timeoutMs),
    async kill(signal) {
      child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), EXIT_LIMIT_MS)));
      const code = await Promise.race([exited, late]);
      clearTimeout(timer);
      if (code !== 'late') {
        // The bot bounds each step of stopping so a supervisor never waits for ever; in a test an
        // overrun is still a hang to fix, not something to pass over.
        const overran = /while stopping: .* did not finish within .*/.exec(err);
        if (overran) throw new Error(`the bot hung while stopping (${overran[0]})\n--- stdout:\n${out}\n--- stderr:\n${err}`);
        return code;
      }
      child.kill('SIGKILL');
      await exited;
      throw new Error(`the bot did not exit within ${EXIT_LIMIT_MS / 1000} s of ${signal}\n--- stdout:\n${out}\n--- stderr:\n${err}`);
    },
  };

  /** For a failure message: /healthz as it answers now, or nothing when the bot never said where it listens. */
  async function healthThen(): Promise<string> {
    const at = HEALTH_AT.exec(err);
    if (!at) return '';
    const said = await fetch(`http://127.0.0.1:${at[1]}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
      (res) => res.text(),
      (e: unknown) => `unavailable: ${String(e)}`,
    );
    return `\n--- /healthz then:\n${said}`;
  }

  function waitOn(text: () => string, re: RegExp, timeoutMs = 20_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (re.test(text())) {
          listeners.delete(check);
          clearTimeout(timer);
          resolve(text());
        }
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        void healthThen().then((health) => reject(new Error(`timed out waiting for ${re}\n--- stdout:\n${out}\n--- stderr:\n${err}${health}`)));
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  }
}
