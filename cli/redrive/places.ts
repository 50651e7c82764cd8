/**
 * The parking places of the configured stacks, read from their Terraform outputs (`parking_<place>`, see
 * contracts/operations.ts): the stacks and their AWS regions come from the synth manifest
 * (cdktf.out/tributary-manifest.json), the outputs from `terraform output -json` in cdktf.out/stacks/<stack> (state
 * in state/<prefix>/, lib/state.ts), or from `--outputs-dir <dir>` holding `<stack>.json` files of that shape.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PARKING_KINDS, PARKING_OUTPUT_PREFIX, type ParkingKind } from '../../contracts/operations.js';
import { readManifest } from '../../lib/manifest.js';
import { selectStacks, SelectionError } from '../../lib/selection.js';
import { ConfigurationError } from '../shared/errors.js';
import { parseOutputsJson, type TerraformRunner, type TfOutputs } from '../ams/outputs.js';

export interface Place {
  /** `<stack>/<place>`, what `replay` takes. */
  readonly id: string;
  readonly stack: string;
  readonly region: string;
  readonly place: string;
  readonly kind: ParkingKind;
  readonly description: string;
  /** The CloudWatch alarm watching this place ("" when none). */
  readonly alarmName: string;
  readonly fields: Readonly<Record<string, string>>;
}

/** The parking places in one stack's outputs; throws naming the output when one does not match its kind. */
export function placesFromOutputs(stack: string, region: string, outputs: TfOutputs): Place[] {
  const places: Place[] = [];
  for (const [name, o] of Object.entries(outputs).sort(([a], [b]) => a.localeCompare(b))) {
    if (!name.startsWith(PARKING_OUTPUT_PREFIX)) continue;
    const v = o.value as Record<string, unknown> | undefined;
    const where = `${stack}: output "${name}"`;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ConfigurationError(`${where} must be an object (contracts/operations.ts)`);
    const kind = v.kind as ParkingKind;
    if (typeof kind !== 'string' || !(kind in PARKING_KINDS)) {
      throw new ConfigurationError(`${where} has kind ${JSON.stringify(v.kind)}; known kinds: ${Object.keys(PARKING_KINDS).join(', ')}`);
    }
    const fields: Record<string, string> = {};
    for (const f of PARKING_KINDS[kind].fields) {
      const fv = v[f];
      if (typeof fv !== 'string' || fv === '') throw new ConfigurationError(`${where} (${kind}) needs a non-empty string "${f}"`);
      fields[f] = fv;
    }
    const place = name.slice(PARKING_OUTPUT_PREFIX.length);
    places.push({
      id: `${stack}/${place}`, stack, region, place, kind, fields,
      description: typeof v.description === 'string' ? v.description : '',
      alarmName: typeof v.alarm_name === 'string' ? v.alarm_name : '',
    });
  }
  return places;
}

export interface LoadOptions {
  readonly cdktfOut: string;
  /** Stack names or globs (--stack). */
  readonly stacks?: readonly string[];
  readonly region?: string;
  readonly outputsDir?: string;
  readonly runTerraform: TerraformRunner;
}

export interface Loaded {
  readonly places: Place[];
  /** Stacks without usable outputs, with the reason. */
  readonly skipped: { stack: string; reason: string }[];
}

export async function loadPlaces(o: LoadOptions): Promise<Loaded> {
  let manifest;
  try {
    manifest = readManifest(o.cdktfOut);
  } catch (err) {
    throw new ConfigurationError((err as Error).message);
  }
  if (!manifest) throw new ConfigurationError(`${join(o.cdktfOut, 'tributary-manifest.json')} does not exist: run make synth (with the config you deployed)`);
  let names: string[];
  try {
    names = selectStacks(manifest, { stacks: o.stacks, region: o.region });
  } catch (err) {
    if (err instanceof SelectionError) throw new ConfigurationError(err.message.replace(/^STACKS pattern/, '--stack').replace(/^REGION=/, '--region '));
    throw err;
  }
  const places: Place[] = [];
  const skipped: { stack: string; reason: string }[] = [];
  for (const stack of names) {
    const region = manifest.stacks[stack].region;
    let outputs: TfOutputs;
    try {
      if (o.outputsDir) {
        const file = join(o.outputsDir, `${stack}.json`);
        if (!existsSync(file)) {
          skipped.push({ stack, reason: `no ${stack}.json in ${o.outputsDir}` });
          continue;
        }
        outputs = parseOutputsJson(readFileSync(file, 'utf8'), file);
      } else {
        const dir = join(o.cdktfOut, 'stacks', stack);
        outputs = parseOutputsJson(await o.runTerraform(dir), `terraform output -json in ${dir}`);
      }
    } catch (err) {
      skipped.push({ stack, reason: (err as Error).message });
      continue;
    }
    if (Object.keys(outputs).length === 0) {
      skipped.push({ stack, reason: `not deployed: no outputs (make deploy STACKS=${stack})` });
      continue;
    }
    const found = placesFromOutputs(stack, region, outputs);
    if (found.length === 0) skipped.push({ stack, reason: 'no parking_* outputs: deployed before the redrive outputs existed (make plan && make apply)' });
    places.push(...found);
  }
  return { places, skipped };
}

/** The place `ref` names: `<stack>/<place>`, or `<place>` when exactly one selected stack has it. */
export function findPlace(places: readonly Place[], ref: string): Place {
  const exact = places.find((p) => p.id === ref);
  if (exact) return exact;
  const byName = places.filter((p) => p.place === ref);
  if (byName.length === 1) return byName[0];
  if (byName.length > 1) throw new ConfigurationError(`"${ref}" is a place of ${byName.length} stacks; name one: ${byName.map((p) => p.id).join(', ')}`);
  throw new ConfigurationError(`no parking place "${ref}" in the selected stacks; run "npm run redrive -- status" for the list`);
}
