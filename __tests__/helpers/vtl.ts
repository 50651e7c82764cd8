/**
 * API Gateway mapping templates rendered by established Velocity engines, with API Gateway's variables:
 *
 * - velocityjs (npm; the engine serverless-offline and Amplify's API simulator run), always available;
 * - Apache Velocity 1.7 (the engine API Gateway runs), through a small Java runner compiled with javac at test time,
 *   when Java and Debian's `velocity` package (with its dependencies commons-lang 2 and commons-collections 3) are
 *   installed. `velocity17Unavailable()` says why it is not; tests skip that engine with a visible notice then.
 *
 * The variables follow API Gateway's mapping template reference
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html):
 * `$input.body` (the raw payload), `$input.json(path)` (the JSON text at a JSONPath), `$input.path(path)` (the value
 * at a JSONPath, as maps, lists and scalars), `$input.params(name)` (a header here), `$util.escapeJavaScript`
 * (Apache Commons Lang 2 StringEscapeUtils: in Java the real one, in JS a port of it), `$util.parseJson`,
 * `$util.urlEncode`, `$util.base64Encode`, `$context` (with `responseOverride.status`/`.header`, which response
 * templates may set) and `$stageVariables`. JSONPath: `$`, `.key`, `['key']`, `[index]` (what the templates use).
 *
 * velocityjs runs JavaScript methods on strings; the Java String methods the templates call whose JavaScript
 * namesake differs (`replaceAll` and `matches` take a Java regular expression, `length()` is a method) get Java
 * semantics through velocityjs's customMethodHandlers. The regular expressions the templates use mean the same in
 * Java and JavaScript, which the Java engine confirms when it runs.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Compile, parse } from 'velocityjs';

/** The request (or integration answer) a template is rendered against. */
export interface ApiGatewayRequest {
  /** Raw payload: the method request body for request templates, the integration's answer for response templates. */
  readonly body?: string;
  /** Request headers, as `$input.params(name)` returns them (exact name). */
  readonly headers?: Record<string, string>;
  /** `$context` fields, e.g. `{ authorizer: { clientId } }`, `{ requestId }`. */
  readonly context?: Record<string, unknown>;
  readonly stageVariables?: Record<string, string>;
}

/** What a render produced: the text and what the template set on `$context.responseOverride`. */
export interface Rendered {
  readonly output: string;
  readonly status?: number;
  readonly headers: Record<string, string>;
}

export type EngineName = 'velocityjs' | 'velocity-1.7';

/** Apache Commons Lang 2 `StringEscapeUtils.escapeJavaScript`: ' " \ / escaped, control and non-ASCII as \uXXXX. */
export function escapeJavaScript(s: string | null | undefined): string | null {
  if (s === null || s === undefined) return null;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    const code = s.charCodeAt(i);
    const hex = code.toString(16).toUpperCase();
    if (code > 0x7f) out += `\\u${hex.padStart(4, '0')}`;
    else if (code < 32) {
      const named: Record<number, string> = { 8: '\\b', 10: '\\n', 9: '\\t', 12: '\\f', 13: '\\r' };
      out += named[code] ?? `\\u${hex.padStart(4, '0')}`;
    } else if (ch === "'") out += "\\'";
    else if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '/') out += '\\/';
    else out += ch;
  }
  return out;
}

/** Own properties only: a JSONPath never reaches Object.prototype. */
const own = (v: unknown, key: string | number): unknown =>
  v !== null && typeof v === 'object' && Object.prototype.hasOwnProperty.call(v, key) ? (v as Record<string | number, unknown>)[key] : undefined;

/** The value at a JSONPath (`$`, `.key`, `['key']`, `[index]`), or undefined. */
export function jsonPath(root: unknown, path: string): unknown {
  if (!path.startsWith('$')) throw new Error(`JSONPath must start with $: ${path}`);
  let v: unknown = root;
  const re = /\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\['([^']*)'\]/y;
  re.lastIndex = 1;
  while (re.lastIndex < path.length) {
    const m = re.exec(path);
    if (!m) throw new Error(`unsupported JSONPath ${path}`);
    v = own(v, m[1] ?? m[3] ?? Number(m[2]));
    if (v === undefined) return undefined;
  }
  return v;
}

/** API Gateway's template variables for velocityjs. `context.responseOverride` collects what the template sets. */
export function apiGatewayVariables(req: ApiGatewayRequest): Record<string, unknown> {
  const parsed = (req.body ? JSON.parse(req.body) : undefined) as unknown;
  return {
    input: {
      body: req.body ?? '',
      path: (p: string) => jsonPath(parsed, p),
      json: (p: string) => {
        const v = jsonPath(parsed, p);
        return v === undefined ? '' : JSON.stringify(v);
      },
      params: (name: string) => req.headers?.[name] ?? '',
    },
    util: {
      escapeJavaScript,
      parseJson: (s: string) => JSON.parse(s) as unknown,
      urlEncode: (s: string) => encodeURIComponent(s),
      base64Encode: (s: string) => Buffer.from(s, 'utf8').toString('base64'),
    },
    context: { ...(req.context ?? {}), responseOverride: { header: {} } },
    stageVariables: { ...(req.stageVariables ?? {}) },
  };
}

/** Java String methods whose JavaScript namesakes differ, for velocityjs. */
const javaStringMethods = [
  {
    uid: 'java: String.replaceAll(regex, replacement)',
    match: ({ property, context }: { property: string; context: unknown }) => property === 'replaceAll' && typeof context === 'string',
    resolve: ({ context, params }: { context: string; params: unknown[] }) =>
      context.replace(new RegExp(String(params[0]), 'gu'), String(params[1]).replace(/\\\$/g, '$$$$')),
  },
  {
    uid: 'java: String.matches(regex)',
    match: ({ property, context }: { property: string; context: unknown }) => property === 'matches' && typeof context === 'string',
    resolve: ({ context, params }: { context: string; params: unknown[] }) => new RegExp(`^(?:${String(params[0])})$`, 'u').test(context),
  },
  {
    uid: 'java: String.length()',
    match: ({ property, context }: { property: string; context: unknown }) => property === 'length' && typeof context === 'string',
    resolve: ({ context }: { context: string }) => context.length,
  },
];

/** Parses `template` with velocityjs (throws on a syntax error, as API Gateway refuses such a template). */
export function parseWithVelocityjs(template: string): unknown[] {
  return parse(template) as unknown[];
}

/** Renders `template` with velocityjs against `req`. */
export function renderVelocityjs(template: string, req: ApiGatewayRequest): Rendered {
  const vars = apiGatewayVariables(req);
  const compiled = new Compile(parse(template), { customMethodHandlers: javaStringMethods } as never);
  const output = compiled.render(vars);
  const override = (vars.context as { responseOverride: { status?: unknown; header: Record<string, string> } }).responseOverride;
  return { output, status: override.status === undefined ? undefined : Number(override.status), headers: { ...override.header } };
}

// ---------------------------------------------------------------------------------------------------------------
// Apache Velocity 1.7 (Java)

/** Where Debian's `velocity` package and its dependencies put their jars. */
const JAVA_DIRS = ['/usr/share/java'];
const JARS = ['velocity-1.7.jar', 'commons-collections3.jar', 'commons-lang-2.6.jar'];

const JAVA_SOURCE = String.raw`
import java.io.StringWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.*;
import org.apache.commons.lang.StringEscapeUtils;
import org.apache.velocity.VelocityContext;
import org.apache.velocity.app.VelocityEngine;

/** Renders API Gateway mapping templates with Velocity 1.7. stdin: JSON array of cases; stdout: JSON array of results. */
public class ApiGatewayVelocity {
  public static void main(String[] args) throws Exception {
    String in = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
    List<?> cases = (List<?>) new Json(in).parse();
    VelocityEngine engine = new VelocityEngine();
    engine.setProperty("runtime.log.logsystem.class", "org.apache.velocity.runtime.log.NullLogChute");
    engine.init();
    List<Object> results = new ArrayList<>();
    for (Object o : cases) {
      Map<?, ?> c = (Map<?, ?>) o;
      Map<String, Object> result = new LinkedHashMap<>();
      try {
        String body = (String) c.get("body");
        Object parsed = body == null || body.isEmpty() ? null : new Json(body).parse();
        Map<String, Object> context = new LinkedHashMap<>();
        if (c.get("context") != null) for (Map.Entry<?, ?> e : ((Map<?, ?>) c.get("context")).entrySet()) context.put((String) e.getKey(), e.getValue());
        Map<String, Object> override = new LinkedHashMap<>();
        override.put("header", new LinkedHashMap<String, Object>());
        context.put("responseOverride", override);
        VelocityContext vc = new VelocityContext();
        vc.put("input", new Input(body == null ? "" : body, parsed, (Map<?, ?>) c.get("headers")));
        vc.put("util", new Util());
        vc.put("context", context);
        vc.put("stageVariables", c.get("stageVariables") == null ? new LinkedHashMap<>() : c.get("stageVariables"));
        StringWriter w = new StringWriter();
        engine.evaluate(vc, w, "template", (String) c.get("template"));
        result.put("output", w.toString());
        result.put("responseOverride", override);
      } catch (Exception e) {
        result.put("error", e.toString());
      }
      results.add(result);
    }
    System.out.write(Json.write(results).getBytes(StandardCharsets.UTF_8));
    System.out.flush();
  }

  public static class Input {
    private final String body; private final Object parsed; private final Map<?, ?> headers;
    Input(String body, Object parsed, Map<?, ?> headers) { this.body = body; this.parsed = parsed; this.headers = headers; }
    public String getBody() { return body; }
    public Object path(String p) { return Json.path(parsed, p); }
    public String json(String p) { Object v = Json.path(parsed, p); return v == null ? "" : Json.write(v); }
    public String params(String name) { Object v = headers == null ? null : headers.get(name); return v == null ? "" : (String) v; }
  }

  public static class Util {
    public String escapeJavaScript(String s) { return StringEscapeUtils.escapeJavaScript(s); }
    public Object parseJson(String s) { return new Json(s).parse(); }
    public String urlEncode(String s) throws Exception { return URLEncoder.encode(s, "UTF-8"); }
    public String base64Encode(String s) { return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8)); }
  }

  /** Minimal JSON (RFC 8259) reader and writer, and the JSONPath subset $ .key ['key'] [index]. */
  static class Json {
    private final String s; private int i;
    Json(String s) { this.s = s; }
    Object parse() { Object v = value(); ws(); if (i != s.length()) throw new IllegalArgumentException("trailing data at " + i); return v; }
    private void ws() { while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) i++; }
    private Object value() {
      ws();
      char c = s.charAt(i);
      if (c == '{') { i++; Map<String, Object> m = new LinkedHashMap<>(); ws(); if (s.charAt(i) == '}') { i++; return m; }
        while (true) { ws(); String k = string(); ws(); expect(':'); m.put(k, value()); ws(); if (s.charAt(i) == ',') { i++; continue; } expect('}'); return m; } }
      if (c == '[') { i++; List<Object> l = new ArrayList<>(); ws(); if (s.charAt(i) == ']') { i++; return l; }
        while (true) { l.add(value()); ws(); if (s.charAt(i) == ',') { i++; continue; } expect(']'); return l; } }
      if (c == '"') return string();
      if (s.startsWith("true", i)) { i += 4; return Boolean.TRUE; }
      if (s.startsWith("false", i)) { i += 5; return Boolean.FALSE; }
      if (s.startsWith("null", i)) { i += 4; return null; }
      int start = i;
      while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
      String n = s.substring(start, i);
      if (n.isEmpty()) throw new IllegalArgumentException("unexpected " + c + " at " + i);
      if (n.matches("-?\\d+")) { long l = Long.parseLong(n); if (l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) return (int) l; return l; }
      return Double.parseDouble(n);
    }
    private void expect(char c) { if (s.charAt(i) != c) throw new IllegalArgumentException("expected " + c + " at " + i); i++; }
    private String string() {
      expect('"'); StringBuilder b = new StringBuilder();
      while (true) {
        char c = s.charAt(i++);
        if (c == '"') return b.toString();
        if (c != '\\') { b.append(c); continue; }
        char e = s.charAt(i++);
        switch (e) {
          case 'b': b.append('\b'); break; case 'f': b.append('\f'); break; case 'n': b.append('\n'); break;
          case 'r': b.append('\r'); break; case 't': b.append('\t'); break;
          case 'u': b.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; break;
          default: b.append(e);
        }
      }
    }
    static String write(Object v) {
      if (v == null) return "null";
      if (v instanceof String) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : ((String) v).toCharArray()) {
          if (c == '"' || c == '\\') b.append('\\').append(c);
          else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
          else b.append(c);
        }
        return b.append('"').toString();
      }
      if (v instanceof Map) {
        StringBuilder b = new StringBuilder("{"); boolean first = true;
        for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) { if (!first) b.append(','); first = false; b.append(write(String.valueOf(e.getKey()))).append(':').append(write(e.getValue())); }
        return b.append('}').toString();
      }
      if (v instanceof List) {
        StringBuilder b = new StringBuilder("["); boolean first = true;
        for (Object o : (List<?>) v) { if (!first) b.append(','); first = false; b.append(write(o)); }
        return b.append(']').toString();
      }
      return String.valueOf(v);
    }
    static Object path(Object root, String p) {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\.([A-Za-z_][A-Za-z0-9_-]*)|\\[(\\d+)\\]|\\['([^']*)'\\]").matcher(p);
      Object v = root; int at = 1;
      while (at < p.length()) {
        if (!m.find(at) || m.start() != at) throw new IllegalArgumentException("unsupported JSONPath " + p);
        at = m.end();
        if (m.group(2) != null) { int idx = Integer.parseInt(m.group(2)); v = v instanceof List && idx < ((List<?>) v).size() ? ((List<?>) v).get(idx) : null; }
        else { String k = m.group(1) != null ? m.group(1) : m.group(3); v = v instanceof Map ? ((Map<?, ?>) v).get(k) : null; }
        if (v == null) return null;
      }
      return v;
    }
  }
}
`;

let javaState: { classpath: string; dir: string } | { unavailable: string } | undefined;

/** Compiles the runner once per process; returns its class path, or why Velocity 1.7 cannot run here. */
function javaRunner(): { classpath: string; dir: string } | { unavailable: string } {
  if (javaState) return javaState;
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const javac = spawnSync('javac', ['-version'], { encoding: 'utf8' });
  if (java.status !== 0 || javac.status !== 0) return (javaState = { unavailable: 'java/javac are not installed' });
  const jars: string[] = [];
  for (const jar of JARS) {
    const found = JAVA_DIRS.map((d) => join(d, jar)).find((p) => existsSync(p));
    if (!found) return (javaState = { unavailable: `${jar} not found in ${JAVA_DIRS.join(', ')} (install Debian's "velocity" package)` });
    jars.push(found);
  }
  // Compiled once per version of the source into a shared cache folder (like dist/ for the handler zips); each
  // process compiles into its own folder and renames it into place, so concurrent test workers never collide.
  const dir = join(tmpdir(), `tributary-velocity17-${createHash('sha256').update(JAVA_SOURCE).update(jars.join(':')).digest('hex').slice(0, 16)}`);
  if (!existsSync(join(dir, 'ApiGatewayVelocity.class'))) {
    const work = `${dir}.${process.pid}.tmp`;
    mkdirSync(work, { recursive: true });
    writeFileSync(join(work, 'ApiGatewayVelocity.java'), JAVA_SOURCE);
    const compiled = spawnSync('javac', ['-nowarn', '-cp', jars.join(':'), '-d', work, join(work, 'ApiGatewayVelocity.java')], { encoding: 'utf8' });
    if (compiled.status !== 0) throw new Error(`javac failed: ${compiled.stderr}`);
    try {
      renameSync(work, dir);
    } catch {
      rmSync(work, { recursive: true, force: true }); // another worker put it in place first
    }
  }
  const classpath = [dir, ...jars].join(':');
  return (javaState = { classpath, dir });
}

/** Why Apache Velocity 1.7 cannot run on this machine, or undefined when it can. */
export function velocity17Unavailable(): string | undefined {
  const r = javaRunner();
  return 'unavailable' in r ? r.unavailable : undefined;
}

/** Renders every case with Apache Velocity 1.7 in one JVM. Throws when unavailable (check velocity17Unavailable). */
export function renderVelocity17All(cases: readonly { template: string; req: ApiGatewayRequest }[]): Rendered[] {
  const r = javaRunner();
  if ('unavailable' in r) throw new Error(`Velocity 1.7 unavailable: ${r.unavailable}`);
  const input = JSON.stringify(cases.map((c) => ({ template: c.template, ...c.req })));
  const run = spawnSync('java', ['-Xshare:auto', '-XX:TieredStopAtLevel=1', '-cp', r.classpath, 'ApiGatewayVelocity'], { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`Velocity 1.7 runner failed: ${run.stderr}`);
  const results = JSON.parse(run.stdout) as { output?: string; error?: string; responseOverride?: { status?: unknown; header?: Record<string, string> } }[];
  return results.map((x, i) => {
    if (x.error !== undefined) throw new Error(`Velocity 1.7: case ${i}: ${x.error}`);
    const status = x.responseOverride?.status;
    return { output: x.output ?? '', status: status === undefined ? undefined : Number(status), headers: { ...(x.responseOverride?.header ?? {}) } };
  });
}

/**
 * Renders a batch with the named engine. Tests build their cases first and render them all at once, so the JVM
 * starts once per test file.
 */
export function renderAll(engine: EngineName, cases: readonly { template: string; req: ApiGatewayRequest }[]): Rendered[] {
  return engine === 'velocityjs' ? cases.map((c) => renderVelocityjs(c.template, c.req)) : renderVelocity17All(cases);
}

/** Engines usable here; prints a notice (once per call site) for the one that is skipped. */
export function availableEngines(caller: string): EngineName[] {
  const why = velocity17Unavailable();
  if (why) console.warn(`${caller}: Apache Velocity 1.7 is skipped: ${why}; templates are rendered with velocityjs only`);
  return why ? ['velocityjs'] : ['velocityjs', 'velocity-1.7'];
}
