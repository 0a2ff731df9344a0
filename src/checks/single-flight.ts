import type { ProbeRequest } from '../core/types.ts';

/**
 * Shares one in-flight call among everyone asking the same thing at the same time: when a
 * hundred people type `/isdown github` in the same second, github is probed once, and the
 * site we check is not hammered on their behalf. Only concurrent calls share; a call made
 * after the first settles starts afresh, so answers are never stale.
 */
/** Probes that would be the same request: same URL, same text checks. */
export const probeKey = (req: ProbeRequest) => `${req.url}\n${req.expect ?? ''}\n${req.forbid ?? ''}\n${req.acceptStatus ? JSON.stringify(req.acceptStatus) : ''}\n${req.timeoutMs ?? ''}`;

export function singleFlight<A, R>(fn: (arg: A) => Promise<R>, keyOf: (arg: A) => string): (arg: A) => Promise<R> {
  const pending = new Map<string, Promise<R>>();
  return (arg) => {
    const key = keyOf(arg);
    const running = pending.get(key);
    if (running) return running;
    const p = fn(arg).finally(() => pending.delete(key));
    pending.set(key, p);
    return p;
  };
}
