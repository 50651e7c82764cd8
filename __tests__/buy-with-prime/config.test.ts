import { importSPKI } from 'jose';
import { describe, expect, it } from 'vitest';
import { parseBuyWithPrimeConfig } from '../../config/buy-with-prime.js';
import { configWith, loadConfig } from '../../config/index.js';

const PEM = '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE9NrnQefbdiD4Tk65eY2r/fXtf4VV\nPIBdR7qP73NhRBdNhUNfERayW67OP+ufvhpgdWUcbxXQkos8KkwL8yRMzQ==\n-----END PUBLIC KEY-----\n';
const BASE = {
  enabled: true,
  clientId: 'client-1',
  clientSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bwp-client-AbCdEf',
  verificationPublicKey: PEM,
  partnerEventSource: 'aws.partner/buywithprime/p1-events',
};

describe('buyWithPrime config', () => {
  it('is disabled by default, so the default config stays AMS-only', () => {
    const cfg = loadConfig();
    expect(cfg.buyWithPrime.enabled).toBe(false);
    expect(cfg.buyWithPrime.deployTarget).toBe('lambda');
  });

  it('fills documented defaults', () => {
    const c = parseBuyWithPrimeConfig(BASE);
    expect(c).toMatchObject({
      regions: ['us-east-1'],
      deployTarget: 'lambda',
      authorizeUrl: 'https://console.buywithprime.amazon.com/marketplace/authorize',
      tokenUrl: 'https://api.buywithprime.amazon.com/token',
      issuer: 'https://api.buywithprime.amazon.com',
      apiUrl: 'https://api.buywithprime.amazon.com/graphql',
      // Documented names (documents.buywithprime.amazon.com/bwp-api/docs/event-types).
      eventTypes: ['ORDER_CONFIRMED', 'REFUND_REQUESTED', 'REFUND_COMPLETED', 'RETURN_STARTED', 'RETURN_COMPLETED', 'PACKAGE_DELIVERED', 'PACKAGE_DELIVERY_CANCELLED', 'PERSONAL_DATA_DELETION_TASK_COMPLETED'],
      eventRetentionDays: 90,
      apiVersion: '2024-11-01',
      verificationMaxAgeSeconds: 300,
      processorMaxConcurrency: 5,
      tokensTableDeletionProtection: true,
      kmsKeyAdminArns: [],
      launchTtlSeconds: 600,
      refreshAheadSeconds: 120,
      batchSize: 10,
      maxReceiveCount: 5,
    });
    expect(c.fargate).toMatchObject({ cpu: 256, memoryMb: 512, desiredCount: 2, minCapacity: 2, maxCapacity: 4, natGateways: 1, vpcCidr: '10.60.0.0/16' });
    expect(c.fargate.availabilityZones).toEqual(['us-east-1a', 'us-east-1b']);
    expect(parseBuyWithPrimeConfig({ ...BASE, regions: ['eu-west-1'] }).fargate.availabilityZones).toEqual(['eu-west-1a', 'eu-west-1b']);
  });

  it('the example key in config/examples/full.json is a P-256 public key', async () => {
    const full = loadConfig('config/examples/full.json');
    expect(full.buyWithPrime.enabled).toBe(true);
    await expect(importSPKI(full.buyWithPrime.verificationPublicKey, 'ES256')).resolves.toBeDefined();
  });

  it.each([
    [{ ...BASE, clientId: undefined }, 'buyWithPrime.clientId', 'is required'],
    [{ ...BASE, clientSecretArn: 'my-secret' }, 'buyWithPrime.clientSecretArn', 'Secrets Manager secret ARN'],
    [{ ...BASE, verificationPublicKey: 'abc' }, 'buyWithPrime.verificationPublicKey', 'PEM'],
    [{ ...BASE, partnerEventSource: 'aws.partner/x' }, 'buyWithPrime.partnerEventSource', 'partner event source'],
    [{ ...BASE, deployTarget: 'ec2' }, 'buyWithPrime.deployTarget', 'allowed values are: lambda, fargate'],
    [{ ...BASE, regions: ['us-east-1', 'eu-west-1'] }, 'buyWithPrime.regions', 'exactly one region'],
    [{ ...BASE, deployTarget: 'fargate' }, 'buyWithPrime.publicBaseUrl', 'required with deployTarget "fargate"'],
    [{ ...BASE, deployTarget: 'fargate', publicBaseUrl: 'https://bwp.example.com' }, 'buyWithPrime.certificateArn', 'required'],
    [{ ...BASE, publicBaseUrl: 'http://bwp.example.com' }, 'buyWithPrime.publicBaseUrl', 'https:// origin'],
    [{ ...BASE, publicBaseUrl: 'https://bwp.example.com/app' }, 'buyWithPrime.publicBaseUrl', 'without path'],
    [{ ...BASE, certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc', publicBaseUrl: 'https://a.example.com' }, 'buyWithPrime.certificateArn', 'deployment region us-east-1'],
    [{ ...BASE, eventTypes: ['REFUND_REQUESTED', 'REFUND_REQUESTED'] }, 'buyWithPrime.eventTypes[1]', 'listed twice'],
    [{ ...BASE, eventTypes: ['ORDER_PLACED'] }, 'buyWithPrime.eventTypes[0]', 'not a documented Buy with Prime event type'],
    [{ ...BASE, fargate: { imageDigest: 'latest' } }, 'buyWithPrime.fargate.imageDigest', 'sha256:<64 lower-case hex>'],
    [{ ...BASE, processorMaxConcurrency: 1 }, 'buyWithPrime.processorMaxConcurrency', 'between 2 and 1000'],
    [{ ...BASE, apiVersion: 'latest' }, 'buyWithPrime.apiVersion', 'API version date'],
    [{ ...BASE, verificationMaxAgeSeconds: 86400 }, 'buyWithPrime.verificationMaxAgeSeconds', 'between 30 and 3600'],
    [{ ...BASE, eventTypes: ['order placed'] }, 'buyWithPrime.eventTypes[0]', 'upper case'],
    [{ ...BASE, oauthTimeoutSeconds: 30 }, 'buyWithPrime.oauthTimeoutSeconds', 'between 3 and 29'],
    [{ ...BASE, batchSize: 50 }, 'buyWithPrime.batchSize', 'between 1 and 10'],
    [{ ...BASE, fargate: { cpu: 256, memoryMb: 4096 } }, 'buyWithPrime.fargate.memoryMb', 'allowed values are: 512, 1024, 2048'],
    [{ ...BASE, fargate: { availabilityZones: ['us-east-1a'] } }, 'buyWithPrime.fargate.availabilityZones', 'exactly two'],
    [{ ...BASE, fargate: { availabilityZones: ['us-east-1a', 'eu-west-1b'] } }, 'buyWithPrime.fargate.availabilityZones[1]', 'not an Availability Zone of us-east-1'],
    [{ ...BASE, fargate: { vpcCidr: '10.0.0.0/8' } }, 'buyWithPrime.fargate.vpcCidr', 'between /16 and /24'],
    [{ ...BASE, fargate: { vpcCidr: '10.0.0.1/16' } }, 'buyWithPrime.fargate.vpcCidr', 'host bits'],
    [{ ...BASE, fargate: { natGateways: 3 } }, 'buyWithPrime.fargate.natGateways', 'allowed values are: 0, 1, 2'],
    [{ ...BASE, fargate: { minCapacity: 3, maxCapacity: 2 } }, 'buyWithPrime.fargate.maxCapacity', 'at least minCapacity'],
    [{ ...BASE, nope: 1 }, 'buyWithPrime.nope', 'unknown key'],
  ])('rejects bad input with the key and the reason (%#)', (raw, key, reason) => {
    expect(() => parseBuyWithPrimeConfig(raw)).toThrow(`config key "${key}"`);
    expect(() => parseBuyWithPrimeConfig(raw)).toThrow(reason);
  });

  it('accepts a complete fargate section and a top-level override through configWith', () => {
    const cfg = configWith({
      buyWithPrime: {
        ...BASE,
        deployTarget: 'fargate',
        publicBaseUrl: 'https://bwp.example.com',
        certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
        fargate: { cpu: 512, memoryMb: 1024, natGateways: 2, availabilityZones: ['us-east-1b', 'us-east-1c'], imageTag: 'v1.2.3' },
      },
    });
    expect(cfg.buyWithPrime.fargate).toMatchObject({ cpu: 512, memoryMb: 1024, natGateways: 2, imageTag: 'v1.2.3' });
  });
});
