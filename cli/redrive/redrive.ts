/**
 * The redrive CLI (docs/operations.md): `npm run redrive -- <status|replay> [options]`.
 * Exit codes: 0 ok, 1 AWS/runtime error, 2 usage/configuration error, 4 parked items or alarms found / items still failing.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from './main.js';

export { main } from './main.js';

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`redrive: ${(err as Error)?.message ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
