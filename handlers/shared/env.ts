/**
 * Reading a handler's settings from the environment variables its stack sets. Each reader fails at cold start
 * with a message naming the variable and what it accepts, so a misconfigured function never half-runs.
 */

/** The variable's value; throws when it is unset or empty. */
export function requireEnv(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (!v) throw new Error(`environment variable ${name} is not set`);
  return v;
}

/** A finite number, or `def` when unset or empty. */
export function numberEnv(env: NodeJS.ProcessEnv, name: string, def: number): number {
  const v = env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`environment variable ${name} must be a number, got ${JSON.stringify(v)}`);
  return n;
}

/** An integer from `min` to `max`, or `def` when unset or empty. */
export function intEnv(env: NodeJS.ProcessEnv, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new Error(`environment variable ${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return v;
}

/** One of `allowed`, or `def` when unset. */
export function choiceEnv<T extends string>(env: NodeJS.ProcessEnv, name: string, def: T, allowed: readonly T[]): T {
  const v = env[name] ?? def;
  if (!(allowed as readonly string[]).includes(v)) {
    throw new Error(`environment variable ${name} must be ${allowed.map((a) => JSON.stringify(a)).join(' or ')}, got ${JSON.stringify(v)}`);
  }
  return v as T;
}

/** "true" or "false", or `def` when unset. */
export function boolEnv(env: NodeJS.ProcessEnv, name: string, def: boolean): boolean {
  return choiceEnv(env, name, def ? 'true' : 'false', ['true', 'false']) === 'true';
}
