import { Construct } from 'constructs';
import { LocalBackend, S3Backend, TerraformOutput, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import type { TributaryConfig } from '../config/index.js';
import { parkingOutputName, parkingValue, type ParkingKind } from '../contracts/operations.js';
import { localStatePath } from '../lib/state.js';
import { Alerts, type MetricRef } from '../modules/alarms.js';
import type { LossAlarmSettings } from '../config/monitoring.js';
import { PipelineDashboard, type DashboardGraph } from '../modules/dashboard.js';
import { Naming } from '../modules/naming.js';
import { registerControls } from '../modules/controls.js';
import { encryptLogGroups } from '../modules/kms.js';

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
  /** Stack name without its AWS region suffix: purpose of the alerts topic and the dashboard names. */
  readonly shortName: string;

  constructor(scope: Construct, readonly stackName: string, props: TributaryStackProps) {
    super(scope, stackName);
    this.config = props.config;
    this.region = props.region;
    this.naming = new Naming(props.config.prefix, props.region);
    // Before any module: they read the stack's security controls (modules/controls.ts).
    registerControls(this, props.config.controls);

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
    this.shortName = stackName.endsWith(`-${props.region}`) ? stackName.slice(0, -props.region.length - 1) : stackName;
    this.alerts = new Alerts(this, 'alerts', { naming: this.naming, purpose: `${this.shortName}-alerts`, email: props.config.alarmEmail });
    this.output('alerts_topic_arn', this.alerts.topic.arn, 'SNS topic that receives every alarm of this stack');
    if (props.config.controls.logGroupKms) encryptLogGroups(this, this.naming, props.region);
  }

  /**
   * The stack's CloudWatch dashboard `<prefix>-<short region>-<stack without region>`: every alarm of the alerts
   * topic, then `graphs`. Call it last, after every alarm is created. Nothing when `enabled` is false
   * (`<pipeline>.monitoring.dashboard`).
   */
  addDashboard(graphs: readonly DashboardGraph[], enabled = true): PipelineDashboard | undefined {
    if (!enabled) return undefined;
    const dashboard = new PipelineDashboard(this, 'dashboard', {
      naming: this.naming, purpose: this.shortName, region: this.region, alerts: this.alerts, graphs,
    });
    this.output('dashboard_name', dashboard.dashboardName, 'CloudWatch dashboard of this stack (its alarms, traffic, failures and parked records)');
    return dashboard;
  }

  /**
   * The pipeline's accepted-versus-stored and volume-drop alarms from its `monitoring` settings (each skipped when
   * the settings turn it off): `<purpose>-not-stored` and `<purpose>-volume-drop`.
   */
  addLossAlarms(purpose: string, settings: LossAlarmSettings, m: {
    readonly accepted: MetricRef;
    readonly stored: readonly MetricRef[];
    readonly incoming: MetricRef;
    /** What counts as accepted and as stored, for the alarm descriptions. */
    readonly acceptedText: string;
    readonly storedText: string;
  }): void {
    if (settings.lossPercent > 0) {
      this.alerts.acceptedVsStored(`${purpose}-not-stored`, {
        description:
          `More than ${settings.lossPercent}% of ${m.acceptedText} were not ${m.storedText} in ${settings.lossEvaluationPeriods} ` +
          `periods of ${settings.lossPeriodSeconds} s in a row: records are being lost or parked (docs/operations.md).`,
        accepted: m.accepted,
        stored: m.stored,
        thresholdPercent: settings.lossPercent,
        periodSeconds: settings.lossPeriodSeconds,
        evaluationPeriods: settings.lossEvaluationPeriods,
      });
    }
    const v = settings.volumeDrop;
    if (v.mode === 'off') return;
    const common = {
      description:
        (v.mode === 'anomaly'
          ? `Incoming volume fell below its expected band (${v.bandWidth} standard deviations)`
          : `Fewer than ${v.floor} records came in per ${v.periodSeconds} s`) +
        ` for ${v.evaluationPeriods} periods in a row: a source may have stopped sending (docs/operations.md).`,
      metric: m.incoming,
      periodSeconds: v.periodSeconds,
      evaluationPeriods: v.evaluationPeriods,
      silenceIsDrop: v.silenceIsDrop,
    };
    this.alerts.volumeDrop(
      `${purpose}-volume-drop`,
      v.mode === 'anomaly' ? { ...common, mode: 'anomaly', bandWidth: v.bandWidth } : { ...common, mode: 'floor', floor: v.floor },
    );
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
