// tsc writes the CLI without the executable bit; npm's bin link needs it to run `npx spec-vla`.
import { chmodSync } from 'node:fs';

chmodSync(new URL('../dist/src/apps/cli.js', import.meta.url), 0o755);
