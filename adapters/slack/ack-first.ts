import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import bolt from '@slack/bolt';

const { HTTPModuleFunctions: httpFunc } = bolt;

type App = InstanceType<typeof bolt.App>;

/** Slack's payloads (a button click carries its whole message) fit well inside this. */
export const SLACK_BODY_LIMIT = 1024 * 1024;
const QUIET_MS = 5;
const MAX_WAIT_MS = 250;

export interface AckFirstOptions {
  readonly app: App;
  readonly signingSecret: string;
  readonly log: (line: string) => void;
}

/**
 * Slack's endpoint (mounted by the process's router for POST /slack/events in every spelling),
 * acknowledged before any work: the signature is checked (Bolt's own
 * verification, 5-minute timestamp window), 200 goes out, and only then does Bolt run its
 * middleware and our listeners. Bolt's HTTPReceiver acks from inside the listener, after
 * authorisation and middleware; under a burst of commands those queue behind each other and
 * the last ack leaves hundreds of milliseconds late. Slack allows 3 seconds, and a retried
 * command is a doubled command, so the ack goes first.
 *
 * Our listeners never answer through the ack body (answers go to response_url), so the ack
 * passed on to Bolt is a no-op. A listener that needs an ack body (view submissions, option
 * loads) would need Bolt's own receiver path.
 */
export function ackFirstListener(o: AckFirstOptions): RequestListener {
  // Work waits in a queue. While requests keep arriving it waits (up to QUIET_MS after the last
  // one, never more than MAX_WAIT_MS in all), so a burst is acknowledged before it is worked on;
  // then it starts one event per turn of the event loop, so later arrivals are still read and
  // acknowledged in between.
  const queue: { event: Parameters<App['processEvent']>[0]; at: number }[] = [];
  let draining = false;
  let lastArrival = 0;
  const drain = () => {
    const head = queue[0];
    if (!head) {
      draining = false;
      return;
    }
    const t = performance.now();
    if (t - lastArrival < QUIET_MS && t - head.at < MAX_WAIT_MS) {
      setTimeout(drain, QUIET_MS);
      return;
    }
    queue.shift();
    void o.app.processEvent(head.event).catch((err: unknown) => o.log(`isdown: slack: ${err instanceof Error ? err.message : String(err)}`));
    setImmediate(drain);
  };
  return (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      let buffered;
      try {
        buffered = await httpFunc.parseAndVerifyHTTPRequest({ enabled: true, signingSecret: o.signingSecret, bodyLimit: SLACK_BODY_LIMIT }, req);
      } catch (err) {
        if (httpFunc.isRawBodyError(err) && (err.type === 'entity.too.large' || err.statusCode === 413)) {
          // The rest of the body is still on its way: this connection cannot carry another request.
          res.setHeader('connection', 'close');
          return httpFunc.buildNoBodyResponse(res, 413);
        }
        o.log(`isdown: refused a Slack request: ${(err as Error).message}`);
        return httpFunc.buildNoBodyResponse(res, 401);
      }
      let body: Record<string, unknown>;
      try {
        body = httpFunc.parseHTTPRequestBody(buffered) as Record<string, unknown>;
      } catch {
        return httpFunc.buildNoBodyResponse(res, 400);
      }
      if (body.ssl_check === '1') return httpFunc.buildSSLCheckResponse(res);
      if (body.type === 'url_verification') return httpFunc.buildUrlVerificationResponse(res, body);
      httpFunc.buildNoBodyResponse(res, 200);
      const event = {
        body,
        ack: async () => {},
        retryNum: httpFunc.extractRetryNumFromHTTPRequest(req),
        retryReason: httpFunc.extractRetryReasonFromHTTPRequest(req),
        customProperties: {},
      };
      lastArrival = performance.now();
      queue.push({ event, at: lastArrival });
      if (!draining) {
        draining = true;
        setImmediate(drain);
      }
    })().catch((err: unknown) => {
      o.log(`isdown: slack request failed: ${String(err)}`);
      if (!res.headersSent) httpFunc.buildNoBodyResponse(res, 500);
    });
  };
}
