import { discordPlatform } from './discord/discord.ts';
import type { PlatformFactory } from './platform.ts';
import { slackPlatform } from './slack/slack.ts';
import { webhookPlatform } from './webhook/webhook.ts';

/** Every chat platform isdown speaks; one line each. */
export const PLATFORMS: readonly PlatformFactory[] = [slackPlatform, discordPlatform, webhookPlatform];
