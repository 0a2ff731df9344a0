import type { KeyValue } from '../core/store-port.ts';
import type { VendorHistory } from '../core/vendor-history.ts';
import type { KnownTrouble } from '../core/now.ts';

/**
 * What the background status reader found, kept in the store so every process answers from it
 * (in distributed mode only the elected process reads pages): each service's vendor history, and
 * one snapshot of what is wrong right now for `/isdown now`.
 */
export interface VendorStatusRepository {
  history(serviceId: string): Promise<VendorHistory | undefined>;
  saveHistory(serviceId: string, history: VendorHistory): Promise<void>;
  snapshot(): Promise<KnownTrouble | undefined>;
  saveSnapshot(snapshot: KnownTrouble): Promise<void>;
}

export function createVendorStatusRepository(kv: KeyValue, retentionMs: number): VendorStatusRepository {
  return {
    history: (id) => kv.get<VendorHistory>(`vendor:${id}`),
    // A service whose page stays quiet keeps its last incidents for the retention period, then they go.
    saveHistory: (id, h) => kv.set(`vendor:${id}`, h, retentionMs),
    snapshot: () => kv.get<KnownTrouble>('vendor-now'),
    saveSnapshot: (s) => kv.set('vendor-now', s),
  };
}
