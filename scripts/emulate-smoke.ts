/**
 * Smoke data through resources applied in moto (scripts/emulated-apply.ts). Filled in below.
 */
export interface SmokeResult {
  readonly name: string;
  readonly ok: boolean;
  readonly details: string[];
}
export interface SmokeContext {
  readonly endpoint: string;
  /** `terraform show -json` of the applied state. */
  readonly state: unknown;
  readonly stack: string;
}
export type SmokeTest = (ctx: SmokeContext) => Promise<SmokeResult>;
export function smokeFor(_stack: string): SmokeTest | undefined {
  return undefined;
}
