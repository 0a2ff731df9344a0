import { join } from 'node:path';

/** Where the tests leave what a person should look at: screenshots of the page, the chart. */
export const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');

/** Debian's chromium, driven by playwright-core: no browser is downloaded. `.ci/run` installs it. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless, and nothing that reaches out: this machine's network is closed. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
