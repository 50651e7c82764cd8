/**
 * Seeded, realistic client event details (the `entry` objects a client sends to `POST /event`), for the event
 * generator, tests and the bench. The same seed gives the same sequence. Types: shopping, searching, paging,
 * purchase, and loyaltypurchase (which carries a Zendesk `ticket`).
 */
import type { ClientEventDetail, KnownEventType, LoyaltyTicket } from '../handlers/client-events/lib/event.js';
import { seededRandom } from './seeded-random.js';

export const SCHEMA_VERSION = '1.0';

const CATEGORIES = ['shoes', 'books', 'kitchen', 'garden', 'toys', 'electronics', 'sports'] as const;
const QUERIES = ['running shoes', 'cast iron pan', 'usb-c cable', 'board game', 'tent 2 person', 'yoga mat', 'e-reader'] as const;
const PATHS = ['/', '/deals', '/category/shoes', '/category/books', '/account/orders', '/search'] as const;
const PRIORITIES: LoyaltyTicket['priority'][] = ['low', 'normal', 'normal', 'high'];

export interface SampleOptions {
  seed?: number;
  /** Clock for clientTime (ms since the epoch). */
  now?: () => number;
}

export interface EventSampler {
  /** A detail of the given type, or of a random non-loyalty type. */
  next(type?: KnownEventType): ClientEventDetail;
  /** A batch of `size` details; when `loyalty` is true one of them is a loyalty purchase. */
  batch(size: number, loyalty: boolean): ClientEventDetail[];
  /** A random integer from 1 to max. */
  size(max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
}

export function sampleEvents(opts: SampleOptions = {}): EventSampler {
  const rnd = seededRandom(opts.seed ?? 1);
  const now = opts.now ?? Date.now;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const int = (min: number, max: number) => min + Math.floor(rnd() * (max - min + 1));
  const id = (prefix: string) => `${prefix}-${Math.floor(rnd() * 0xffffffff).toString(16).padStart(8, '0')}`;
  const session = id('s');
  let order = 0;

  const base = (eventType: KnownEventType) => ({ eventType, schemaVersion: SCHEMA_VERSION, sessionId: session, clientTime: new Date(now()).toISOString() });
  const makers: Record<KnownEventType, () => ClientEventDetail> = {
    shopping: () => ({ ...base('shopping'), action: pick(['view', 'add_to_cart', 'remove_from_cart'] as const), productId: id('p'), category: pick(CATEGORIES), price: int(199, 19_999) / 100, currency: 'USD', quantity: int(1, 3) }),
    searching: () => ({ ...base('searching'), query: pick(QUERIES), resultsCount: int(0, 500), page: 1 }),
    paging: () => ({ ...base('paging'), path: pick(PATHS), page: int(1, 20), pageSize: pick([10, 20, 50] as const) }),
    purchase: () => {
      const items = int(1, 4);
      return { ...base('purchase'), orderId: `o-${++order}-${id('x')}`, items, total: int(500, 50_000) / 100, currency: 'USD' };
    },
    loyaltypurchase: () => {
      const orderId = `o-${++order}-${id('x')}`;
      const points = int(100, 5_000);
      return {
        ...base('loyaltypurchase'), orderId, total: int(1_000, 90_000) / 100, currency: 'USD', pointsRedeemed: points,
        ticket: {
          subject: `Loyalty purchase ${orderId}`,
          body: `A loyalty member redeemed ${points} points on order ${orderId}. Please confirm the reward.`,
          priority: pick(PRIORITIES),
        },
      };
    },
  };
  const regular: KnownEventType[] = ['shopping', 'shopping', 'searching', 'paging', 'purchase'];
  const sampler: EventSampler = {
    next: (type) => makers[type ?? pick(regular)](),
    batch: (size, loyalty) => {
      const out = Array.from({ length: size }, () => sampler.next());
      if (loyalty) out[Math.floor(rnd() * size)] = sampler.next('loyaltypurchase');
      return out;
    },
    size: (max) => int(1, max),
    chance: (p) => rnd() < p,
  };
  return sampler;
}
