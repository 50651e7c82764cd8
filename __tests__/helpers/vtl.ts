/**
 * A minimal renderer for the Velocity (VTL) subset used by the API Gateway mapping templates of this project, so
 * tests can render them against sample requests. Supported: text, references (`$a.b.c`, method calls with
 * arguments, `$!a`, `${a}`), `#set`, `#if`/`#elseif`/`#else`/`#end`, `#foreach($x in ...)` with `$foreach.index`,
 * `$foreach.count` and `$foreach.hasNext`; expressions with string ('raw' and "interpolated"), number and boolean
 * literals, `== != > < >= <=`, `&& || !` and parentheses. As in Velocity, a reference that resolves to nothing is
 * rendered as its own source text (unless written `$!`).
 *
 * The API Gateway variables are provided by `apiGatewayContext`: `$input.path/json/body` (a JSONPath subset:
 * `$`, `.key`, `[index]`), `$util.escapeJavaScript` (Apache Commons Lang 2 semantics: escapes ' " \ / and control
 * and non-ASCII characters as \uXXXX), `$context`, `$stageVariables`. Java String methods used on strings:
 * startsWith, replaceAll (Java regex), replace, matches, length, contains, toString; lists: size, get, isEmpty.
 * `$input.params(name)` reads the request headers given.
 */

type Value = unknown;
type Scope = Record<string, Value>;

interface RefPart {
  readonly name: string;
  readonly args?: Expr[];
}
type Expr =
  | { kind: 'ref'; ref: Ref }
  | { kind: 'str'; value: string; interpolate: boolean }
  | { kind: 'num'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'not'; expr: Expr }
  | { kind: 'bin'; op: string; left: Expr; right: Expr };
interface Ref {
  readonly root: string;
  readonly parts: RefPart[];
  readonly quiet: boolean;
  readonly source: string;
}
type Node =
  | { kind: 'text'; text: string }
  | { kind: 'ref'; ref: Ref }
  | { kind: 'set'; target: Ref; expr: Expr }
  | { kind: 'if'; branches: { cond?: Expr; body: Node[] }[] }
  | { kind: 'foreach'; varName: string; list: Expr; body: Node[] };

class Parser {
  pos = 0;
  constructor(readonly src: string) {}

  error(msg: string): never {
    throw new Error(`VTL: ${msg} at ${this.pos}: ${JSON.stringify(this.src.slice(this.pos, this.pos + 40))}`);
  }

  /** Parses nodes until one of `stops` directives (returned, not consumed) or the end. */
  nodes(stops: string[] = []): { nodes: Node[]; stop?: string } {
    const out: Node[] = [];
    let text = '';
    const flush = () => {
      if (text) out.push({ kind: 'text', text });
      text = '';
    };
    while (this.pos < this.src.length) {
      const c = this.src[this.pos];
      if (c === '#') {
        const m = /^#(set|if|elseif|else|end|foreach)\b/.exec(this.src.slice(this.pos));
        if (m) {
          const d = m[1];
          if (stops.includes(d)) {
            flush();
            return { nodes: out, stop: d };
          }
          flush();
          this.pos += m[0].length;
          out.push(this.directive(d));
          continue;
        }
      }
      if (c === '$') {
        const ref = this.tryRef();
        if (ref) {
          flush();
          out.push({ kind: 'ref', ref });
          continue;
        }
      }
      text += c;
      this.pos++;
    }
    flush();
    if (stops.length) this.error(`missing #${stops.join('/#')}`);
    return { nodes: out };
  }

  directive(d: string): Node {
    switch (d) {
      case 'set': {
        this.expect('(');
        this.ws();
        const target = this.tryRef() ?? this.error('#set needs a reference');
        this.ws();
        this.expect('=');
        const expr = this.expr();
        this.ws();
        this.expect(')');
        return { kind: 'set', target, expr };
      }
      case 'if': {
        const branches: { cond?: Expr; body: Node[] }[] = [];
        let cond: Expr | undefined = this.parenExpr();
        for (;;) {
          const { nodes, stop } = this.nodes(['elseif', 'else', 'end']);
          branches.push({ cond, body: nodes });
          this.pos += 1 + stop!.length;
          if (stop === 'end') break;
          if (stop === 'elseif') cond = this.parenExpr();
          else {
            const rest = this.nodes(['end']);
            branches.push({ body: rest.nodes });
            this.pos += 4;
            break;
          }
        }
        return { kind: 'if', branches };
      }
      case 'foreach': {
        this.expect('(');
        this.ws();
        const v = /^\$([A-Za-z_][A-Za-z0-9_]*)\s+in\s+/.exec(this.src.slice(this.pos)) ?? this.error('#foreach($x in list)');
        this.pos += v[0].length;
        const list = this.expr();
        this.ws();
        this.expect(')');
        const { nodes } = this.nodes(['end']);
        this.pos += 4;
        return { kind: 'foreach', varName: v[1], list, body: nodes };
      }
      default:
        return this.error(`unexpected #${d}`);
    }
  }

  parenExpr(): Expr {
    this.expect('(');
    const e = this.expr();
    this.ws();
    this.expect(')');
    return e;
  }

  ws(): void {
    while (/\s/.test(this.src[this.pos] ?? '')) this.pos++;
  }

  expect(s: string): void {
    if (!this.src.startsWith(s, this.pos)) this.error(`expected ${s}`);
    this.pos += s.length;
  }

  /** `$a.b(c).d`, `$!a`, `${a.b}`; undefined (position unchanged) when `$` does not start a reference. */
  tryRef(): Ref | undefined {
    const start = this.pos;
    let p = this.pos + 1;
    let quiet = false;
    if (this.src[p] === '!') {
      quiet = true;
      p++;
    }
    const braced = this.src[p] === '{';
    if (braced) p++;
    // Velocity 1.7 (API Gateway's) identifiers may contain "-" after the first character.
    const id = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(this.src.slice(p));
    if (!id) return undefined;
    const root = id[0];
    p += root.length;
    this.pos = p;
    const parts: RefPart[] = [];
    for (;;) {
      const m = /^\.([A-Za-z_][A-Za-z0-9_-]*)/.exec(this.src.slice(this.pos));
      if (!m) break;
      this.pos += m[0].length;
      if (this.src[this.pos] === '(') {
        this.pos++;
        const args: Expr[] = [];
        this.ws();
        if (this.src[this.pos] !== ')') {
          for (;;) {
            args.push(this.expr());
            this.ws();
            if (this.src[this.pos] === ',') {
              this.pos++;
              continue;
            }
            break;
          }
        }
        this.expect(')');
        parts.push({ name: m[1], args });
      } else parts.push({ name: m[1] });
    }
    if (braced) this.expect('}');
    return { root, parts, quiet, source: this.src.slice(start, this.pos) };
  }

  expr(): Expr {
    return this.or();
  }

  or(): Expr {
    let left = this.and();
    for (;;) {
      this.ws();
      if (!this.src.startsWith('||', this.pos)) return left;
      this.pos += 2;
      left = { kind: 'bin', op: '||', left, right: this.and() };
    }
  }

  and(): Expr {
    let left = this.not();
    for (;;) {
      this.ws();
      if (!this.src.startsWith('&&', this.pos)) return left;
      this.pos += 2;
      left = { kind: 'bin', op: '&&', left, right: this.not() };
    }
  }

  not(): Expr {
    this.ws();
    if (this.src[this.pos] === '!' && this.src[this.pos + 1] !== '=') {
      this.pos++;
      return { kind: 'not', expr: this.not() };
    }
    return this.cmp();
  }

  cmp(): Expr {
    const left = this.primary();
    this.ws();
    const m = /^(==|!=|>=|<=|>|<)/.exec(this.src.slice(this.pos));
    if (!m) return left;
    this.pos += m[0].length;
    return { kind: 'bin', op: m[0], left, right: this.primary() };
  }

  primary(): Expr {
    this.ws();
    const c = this.src[this.pos];
    if (c === '(') return this.parenExpr();
    if (c === "'" || c === '"') {
      const end = this.src.indexOf(c, this.pos + 1);
      if (end < 0) this.error('unterminated string');
      const value = this.src.slice(this.pos + 1, end);
      this.pos = end + 1;
      return { kind: 'str', value, interpolate: c === '"' };
    }
    if (c === '$') return { kind: 'ref', ref: this.tryRef() ?? this.error('bad reference') };
    const n = /^-?\d+(\.\d+)?/.exec(this.src.slice(this.pos));
    if (n) {
      this.pos += n[0].length;
      return { kind: 'num', value: Number(n[0]) };
    }
    const b = /^(true|false)\b/.exec(this.src.slice(this.pos));
    if (b) {
      this.pos += b[0].length;
      return { kind: 'bool', value: b[0] === 'true' };
    }
    return this.error('expected an expression');
  }
}

/** Java regex -> JS RegExp for the simple patterns templates use (escapes, classes, quantifiers). */
function javaRegex(pattern: string): RegExp {
  return new RegExp(pattern, 'g');
}

function callMethod(target: Value, name: string, args: Value[]): Value {
  if (target === null || target === undefined) return undefined;
  if (typeof target === 'string') {
    switch (name) {
      case 'startsWith':
        return target.startsWith(String(args[0]));
      case 'endsWith':
        return target.endsWith(String(args[0]));
      case 'contains':
        return target.includes(String(args[0]));
      case 'length':
        return target.length;
      case 'toString':
        return target;
      case 'replaceAll':
        return target.replace(javaRegex(String(args[0])), () => String(args[1]));
      case 'replace':
        return target.split(String(args[0])).join(String(args[1]));
      case 'matches':
        // Java's String.matches: the whole string must match.
        return new RegExp(`^(?:${String(args[0])})$`).test(target);
    }
  }
  if (Array.isArray(target)) {
    switch (name) {
      case 'size':
        return target.length;
      case 'isEmpty':
        return target.length === 0;
      case 'get':
        return target[Number(args[0])];
    }
  }
  const fn = (target as Record<string, unknown>)[name];
  if (typeof fn === 'function') return (fn as (...a: Value[]) => Value).apply(target, args);
  throw new Error(`VTL: no method ${name} on ${typeof target}`);
}

class Renderer {
  constructor(readonly scopes: Scope[]) {}

  lookup(name: string): Value {
    for (let i = this.scopes.length - 1; i >= 0; i--) if (name in this.scopes[i]) return this.scopes[i][name];
    return undefined;
  }

  ref(r: Ref): Value {
    let v = this.lookup(r.root);
    for (const part of r.parts) {
      if (v === null || v === undefined) return undefined;
      v = part.args ? callMethod(v, part.name, part.args.map((a) => this.eval(a))) : (v as Record<string, unknown>)[part.name];
    }
    return v;
  }

  eval(e: Expr): Value {
    switch (e.kind) {
      case 'ref':
        return this.ref(e.ref);
      case 'str':
        return e.interpolate ? this.render(new Parser(e.value).nodes().nodes) : e.value;
      case 'num':
      case 'bool':
        return e.value;
      case 'not':
        return !truthy(this.eval(e.expr));
      case 'bin': {
        if (e.op === '&&') return truthy(this.eval(e.left)) && truthy(this.eval(e.right));
        if (e.op === '||') return truthy(this.eval(e.left)) || truthy(this.eval(e.right));
        const l = this.eval(e.left) as number;
        const r = this.eval(e.right) as number;
        switch (e.op) {
          case '==':
            return l === r || (l !== undefined && l !== null && r !== undefined && r !== null && String(l) === String(r));
          case '!=':
            return !(l === r || (l != null && r != null && String(l) === String(r)));
          case '>':
            return l != null && l > r;
          case '<':
            return l != null && l < r;
          case '>=':
            return l != null && l >= r;
          case '<=':
            return l != null && l <= r;
        }
        throw new Error(`VTL: operator ${e.op}`);
      }
    }
  }

  assign(target: Ref, value: Value): void {
    if (!target.parts.length) {
      this.scopes[this.scopes.length - 1][target.root] = value;
      return;
    }
    let obj = this.lookup(target.root) as Record<string, unknown>;
    for (const p of target.parts.slice(0, -1)) {
      if (obj[p.name] === undefined) obj[p.name] = {};
      obj = obj[p.name] as Record<string, unknown>;
    }
    obj[target.parts[target.parts.length - 1].name] = value;
  }

  render(nodes: Node[]): string {
    let out = '';
    for (const n of nodes) {
      switch (n.kind) {
        case 'text':
          out += n.text;
          break;
        case 'ref': {
          const v = this.ref(n.ref);
          out += v === undefined || v === null ? (n.ref.quiet ? '' : n.ref.source) : toText(v);
          break;
        }
        case 'set':
          this.assign(n.target, this.eval(n.expr));
          break;
        case 'if': {
          const branch = n.branches.find((b) => !b.cond || truthy(this.eval(b.cond)));
          if (branch) out += this.render(branch.body);
          break;
        }
        case 'foreach': {
          const list = this.eval(n.list);
          const items = Array.isArray(list) ? list : list && typeof list === 'object' ? Object.values(list) : [];
          const outer = this.lookup('foreach');
          items.forEach((item, index) => {
            // Velocity's loop variable and $foreach live in the enclosing scope (no block scope).
            const scope = this.scopes[this.scopes.length - 1];
            scope[n.varName] = item;
            scope.foreach = { index, count: index + 1, hasNext: index < items.length - 1, first: index === 0, last: index === items.length - 1 };
            out += this.render(n.body);
          });
          this.scopes[this.scopes.length - 1].foreach = outer;
          break;
        }
      }
    }
    return out;
  }
}

function truthy(v: Value): boolean {
  return v !== undefined && v !== null && v !== false;
}

/** How Java prints a value: maps as {k=v}, lists as [a, b]. */
function toText(v: Value): string {
  if (Array.isArray(v)) return `[${v.map(toText).join(', ')}]`;
  if (v && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${k}=${toText(x)}`).join(', ')}}`;
  return String(v);
}

export function renderVtl(template: string, variables: Scope): string {
  const { nodes } = new Parser(template).nodes();
  return new Renderer([{ ...variables }]).render(nodes);
}

/** Apache Commons Lang 2 StringEscapeUtils.escapeJavaScript, as API Gateway's $util.escapeJavaScript. */
export function escapeJavaScript(s: string | null | undefined): string | null {
  if (s === null || s === undefined) return null;
  let out = '';
  for (const ch of s.split('')) {
    const code = ch.charCodeAt(0);
    const hex = code.toString(16).toUpperCase();
    if (code > 0xfff) out += `\\u${hex}`;
    else if (code > 0xff) out += `\\u0${hex}`;
    else if (code > 0x7f) out += `\\u00${hex}`;
    else if (code < 32) {
      const named: Record<number, string> = { 8: '\\b', 10: '\\n', 9: '\\t', 12: '\\f', 13: '\\r' };
      out += named[code] ?? (code > 0xf ? `\\u00${hex}` : `\\u000${hex}`);
    } else if (ch === "'") out += "\\'";
    else if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '/') out += '\\/';
    else out += ch;
  }
  return out;
}

/** JSONPath subset: `$`, `$.a.b`, `$.a[0].b`, `$['a']`. */
export function jsonPath(root: unknown, path: string): unknown {
  if (!path.startsWith('$')) throw new Error(`JSONPath must start with $: ${path}`);
  let v: unknown = root;
  const re = /\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\['([^']*)'\]/y;
  re.lastIndex = 1;
  while (re.lastIndex < path.length) {
    const m = re.exec(path);
    if (!m) throw new Error(`unsupported JSONPath ${path}`);
    if (v === null || v === undefined) return undefined;
    const key = m[1] ?? m[3] ?? Number(m[2]);
    v = (v as Record<string | number, unknown>)[key];
  }
  return v;
}

export interface ApiGatewayRequest {
  /** The request (or integration response) body as sent. */
  readonly body: string;
  readonly context?: Record<string, unknown>;
  readonly stageVariables?: Record<string, string>;
  /** Method request headers, as sent (`$input.params(name)` looks them up by exact name, "" when absent). */
  readonly headers?: Record<string, string>;
}

/** Variables API Gateway gives a mapping template: $input, $util, $context, $stageVariables. */
export function apiGatewayContext(req: ApiGatewayRequest): Scope {
  const parsed = (req.body ? JSON.parse(req.body) : undefined) as unknown;
  return {
    input: {
      body: req.body,
      path: (p: string) => jsonPath(parsed, p),
      json: (p: string) => {
        const v = jsonPath(parsed, p);
        return v === undefined ? '' : JSON.stringify(v);
      },
      params: (name: string) => req.headers?.[name] ?? '',
    },
    util: {
      escapeJavaScript,
      parseJson: (s: string) => JSON.parse(s),
    },
    context: { ...(req.context ?? {}) },
    stageVariables: { ...(req.stageVariables ?? {}) },
  };
}
