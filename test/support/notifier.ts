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
