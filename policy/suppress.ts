import type { TerraformElement } from 'cdktf';

/**
 * Records, in the synthesized JSON of `resource` (under Terraform's comment key "//"), that policy rule
 * `ruleId` does not apply to it, with the written reason. Terraform ignores "//" keys; the policy checks read
 * them. A suppression without a reason of at least 20 characters is refused.
 */
export function suppress(resource: TerraformElement, ruleId: string, reason: string): void {
  if (reason.trim().length < 20) throw new Error(`suppression of ${ruleId} needs a written reason`);
  resource.addOverride(`//.tributary_suppressions.${ruleId}`, reason);
}
