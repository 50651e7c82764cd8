/**
 * A small OpenAPI 3.0 request/response validator over ajv (+ ajv-formats), for checking HTTP traffic against a
 * published spec rather than against our own assumptions.
 *
 * For a request it finds the path template and method, then checks
 *   - path, query and header parameters (header names case-insensitive): required ones present, values valid
 *     against the parameter schema (query/path values are strings on the wire and coerced for number types);
 *   - the media type: Content-Type must be one of the requestBody's content types, and an Accept header (when sent)
 *     must admit one of the operation's response media types;
 *   - the body: JSON that validates against the requestBody schema ($ref resolved into components), present when
 *     the requestBody is required, absent when the operation takes none.
 * For a response it checks the body against the schema of the status's response, when the spec gives one.
 *
 * Undeclared headers and properties are allowed, as OpenAPI allows them (the spec's schemas do not forbid them).
 * Contract source for the Marketing Stream subscription API: __tests__/fixtures/ams/ams-subscriptions-openapi.json
 * (see the README there).
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { fromRoot } from '../../lib/paths.js';

// ajv-formats is CommonJS with a default export; under ESM interop the function may sit on .default.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

export const AMS_OPENAPI_FILE = fromRoot('__tests__', 'fixtures', 'ams', 'ams-subscriptions-openapi.json');

type Json = Record<string, unknown>;
type Headers = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface ContractRequest {
  readonly method: string;
  /** Path relative to the API root, without the query string, e.g. /dsp/streams/subscriptions/abc. */
  readonly path: string;
  readonly query?: URLSearchParams;
  readonly headers: Headers;
  /** Raw body text ("" or undefined when none). */
  readonly body?: string;
}

export interface ContractResult {
  readonly ok: boolean;
  /** The operation matched (operationId or "METHOD template"), when the path and method exist. */
  readonly operation?: string;
  /** Path template and method exist; false means the route itself is not in the spec. */
  readonly routeFound: boolean;
  readonly errors: readonly string[];
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Json;
}

interface Operation {
  operationId?: string;
  parameters?: (Parameter | { $ref: string })[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Json }> } | { $ref: string };
  responses?: Record<string, { content?: Record<string, { schema?: Json }> } | { $ref: string }>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const SPEC_ID = 'urn:openapi-contract:spec';

/** Media type without parameters, lower case: "Application/JSON; charset=utf-8" -> "application/json". */
export function mediaType(value: string): string {
  return value.split(';')[0].trim().toLowerCase();
}

function headerValue(headers: Headers, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() !== want || v === undefined) continue;
    return Array.isArray(v) ? v.join(', ') : String(v);
  }
  return undefined;
}

/** Does an Accept header admit `type`? (*\/*, type/*, exact; q=0 excludes.) */
function accepts(accept: string, type: string): boolean {
  const [major] = type.split('/');
  return accept.split(',').some((part) => {
    const [range, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (params.some((p) => /^q=0(?:\.0*)?$/.test(p))) return false;
    return range === '*/*' || range === type || range === `${major}/*`;
  });
}

export class OpenApiContract {
  private readonly ajv: Ajv;
  private readonly routes: { template: string; regex: RegExp; names: string[]; item: Record<string, unknown> }[];
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(readonly spec: Json) {
    if (typeof spec.openapi !== 'string' || !spec.openapi.startsWith('3.')) throw new Error('not an OpenAPI 3 document');
    this.ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(this.ajv);
    // Only the components go in: every "#/components/..." $ref of the spec resolves against this document.
    this.ajv.addSchema({ $id: SPEC_ID, components: spec.components ?? {} });
    this.routes = Object.entries((spec.paths ?? {}) as Record<string, Record<string, unknown>>).map(([template, item]) => {
      const names: string[] = [];
      const source = template
        .split(/(\{[^}]+\})/)
        .map((part) => {
          const m = /^\{([^}]+)\}$/.exec(part);
          if (!m) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
          names.push(m[1]);
          return '([^/]+)';
        })
        .join('');
      return { template, regex: new RegExp(`^${source}$`), names, item };
    });
  }

  static load(file = AMS_OPENAPI_FILE): OpenApiContract {
    return new OpenApiContract(JSON.parse(readFileSync(file, 'utf8')) as Json);
  }

  private deref<T>(value: T | { $ref: string }): T {
    let v: unknown = value;
    for (let i = 0; i < 20 && v && typeof v === 'object' && '$ref' in v; i++) {
      const ref = String((v as { $ref: string }).$ref);
      if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported: ${ref}`);
      v = ref
        .slice(2)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
        .reduce<unknown>((node, key) => (node as Json | undefined)?.[key], this.spec);
      if (v === undefined) throw new Error(`unresolvable $ref ${ref}`);
    }
    return v as T;
  }

  private validator(schema: Json): ValidateFunction {
    const key = JSON.stringify(schema);
    let fn = this.validators.get(key);
    if (!fn) {
      // Compile inside the spec document so "#/components/schemas/X" resolves into the components.
      fn = this.ajv.compile(this.wrap(schema));
      this.validators.set(key, fn);
    }
    return fn;
  }

  /** A schema whose relative $refs resolve against the spec's components. */
  private wrap(schema: Json): Json {
    const rebase = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(rebase);
      if (!node || typeof node !== 'object') return node;
      return Object.fromEntries(
        Object.entries(node as Json).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `${SPEC_ID}${v}` : rebase(v)]),
      );
    };
    return rebase(schema) as Json;
  }

  private schemaErrors(schema: Json, value: unknown, where: string): string[] {
    const fn = this.validator(schema);
    if (fn(value)) return [];
    return (fn.errors ?? []).map((e) => `${where}${e.instancePath || ''} ${e.message ?? 'is invalid'}${e.params && 'allowedValues' in e.params ? ` (${(e.params.allowedValues as unknown[]).join(', ')})` : ''}`);
  }

  /** The operation for a method and path, with the path parameters' raw values. */
  match(method: string, path: string): { template: string; op?: Operation; item: Record<string, unknown>; pathParams: Record<string, string> } | undefined {
    for (const r of this.routes) {
      const m = r.regex.exec(path);
      if (!m) continue;
      const pathParams = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
      const key = method.toLowerCase();
      const op = (METHODS as readonly string[]).includes(key) ? (r.item[key] as Operation | undefined) : undefined;
      return { template: r.template, op, item: r.item, pathParams };
    }
    return undefined;
  }

  private responseMediaTypes(op: Operation): string[] {
    const types = new Set<string>();
    for (const res of Object.values(op.responses ?? {})) for (const t of Object.keys(this.deref(res).content ?? {})) types.add(mediaType(t));
    return [...types];
  }

  validateRequest(req: ContractRequest): ContractResult {
    const found = this.match(req.method, req.path);
    if (!found) return { ok: false, routeFound: false, errors: [`no path of the spec matches ${req.path}`] };
    const { op, template, item, pathParams } = found;
    if (!op) {
      const allowed = METHODS.filter((m) => item[m]).map((m) => m.toUpperCase());
      return { ok: false, routeFound: false, errors: [`${req.method.toUpperCase()} is not an operation of ${template} (allowed: ${allowed.join(', ')})`] };
    }
    const operation = op.operationId ?? `${req.method.toUpperCase()} ${template}`;
    const errors: string[] = [];

    // Parameters: path-item level, overridden by operation level (same name and location).
    const params = new Map<string, Parameter>();
    for (const p of [...((item.parameters as Operation['parameters']) ?? []), ...(op.parameters ?? [])].map((x) => this.deref<Parameter>(x))) {
      params.set(`${p.in}:${p.in === 'header' ? p.name.toLowerCase() : p.name}`, p);
    }
    const query = req.query ?? new URLSearchParams();
    for (const p of params.values()) {
      let raw: string | undefined;
      if (p.in === 'header') raw = headerValue(req.headers, p.name);
      else if (p.in === 'query') raw = query.get(p.name) ?? undefined;
      else if (p.in === 'path') raw = pathParams[p.name];
      else continue;
      const where = `${p.in} parameter ${p.name}`;
      if (raw === undefined) {
        if (p.required || p.in === 'path') errors.push(`${where} is required`);
        continue;
      }
      if (!p.schema) continue;
      const schema = this.deref<Json>(p.schema);
      const numeric = schema.type === 'number' || schema.type === 'integer';
      const value: unknown = numeric && raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
      errors.push(...this.schemaErrors(p.schema, value, where));
    }
    if (req.query) {
      for (const name of new Set(req.query.keys())) {
        if (!params.has(`query:${name}`)) errors.push(`query parameter ${name} is not defined for ${operation}`);
      }
    }

    // Accept: when sent, it must admit a media type the operation answers with.
    const accept = headerValue(req.headers, 'accept');
    const answers = this.responseMediaTypes(op);
    if (accept !== undefined && answers.length > 0 && !answers.some((t) => accepts(accept, t))) {
      errors.push(`Accept "${accept}" admits none of the operation's media types (${answers.join(', ')})`);
    }

    // Body.
    const body = req.body ?? '';
    const rb = op.requestBody ? this.deref(op.requestBody) : undefined;
    if (!rb) {
      if (body.trim() !== '') errors.push(`${operation} takes no request body`);
    } else if (body.trim() === '') {
      if (rb.required) errors.push(`${operation} requires a request body`);
    } else {
      const contentType = headerValue(req.headers, 'content-type');
      const content = Object.fromEntries(Object.entries(rb.content ?? {}).map(([k, v]) => [mediaType(k), v]));
      const media = contentType === undefined ? undefined : content[mediaType(contentType)];
      if (contentType === undefined) errors.push(`header Content-Type is required with a body (one of ${Object.keys(content).join(', ')})`);
      else if (!media) errors.push(`Content-Type "${contentType}" is not one of ${Object.keys(content).join(', ')}`);
      if (media?.schema) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          errors.push('the request body is not JSON');
        }
        if (parsed !== undefined) errors.push(...this.schemaErrors(media.schema, parsed, 'body'));
      }
    }
    return { ok: errors.length === 0, operation, routeFound: true, errors };
  }

  /** Checks a response body against the spec's schema for the operation and status (when it defines one). */
  validateResponse(method: string, path: string, status: number, contentType: string | undefined, body: string): ContractResult {
    const found = this.match(method, path);
    if (!found?.op) return { ok: false, routeFound: false, errors: [`no operation ${method} ${path}`] };
    const op = found.op;
    const operation = op.operationId ?? `${method.toUpperCase()} ${found.template}`;
    const declared = op.responses?.[String(status)] ?? op.responses?.[`${String(status)[0]}XX`] ?? op.responses?.default;
    if (!declared) return { ok: false, operation, routeFound: true, errors: [`${operation} declares no response ${status}`] };
    const res = this.deref(declared);
    const content = Object.fromEntries(Object.entries(res.content ?? {}).map(([k, v]) => [mediaType(k), v]));
    if (Object.keys(content).length === 0) return { ok: true, operation, routeFound: true, errors: [] };
    const errors: string[] = [];
    const media = contentType ? content[mediaType(contentType)] : undefined;
    if (!media) errors.push(`response Content-Type "${contentType ?? ''}" is not one of ${Object.keys(content).join(', ')}`);
    const schema = media?.schema ?? Object.values(content)[0]?.schema;
    if (schema) {
      try {
        errors.push(...this.schemaErrors(schema, JSON.parse(body) as unknown, `response ${status}`));
      } catch {
        errors.push(`response ${status} body is not JSON`);
      }
    }
    return { ok: errors.length === 0, operation, routeFound: true, errors };
  }
}
