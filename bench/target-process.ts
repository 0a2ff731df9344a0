/** Runs a fake target in its own process so a benchmark's client does not share its CPU. */
import { startTarget } from '../test/fakes/target.ts';

const target = await startTarget();
process.send?.({ url: target.url });
process.on('disconnect', () => void target.close().then(() => process.exit(0)));
