import { literal, referencedIds, resourcesOf, type Body } from './model.js';
import type { PolicyStack } from './types.js';

/**
 * The companion resources (public access block, encryption, bucket policy...) of `type` that apply to bucket
 * `bucketId`: their `bucket` attribute references it, or names it literally.
 */
export function bucketCompanions(stack: PolicyStack, type: string, bucketId: string): Body[] {
  const bucket = stack.json.resource?.aws_s3_bucket?.[bucketId];
  const name = bucket && typeof bucket.bucket === 'string' ? literal(stack, bucket.bucket) : undefined;
  return resourcesOf(stack, type)
    .filter(([, r]) => referencedIds(r.bucket, 'aws_s3_bucket').includes(bucketId) || (name !== undefined && r.bucket === name))
    .map(([, r]) => r);
}
