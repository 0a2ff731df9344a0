import { createHmac } from 'node:crypto';
import type { Message } from '../../src/core/messages.ts';
import { DeliveryError, type ChatAdapter, type PlatformRef } from '../../src/core/notify.ts';
import type { ChannelRef } from '../../src/core/watch.ts';
import type { GuardedPost, PlatformFactory } from '../platform.ts';

/**
 * Outbound webhooks: a `webhook:<name>` channel gets each alert event as JSON, signed
 * `X-Isdown-Signature: sha256=<HMAC-SHA256 of the raw body>` with ISDOWN_WEBHOOK_SECRET, with
 * `X-Isdown-Event-Id` for the receiver's de-duplication. Alerts only: nobody types commands here.
 * The URLs come from the watches file; the POST itself is the app's guarded one (the SSRF guard,
 * time limits), injected, since adapters reach the network only through what they are given.
 */
export interface WebhookPayload {
  readonly event: string;
  readonly eventId: string;
  readonly incidentId?: string;
  readonly service?: string;
  readonly target?: string;
  readonly state: string;
  readonly summary: string;
  readonly timeline: readonly string[];
  readonly links: readonly { readonly label: string; readonly url: string }[];
  readonly at?: string;
}

export function webhookPayload(message: Message, eventId: string): WebhookPayload {
  const a = message.alert;
  return {
    event: a?.event ?? 'message',
    eventId,
    ...(a ? { incidentId: a.incidentId, service: a.service, target: a.target } : {}),
    state: message.tone,
    summary: message.title,
    timeline: message.lines,
    links: message.links,
    ...(message.at !== undefined ? { at: new Date(message.at).toISOString() } : {}),
  };
}

export function sign(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function webhookAlerts(settings: { secret: string; urlOf(name: string): string | undefined; post: GuardedPost }): ChatAdapter {
  async function send(to: ChannelRef, message: Message, eventId: string): Promise<PlatformRef> {
    const url = settings.urlOf(to.channel);
    // Not (yet) in the watches file this process read: wait for it rather than drop the alert.
    if (!url) throw new DeliveryError(`no webhook is named ${to.channel} in the watches file`);
    const body = JSON.stringify(webhookPayload(message, eventId));
    let answer: { status: number; retryAfterMs?: number };
    try {
      answer = await settings.post(url, body, { 'content-type': 'application/json', 'x-isdown-event-id': eventId, 'x-isdown-signature': sign(settings.secret, body) });
    } catch (err) {
      throw new DeliveryError(`webhook ${to.channel}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const s = answer.status;
    if (s >= 200 && s < 300) return { id: eventId, channel: to.channel };
    if (s === 429 || s >= 500) throw new DeliveryError(`webhook ${to.channel} answered ${s}`, answer.retryAfterMs !== undefined ? { retryAfterMs: answer.retryAfterMs } : {});
    // 410 Gone is the receiver saying it is gone for good; anything else may be fixed on its side.
    if (s === 410) throw new DeliveryError(`webhook ${to.channel} answered 410 Gone`, { gone: true });
    throw new DeliveryError(`webhook ${to.channel} answered ${s}${s >= 300 && s < 400 ? ' (a redirect; webhooks do not follow them)' : ''}`);
  }
  return {
    platform: 'webhook',
    // A receiver acts on each incident's own events; a grouped message would hide them.
    ungrouped: true,
    post: (to, message, opts) => send(to, message, opts.key),
    // A receiver keeps no message to edit: the event that changed it arrives as its own delivery.
    update: async () => {},
    reply: (to, _parent, message, opts) => send(to, message, opts.key),
  };
}

export const webhookPlatform: PlatformFactory = {
  name: 'webhook',
  alertsOnly: true,
  enabled: (settings) => Boolean(settings.webhook?.secret),
  create(settings, _kv, services) {
    const secret = settings.webhook?.secret;
    if (!secret || !services) throw new Error('webhooks need ISDOWN_WEBHOOK_SECRET and the guarded poster');
    return {
      name: 'webhook',
      alertsOnly: true,
      alerts: webhookAlerts({ secret, urlOf: (name) => services.webhookUrls.get(name), post: services.post }),
      start: async () => {},
      stop: async () => {},
    };
  },
};
