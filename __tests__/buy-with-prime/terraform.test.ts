/**
 * Offline Terraform tier for the deploy target the full example config does not use: the fargate stack,
 * synthesized through configWith, goes through `terraform init/validate/plan` (scripts/tf-check.ts, dummy
 * credentials, no AWS calls). The lambda target is planned by `make test` through config/examples/full.json.
 * Skipped (with the reason printed) only where no terraform binary is installed.
 */
import '../../lib/fast-synth.js';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { configWith } from '../../config/index.js';
import { fromRoot } from '../../lib/paths.js';
import { synthConfig } from '../helpers/synth.js';

const hasTerraform = spawnSync('terraform', ['version'], { encoding: 'utf8' }).status === 0;
if (!hasTerraform) console.warn('bwp-terraform.test.ts: terraform is not installed; the offline plan of the fargate target is skipped');

describe('buy-with-prime fargate target, offline terraform plan', () => {
  it.skipIf(!hasTerraform)('validates and plans', { timeout: 180_000 }, () => {
    const config = configWith({
      ams: { enabled: false },
      buyWithPrime: {
        enabled: true,
        deployTarget: 'fargate',
        clientId: 'client-1',
        clientSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bwp/client-AbCdEf',
        verificationPublicKey: '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE9NrnQefbdiD4Tk65eY2r/fXtf4VV\nPIBdR7qP73NhRBdNhUNfERayW67OP+ufvhpgdWUcbxXQkos8KkwL8yRMzQ==\n-----END PUBLIC KEY-----\n',
        partnerEventSource: 'aws.partner/buywithprime/partner-1-events',
        publicBaseUrl: 'https://bwp.example.com',
        certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
        fargate: { natGateways: 2 },
      },
    });
    const { outdir, cleanup } = synthConfig(config);
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/tf-check.ts', '--outdir', outdir, '--jobs', '1', 'buy-with-prime-us-east-1'], {
        cwd: fromRoot(),
        encoding: 'utf8',
      });
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toContain('terraform: 1 passed, 0 failed');
    } finally {
      cleanup();
    }
  });
});
