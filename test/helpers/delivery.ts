// What the delivery and journal tests share: servers that are always closed, many contacts,
// the send command line, the journal's lines, and counting what arrived.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { ROOT, runCli } from './cli.js';
import { startSmtp, type SmtpOptions, type TestSmtp } from './smtp.js';

export const NOW = '2026-11-27T12:00:00Z';
export const NINE = readFileSync(path.join(ROOT, 'contacts/competence-centres.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split(',')[0]!);

let servers: TestSmtp[] = [];
export async function server(options: SmtpOptions = {}): Promise<TestSmtp> {
  const s = await startSmtp({ plain: true, ...options });
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

/** A contacts file with n people at example.org. */
export function manyContacts(n: number): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'invite-many-')), 'many.csv');
  const rows = ['email,name,organisation'];
  for (let i = 1; i <= n; i++) rows.push(`person${String(i).padStart(4, '0')}@example.org,Person ${i},Organisation ${i}`);
  writeFileSync(file, rows.join('\n') + '\n');
  return file;
}

/** `invite send` to this server with this journal, without asking. */
export function sendArgs(smtp: TestSmtp, journal: string, extra: string[] = []): string[] {
  return ['send', '--smtp', smtp.url, '--yes', '--journal', journal, '--now', NOW, ...extra];
}

export function send(smtp: TestSmtp, journal: string, extra: string[] = [], env: Record<string, string> = {}) {
  return runCli(sendArgs(smtp, journal, ['--retry-delay', '0.05', ...extra]), { env });
}

export function journalLines(file: string) {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { recipient: string; status: string; kind: string; messageId: string; failure?: { type: string; code?: number } });
}

export function countBy(list: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const x of list) counts.set(x, (counts.get(x) ?? 0) + 1);
  return counts;
}
