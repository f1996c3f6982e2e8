// The documentation a newcomer reads (issue 22, point 8): the README is a guide of about 400
// lines; docs/reference.md describes every flag every `--help` lists, in the section of its
// command (or in a section that command's section sends the reader to: "the flags of
// [`invite send`]"); every link between them leads to a heading that exists.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cleanEnv, ROOT } from './helpers/cli.js';

const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const reference = readFileSync(path.join(ROOT, 'docs/reference.md'), 'utf8');

const help = (...args: string[]) => execFileSync(process.execPath, [BIN, ...args, '--help'], { encoding: 'utf8', env: cleanEnv() });

/** The flags a --help text lists (the long form): "  -V, --version", "  --out <dir>   …". */
export function flagsOf(text: string): string[] {
  return [...text.matchAll(/^ {2}(?:-\w, )?(--[a-z][a-z0-9-]*)/gm)].map((m) => m[1]!);
}

/** The commands `invite --help` lists. */
function commands(): string[] {
  const text = help();
  const list = text.slice(text.indexOf('Commands:'), text.indexOf('\n\n', text.indexOf('Commands:')));
  return [...list.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
}

/** The sections of a Markdown text: heading → the text up to the next heading of the same or a higher level. */
function sections(markdown: string): { heading: string; level: number; text: string }[] {
  const lines = markdown.split('\n');
  const out: { heading: string; level: number; text: string }[] = [];
  let fence = false;
  lines.forEach((line, i) => {
    if (line.startsWith('```')) fence = !fence;
    const m = !fence && /^(#{2,4}) (.*)$/.exec(line);
    if (!m) return;
    const level = m[1]!.length;
    let end = i + 1;
    let inFence = false;
    for (; end < lines.length; end++) {
      if (lines[end]!.startsWith('```')) inFence = !inFence;
      const next = !inFence && /^(#{2,4}) /.exec(lines[end]!);
      if (next && next[1]!.length <= level) break;
    }
    out.push({ heading: m[2]!, level, text: lines.slice(i, end).join('\n') });
  });
  return out;
}

/** GitHub's anchor for a heading. */
function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .replace(/\s/g, '-');
}

/** Every anchor of a Markdown text (a repeated heading gets -1, -2, … as on GitHub). */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const { heading } of sections(markdown)) {
    const base = slug(heading);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** What documents a command: the sections whose heading names it (`invite X`), and those they send the reader to for flags. */
function documentation(command: string): string {
  const all = sections(reference);
  const named = (c: string) => all.filter((s) => s.heading.includes(`\`invite ${c}`)).map((s) => s.text);
  const own = named(command);
  const referred = own.flatMap((text) => [...text.matchAll(/flags of\s+\[`invite ([a-z-]+)`\]/g)].flatMap((m) => named(m[1]!)));
  return [...own, ...referred].join('\n');
}

describe('the documentation', () => {
  it('the README is a guide of about 400 lines; the reference is in docs/', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(400);
    expect(readme).toContain('docs/reference.md');
  });

  it('every flag of every command’s --help is described in docs/reference.md, in that command’s section', () => {
    const missing: string[] = [];
    const list = commands();
    expect(list).toEqual(
      expect.arrayContaining(['init', 'send', 'remind', 'update', 'cancel', 'validate', 'status', 'replies', 'preview', 'ics', 'login', 'check-smtp']),
    );
    for (const command of list) {
      const text = documentation(command);
      if (!text) {
        missing.push(`invite ${command}: no section whose heading names it`);
        continue;
      }
      for (const flag of flagsOf(help(command))) {
        if (flag === '--help') continue;
        if (!new RegExp('`' + flag + '(?![a-z0-9-])').test(text)) missing.push(`invite ${command} ${flag}`);
      }
    }
    // The program's own flags, anywhere in the reference.
    for (const flag of flagsOf(help()).filter((f) => f !== '--help')) if (!reference.includes('`' + flag)) missing.push(`invite ${flag}`);
    expect(missing).toEqual([]);
  });

  it('every link from the README into the reference, and within the reference, leads to a heading', () => {
    const broken: string[] = [];
    const own = { readme: anchors(readme), reference: anchors(reference) };
    for (const m of readme.matchAll(/\]\((docs\/reference\.md)?#([^)]+)\)/g)) {
      if (!(m[1] ? own.reference : own.readme).has(m[2]!)) broken.push(`README.md → ${m[1] ?? ''}#${m[2]}`);
    }
    for (const m of reference.matchAll(/\]\((\.\.\/README\.md)?#([^)]+)\)/g)) {
      if (!(m[1] ? own.readme : own.reference).has(m[2]!)) broken.push(`docs/reference.md → ${m[1] ?? ''}#${m[2]}`);
    }
    expect(broken).toEqual([]);
  });
});

describe('the columns and countries understood', () => {
  it('the README and docs/reference.md list every header and every country value the code understands', async () => {
    const csv = await import('../src/contacts/csv.js');
    const { countriesUnderstood } = await import('../src/locale/zones.js');
    const reference = readFileSync(path.join(ROOT, 'docs', 'reference.md'), 'utf8');
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const lists = [
      csv.EMAIL_HEADERS,
      csv.NAME_HEADERS,
      csv.GIVEN_NAME_HEADERS,
      csv.FAMILY_NAME_HEADERS,
      csv.ORGANISATION_HEADERS,
      csv.COUNTRY_HEADERS,
      csv.LANGUAGE_HEADERS,
    ];
    const names = [...lists.flatMap((l) => [...l]), ...countriesUnderstood().flatMap((c) => c.names)];
    expect(names.filter((name) => !reference.includes(`\`${name}\``))).toEqual([]);
    expect(names.filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });
});
