import type { Notifier } from '../../src/app/notifier.ts';

/** A notifier that accepts everything and delivers nothing: for scheduler tests that only count checks. */
export const quietNotifier: Notifier = {
  enqueue: async () => {},
  resume: async () => {},
  health: () => ({ pending: 0, stuck: 0, oldestMs: 0 }),
  platforms: () => ({}),
  idle: async () => {},
  stop: async () => {},
};

/**
 * Waits until the notifier has nothing pending, as `idle()` does, but not for ever: an alert that
 * cannot be delivered or recorded (a full disk, a fake that refuses it) fails the test with what is
 * still pending, rather than holding the file until the runner's limit.
 */
export async function settled(notifier: Pick<Notifier, 'idle' | 'health' | 'platforms'>, limitMs = 60_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const h = notifier.health();
      const down = Object.entries(notifier.platforms()).map(([p, u]) => `${p}: ${u.error}`);
      reject(new Error(`the notifier still holds ${h.pending} alert(s) after ${limitMs / 1000} s${down.length ? `; unavailable: ${down.join('; ')}` : ''}`));
    }, limitMs);
  });
  try {
    await Promise.race([notifier.idle(), late]);
  } finally {
    clearTimeout(timer);
  }
}
