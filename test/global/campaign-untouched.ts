// A guard around the whole suite: the repository is also a real campaign, and its journal
// (.invite/) records what was really sent. No test may read-modify it; if the suite changed
// it in any way, the test file that ends next fails (vitest ignores errors of a global teardown).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const STATE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../.invite');

/** Every file under .invite/ with a hash of its bytes; "absent" when the folder is not there. */
export function snapshot(dir = STATE): string {
  if (!existsSync(dir)) return 'absent';
  const lines: string[] = [];
  const walk = (at: string) => {
    for (const name of readdirSync(at).sort()) {
      const full = path.join(at, name);
      if (statSync(full).isDirectory()) walk(full);
      else lines.push(`${path.relative(dir, full)} ${createHash('sha256').update(readFileSync(full)).digest('hex')}`);
    }
  };
  walk(dir);
  return lines.join('\n');
}

declare module 'vitest' {
  export interface ProvidedContext {
    campaignState: string;
  }
}

/** Taken once before any test file runs; every file compares against it when it ends (test/global/after-each-file.ts). */
export default function setup(project: { provide(key: 'campaignState', value: string): void }): void {
  project.provide('campaignState', snapshot());
}
