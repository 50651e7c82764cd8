/**
 * The one place handlers build AWS SDK v3 clients: `awsClient(SNSClient, { maxAttempts: 2 })`.
 *
 * Every client gets `SDK_LOGGER`, a logger with `debug` (a no-op) and `warn` but no `info`, `error` or `trace`. The
 * SDK's logger middleware runs `logger?.info?.({ input: inputFilterSensitiveLog(args.input), output: ... })`
 * after every call: with the SDK's default no-op logger (which has `info`) that deep-copies each request and
 * response only to throw the copy away (about 10 µs of a 30 µs clickstream record); without `info` the optional
 * call skips the copy. The same holds for `error` (the failed call's input is copied) and `trace`. `debug` stays
 * because credential providers call `init.logger.debug(...)` without `?.` after it; `warn` stays because the
 * SDK's serde helpers call `logger.warn(...)` unconditionally, and its warnings (socket capacity, a response that
 * does not parse) are worth one log line. __tests__/aws-client.test.ts makes a real request through a client from
 * this factory with a recording proxy around the logger and fails when an SDK version calls a method it lacks.
 */

/** What the SDK's `warn` calls are written as: one JSON line, cut to 512 characters. */
const writeWarning = (message: string): void => {
  console.warn(JSON.stringify({ level: 'WARN', service: 'aws-sdk', message: message.length > 512 ? `${message.slice(0, 512)}...` : message }));
};

/** The logger every handler client is built with: `debug` is a no-op, `warn` writes; no `info`, `error`, `trace`. */
export const SDK_LOGGER: { readonly debug: (...content: unknown[]) => void; readonly warn: (...content: unknown[]) => void } = Object.freeze({
  debug: (): void => {},
  warn: (...content: unknown[]): void => writeWarning(content.map((c) => (typeof c === 'string' ? c : String(c))).join(' ')),
});

// The SDK types its logger as having all four methods; this one deliberately lacks two of them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyClient = new (...args: any[]) => any;
type ConfigOf<C extends AnyClient> = NonNullable<ConstructorParameters<C>[0]>;

/**
 * A new `Client` with `config` and the handlers' SDK logger (`SDK_LOGGER`; `logger` in `config` is replaced).
 * `logger` is for tests only: they pass a recording wrapper around `SDK_LOGGER`.
 */
export function awsClient<C extends AnyClient>(Client: C, config?: Omit<ConfigOf<C>, 'logger'>, logger: object = SDK_LOGGER): InstanceType<C> {
  return new Client({ ...(config ?? {}), logger }) as InstanceType<C>;
}
