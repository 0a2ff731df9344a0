import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ISDOWN_COMMAND, toGrammar } from '../../adapters/discord/commands.ts';
import { parseCommand } from '../../src/core/commands.ts';

const reader = (opts: Record<string, string>) => (name: string) => opts[name] ?? null;

describe('Discord subcommands become the one grammar', () => {
  it('watch carries the HTTP conditions, heartbeat makes a push watch', () => {
    const watch = toGrammar('watch', reader({ service: 'https://api.example.com/health', method: 'POST', header: 'X-Key: $ISDOWN_HEADER_KEY', json: '$.status == "UP"', slower_than: '2s' }));
    assert.deepEqual(parseCommand(watch), {
      ok: true,
      command: { kind: 'watch', target: 'https://api.example.com/health', method: 'POST', headers: ['X-Key: $ISDOWN_HEADER_KEY'], json: '$.status == UP', slowerThanMs: 2_000 },
    });
    assert.deepEqual(parseCommand(toGrammar('heartbeat', reader({ name: 'nightly-backup', every: '1d' }))), {
      ok: true,
      command: { kind: 'watch', target: 'nightly-backup', push: true, everyMs: 86_400_000, everyText: '1d' },
    });
  });

  it('now takes no options and is the same command', () => {
    assert.deepEqual(parseCommand(toGrammar('now', reader({}))), { ok: true, command: { kind: 'now' } });
    assert.ok(ISDOWN_COMMAND.options.some((o) => o.name === 'now'));
    assert.deepEqual(parseCommand(toGrammar('watch', reader({ service: 'stripe', only: 'statuspage', component: 'API' }))), { ok: true, command: { kind: 'watch', target: 'stripe', component: 'API', only: 'statuspage' } });
  });

  it("stays inside Discord's limits for a command's definition", () => {
    for (const sub of ISDOWN_COMMAND.options) {
      assert.ok(sub.description.length <= 100, sub.name);
      const options = 'options' in sub ? (sub.options as readonly { name: string; description: string }[]) : [];
      assert.ok(options.length <= 25, sub.name);
      for (const o of options) {
        assert.match(o.name, /^[a-z0-9_-]{1,32}$/, `${sub.name}.${o.name}`);
        assert.ok(o.description.length <= 100, `${sub.name}.${o.name}`);
      }
    }
  });
});
