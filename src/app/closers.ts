import { formatLatency } from '../core/duration.ts';

/** One step of stopping the process, named in the log line when it fails or overruns. */
export interface Closer {
  readonly what: string;
  readonly close: () => Promise<void>;
}

/**
 * How long one step of stopping may take: as long as a check in flight may, and a margin for the
 * writes that follow it, not longer.
 */
export function stepLimitMs(totalTimeoutMs: number): number {
  return totalTimeoutMs + 10_000;
}

/**
 * Runs each step in turn, each within `limitMs`. A step that fails or overruns is logged and the
 * next one runs all the same: SIGTERM must end the process even when one step hangs (a connection
 * that never answers, a store that never does), and a supervisor should not need SIGKILL.
 */
export async function closeInOrder(steps: readonly Closer[], limitMs: number, warn: (line: string) => void): Promise<void> {
  for (const step of steps) {
    const r = await withinLimit(Promise.resolve().then(step.close), limitMs);
    if (r === 'late') warn(`isdown: while stopping: ${step.what} did not finish within ${formatLatency(limitMs)}; going on without it`);
    else if (r !== 'done') warn(`isdown: while stopping ${step.what}: ${String(r.error)}`);
  }
}

async function withinLimit(step: Promise<void>, ms: number): Promise<'done' | 'late' | { error: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  try {
    return await Promise.race([step.then((): 'done' => 'done', (error: unknown) => ({ error })), late]);
  } finally {
    clearTimeout(timer);
  }
}
