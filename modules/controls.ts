/**
 * The security controls of a stack (config key `controls`, config/controls.ts), registered by the stack (stacks/base.ts)
 * and read by the modules, so a module applies them without every caller passing them on. A stack that registers
 * none (a module test) gets MODULE_DEFAULTS: every control off, the modules as they are without a config.
 */
import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import type { ControlsConfig } from '../config/controls.js';

export const MODULE_DEFAULTS: ControlsConfig = {
  lambdaTracing: false,
  tableDeletionProtection: false,
  bucketVersioning: false,
  bucketAccessLogging: false,
  logGroupKms: false,
};

const registry = new WeakMap<TerraformStack, ControlsConfig>();

export function registerControls(stack: TerraformStack, controls: ControlsConfig): void {
  registry.set(stack, controls);
}

/** The controls of the stack `scope` is in. */
export function controlsOf(scope: Construct): ControlsConfig {
  return registry.get(TerraformStack.of(scope)) ?? MODULE_DEFAULTS;
}
