/**
 * Realistic clickstream records from a seeded generator: a pool of visitors (each with a stable IPv4 or IPv6
 * address, browser, OS, country and language) browsing a shop's pages, each page view referred by the
 * visitor's previous page, a search engine, social media or nothing. Deterministic for a seed, so tests and
 * benchmarks can use it; the event generator (cli/clickstream/generator.ts) posts what it makes.
 */
import type { ClickstreamRecord } from '../handlers/clickstream/lib/record.js';
import { seededRandom } from './seeded-random.js';

const BROWSERS = [
  ['Chrome', 0.63], ['Safari', 0.2], ['Edge', 0.05], ['Firefox', 0.03], ['Samsung Internet', 0.03], ['Opera', 0.02],
  ['Chrome Mobile', 0.04],
] as const;
const OSES = [['Windows', 0.3], ['Android', 0.38], ['iOS', 0.18], ['macOS', 0.09], ['Linux', 0.03], ['ChromeOS', 0.02]] as const;
const LOCALES = [
  ['US', 'en-US', 0.38], ['GB', 'en-GB', 0.08], ['DE', 'de-DE', 0.09], ['FR', 'fr-FR', 0.07], ['JP', 'ja-JP', 0.08],
  ['ES', 'es-ES', 0.05], ['IT', 'it-IT', 0.04], ['CA', 'en-CA', 0.05], ['BR', 'pt-BR', 0.05], ['IN', 'hi-IN', 0.04],
  ['MX', 'es-MX', 0.03], ['NL', 'nl-NL', 0.02], ['AU', 'en-AU', 0.02],
] as const;
const PATHS = [
  '/', '/deals', '/search?q=running+shoes', '/search?q=wireless+headphones', '/category/electronics', '/category/home',
  '/category/outdoor', '/product/B0C1234567', '/product/B0D7654321', '/product/B08N5WRWNW', '/product/B07XJ8C8F5',
  '/cart', '/checkout', '/checkout/confirmation', '/account/orders', '/help/returns',
];
const EXTERNAL_REFERRERS = [
  'https://www.google.com/', 'https://www.bing.com/', 'https://duckduckgo.com/', 'https://www.facebook.com/',
  'https://t.co/', 'https://www.instagram.com/', 'https://www.reddit.com/', 'https://www.pinterest.com/',
];

function weighted<T extends readonly unknown[]>(rand: () => number, items: readonly T[], weightIndex: number): T {
  const total = items.reduce((s, it) => s + (it[weightIndex] as number), 0);
  let x = rand() * total;
  for (const it of items) {
    x -= it[weightIndex] as number;
    if (x <= 0) return it;
  }
  return items[items.length - 1];
}

function ipv4(rand: () => number): string {
  // Public-looking unicast addresses (no 0/8, 10/8, 127/8, 169.254/16, 172.16/12, 192.168/16, multicast).
  for (;;) {
    const a = 1 + Math.floor(rand() * 223);
    const b = Math.floor(rand() * 256);
    if (a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168)) continue;
    return `${a}.${b}.${Math.floor(rand() * 256)}.${1 + Math.floor(rand() * 254)}`;
  }
}

function ipv6(rand: () => number): string {
  const h = () => Math.floor(rand() * 0x10000).toString(16);
  return `2001:db8:${h()}:${h()}:${h()}:${h()}:${h()}:${h()}`;
}

interface Visitor {
  ip: string;
  browser: string;
  os: string;
  country: string;
  language: string;
  lastUrl?: string;
}

export interface SampleOptions {
  /** Seed of the PRNG. Default 1. */
  readonly seed?: number;
  /** Distinct visitors. Default 1000. */
  readonly visitors?: number;
  /** Share of visitors with IPv6 addresses. Default 0.25. */
  readonly ipv6Share?: number;
  /** Shop origin for page URLs. Default https://shop.example.com. */
  readonly origin?: string;
  /** Clock for timestamps. Default Date.now. */
  readonly now?: () => number;
}

/** A stream of realistic records: call `next()` for each one. */
export function sampleRecords(opts: SampleOptions = {}): { next(): ClickstreamRecord } {
  const rand = seededRandom(opts.seed ?? 1);
  const origin = opts.origin ?? 'https://shop.example.com';
  const now = opts.now ?? Date.now;
  const ipv6Share = opts.ipv6Share ?? 0.25;
  const visitors: Visitor[] = Array.from({ length: opts.visitors ?? 1000 }, () => {
    const [country, language] = weighted(rand, LOCALES, 2);
    return {
      ip: rand() < ipv6Share ? ipv6(rand) : ipv4(rand),
      browser: weighted(rand, BROWSERS, 1)[0],
      os: weighted(rand, OSES, 1)[0],
      country,
      language,
    };
  });
  return {
    next() {
      // A few visitors are much busier than the rest (a Zipf-like skew).
      const v = visitors[Math.floor(visitors.length * rand() ** 2)];
      const url = `${origin}${PATHS[Math.floor(rand() * PATHS.length)]}`;
      const r = rand();
      const referrer = v.lastUrl && r < 0.6 ? v.lastUrl : r < 0.85 ? EXTERNAL_REFERRERS[Math.floor(rand() * EXTERNAL_REFERRERS.length)] : '';
      v.lastUrl = url;
      return {
        ip: v.ip,
        timestamp: new Date(now()).toISOString(),
        browser: v.browser,
        url,
        referrer,
        os: v.os,
        country: v.country,
        language: v.language,
      };
    },
  };
}
