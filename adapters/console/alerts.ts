import type { Writable } from 'node:stream';
import type { Message } from '../../src/core/messages.ts';
import { DeliveryError, type ChatAdapter, type PlatformRef } from '../../src/core/notify.ts';
import type { ChannelRef } from '../../src/core/watch.ts';
import { renderText } from './render.ts';

/**
 * Alerts in the terminal. A terminal cannot edit what it printed, so an update of the root
 * message prints nothing; thread replies print indented under their alert's number.
 */
export function consoleAlerts(output: Writable, opts: { color?: boolean } = {}): ChatAdapter {
  let n = 0;
  const write = (text: string) => {
    if (output.destroyed || (output as { writableEnded?: boolean }).writableEnded) throw new DeliveryError('the console output is closed');
    output.write(`${text}\n`);
  };
  return {
    platform: 'console',
    async post(_to: ChannelRef, m: Message): Promise<PlatformRef> {
      const id = String(++n);
      write(`[alert #${id}] ${renderText(m, opts)}`);
      return { id, channel: 'console' };
    },
    async update() {},
    async reply(_to: ChannelRef, parent: PlatformRef, m: Message, o: { broadcast: boolean }): Promise<PlatformRef> {
      const text = renderText(m, opts).replace(/\n/g, '\n   ');
      write(`${o.broadcast ? '' : '  ↳ '}[alert #${parent.id}] ${text}`);
      return { id: `${parent.id}.${++n}`, channel: 'console' };
    },
  };
}
