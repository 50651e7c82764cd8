/**
 * Checks of the environment contracts (contracts/env.ts HandlerEnvContract) against what a stack sets and what a
 * handler's source reads. Pure functions over strings and records, so their own tests can feed them broken inputs.
 */
import { LAMBDA_RUNTIME_ENV, type HandlerEnvContract } from '../../contracts/env.js';

const RUNTIME = new Set<string>(LAMBDA_RUNTIME_ENV);

/** Every variable name the contract says the handler's own code reads. */
export function contractNames(contract: HandlerEnvContract): string[] {
  return Object.values(contract.env);
}

/** The names a stack must always set: read by the handler, neither optional nor test-only. */
export function requiredNames(contract: HandlerEnvContract): string[] {
  const skip = new Set([...(contract.optional ?? []), ...(contract.testOnly ?? [])]);
  return contractNames(contract).filter((n) => !skip.has(n));
}

/**
 * What is wrong with the `environment` a stack gives one function (or container) whose handler declares
 * `contract`: a variable the handler does not read, a variable the handler reads that is not set, a test-only
 * override or a Lambda runtime variable set by the stack.
 */
export function environmentProblems(contract: HandlerEnvContract, set: Readonly<Record<string, unknown>>, where: string): string[] {
  const problems: string[] = [];
  const reads = new Set(contractNames(contract));
  const library = contract.library ?? {};
  const unread = contract.unread ?? {};
  for (const name of Object.keys(set)) {
    if (RUNTIME.has(name)) problems.push(`${where}: sets ${name}, a variable the Lambda runtime defines`);
    else if ((contract.testOnly ?? []).includes(name)) problems.push(`${where}: sets ${name}, a test-only override of ${contract.zip}`);
    else if (!reads.has(name) && !(name in library) && !(name in unread)) {
      problems.push(`${where}: sets ${name}, which ${contract.zip} does not read (not in its contract)`);
    }
  }
  for (const name of requiredNames(contract)) {
    if (!(name in set)) problems.push(`${where}: does not set ${name}, which ${contract.zip} reads`);
  }
  return problems;
}

/** Functions reading one variable by name, the name as their second argument (handlers/shared/env.ts). */
const READERS = 'requireEnv|numberEnv|intEnv|choiceEnv|boolEnv';
const LITERAL_READS: readonly RegExp[] = [
  /\bprocess\.env\.([A-Za-z_][A-Za-z0-9_]*)/g,
  /\bprocess\.env\[\s*['"`]([^'"`]+)['"`]\s*\]/g,
  /\benv\.([A-Z_][A-Z0-9_]*)\b/g,
  /\benv\[\s*['"`]([^'"`]+)['"`]\s*\]/g,
  new RegExp(`\\b(?:${READERS})\\(\\s*[\\w.]+\\s*,\\s*['"\`]([^'"\`]+)['"\`]`, 'g'),
];

/** Variable names a source file reads by a literal (`process.env.X`, `env['X']`, `requireEnv(env, 'X')`, ...). */
export function literalEnvReads(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const names = new Set<string>();
  for (const re of LITERAL_READS) for (const m of code.matchAll(re)) names.add(m[1]);
  return [...names].sort();
}

/**
 * What is wrong in a handler's sources (every local file its entry bundles, contracts/ excluded) with respect to
 * its contract: a variable read by a literal name (outside the contract, or around it) other than the Lambda
 * runtime's own, and a contract entry no source refers to (`.key` or `[key]` of the contract's env).
 */
export function sourceProblems(contract: HandlerEnvContract, files: readonly { path: string; text: string }[]): string[] {
  const problems: string[] = [];
  const names = new Set(contractNames(contract));
  for (const f of files) {
    for (const name of literalEnvReads(f.text)) {
      if (RUNTIME.has(name)) continue;
      problems.push(
        names.has(name)
          ? `${f.path}: reads ${name} by a literal name (use the contract's constant)`
          : `${f.path}: reads ${name}, which is not in the contract of ${contract.zip}`,
      );
    }
  }
  for (const [key, name] of Object.entries(contract.env)) {
    const used = new RegExp(`\\.${key}\\b`);
    if (!files.some((f) => used.test(f.text))) problems.push(`${contract.zip}: no source reads ${name} (contract key "${key}")`);
  }
  return problems;
}
