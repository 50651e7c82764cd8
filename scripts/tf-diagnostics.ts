/**
 * Reads `terraform plan -json` / `terraform validate -json` output of a generated root module (scripts/tf-layout.ts)
 * and maps it back to stacks. Message shapes: Terraform's machine-readable UI, developer.hashicorp.com/terraform/
 * internals/machine-readable-ui ("diagnostic" with severity/summary/detail/address/range, "planned_change" with
 * change.resource.{addr,module,resource}, "change_summary"), and `validate -json` ({valid, diagnostics: [...]}).
 */

export interface TfDiagnostic {
  readonly severity: 'error' | 'warning';
  readonly summary: string;
  readonly detail?: string;
  readonly address?: string;
  readonly range?: { filename: string; start: { line: number } };
  readonly snippet?: { code?: string };
}

export interface PlanStream {
  readonly diagnostics: TfDiagnostic[];
  /** module call name -> resource addresses (type.name, instance keys dropped) planned in it. */
  readonly planned: Map<string, Set<string>>;
  /** "Plan: N to add, ..." when the plan completed. */
  readonly summary?: string;
  /** Lines that were not JSON (a crash, a message from the CLI itself). */
  readonly other: string[];
}

export function parseTfJson(text: string): PlanStream {
  const diagnostics: TfDiagnostic[] = [];
  const planned = new Map<string, Set<string>>();
  const other: string[] = [];
  let summary: string | undefined;
  const trimmed = text.trim();
  // `validate -json` prints one JSON document.
  if (trimmed.startsWith('{') && trimmed.includes('"format_version"') && !trimmed.includes('"@level"')) {
    try {
      const doc = JSON.parse(trimmed) as { diagnostics?: TfDiagnostic[] };
      return { diagnostics: doc.diagnostics ?? [], planned, other };
    } catch {
      // fall through to line mode
    }
  }
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let msg: Record<string, any>;
    try {
      msg = JSON.parse(line) as Record<string, any>;
    } catch {
      other.push(line);
      continue;
    }
    if (msg.type === 'diagnostic' && msg.diagnostic) diagnostics.push(msg.diagnostic as TfDiagnostic);
    else if (msg.type === 'planned_change' && msg.change?.resource) {
      const r = msg.change.resource as { module?: string; resource_type: string; resource_name: string };
      const mod = /^module\.([^.[]+)/.exec(r.module ?? '')?.[1] ?? '';
      if (!planned.has(mod)) planned.set(mod, new Set());
      planned.get(mod)!.add(`${r.resource_type}.${r.resource_name}`);
    } else if (msg.type === 'change_summary') summary = String(msg['@message']);
  }
  return { diagnostics, planned, summary, other };
}

/**
 * The module a diagnostic belongs to: from its address (module.<name>.<resource>) or from its file
 * (stacks/<name>/... in the generated root). Undefined for the root module itself or for no location at all.
 */
export function diagnosticModule(d: TfDiagnostic): string | undefined {
  const fromAddress = /^module\.([^.[]+)/.exec(d.address ?? '')?.[1];
  if (fromAddress) return fromAddress;
  return /^stacks\/([^/]+)\//.exec(d.range?.filename ?? '')?.[1];
}

/** The resource (or other block) a diagnostic points at, inside its module. */
export function diagnosticResource(d: TfDiagnostic, owners?: (string | undefined)[]): string | undefined {
  const fromAddress = /^module\.[^.[]+(?:\[[^\]]*\])?\.(.+)$/.exec(d.address ?? '')?.[1];
  if (fromAddress) return fromAddress;
  const line = d.range?.start?.line;
  return line && owners ? owners[line - 1] : undefined;
}

/** One diagnostic, in the words Terraform used, with the stack and resource it concerns. */
export function formatDiagnostic(d: TfDiagnostic, stack: string | undefined, resource: string | undefined, stackFile?: string): string {
  const where = [stack ? `stack ${stack}` : 'generated root module', resource ? `resource ${resource}` : undefined].filter(Boolean).join(', ');
  const lines = [`${d.severity === 'error' ? 'Error' : 'Warning'}: ${d.summary} (${where})`];
  if (d.snippet?.code) lines.push(`    ${d.snippet.code.trim()}`);
  if (d.detail) lines.push(...d.detail.split('\n').map((l) => `  ${l}`));
  if (stackFile) lines.push(`  in ${stackFile}`);
  return lines.join('\n');
}
