/** Help texts of the AMS subscription CLI (`ams --help`, `ams <command> --help`). */

const GLOBAL = `Global options:
  --json                     machine-readable JSON on stdout instead of tables
  --account NAME|REGION=NAME credentials.yml account (default "default"); per region: --account NA=us --account EU=uk
  --credentials FILE         credentials.yml to use instead of the python-ad-api search path (or AMS_CREDENTIALS_FILE)
  --ads-account-id ID        DSP advertiser account for adsp-* datasets (or ads_account_id / AD_API_ADS_ACCOUNT_ID)
  --endpoint URL             Ads API base URL for every region (or AMS_ADS_API_ENDPOINT)
  --token-endpoint URL       Login with Amazon token URL for every region (or AMS_TOKEN_ENDPOINT)
  --max-attempts N           attempts per request for 429/5xx/network failures (default 5)
  -h, --help                 this help`;

export const EXIT_CODES = `Exit codes: 0 ok, 1 API or network error, 2 usage/config/credentials error, 3 authentication or
authorization refused (token endpoint, HTTP 401/403), 4 status/subscribe found problems or could not create some.`;

export const MAIN_HELP = `ams: manage Amazon Marketing Stream subscriptions through the Amazon Ads API

Usage: npm run ams -- <command> [options]

Commands:
  create      create one subscription (SQS queue or Firehose destination)
  get         show one subscription
  list        list subscriptions (every page), filtered by status/dataset
  update      archive a subscription and/or change its notes
  archive     archive a subscription (it stops delivering; this cannot be undone)
  subscribe   create the missing subscription of every deployed AMS stack (--from-outputs)
  status      one table of every configured dataset x region with its subscription status and a hint

Run "npm run ams -- <command> --help" for a command's options and examples.

${GLOBAL}

${EXIT_CODES}
`;

export const COMMAND_HELP: Record<string, string> = {
  create: `Usage: ams create --dataset <id> --region NA|EU|FE
         (--queue-arn <arn> | --firehose <deliveryStreamArn> --subscriber-role <arn> --subscription-role <arn>)
         [--notes <text>] [--client-request-token <token>]

Creates a subscription: POST /streams/subscriptions, or /dsp/streams/subscriptions for adsp-* datasets (with
the Amazon-Ads-Account-ID header). Without --client-request-token a token is derived from the profile, region,
dataset and destination, so running the same command again returns the same subscription, not a duplicate.

Examples:
  npm run ams -- create --dataset sp-traffic --region NA \\
      --queue-arn arn:aws:sqs:us-east-1:123456789012:trib-use1-sp-traffic-ingress
  npm run ams -- create --dataset sp-conversion --region EU \\
      --firehose arn:aws:firehose:eu-west-1:123456789012:deliverystream/trib-euw1-sp-conversion \\
      --subscriber-role arn:aws:iam::123456789012:role/trib-euw1-sp-conversion-ams-subscriber \\
      --subscription-role arn:aws:iam::123456789012:role/trib-euw1-sp-conversion-ams-subscription
  npm run ams -- create --dataset adsp-traffic --region NA --ads-account-id ENTITY1ABC --queue-arn <arn> --json

${GLOBAL}`,
  get: `Usage: ams get <subscriptionId> [--region NA|EU|FE] [--dsp]

Shows one subscription (default region NA; --dsp for DSP subscriptions).

Examples:
  npm run ams -- get amzn1.fead.cs1.abc123 --region EU
  npm run ams -- get amzn1.fead.cs1.abc123 --json

${GLOBAL}`,
  list: `Usage: ams list [--region NA,EU,FE] [--status <status,...>] [--dataset <id,...>] [--dsp]

Lists subscriptions, following nextToken to the last page. Filters are applied to every page. Default region NA;
--dsp lists DSP subscriptions (implied when every --dataset is adsp-*). Statuses: PROVISIONING,
PENDING_CONFIRMATION, ACTIVE, ARCHIVED, FAILED_CONFIRMATION, FAILED_PROVISIONING, SUSPENDED.

Examples:
  npm run ams -- list
  npm run ams -- list --region NA,EU --status ACTIVE,PENDING_CONFIRMATION
  npm run ams -- list --dataset sp-traffic,sp-conversion --json | jq '.subscriptions[].subscriptionId'

${GLOBAL}`,
  update: `Usage: ams update <subscriptionId> [--status ARCHIVED] [--notes <text>] [--region NA|EU|FE] [--dsp]

Changes a subscription's notes and/or archives it (ARCHIVED is the only status the API accepts), then shows it.

Examples:
  npm run ams -- update amzn1.fead.cs1.abc123 --notes "prod NA traffic"
  npm run ams -- update amzn1.fead.cs1.abc123 --status ARCHIVED --region FE

${GLOBAL}`,
  archive: `Usage: ams archive <subscriptionId> [--region NA|EU|FE] [--dsp]

Archives a subscription: Amazon stops delivering to its destination. Archived subscriptions cannot be reactivated;
create a new one (subscribe does) to resume.

Example:
  npm run ams -- archive amzn1.fead.cs1.abc123 --region EU

${GLOBAL}`,
  subscribe: `Usage: ams subscribe --from-outputs [--stack <name,...>] [--outputs-dir <dir> | --outputs-file <file>...]
         [--cdktf-out <dir>] [--config <file>] [--notes <text>] [--dry-run]

Reads the deployed AMS stacks' Terraform outputs (dataset_id, advertising_region, delivery and
destination_queue_arn, or delivery_stream_arn + subscriber_role_arn + subscription_role_arn) and creates the
missing subscription of each stack. A stack whose destination already has an ACTIVE, PENDING_CONFIRMATION or
PROVISIONING subscription is left alone; one whose subscriptions are all ARCHIVED, SUSPENDED or FAILED_* gets a new
one. Prints what it did per stack. Stacks: --stack, or every dataset x region of the config (--config,
TRIBUTARY_CONFIG or config/default.json).

Outputs come from \`terraform output -json\` run in <cdktf-out>/stacks/<stack> (default cdktf.out; the stack must
be initialized, which make plan/apply/deploy do), or from files in that JSON shape: --outputs-dir holding
<stack>.json, or --outputs-file per stack; --outputs-file also takes the file \`cdktf deploy --outputs-file\` writes
(every AMS stack in it).

Examples:
  npm run ams -- subscribe --from-outputs
  npm run ams -- subscribe --from-outputs --stack ams-sp-traffic-na,ams-sp-traffic-eu --dry-run
  (cd cdktf.out/stacks/ams-sp-traffic-na && terraform output -json) > outputs/ams-sp-traffic-na.json
  npm run ams -- subscribe --from-outputs --outputs-dir outputs --json

${GLOBAL}`,
  status: `Usage: ams status [--config <file>] [--region NA,EU,FE] [--dataset <id,...>]

One table of every configured dataset x advertising region with its subscription (the delivering one when there
is one), its status and a hint for each problem state. Exit code 4 when a dataset has no subscription or only
ones in a problem state (ARCHIVED, FAILED_CONFIRMATION, FAILED_PROVISIONING, SUSPENDED).

Examples:
  npm run ams -- status
  TRIBUTARY_CONFIG=config/prod.json npm run ams -- status --account NA=us --account EU=uk --json

${GLOBAL}`,
};
