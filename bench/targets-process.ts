/** Several fake target sites in their own process, answering in 1–5 ms, for the scheduler benchmark. */
import { startTarget } from '../test/fakes/target.ts';

const count = Number(process.argv[2] ?? '10');
const targets = await Promise.all(Array.from({ length: count }, () => startTarget()));
for (const t of targets) t.set('/', { kind: 'ok', body: 'ok', delayMs: 1, delayMaxMs: 5 });
process.send?.({ urls: targets.map((t) => t.url) });
process.on('disconnect', () => void Promise.all(targets.map((t) => t.close())).then(() => process.exit(0)));
