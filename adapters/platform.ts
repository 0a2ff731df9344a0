import type { RequestListener } from 'node:http';
import type { Bot } from '../src/core/bot.ts';
import type { ChatAdapter } from '../src/core/notify.ts';
import type { KeyValue } from '../src/core/store-port.ts';
import type { CompleteServices } from '../src/core/types.ts';
import type { Chart } from '../src/core/uptime.ts';

/**
 * The one interface a chat platform plugs in through: alerts go out through `alerts` (the core's
 * outbound port), people's commands come in through `start` (the core's inbound port), and HTTP
 * endpoints, if the platform needs any, are routes the process mounts. Adding a platform is a
 * folder exporting a PlatformFactory and one line in adapters/index.ts.
 */
export interface InboundDeps {
  readonly bot: Bot;
  /** Service names for autocomplete. */
  readonly complete: CompleteServices;
  readonly log: (line: string) => void;
  /** A workspace or server removed the bot (uninstalled, left, deleted): its watches go. */
  readonly onTenantGone: (tenant: string) => Promise<void>;
  /** A channel was deleted: its watches go. */
  readonly onChannelDeleted: (tenant: string, channel: string) => Promise<void>;
  /** The first connection attempt failed; retries go on in the background. */
  readonly onUnreachable?: () => void;
}

export interface PlatformRoute {
  readonly path: string;
  readonly methods: { readonly GET?: RequestListener; readonly POST?: RequestListener };
}

export interface Platform {
  readonly name: string;
  readonly alerts: ChatAdapter;
  readonly routes?: readonly PlatformRoute[];
  /**
   * The platform hands every event to every connected session (Discord's gateway), so in
   * distributed mode only the elected scheduler connects.
   */
  readonly onePerDeployment?: boolean;
  /** It only receives alerts (outbound webhooks): the console still takes commands beside it. */
  readonly alertsOnly?: boolean;
  /** Connects and wires commands to the bot; resolves once connected or retrying in the background. */
  start(deps: InboundDeps): Promise<void>;
  stop(): Promise<void>;
}

/** The settings every platform may read; each reads its own part. */
export interface PlatformSettings {
  readonly slack: { readonly botToken?: string; readonly signingSecret?: string; readonly appToken?: string; readonly clientId?: string; readonly clientSecret?: string; readonly stateSecret?: string; readonly apiUrl: string };
  readonly discord: { readonly token?: string; readonly apiUrl?: string };
  readonly webhook?: { readonly secret?: string };
}

/** A POST through the SSRF guard and its time limits; rejects with the reason when nothing answered. */
export type GuardedPost = (url: string, body: string, headers: Readonly<Record<string, string>>) => Promise<{ status: number; retryAfterMs?: number }>;

/** What the process lends a platform: a POST through the SSRF guard, the watches file's webhook URLs, and charts drawn as PNG. */
export interface PlatformServices {
  readonly post: GuardedPost;
  readonly webhookUrls: ReadonlyMap<string, string>;
  /** A message's chart as a PNG (uptime, history), for platforms that show images. */
  readonly renderChart?: (chart: Chart) => Uint8Array;
}

export interface PlatformFactory {
  readonly name: string;
  /** Its platforms only receive alerts (see Platform.alertsOnly). */
  readonly alertsOnly?: boolean;
  /** Whether the settings turn this platform on (its token is set). */
  enabled(settings: PlatformSettings): boolean;
  /** `kv`: the platform's own small state (Slack's installations), in the shared store. */
  create(settings: PlatformSettings, kv: KeyValue, services?: PlatformServices): Platform;
}
