/**
 * Adapters between the app's plain request/response values and the two ways it is served: API Gateway HTTP API
 * (payload format 2.0) events, and node:http request/response objects.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Log } from '../lib/log.js';
import type { App, AppRequest, AppResponse } from './core.js';

/** Largest request body accepted (the app's requests are tiny). */
export const MAX_BODY_BYTES = 64 * 1024;

export function fromApiGateway(event: APIGatewayProxyEventV2): AppRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
  // Payload 2.0 moves the Cookie header into `cookies`.
  if (event.cookies?.length) headers.cookie = event.cookies.join('; ');
  const body = event.body === undefined || event.body === null ? new Uint8Array() : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  return {
    method: event.requestContext.http.method,
    path: event.rawPath,
    rawQuery: event.rawQueryString ?? '',
    headers,
    body,
    requestId: event.requestContext.requestId,
  };
}

export function toApiGateway(res: AppResponse): APIGatewayProxyStructuredResultV2 {
  // Payload 2.0 returns Set-Cookie through `cookies`.
  const { 'set-cookie': setCookie, ...headers } = res.headers;
  return { statusCode: res.status, headers, body: res.body, isBase64Encoded: false, ...(setCookie ? { cookies: [setCookie] } : {}) };
}

/** A node:http request listener serving `app`. */
export function nodeListener(app: App, log: Log, maxBodyBytes = MAX_BODY_BYTES): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        tooLarge = true;
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', (err) => log.warn('request stream failed', { error: err }));
    req.on('end', () => {
      if (tooLarge) {
        res.writeHead(413, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end('Request body too large');
        return;
      }
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      const appReq: AppRequest = {
        method: req.method ?? 'GET',
        path: q < 0 ? url : url.slice(0, q),
        rawQuery: q < 0 ? '' : url.slice(q + 1),
        headers,
        body: Buffer.concat(chunks),
      };
      app(appReq).then(
        (out) => {
          res.writeHead(out.status, out.headers).end(out.body);
        },
        (err) => {
          log.error('unhandled app failure', { error: err });
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
          res.end('Internal error');
        },
      );
    });
  };
}
