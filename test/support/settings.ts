/**
 * Settings the tests and benchmarks share. The fakes listen on 127.0.0.1 at random ports, which
 * the SSRF guard refuses by default; the control check would reach the internet.
 */
export const LOCAL_TARGETS = {
  ISDOWN_ALLOW_PRIVATE: '127.0.0.1/32',
  ISDOWN_ALLOWED_PORTS: 'any',
  ISDOWN_CONTROL_URLS: '',
  // The built-in catalog's pages are on the internet: tests read only pages of their own (CATALOG_FILE).
  ISDOWN_STATUS_POLL: 'off',
} as const;

/** Rounds that decide quickly: one attempt per round, 1 s intervals, fast re-checks. */
export const FAST_ROUNDS = {
  ISDOWN_CONFIRM_CHECKS: '1',
  ISDOWN_MIN_INTERVAL: '1s',
  ISDOWN_RECHECK_DELAY: '200ms',
  // Alerts go out at once: tests that time one alert against the next do not wait for a storm.
  ISDOWN_STORM_HOLD: '0s',
} as const;
