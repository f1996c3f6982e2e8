// The tree shows the pipeline (src/README.md): a folder per stage, imports only from the same
// stage or one before it, and no cycle between files, type-only imports included.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';

/** The stages in pipeline order: a file may import from its own stage and the ones before it. */
const STAGES = ['base', 'locale', 'campaign', 'contacts', 'compose', 'mime', 'transports', 'journal', 'replies', 'sending', 'commands', 'cli'] as const;
/** The files at the top of src/ besides cli.ts: what every stage may use. */
const BASE = ['defaults.ts', 'errors.ts', 'io.ts', 'progress.ts'];

const SRC = path.join(ROOT, 'src');

function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

function stageOf(file: string): (typeof STAGES)[number] {
  const relative = path.relative(SRC, file);
  if (relative === 'cli.ts') return 'cli';
  if (!relative.includes(path.sep)) {
    if (!BASE.includes(relative)) throw new Error(`src/${relative}: a file at the top of src/ that is neither cli.ts nor one of ${BASE.join(', ')}`);
    return 'base';
  }
  const folder = relative.split(path.sep)[0]!;
  if (!(STAGES as readonly string[]).includes(folder)) throw new Error(`src/${folder}/ is not a stage (${STAGES.join(', ')})`);
  return folder as (typeof STAGES)[number];
}

/** Every relative import of a file (import, import type, export … from, import()), as the file it names. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)(['"])(\.{1,2}\/[^'"]+)\1/gm)].map((m) => m[2]!);
  return specifiers.map((s) => path.resolve(path.dirname(file), s).replace(/\.js$/, '.ts'));
}

const files = sourceFiles();
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const shown = (f: string) => path.relative(ROOT, f);

describe('the source tree', () => {
  it('has cli.ts and at most four more files at the top of src/, every other file in a stage folder', () => {
    const top = files
      .filter((f) => path.dirname(f) === SRC)
      .map((f) => path.basename(f))
      .sort();
    expect(top).toEqual(['cli.ts', ...BASE].sort());
    for (const f of files) expect(() => stageOf(f), shown(f)).not.toThrow();
  });

  it('imports only from the same stage or an earlier one', () => {
    const upward: string[] = [];
    for (const [file, targets] of graph) {
      for (const target of targets) {
        expect(graph.has(target), `${shown(file)} imports ${shown(target)}, which does not exist`).toBe(true);
        if (STAGES.indexOf(stageOf(target)) > STAGES.indexOf(stageOf(file)))
          upward.push(`${shown(file)} (${stageOf(file)}) → ${shown(target)} (${stageOf(target)})`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('has no import cycle, type-only imports included', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (file: string) => {
      state.set(file, 'open');
      stack.push(file);
      for (const target of graph.get(file) ?? []) {
        if (state.get(target) === 'open') cycles.push([...stack.slice(stack.indexOf(target)), target].map(shown).join(' → '));
        else if (!state.has(target)) visit(target);
      }
      stack.pop();
      state.set(file, 'done');
    };
    for (const file of files) if (!state.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });

  it('keeps no state at module level: caches and buffers belong to objects made per run (a Composer, a MimeWriter)', () => {
    // A lazily imported library is not a run's state (as Node's module cache is not): the only lets allowed.
    const LIBRARY_HANDLES = new Set(['libraries', 'loading', 'juiceLoaded', 'iconvLoaded']);
    const found: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^(?:export )?let (\w+)/gm)) if (!LIBRARY_HANDLES.has(m[1]!)) found.push(`${shown(file)}: let ${m[1]}`);
      // An empty collection at module level is a cache to be; one made from a literal is a constant.
      for (const m of text.matchAll(/^(?:export )?const (\w+)(?::[^=]+)? = new (Map|WeakMap|WeakSet|Set)(?:<[^>]*>)?\(\)/gm))
        found.push(`${shown(file)}: const ${m[1]} = new ${m[2]}()`);
      for (const m of text.matchAll(/^(?:export )?const (\w+) = Buffer\.alloc/gm)) found.push(`${shown(file)}: const ${m[1]} = Buffer.alloc…`);
    }
    expect(found).toEqual([]);
  });

  it('sees the imports it checks (the parser is not blind)', () => {
    // cli.ts loads every command lazily; compose.ts imports a type from contacts.
    expect(graph.get(path.join(SRC, 'cli.ts'))).toContain(path.join(SRC, 'commands/send.ts'));
    expect(graph.get(path.join(SRC, 'compose/compose.ts'))).toContain(path.join(SRC, 'contacts/rules.ts'));
  });
});
