import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommand, type Command } from '../../src/core/commands.ts';
import { formatDuration, parseDuration } from '../../src/core/duration.ts';

describe('command grammar', () => {
  const good: [string, Command][] = [
    ['', { kind: 'help' }],
    ['/isdown', { kind: 'help' }],
    ['help', { kind: 'help' }],
    ['help watch', { kind: 'help', topic: 'watch' }],
    ['twitter', { kind: 'check', target: 'twitter' }],
    ['/isdown example.com', { kind: 'check', target: 'example.com' }],
    ['check list', { kind: 'check', target: 'list' }],
    ['<https://x.com|x.com>', { kind: 'check', target: 'https://x.com' }],
    ['watch github', { kind: 'watch', target: 'github' }],
    ['watch github every 5m', { kind: 'watch', target: 'github', everyMs: 300_000, everyText: '5m' }],
    ['watch github every 30s expect "Sign in" component API', { kind: 'watch', target: 'github', everyMs: 30_000, everyText: '30s', expect: 'Sign in', component: 'API' }],
    ['watch github status 200-299,401 every 90s', { kind: 'watch', target: 'github', everyMs: 90_000, everyText: '90s', status: '200-299,401' }],
    ['watch github status " 401 , 200-204"', { kind: 'watch', target: 'github', status: '401,200-204' }],
    ['watch site.com forbid “is currently down”', { kind: 'watch', target: 'site.com', forbid: 'is currently down' }],
    ['watch api.example.com method head', { kind: 'watch', target: 'api.example.com', method: 'HEAD' }],
    ['watch api.example.com header "X-Api-Key: $ISDOWN_HEADER_KEY" header "Authorization=${ISDOWN_HEADER_AUTH}"', { kind: 'watch', target: 'api.example.com', headers: ['X-Api-Key: $ISDOWN_HEADER_KEY', 'Authorization: $ISDOWN_HEADER_AUTH'] }],
    ['watch api.example.com json "$.status == UP"', { kind: 'watch', target: 'api.example.com', json: '$.status == UP' }],
    ['watch api.example.com json "$.status" == "UP" every 1m', { kind: 'watch', target: 'api.example.com', json: '$.status == UP', everyMs: 60_000, everyText: '1m' }],
    ['watch api.example.com json "$[\'checks\'][0].depth < 100"', { kind: 'watch', target: 'api.example.com', json: '$.checks[0].depth < 100' }],
    ['watch api.example.com slower than 800ms', { kind: 'watch', target: 'api.example.com', slowerThanMs: 800 }],
    ['watch api.example.com slower than 2s method POST', { kind: 'watch', target: 'api.example.com', slowerThanMs: 2_000, method: 'POST' }],
    ['unwatch github', { kind: 'unwatch', target: 'github' }],
    ['list', { kind: 'list' }],
    ['LIST', { kind: 'list' }],
    ['history github', { kind: 'history', target: 'github', windowMs: 7 * 86_400_000 }],
    ['history github 24h', { kind: 'history', target: 'github', windowMs: 86_400_000 }],
    ['report slack', { kind: 'report', target: 'slack' }],
    ['mute github 2h', { kind: 'mute', target: 'github', durationMs: 7_200_000 }],
    ['mute github 1h30m', { kind: 'mute', target: 'github', durationMs: 5_400_000 }],
    ['unmute github', { kind: 'unmute', target: 'github' }],
  ];
  for (const [input, command] of good) {
    it(`parses "${input}"`, () => assert.deepEqual(parseCommand(input), { ok: true, command }));
  }

  const bad: [string, RegExp][] = [
    ['watch', /Which service/],
    ['watch github every 10s', /between 30 s and 1 d/],
    ['watch github every 2d', /between 30 s and 1 d/],
    ['watch github every soon', /not an interval/],
    ['watch github expect', /needs a value/],
    ['watch github colour red', /don't understand "colour"/],
    ['watch github status 2xx', /"2xx" is not a status code or a range like 200-299/],
    ['watch github status 299-200', /not a range of HTTP status codes/],
    ['watch github status 700', /not a range of HTTP status codes/],
    [`watch github status ${Array.from({ length: 21 }, (_, i) => 200 + i).join(',')}`, /At most 20 codes/],
    [`${'x '.repeat(1_001)}`, /a command is at most 2,000/],
    ['watch github expect "unclosed', /quote is not closed/],
    [`watch github expect "${'x'.repeat(201)}"`, /limited to 200/],
    ['watch x.com method FETCH', /not a method; use one of GET, HEAD/],
    ['watch x.com header "X-Api-Key: hunter2"', /never typed in chat: name an environment variable .*\$ISDOWN_HEADER_X_API_KEY/],
    ['watch x.com header "X-Leak: $SLACK_BOT_TOKEN"', /Only variables named ISDOWN_HEADER_… can fill a header .*"SLACK_BOT_TOKEN" is not one/],
    ['watch x.com header "Host: $ISDOWN_HEADER_H"', /set by the connection/],
    ['watch x.com header "nocolon"', /is not a header/],
    ['watch x.com header "A: $ISDOWN_HEADER_A" header "a: $ISDOWN_HEADER_B"', /given twice/],
    ['watch x.com json "status == UP"', /starts with \$/],
    ['watch x.com json "$.status"', /needs a comparison/],
    ['watch x.com json "$.depth > high"', /> compares numbers; "high" is not one/],
    ['watch x.com json "$..x == 1"', /a name is missing after "\."/],
    ['watch x.com json "$[x] == 1"', /neither an index nor a quoted name/],
    ['watch x.com slower 2s', /like: slower than 2s/],
    ['watch x.com slower than 20s', /between 10ms and 15s/],
    ['watch x.com method HEAD expect "ok"', /HEAD answer has no body/],
    ['mute github', /how long/],
    ['mute github forever', /not a duration/],
    ['mute github 90d', /at most 30 d/],
    ['history', /Name one service/],
    ['history github 365d', /at most 90 d/],
    ['list all', /takes no arguments/],
    ['unwatch', /Which service/],
    ['help nonsense', /no command "nonsense"/],
    ['is github down', /one service at a time/],
  ];
  for (const [input, message] of bad) {
    it(`refuses "${input.slice(0, 40)}" with a helpful answer`, () => {
      const r = parseCommand(input);
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.match(r.error, message);
        assert.match(r.usage, /^\/isdown/);
      }
    });
  }
});

describe('durations', () => {
  const table: [string, number | null][] = [
    ['30s', 30_000], ['1m', 60_000], ['2h', 7_200_000], ['7d', 604_800_000], ['1h30m', 5_400_000],
    ['90', 90_000], ['1500ms', 1_500], ['5 min', 300_000], ['', null], ['soon', null], ['5x', null], ['m5', null],
  ];
  for (const [text, ms] of table) it(`"${text}" → ${ms}`, () => assert.equal(parseDuration(text), ms));
  const words: [number, string][] = [[12_000, '12 s'], [90_000, '1 min 30 s'], [125_000, '2 min 5 s'], [605_000, '10 min'], [41 * 60_000, '41 min'], [117 * 60_000, '1 h 57 min'], [3_600_000, '1 h'], [90_000_000, '1 d 1 h']];
  for (const [ms, text] of words) it(`${ms} ms reads "${text}"`, () => assert.equal(formatDuration(ms), text));
});
