/**
 * Waits for something a test expects to happen, and fails the test with a message if it does not.
 *
 * The bound is generous and measured in wall time because it only matters when the test is about
 * to fail: a passing test returns as soon as the condition holds, however loaded the machine. The
 * suite runs several files at once, so a bound sized for an idle machine would turn load into a
 * failure that says nothing about the code.
 */
export interface UntilOptions {
  /** Give up after this long (default 30 s). */
  withinMs?: number;
  /** Look again this often (default 10 ms); raise it where each look does real work. */
  everyMs?: number;
}

export async function until<T>(
  condition: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  what: string | (() => string),
  { withinMs = 30_000, everyMs = 10 }: UntilOptions = {},
): Promise<T> {
  const end = Date.now() + withinMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() >= end) break;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`never happened within ${withinMs} ms: ${typeof what === 'string' ? what : what()}`);
}
