import { Construct } from 'constructs';
import { LocalBackend, S3Backend, TerraformOutput, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import type { TributaryConfig } from '../config/index.js';
import { parkingOutputName, parkingValue, type ParkingKind } from '../contracts/operations.js';
import { localStatePath } from '../lib/state.js';
import { Alerts } from '../modules/alarms.js';
import { Naming } from '../modules/naming.js';

export interface TributaryStackProps {
  readonly config: TributaryConfig;
  /** The AWS region this stack is pinned to through its own provider. */
  readonly region: string;
  /** Pipeline label for tags, e.g. "ams". */
  readonly pipeline: string;
  /** Extra default tags for every resource of this stack. */
  readonly tags?: Record<string, string>;
}

/**
 * Base of every Tributary stack: one AWS provider pinned to the stack's region with default tags, the state
 * backend from config (local by default: state/<prefix>/<stack>.tfstate beside the output folder, as a path
 * relative to the stack folder; or S3 with a lockfile), the naming helper and the
 * stack's alerts topic.
 */
export class TributaryStack extends TerraformStack {
  readonly config: TributaryConfig;
  readonly region: string;
  readonly naming: Naming;
  readonly alerts: Alerts;

  constructor(scope: Construct, readonly stackName: string, props: TributaryStackProps) {
    super(scope, stackName);
    this.config = props.config;
    this.region = props.region;
    this.naming = new Naming(props.config.prefix, props.region);

    new AwsProvider(this, 'aws', {
      region: props.region,
      defaultTags: [
        {
          tags: {
            ...props.config.tags,
            'tributary:environment': props.config.environment,
            'tributary:pipeline': props.pipeline,
            'tributary:stack': stackName,
            ...props.tags,
          },
        },
      ],
    });

    const backend = props.config.backend;
    if (backend.type === 's3') {
      new S3Backend(this, {
        bucket: backend.bucket,
        key: `${backend.keyPrefix}/${props.config.prefix}/${stackName}.tfstate`,
        region: backend.region,
        encrypt: true,
      });
      if (backend.useLockfile) this.addOverride('terraform.backend.s3.use_lockfile', true);
    } else {
      // Outside the generated output (lib/state.ts): synth, make clean and cdktf never delete it.
      new LocalBackend(this, { path: localStatePath(props.config.prefix, stackName) });
    }

    // One topic per stack: SNS topic names are unique per account and region, and a shared name made every stack of a
    // region the same topic (CreateTopic refuses the second one's different tags; issue 15). The stack name without
    // its AWS region suffix (the naming prefix carries the region): "ams-sp-traffic-na", "clickstream", ...
    const alertsPurpose = `${stackName.endsWith(`-${props.region}`) ? stackName.slice(0, -props.region.length - 1) : stackName}-alerts`;
    this.alerts = new Alerts(this, 'alerts', { naming: this.naming, purpose: alertsPurpose, email: props.config.alarmEmail });
    this.output('alerts_topic_arn', this.alerts.topic.arn, 'SNS topic that receives every alarm of this stack');
  }

  output(name: string, value: string, description: string): TerraformOutput {
    return new TerraformOutput(this, name, { value, description });
  }

  /**
   * The `parking_<place>` output of one parking place (contracts/operations.ts): an object with its kind, the
   * kind's fields and the alarm watching it, read by the redrive CLI.
   */
  parkingOutput(
    spec: { readonly place: string; readonly kind: ParkingKind; readonly description: string },
    fields: Readonly<Record<string, string>>,
    alarm?: { readonly alarmName: string },
  ): TerraformOutput {
    return new TerraformOutput(this, parkingOutputName(spec.place), {
      value: parkingValue(spec, fields, alarm?.alarmName ?? ''),
      description: `Parking place (npm run redrive): ${spec.description}`,
    });
  }
}
