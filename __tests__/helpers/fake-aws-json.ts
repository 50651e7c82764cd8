/**
 * A fake of AWS JSON-protocol services (Secrets Manager, KMS, EventBridge, ...) on 127.0.0.1 and a free port: each
 * request is dispatched by the operation named in its X-Amz-Target header, and every call is recorded. A handler
 * that throws answers 400 with the error's name as `__type` (build one with `awsJsonError`); an operation without a
 * handler answers UnknownOperationException. Point an SDK client's `endpoint` (or AWS_ENDPOINT_URL_<SERVICE>) at
 * `url`; the fake ignores signatures. Stop it in afterAll.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AwsJsonCall {
  /** The whole X-Amz-Target, e.g. "secretsmanager.GetSecretValue". */
  readonly target: string;
  /** The operation, e.g. "GetSecretValue". */
  readonly op: string;
  readonly body: Record<string, any>;
}

export type AwsJsonHandler = (body: Record<string, any>) => unknown;

export interface FakeAwsJson {
  readonly url: string;
  readonly calls: AwsJsonCall[];
  stop(): Promise<void>;
}

/** An error the fake answers as `{__type: type, message}` with HTTP 400. */
export function awsJsonError(type: string, message: string): Error {
  return Object.assign(new Error(message), { name: type });
}

/** Starts a fake answering the operations in `handlers` (keyed by operation name). */
export async function startFakeAwsJson(handlers: Record<string, AwsJsonHandler>): Promise<FakeAwsJson> {
  const calls: AwsJsonCall[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const op = target.split('.').pop() ?? '';
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, any>;
      calls.push({ target, op, body });
      const reply = (status: number, json: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(json));
      };
      const handler = handlers[op];
      if (!handler) {
        reply(400, { __type: 'UnknownOperationException', message: target });
        return;
      }
      try {
        reply(200, await handler(body));
      } catch (err) {
        reply(400, { __type: (err as Error).name, message: (err as Error).message });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}
