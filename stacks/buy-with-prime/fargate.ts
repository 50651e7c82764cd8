/**
 * The `fargate` deploy target of the Buy with Prime install app (parity with the original sample, fixed):
 *
 *   internet -> ALB (HTTPS 443 with the configured ACM certificate, TLS 1.2+; HTTP 80 redirects to HTTPS)
 *            -> target group (health check GET /health) -> ECS Fargate service (ARM64, circuit breaker with
 *               rollback, CPU target-tracking autoscaling) in private subnets of two AZs
 *   tasks -> NAT gateway(s) -> Buy with Prime token endpoint, KMS, Secrets Manager, ECR, CloudWatch Logs
 *   tasks -> DynamoDB through a gateway endpoint (free; keeps token-store traffic off the NAT)
 *
 * `natGateways: 0` runs the tasks in the public subnets with public IPs instead (no NAT charge; the task
 * security group still admits only the ALB). VPC flow logs record rejected traffic.
 */
import { Construct } from 'constructs';
import { AppautoscalingPolicy } from '@cdktf/provider-aws/lib/appautoscaling-policy';
import { AppautoscalingTarget } from '@cdktf/provider-aws/lib/appautoscaling-target';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { EcsCluster } from '@cdktf/provider-aws/lib/ecs-cluster';
import { EcsService } from '@cdktf/provider-aws/lib/ecs-service';
import { EcsTaskDefinition } from '@cdktf/provider-aws/lib/ecs-task-definition';
import { Eip } from '@cdktf/provider-aws/lib/eip';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway';
import { Lb } from '@cdktf/provider-aws/lib/lb';
import { LbListener } from '@cdktf/provider-aws/lib/lb-listener';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway';
import { Route } from '@cdktf/provider-aws/lib/route';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Wafv2WebAcl } from '@cdktf/provider-aws/lib/wafv2-web-acl';
import { Wafv2WebAclAssociation } from '@cdktf/provider-aws/lib/wafv2-web-acl-association';
import { Wafv2WebAclLoggingConfiguration } from '@cdktf/provider-aws/lib/wafv2-web-acl-logging-configuration';
import type { BuyWithPrimeConfig } from '../../config/buy-with-prime.js';
import { BWP_OAUTH_SERVER, BWP_ROUTE_TABLE } from '../../contracts/buy-with-prime.js';
import type { Alerts } from '../../modules/alarms.js';
import { inlinePolicy, ownArn, policyJson, serviceRole, type PolicyStatement } from '../../modules/iam.js';
import type { Naming } from '../../modules/naming.js';
import { suppress } from '../../policy/suppress.js';

/** Port the container listens on (handlers/buy-with-prime/oauth/server.ts, BWP_OAUTH_SERVER.env.port). */
export const BWP_CONTAINER_PORT = 8080;
export const BWP_CONTAINER_NAME = 'app';
export const BWP_REPOSITORY_LOGICAL_ID = 'bwp_oauth_repository';
/** TLS policy of the HTTPS listener: TLS 1.3 and 1.2 with forward secrecy only. */
export const BWP_TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

/** The `index`-th of `count` equal subnets of `cidr` (count a power of two). */
export function splitCidr(cidr: string, count: number, index: number): string {
  const [ip, bits] = cidr.split('/');
  const base = ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const extra = Math.log2(count);
  if (!Number.isInteger(extra)) throw new Error(`cannot split ${cidr} into ${count} subnets`);
  const prefix = Number(bits) + extra;
  const start = base + index * 2 ** (32 - prefix);
  const octets = [24, 16, 8, 0].map((s) => Math.floor(start / 2 ** s) % 256);
  return `${octets.join('.')}/${prefix}`;
}

export interface BwpFargateProps {
  readonly naming: Naming;
  readonly alerts: Alerts;
  readonly region: string;
  readonly config: BuyWithPrimeConfig;
  readonly logRetentionDays: number;
  readonly environment: Record<string, string>;
  /** The task role's permissions (token table, KMS key, client secret). */
  readonly taskStatements: readonly PolicyStatement[];
  readonly tokensTableArn: string;
}

export class BwpFargateService extends Construct {
  readonly vpc: Vpc;
  readonly publicSubnets: Subnet[] = [];
  readonly privateSubnets: Subnet[] = [];
  readonly natGateways: NatGateway[] = [];
  readonly alb: Lb;
  readonly targetGroup: LbTargetGroup;
  readonly httpsListener: LbListener;
  readonly repository: EcrRepository;
  readonly cluster: EcsCluster;
  readonly taskDefinition: EcsTaskDefinition;
  readonly service: EcsService;
  readonly taskRole: IamRole;
  readonly executionRole: IamRole;
  readonly logGroup: CloudwatchLogGroup;

  constructor(scope: Construct, id: string, props: BwpFargateProps) {
    super(scope, id);
    const { naming, alerts, region, config } = props;
    const f = config.fargate;
    const vpcName = naming.name('ecs', 'bwp-vpc');

    // ---- network ------------------------------------------------------------------------------------------------
    this.vpc = new Vpc(this, 'vpc', { cidrBlock: f.vpcCidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { Name: vpcName } });
    // The default security group admits nothing: every resource here uses its own group.
    new DefaultSecurityGroup(this, 'default-sg', { vpcId: this.vpc.id, tags: { Name: `${vpcName}-default-closed` } });
    const igw = new InternetGateway(this, 'igw', { vpcId: this.vpc.id, tags: { Name: vpcName } });
    const publicRoutes = new RouteTable(this, 'public-routes', { vpcId: this.vpc.id, tags: { Name: `${vpcName}-public` } });
    new Route(this, 'public-default', { routeTableId: publicRoutes.id, destinationCidrBlock: '0.0.0.0/0', gatewayId: igw.id });
    const routeTables: RouteTable[] = [publicRoutes];
    f.availabilityZones.forEach((az, i) => {
      const subnet = new Subnet(this, `public-${i}`, {
        vpcId: this.vpc.id,
        availabilityZone: az,
        cidrBlock: splitCidr(f.vpcCidr, 4, i),
        // Only the ALB (and, with natGateways 0, the tasks, which get their IPs from the service) live here.
        mapPublicIpOnLaunch: false,
        tags: { Name: `${vpcName}-public-${az}`, tier: 'public' },
      });
      new RouteTableAssociation(this, `public-${i}-routes`, { subnetId: subnet.id, routeTableId: publicRoutes.id });
      this.publicSubnets.push(subnet);
    });
    if (f.natGateways > 0) {
      for (let i = 0; i < f.natGateways; i++) {
        const eip = new Eip(this, `nat-eip-${i}`, { domain: 'vpc', tags: { Name: `${vpcName}-nat-${i}` } });
        this.natGateways.push(
          new NatGateway(this, `nat-${i}`, { allocationId: eip.id, subnetId: this.publicSubnets[i].id, tags: { Name: `${vpcName}-nat-${i}` }, dependsOn: [igw] }),
        );
      }
      f.availabilityZones.forEach((az, i) => {
        const subnet = new Subnet(this, `private-${i}`, {
          vpcId: this.vpc.id,
          availabilityZone: az,
          cidrBlock: splitCidr(f.vpcCidr, 4, 2 + i),
          tags: { Name: `${vpcName}-private-${az}`, tier: 'private' },
        });
        const routes = new RouteTable(this, `private-${i}-routes`, { vpcId: this.vpc.id, tags: { Name: `${vpcName}-private-${az}` } });
        new Route(this, `private-${i}-default`, {
          routeTableId: routes.id,
          destinationCidrBlock: '0.0.0.0/0',
          natGatewayId: this.natGateways[Math.min(i, this.natGateways.length - 1)].id,
        });
        new RouteTableAssociation(this, `private-${i}-assoc`, { subnetId: subnet.id, routeTableId: routes.id });
        this.privateSubnets.push(subnet);
        routeTables.push(routes);
      });
    }
    new VpcEndpoint(this, 'dynamodb-endpoint', {
      vpcId: this.vpc.id,
      serviceName: `com.amazonaws.${region}.dynamodb`,
      vpcEndpointType: 'Gateway',
      routeTableIds: routeTables.map((r) => r.id),
      policy: policyJson([
        {
          Sid: 'TokenStoreOnly',
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
          Resource: props.tokensTableArn,
        },
      ]),
      tags: { Name: `${vpcName}-dynamodb` },
    });
    const flowLogs = new CloudwatchLogGroup(this, 'flow-logs', { name: `/vpc/${vpcName}/flow-logs`, retentionInDays: props.logRetentionDays });
    // Flow logs of this account and region only (the flow log's id is known only after it exists, and it needs this role).
    const flowRole = serviceRole(this, 'flow-logs-role', {
      name: naming.name('iamRole', 'bwp-vpc-flow-logs'),
      service: 'vpc-flow-logs.amazonaws.com',
      sourceArn: ownArn(this, 'ec2', region, 'vpc-flow-log/*'),
    });
    inlinePolicy(this, 'flow-logs-policy', flowRole, 'write-flow-logs', [
      { Sid: 'WriteFlowLogs', Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'], Resource: `${flowLogs.arn}:*` },
    ]);
    new FlowLog(this, 'flow-log', { vpcId: this.vpc.id, trafficType: 'REJECT', logDestination: flowLogs.arn, iamRoleArn: flowRole.arn, maxAggregationInterval: 600 });

    // ---- security groups ----------------------------------------------------------------------------------------
    const albSg = new SecurityGroup(this, 'alb-sg', {
      name: naming.name('securityGroup', 'bwp-alb'),
      description: 'Buy with Prime install app load balancer: HTTPS (and HTTP redirect) from the internet',
      vpcId: this.vpc.id,
    });
    const taskSg = new SecurityGroup(this, 'task-sg', {
      name: naming.name('securityGroup', 'bwp-tasks'),
      description: 'Buy with Prime install app tasks: traffic from the load balancer only',
      vpcId: this.vpc.id,
    });
    for (const [port, label] of [[443, 'https'], [80, 'http-redirect']] as const) {
      new VpcSecurityGroupIngressRule(this, `alb-in-${label}`, {
        securityGroupId: albSg.id,
        cidrIpv4: '0.0.0.0/0',
        ipProtocol: 'tcp',
        fromPort: port,
        toPort: port,
        description: label === 'https' ? 'Merchants and Buy with Prime' : 'Redirected to HTTPS',
      });
    }
    new VpcSecurityGroupEgressRule(this, 'alb-out-tasks', {
      securityGroupId: albSg.id,
      referencedSecurityGroupId: taskSg.id,
      ipProtocol: 'tcp',
      fromPort: BWP_CONTAINER_PORT,
      toPort: BWP_CONTAINER_PORT,
      description: 'To the tasks',
    });
    new VpcSecurityGroupIngressRule(this, 'task-in-alb', {
      securityGroupId: taskSg.id,
      referencedSecurityGroupId: albSg.id,
      ipProtocol: 'tcp',
      fromPort: BWP_CONTAINER_PORT,
      toPort: BWP_CONTAINER_PORT,
      description: 'From the load balancer',
    });
    new VpcSecurityGroupEgressRule(this, 'task-out-https', {
      securityGroupId: taskSg.id,
      cidrIpv4: '0.0.0.0/0',
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      description: 'HTTPS to Buy with Prime and AWS APIs',
    });

    // ---- load balancer --------------------------------------------------------------------------------------
    this.alb = new Lb(this, 'alb', {
      name: naming.name('alb', 'bwp'),
      internal: false,
      loadBalancerType: 'application',
      securityGroups: [albSg.id],
      subnets: this.publicSubnets.map((s) => s.id),
      dropInvalidHeaderFields: true,
      enableDeletionProtection: f.deletionProtection,
      idleTimeout: 60,
    });
    this.targetGroup = new LbTargetGroup(this, 'targets', {
      name: naming.name('targetGroup', 'bwp'),
      port: BWP_CONTAINER_PORT,
      protocol: 'HTTP',
      targetType: 'ip',
      vpcId: this.vpc.id,
      deregistrationDelay: '30',
      healthCheck: {
        enabled: true,
        path: '/health',
        protocol: 'HTTP',
        matcher: '200',
        interval: 15,
        timeout: 5,
        healthyThreshold: 2,
        unhealthyThreshold: 3,
      },
    });
    this.httpsListener = new LbListener(this, 'https', {
      loadBalancerArn: this.alb.arn,
      port: 443,
      protocol: 'HTTPS',
      sslPolicy: BWP_TLS_POLICY,
      certificateArn: config.certificateArn!,
      defaultAction: [{ type: 'forward', targetGroupArn: this.targetGroup.arn }],
    });
    // /launch writes a state item per request: a per-client-IP rate limit in front of it (WAF rate-based rule).
    const waf = new Wafv2WebAcl(this, 'waf', {
      name: naming.name('alb', 'bwp-waf'),
      description: 'Buy with Prime install app: rate limit on /launch',
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: { cloudwatchMetricsEnabled: true, metricName: 'bwp-waf', sampledRequestsEnabled: false },
      rule: [
        {
          // AWS's free managed group against known bad inputs (Log4j JNDI lookups among them).
          name: 'aws-known-bad-inputs',
          priority: 0,
          overrideAction: { none: {} },
          statement: { managed_rule_group_statement: { name: 'AWSManagedRulesKnownBadInputsRuleSet', vendor_name: 'AWS' } },
          visibilityConfig: { cloudwatchMetricsEnabled: true, metricName: 'bwp-known-bad-inputs', sampledRequestsEnabled: false },
        },
        {
          name: 'launch-rate-limit',
          priority: 1,
          action: { block: {} },
          // The provider types `statement` loosely (it nests): written in Terraform's own snake_case.
          statement: {
            rate_based_statement: {
              limit: f.launchRateLimitPer5Min,
              aggregate_key_type: 'IP',
              scope_down_statement: {
                byte_match_statement: {
                  search_string: BWP_ROUTE_TABLE.launch.path,
                  positional_constraint: 'STARTS_WITH',
                  field_to_match: { uri_path: {} },
                  text_transformation: [{ priority: 0, type: 'LOWERCASE' }],
                },
              },
            },
          },
          visibilityConfig: { cloudwatchMetricsEnabled: true, metricName: 'bwp-launch-rate-limit', sampledRequestsEnabled: false },
        },
      ],
    });
    new Wafv2WebAclAssociation(this, 'waf-alb', { resourceArn: this.alb.arn, webAclArn: waf.arn });
    // Blocked requests only, with the query string (it carries the authorization code), cookies and the
    // verification token redacted. WAF requires the "aws-waf-logs-" name prefix.
    const wafLogs = new CloudwatchLogGroup(this, 'waf-logs', { name: `aws-waf-logs-${naming.name('ecs', 'bwp')}`, retentionInDays: props.logRetentionDays });
    new Wafv2WebAclLoggingConfiguration(this, 'waf-logging', {
      resourceArn: waf.arn,
      logDestinationConfigs: [wafLogs.arn],
      redactedFields: [{ queryString: {} }, { singleHeader: { name: 'verification-token' } }, { singleHeader: { name: 'cookie' } }],
      loggingFilter: {
        defaultBehavior: 'DROP',
        filter: [{ behavior: 'KEEP', requirement: 'MEETS_ANY', condition: [{ actionCondition: { action: 'BLOCK' } }] }],
      },
    });
    new LbListener(this, 'http-redirect', {
      loadBalancerArn: this.alb.arn,
      port: 80,
      protocol: 'HTTP',
      defaultAction: [{ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } }],
    });

    // ---- image, cluster, task, service -------------------------------------------------------------------------
    this.repository = new EcrRepository(this, 'repository', {
      name: naming.name('ecr', 'bwp-oauth'),
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [{ encryptionType: 'AES256' }],
    });
    // A stable address for a first `terraform apply -target=aws_ecr_repository.bwp_oauth_repository` (push the
    // image before the service's first deployment; docs/buy-with-prime.md).
    this.repository.overrideLogicalId(BWP_REPOSITORY_LOGICAL_ID);
    new EcrLifecyclePolicy(this, 'repository-lifecycle', {
      repository: this.repository.name,
      policy: JSON.stringify({
        rules: [
          { rulePriority: 1, description: 'Drop untagged layers after 7 days', selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }, action: { type: 'expire' } },
          { rulePriority: 2, description: 'Keep the 30 newest images', selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 30 }, action: { type: 'expire' } },
        ],
      }),
    });
    this.cluster = new EcsCluster(this, 'cluster', {
      name: naming.name('ecs', 'bwp'),
      setting: [{ name: 'containerInsights', value: 'enabled' }],
    });
    this.logGroup = new CloudwatchLogGroup(this, 'logs', { name: `/ecs/${naming.name('ecs', 'bwp-oauth')}`, retentionInDays: props.logRetentionDays });

    // ECS of this account and region only (ECS's guidance: ArnLike aws:SourceArn arn:aws:ecs:<region>:<account>:*).
    const ecsSource = ownArn(this, 'ecs', region, '*');
    this.executionRole = serviceRole(this, 'execution-role', {
      name: naming.name('iamRole', 'bwp-oauth-execution'),
      service: 'ecs-tasks.amazonaws.com',
      sourceArn: ecsSource,
      // The execution role is assumed by the container agent; ECS documents the keys for the task role only.
      ifExists: true,
    });
    inlinePolicy(this, 'execution-policy', this.executionRole, 'pull-image-write-logs', [
      { Sid: 'PullImage', Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'], Resource: this.repository.arn },
      { Sid: 'WriteLogs', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${this.logGroup.arn}:*` },
    ]);
    const registryAuth = inlinePolicy(this, 'execution-registry-auth', this.executionRole, 'ecr-registry-auth', [
      { Sid: 'RegistryAuth', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
    ]);
    suppress(registryAuth, 'iam-no-wildcard', 'ecr:GetAuthorizationToken supports no resource-level permissions: AWS requires Resource "*" for it (the image pull itself is scoped to the repository).');
    this.taskRole = serviceRole(this, 'task-role', { name: naming.name('iamRole', 'bwp-oauth-task'), service: 'ecs-tasks.amazonaws.com', sourceArn: ecsSource });
    inlinePolicy(this, 'task-policy', this.taskRole, 'least-privilege', props.taskStatements);

    const environment = Object.entries({ ...props.environment, [BWP_OAUTH_SERVER.env.port]: String(BWP_CONTAINER_PORT), NODE_ENV: 'production' })
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => ({ name, value }));
    this.taskDefinition = new EcsTaskDefinition(this, 'task', {
      family: naming.name('ecs', 'bwp-oauth'),
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: String(f.cpu),
      memory: String(f.memoryMb),
      runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'ARM64' },
      executionRoleArn: this.executionRole.arn,
      taskRoleArn: this.taskRole.arn,
      containerDefinitions: JSON.stringify([
        {
          name: BWP_CONTAINER_NAME,
          // Pinned by digest when configured (exactly the image that was tested), else the immutable tag.
          image: f.imageDigest ? `${this.repository.repositoryUrl}@${f.imageDigest}` : `${this.repository.repositoryUrl}:${f.imageTag}`,
          essential: true,
          portMappings: [{ containerPort: BWP_CONTAINER_PORT, protocol: 'tcp' }],
          environment,
          readonlyRootFilesystem: true,
          user: '1000:1000',
          linuxParameters: { initProcessEnabled: true },
          stopTimeout: 30,
          healthCheck: {
            command: ['CMD', 'node', '-e', `fetch('http://127.0.0.1:${BWP_CONTAINER_PORT}/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
            interval: 15,
            timeout: 5,
            retries: 3,
            startPeriod: 15,
          },
          logConfiguration: {
            logDriver: 'awslogs',
            options: { 'awslogs-group': this.logGroup.name, 'awslogs-region': region, 'awslogs-stream-prefix': 'app', mode: 'non-blocking', 'max-buffer-size': '4m' },
          },
        },
      ]),
    });
    const inPrivate = f.natGateways > 0;
    this.service = new EcsService(this, 'service', {
      name: naming.name('ecs', 'bwp-oauth'),
      cluster: this.cluster.id,
      taskDefinition: this.taskDefinition.arn,
      desiredCount: f.desiredCount,
      launchType: 'FARGATE',
      platformVersion: 'LATEST',
      deploymentCircuitBreaker: { enable: true, rollback: true },
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      healthCheckGracePeriodSeconds: 30,
      networkConfiguration: {
        subnets: (inPrivate ? this.privateSubnets : this.publicSubnets).map((s) => s.id),
        securityGroups: [taskSg.id],
        assignPublicIp: !inPrivate,
      },
      loadBalancer: [{ targetGroupArn: this.targetGroup.arn, containerName: BWP_CONTAINER_NAME, containerPort: BWP_CONTAINER_PORT }],
      propagateTags: 'SERVICE',
      enableEcsManagedTags: true,
      dependsOn: [this.httpsListener],
      // Autoscaling owns the running count after the first deployment.
      lifecycle: { ignoreChanges: ['desired_count'] },
    });

    const scaling = new AppautoscalingTarget(this, 'scaling-target', {
      serviceNamespace: 'ecs',
      scalableDimension: 'ecs:service:DesiredCount',
      resourceId: `service/${this.cluster.name}/${this.service.name}`,
      minCapacity: f.minCapacity,
      maxCapacity: f.maxCapacity,
    });
    new AppautoscalingPolicy(this, 'scaling-cpu', {
      name: naming.name('ecs', 'bwp-oauth-cpu'),
      policyType: 'TargetTrackingScaling',
      serviceNamespace: scaling.serviceNamespace,
      scalableDimension: scaling.scalableDimension,
      resourceId: scaling.resourceId,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: f.cpuTargetPercent,
        predefinedMetricSpecification: { predefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        scaleInCooldown: 120,
        scaleOutCooldown: 60,
      },
    });

    // ---- alarms ---------------------------------------------------------------------------------------------
    const lbDims = { LoadBalancer: this.alb.arnSuffix, TargetGroup: this.targetGroup.arnSuffix };
    alerts.alarm('bwp-alb-unhealthy-targets', {
      alarmDescription: 'Install app tasks fail the /health check: read the ECS service events and the task log group.',
      namespace: 'AWS/ApplicationELB',
      metricName: 'UnHealthyHostCount',
      dimensions: lbDims,
      statistic: 'Maximum',
      period: 60,
      evaluationPeriods: 3,
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
    });
    alerts.alarm('bwp-alb-no-healthy-targets', {
      alarmDescription: 'No healthy install app task behind the load balancer: installs fail.',
      namespace: 'AWS/ApplicationELB',
      metricName: 'HealthyHostCount',
      dimensions: lbDims,
      statistic: 'Minimum',
      period: 60,
      evaluationPeriods: 2,
      threshold: 1,
      comparisonOperator: 'LessThanThreshold',
      treatMissingData: 'breaching',
    });
    alerts.alarm('bwp-alb-target-5xx', {
      alarmDescription: 'The install app answered 5xx: search the task log group for the correlation id.',
      namespace: 'AWS/ApplicationELB',
      metricName: 'HTTPCode_Target_5XX_Count',
      dimensions: lbDims,
      statistic: 'Sum',
      period: 300,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
    });
  }
}
