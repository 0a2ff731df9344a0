import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closeInOrder } from '../../src/app/closers.ts';

describe('stopping the process', () => {
  it('runs every step in order; one that hangs or fails is named and the next still runs', async () => {
    const ran: string[] = [];
    const lines: string[] = [];
    await closeInOrder(
      [
        { what: 'the scheduler', close: async () => void ran.push('scheduler') },
        { what: 'the notifier', close: () => (ran.push('notifier'), new Promise<void>(() => {})) },
        {
          what: 'a chat platform',
          close: () => {
            ran.push('platform');
            throw new Error('socket already closed');
          },
        },
        { what: 'the store', close: async () => void ran.push('store') },
      ],
      50,
      (line) => lines.push(line),
    );
    assert.deepEqual(ran, ['scheduler', 'notifier', 'platform', 'store']);
    assert.deepEqual(lines, [
      'isdown: while stopping: the notifier did not finish within 50 ms; going on without it',
      'isdown: while stopping a chat platform: Error: socket already closed',
    ]);
  });
});
