import { randomUUID } from 'node:crypto';
import type { LeaseBackend } from '../store/locks.ts';

export interface Leadership {
  readonly leading: boolean;
  /** Gives the lease back (a graceful stop), so a standby takes over at its next try. */
  stop(): Promise<void>;
}

export interface LeaderOptions {
  readonly leases: LeaseBackend;
  readonly key: string;
  /** The lease lasts this long unless renewed: a dead leader is replaced within it. */
  readonly ttlMs: number;
  /** How often the leader renews and standbys try to take over. */
  readonly everyMs: number;
  readonly onElected: () => Promise<void>;
  /** The lease was lost while leading (a pause longer than the lease, or the store unreachable). */
  readonly onLost: (reason: string) => void;
  readonly log: (line: string) => void;
}

/**
 * Exactly one scheduler at a time, elected through a lease in the shared store (Redis or
 * Postgres) rather than a protocol of our own: whoever holds the lease schedules checks and
 * sends alerts; the others stand by and try to take it every few seconds.
 */
export function electLeader(opts: LeaderOptions): Leadership {
  const token = randomUUID();
  let leading = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let busy: Promise<void> = Promise.resolve();
  let starting: Promise<void> = Promise.resolve();

  const attempt = async () => {
    try {
      if (leading) {
        if (!(await opts.leases.renew(opts.key, token, opts.ttlMs))) {
          leading = false;
          opts.onLost('another process holds the scheduler lease now');
        }
        return;
      }
      if (await opts.leases.tryAcquire(opts.key, token, opts.ttlMs)) {
        leading = true;
        opts.log('isdown: this process now runs the scheduler');
        // Not awaited here: renewals go on, on their own timer, however long loading a large
        // store takes (awaited, a load longer than the lease lost it to a standby).
        starting = opts.onElected().catch((err: unknown) => {
          if (!leading) return;
          leading = false;
          opts.onLost(`starting the scheduler failed: ${err instanceof Error ? err.message : String(err)}`);
        });
      }
    } catch (err) {
      if (leading) {
        leading = false;
        opts.onLost(`the store did not answer: ${err instanceof Error ? err.message : String(err)}`);
      } else {
        opts.log(`isdown: could not reach the store to take the scheduler lease: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  };
  const loop = () => {
    if (stopped) return;
    busy = attempt().finally(() => {
      if (!stopped) timer = setTimeout(loop, opts.everyMs);
    });
  };
  loop();

  return {
    get leading() {
      return leading;
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await busy;
      await starting;
      if (leading) await opts.leases.release(opts.key, token).catch(() => undefined);
      leading = false;
    },
  };
}
