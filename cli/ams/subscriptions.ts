/**
 * Amazon Marketing Stream subscription CLI (docs/ams-cli.md): `npm run ams -- <command> [options]`.
 * Commands: create, get, list, update, archive, subscribe --from-outputs, status. `--help` on every command.
 * Exit codes: 0 ok, 1 API/network error, 2 usage/config/credentials error, 3 authentication refused,
 * 4 status/subscribe found problems.
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
      process.stderr.write(`ams: ${(err as Error)?.message ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
