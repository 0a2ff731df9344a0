import { createBot, type Bot } from '../core/bot.ts';
import { openStore, type StoreHandle } from '../store/open.ts';
import { createReportRepository } from '../store/reports.ts';
import { createChecker, type Checker } from './checker.ts';
import type { Config } from './config.ts';

/** Everything one isdown process runs on, built from the configuration, closed in reverse. */
export interface Runtime {
  readonly config: Config;
  readonly store: StoreHandle;
  readonly checker: Checker;
  readonly bot: Bot;
  close(): Promise<void>;
}

export async function startRuntime(config: Config, opts: { now?: () => number; warn?: (line: string) => void } = {}): Promise<Runtime> {
  const now = opts.now ?? Date.now;
  const warn = opts.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  const store = await openStore(config.storeUrl);
  try {
    const reports = await createReportRepository(store.kv);
    const checker = createChecker(config, { crowd: reports, now });
    for (const p of checker.catalog.problems) warn(`isdown: catalog ${p.file}:${p.line}: ${p.message}`);
    const bot = createBot({ resolve: checker.resolve, check: checker.ports, policy: checker.policy, crowd: reports, now });
    return {
      config,
      store,
      checker,
      bot,
      async close() {
        await checker.close();
        await store.close();
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}
