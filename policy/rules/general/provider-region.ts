import { ADVERTISING_REGIONS, AMS_DATASET_IDS, awsRegionOf, type AdvertisingRegion } from '../../../contracts/ams.js';
import { asArray, literal } from '../../model.js';
import type { PolicyStack, Rule, RuleFinding } from '../../types.js';

/**
 * The AWS region a stack must be pinned to: for an AMS stack ("ams-<dataset>-<na|eu|fe>") the AWS region of
 * its advertising region; for any other stack the region suffix of its name ("clickstream-us-east-1").
 */
export function expectedRegion(stackName: string): string | undefined {
  const ams = /^ams-(.+)-(na|eu|fe)$/.exec(stackName);
  if (ams && AMS_DATASET_IDS.includes(ams[1])) {
    const region = ams[2].toUpperCase() as AdvertisingRegion;
    if (ADVERTISING_REGIONS.includes(region)) return awsRegionOf(region);
  }
  return /-([a-z]{2}-[a-z]+-\d+)$/.exec(stackName)?.[1];
}

/** Each stack has exactly one AWS provider (no aliases), pinned to the stack's expected region. */
export const providerRegion: Rule = {
  id: 'provider-region',
  service: 'general',
  level: 'error',
  pack: 'core',
  checkov: [],
  cdkNag: [],
  appliesTo: [],
  explanation:
    'Each stack is planned and applied on its own in one region; a second provider or a wrong region would put resources where the pipeline does not expect them (AMS publishes only to destinations in its own region).',
  description:
    "Each stack has exactly one aws provider and its region is the stack's region (the advertising region's AWS " +
    'region for AMS stacks, the region suffix of the stack name otherwise).',
  subjects: () => ['provider.aws'],
  check(stack: PolicyStack) {
    const providers = asArray<Record<string, unknown>>(stack.json.provider?.aws);
    const expected = expectedRegion(stack.name);
    const finding = (message: string): RuleFinding => ({ type: 'provider', id: 'aws', message });
    if (providers.length !== 1) return [finding(`stack has ${providers.length} aws providers; exactly one is required`)];
    const [provider] = providers;
    const findings: RuleFinding[] = [];
    if (provider.alias !== undefined) findings.push(finding(`the aws provider has an alias (${String(provider.alias)})`));
    if (!expected) {
      findings.push(finding(`cannot tell the region of stack "${stack.name}": name it <pipeline>-<aws region> or ams-<dataset>-<na|eu|fe>`));
      return findings;
    }
    const region = literal(stack, provider.region);
    if (region !== expected) findings.push(finding(`provider region is ${String(provider.region)}; stack ${stack.name} must be in ${expected}`));
    return findings;
  },
};
