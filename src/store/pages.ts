import { randomBytes } from 'node:crypto';
import type { KeyValue } from '../core/store-port.ts';
import type { PagePort } from '../core/bot.ts';
import { channelId, type ChannelRef } from '../core/watch.ts';
import { localLocks, type Locks } from './locks.ts';

/**
 * Channels' public status pages. A page's address holds a slug of 128 random bits, so it can be
 * shared but not guessed; `page off` deletes both directions, and a later page gets a new slug.
 */
export interface PageRepository extends PagePort {
  /** The channel a slug belongs to; undefined for a slug never made or retired. */
  channelOf(slug: string): Promise<ChannelRef | undefined>;
}

/** What a slug looks like: 22 base64url characters (128 bits). Anything else is not looked up. */
export const SLUG_PATTERN = /^[A-Za-z0-9_-]{22}$/;

export function createPageRepository(kv: KeyValue, lock: Locks = localLocks()): PageRepository {
  const byChannel = (c: ChannelRef) => `page:${channelId(c)}`;
  const bySlug = (slug: string) => `pageslug:${slug}`;
  return {
    slug(channel) {
      return lock.run(byChannel(channel), async () => {
        const have = await kv.get<string>(byChannel(channel));
        if (have) return have;
        const slug = randomBytes(16).toString('base64url');
        // The slug's entry first: a failure between the two leaves an unreachable slug, never a
        // channel pointing at a page that does not answer.
        await kv.set(bySlug(slug), channel);
        await kv.set(byChannel(channel), slug);
        return slug;
      });
    },
    retire(channel) {
      return lock.run(byChannel(channel), async () => {
        const slug = await kv.get<string>(byChannel(channel));
        if (!slug) return false;
        await kv.delete(bySlug(slug));
        await kv.delete(byChannel(channel));
        return true;
      });
    },
    async channelOf(slug) {
      if (!SLUG_PATTERN.test(slug)) return undefined;
      return kv.get<ChannelRef>(bySlug(slug));
    },
  };
}
