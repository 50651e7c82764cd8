/**
 * Writes config/schema.json: the JSON Schema (draft-07) of a config file, generated from the zod schema in
 * config/schema.ts, so editors complete and check configs that say `"$schema": "./schema.json"` (or
 * "../schema.json" from config/examples/). `--check` writes nothing and exits 1 when the committed file is stale.
 *
 *   tsx scripts/config-schema.ts [--check]        (make schema)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from '../config/schema.js';
import { fromRoot } from '../lib/paths.js';

export const CONFIG_SCHEMA_PATH = fromRoot('config', 'schema.json');

/** The text of config/schema.json as the zod schema gives it today. */
export function configSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = configSchemaText();
  let current = '';
  try {
    current = readFileSync(CONFIG_SCHEMA_PATH, 'utf8');
  } catch {
    // missing: written below, or stale under --check
  }
  if (process.argv.includes('--check')) {
    if (current !== text) {
      console.error('config/schema.json is stale: run `make schema` and commit it');
      process.exit(1);
    }
    console.log('config/schema.json is up to date');
  } else if (current !== text) {
    writeFileSync(CONFIG_SCHEMA_PATH, text);
    console.log('wrote config/schema.json');
  } else {
    console.log('config/schema.json is up to date');
  }
}
