// Templates: compiles the Handlebars subject, HTML and text of each mail kind, and checks
// before anything is sent that every variable a template uses is provided, to the end of its
// path, by a contact column or a built-in, and that every helper it calls exists.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import Handlebars from 'handlebars';
import { InputError, type Problem, shownPath } from '../errors.js';
import { byLanguage, canonicalLanguage } from '../locale/languages.js';

type Program = hbs.AST.Program;
type Statement = hbs.AST.Statement;
type Expression = hbs.AST.Expression;

/**
 * Helpers that Handlebars itself provides; no other is registered. Not `log`: it writes to the
 * console, which would break --json and pass a cell's control characters to the terminal.
 */
const BUILT_IN_HELPERS = new Set(['if', 'unless', 'each', 'with', 'lookup', 'eq']);
/** Blocks whose body runs with another context, so their variables are not top-level names. */
const CONTEXT_BLOCKS = new Set(['each', 'with']);

export interface VariableUse {
  /** The first segment of the path: a column or a built-in such as `event`. */
  root: string;
  /** Every segment: `event.title` → ['event', 'title']. */
  parts: string[];
  /** The full dotted path as written. */
  path: string;
  line: number;
  column: number;
  /** Inside {{#if path}} (or the {{else}} of {{#unless path}}), or the test itself: an empty value shows nothing there, by design. */
  guarded: boolean;
}

export interface Template {
  /** Where the template lives, as shown in messages. */
  file: string;
  /** Added to line numbers inside the template (for a subject written inside invite.yaml). */
  lineOffset: number;
  uses: VariableUse[];
  /** The template for this context; with a budget, rendering stops (RenderTooLarge) as soon as the output passes it. */
  render: (context: object, budget?: RenderBudget) => string;
}

/**
 * What the parts of one message may take together (the message limit, less its attachments):
 * each part's output is counted, and so is every pass of a {{#each}} while it runs, so that
 * nested loops stop as soon as they pass the limit instead of building hundreds of megabytes.
 */
export class RenderBudget {
  /** Characters produced so far: whole parts, and inside the loops of the part being rendered. */
  used = 0;
  /** Passes of {{#each}} so far: loops that produce nothing must end too. */
  passes = 0;
  /** For each loop pass being rendered, the output of the loop passes nested in it (already counted). */
  readonly nested: number[] = [0];

  constructor(
    /** Characters allowed in all. */
    readonly limit: number,
    /** How the limit is named in the error: "the message limit of 10.0 MB (sending.max_message_size)". */
    readonly named: string,
  ) {}

  /** A part rendered whole: its real length replaces what its loops counted. */
  settle(before: number, output: string): void {
    this.used = before + output.length;
    if (this.used > this.limit) throw new RenderTooLarge(this);
  }
}

/** At most this many loop passes in one message: a million is far more than any letter needs. */
export const MAX_LOOP_PASSES = 1_000_000;

/** Thrown out of a render that passed its budget. */
export class RenderTooLarge extends Error {
  constructor(readonly budget: RenderBudget) {
    super(budget.passes > MAX_LOOP_PASSES ? `its loops ran over ${MAX_LOOP_PASSES.toLocaleString('en')} times` : `it passed ${budget.named}`);
    this.name = 'RenderTooLarge';
  }
}

/** The key of the render's data frame that carries the budget to the loop helper. */
const BUDGET = 'inviteRenderBudget';

/** The subject, HTML and text of one letter. */
export interface Letter {
  subject: Template;
  html: Template;
  text: Template;
}

/** A mail kind's default letter, and its letters in other languages (templates/invitation.lv.html.hbs …) by canonical tag. */
export interface MailTemplates extends Letter {
  letters?: Map<string, Letter>;
}

interface Where {
  file: string;
  line?: number;
  column?: string;
}

const handlebars = Handlebars.create();
handlebars.unregisterHelper('log');
// {{#if (eq language "lv")}}: small differences inside one letter. Two values, compared as text.
handlebars.registerHelper('eq', (a: unknown, b: unknown) => String(a) === String(b));
const each = handlebars.helpers.each as (this: unknown, context: unknown, options: Handlebars.HelperOptions) => string;
type Body = (context: unknown, options?: { data?: unknown; blockParams?: unknown }) => string;
// {{#each}} as Handlebars has it, each pass counted against the render's budget (when it has one).
handlebars.registerHelper('each', function (this: unknown, context: unknown, options: Handlebars.HelperOptions) {
  const budget = (options.data as Record<string, unknown> | undefined)?.[BUDGET];
  if (!(budget instanceof RenderBudget)) return each.call(this, context, options);
  const body = options.fn as Body;
  const counted: Body = (value, frame) => {
    if (++budget.passes > MAX_LOOP_PASSES) throw new RenderTooLarge(budget);
    budget.nested.push(0);
    let output: string;
    try {
      output = body(value, frame);
    } finally {
      // The passes nested in this one were counted already: only the rest of its output is new.
      budget.used -= budget.nested.pop()!;
    }
    budget.used += output.length;
    budget.nested[budget.nested.length - 1]! += output.length;
    if (budget.used > budget.limit) throw new RenderTooLarge(budget);
    return output;
  };
  return each.call(this, context, { ...options, fn: counted as Handlebars.HelperOptions['fn'] });
});

/** What invite.yaml says of one mail kind: the subject (one, or one per language) and the template files. */
export interface MailSpec {
  subject: string | Record<string, string>;
  html: string;
  text: string;
}

/**
 * Reads and compiles the templates of one mail kind, and its letters in other languages: beside
 * `invitation.html.hbs`, `invitation.lv.html.hbs` and `invitation.lv.txt.hbs` are the Latvian
 * letter. A subject given per language must have the default language's and each letter's; a
 * single subject serves every letter. Paths are relative to the campaign folder.
 */
export function loadTemplates(dir: string, spec: MailSpec, where: (key: 'subject' | 'html' | 'text') => Where, defaultLanguage = 'en'): MailTemplates {
  const problems: Problem[] = [];
  const collect = (make: () => Template): Template | undefined => {
    try {
      return make();
    } catch (error) {
      if (error instanceof InputError) problems.push(...error.problems);
      else throw error;
      return undefined;
    }
  };
  const read = (key: 'html' | 'text', file: string, language?: string): Template | undefined => {
    const shown = shownPath(file);
    let source: string;
    try {
      source = readFileSync(file, 'utf8');
    } catch {
      const w = where(key);
      const missing = language ? `the ${language} letter has no ${key} template "${shownPath(file)}"` : `template "${spec[key]}" not found`;
      problems.push({
        ...w,
        message: missing,
        hint: language ? `write ${path.basename(file)} beside the default one, or remove the other` : 'paths are relative to invite.yaml',
      });
      return undefined;
    }
    return collect(() => (key === 'text' ? compileTemplate(source, shown, 0, 'text') : compileHtml(source, shown)));
  };
  const subjectWhere = where('subject');
  const subjects = subjectsOf(spec.subject, defaultLanguage, subjectWhere, problems);
  const subjectOf = (language: string) => {
    const source = subjects.get(language) ?? subjects.get('*');
    return source === undefined ? undefined : collect(() => compileTemplate(source, subjectWhere.file, (subjectWhere.line ?? 1) - 1, 'header'));
  };
  const htmlFile = path.resolve(dir, spec.html);
  const textFile = path.resolve(dir, spec.text);
  const subject = subjectOf(defaultLanguage);
  const html = read('html', htmlFile);
  const text = read('text', textFile);
  const letters = new Map<string, Letter>();
  for (const language of lettersBeside(htmlFile, textFile, defaultLanguage, subjectWhere, problems)) {
    if (subjects.size > 0 && !subjects.has('*') && !subjects.has(language)) {
      problems.push({
        ...subjectWhere,
        message: `the ${language} letter has no subject: subject: has no "${language}:"`,
        hint: `add ${language}: "…" under subject:`,
      });
      continue;
    }
    const letter = {
      subject: subjectOf(language),
      html: read('html', inLanguage(htmlFile, language), language),
      text: read('text', inLanguage(textFile, language), language),
    };
    if (letter.subject && letter.html && letter.text) letters.set(language, letter as Letter);
  }
  problems.push(...subjectsWithoutLetter(subjects, letters, defaultLanguage, [htmlFile, textFile], subjectWhere, problems));
  if (problems.length > 0 || !subject || !html || !text) throw new InputError(problems);
  return { subject, html, text, ...(letters.size > 0 ? { letters } : {}) };
}

/** A subject in a language that has no letter (and no problem said so already). */
function subjectsWithoutLetter(
  subjects: Map<string, string>,
  letters: Map<string, Letter>,
  defaultLanguage: string,
  [htmlFile, textFile]: [string, string],
  where: Where,
  found: Problem[],
): Problem[] {
  const problems: Problem[] = [];
  for (const language of subjects.keys()) {
    if (language === '*' || language === defaultLanguage || letters.has(language)) continue;
    if (found.some((p) => p.message.includes(`the ${language} letter`))) continue;
    const [html, text] = [path.basename(inLanguage(htmlFile, language)), path.basename(inLanguage(textFile, language))];
    problems.push({
      ...where,
      message: `subject: has "${language}:", but there is no ${language} letter (${html})`,
      hint: `write ${html} and ${text} beside the default ones, or remove ${language}: from the subject`,
    });
  }
  return problems;
}

/** The subject per canonical language ("*": one for every letter); a problem for a bad tag or a missing default. */
function subjectsOf(given: MailSpec['subject'], defaultLanguage: string, where: Where, problems: Problem[]): Map<string, string> {
  if (typeof given === 'string') return new Map([['*', given]]);
  const subjects = byLanguage(given, (tag) =>
    problems.push({ ...where, message: `subject: "${tag}" is not a language tag`, hint: 'use tags such as en, lv, pl, de-AT' }),
  );
  if (!subjects.has(defaultLanguage)) {
    problems.push({
      ...where,
      message: `subject: has no text in the default language (${defaultLanguage})`,
      hint: `add ${defaultLanguage}: "…" under subject:, or set language.default to one of ${[...subjects.keys()].join(', ')}`,
    });
  }
  return subjects;
}

/** invitation.html.hbs in Latvian: invitation.lv.html.hbs. */
function inLanguage(file: string, language: string): string {
  const base = path.basename(file);
  const dot = base.indexOf('.');
  return path.join(path.dirname(file), dot < 0 ? `${base}.${language}` : `${base.slice(0, dot)}.${language}${base.slice(dot)}`);
}

/** The languages of the letters beside the default templates (invitation.lv.html.hbs, invitation.lv.txt.hbs), canonical. */
function lettersBeside(htmlFile: string, textFile: string, defaultLanguage: string, where: Where, problems: Problem[]): string[] {
  const found = new Set<string>();
  for (const file of [htmlFile, textFile]) {
    const base = path.basename(file);
    const dot = base.indexOf('.');
    if (dot < 0) continue;
    const [stem, rest] = [base.slice(0, dot), base.slice(dot)];
    let names: string[];
    try {
      names = readdirSync(path.dirname(file));
    } catch {
      continue;
    }
    for (const name of names) {
      if (!name.startsWith(`${stem}.`) || !name.endsWith(rest) || name.length <= stem.length + rest.length + 1) continue;
      const tag = name.slice(stem.length + 1, name.length - rest.length);
      const language = canonicalLanguage(tag);
      if (!language || tag.includes('.')) continue;
      if (language === defaultLanguage) {
        problems.push({
          ...where,
          message: `${name} is in the default language (${defaultLanguage}), whose letter is ${base}`,
          hint: `remove or rename ${name}`,
        });
        continue;
      }
      found.add(language);
    }
  }
  return [...found].sort();
}

/** An HTML template: its <style> rules inlined (Gmail and Outlook drop <style> blocks in many cases). */
function compileHtml(source: string, shown: string): Template {
  // The checks (and their line numbers) are those of the template as written; what renders is the inlined one.
  const written = compileTemplate(source, shown, 0, 'html');
  if (!/<style[\s>]/i.test(source)) return written;
  const inlined = inlineStyles(source);
  return { ...written, render: compileTemplate(inlined, shown, 0, 'html').render };
}

type Juice = (html: string, options?: Record<string, unknown>) => string;
let juiceLoaded: Juice | undefined;

/** The build's own bundle of juice beside this chunk (dist/vendor/juice.cjs); from node_modules when running from src/. */
function loadJuice(): Juice {
  const require = createRequire(import.meta.url);
  try {
    return require('./vendor/juice.cjs') as Juice;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    return require('juice') as Juice;
  }
}

/**
 * A template's <style> rules written into style attributes (juice). Media queries stay in a
 * <style> block (clients that keep it get the narrow-screen rules). juice is loaded only for a
 * template that has a <style> block: every other run does without it.
 */
export function inlineStyles(html: string): string {
  juiceLoaded ??= loadJuice();
  return juiceLoaded(html, { preserveMediaQueries: true, preserveFontFaces: true, applyWidthAttributes: true, applyAttributesTableElements: true });
}

/**
 * Compiles one template. `html` escapes values; `text` and `header` never do (a plain-text
 * body must read "Müller & Co", not "Müller &amp; Co").
 */
export function compileTemplate(source: string, file: string, lineOffset: number, mode: 'html' | 'text' | 'header'): Template {
  let ast: Program;
  try {
    ast = handlebars.parse(source);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const line = /line (\d+)/.exec(message)?.[1];
    throw new InputError({
      file,
      line: line ? Number(line) + lineOffset : undefined,
      message: `template syntax: ${message.split('\n').pop()}`,
      hint: 'check that every {{#block}} is closed and every {{ has its }}',
    });
  }
  const uses: VariableUse[] = [];
  const helperProblems: Problem[] = [];
  walkProgram(
    ast,
    0,
    uses,
    (message, hint, loc) => helperProblems.push({ file, line: loc.start.line + lineOffset, column: loc.start.column + 1, message, hint }),
    new Set(),
  );
  if (helperProblems.length > 0) throw new InputError(helperProblems);
  const compiled = handlebars.compile(ast, { strict: true, noEscape: mode !== 'html', knownHelpersOnly: false });
  return {
    file,
    lineOffset,
    uses,
    render(context: object, budget?: RenderBudget): string {
      try {
        if (!budget) return compiled(context);
        const before = budget.used;
        const output = compiled(context, { data: { [BUDGET]: budget } });
        budget.settle(before, output);
        return output;
      } catch (error) {
        if (error instanceof RenderTooLarge) throw error;
        const e = error as { message?: string; lineNumber?: number; column?: number };
        throw new InputError({
          file,
          line: e.lineNumber !== undefined ? e.lineNumber + lineOffset : undefined,
          column: e.column !== undefined ? e.column + 1 : undefined,
          message: `template: ${String(e.message ?? error)
            .replace(/ in \[object Object\]/, '')
            .replace(/ - \d+:\d+$/, '')}`,
          hint: 'add the column to the contacts, or fix the variable name',
        });
      }
    },
  };
}

/**
 * What a template can reach, to the end of every path: a text value, a list (each item
 * reached inside {{#each}}), or an object with named parts (`event` → title, date, …).
 */
export type Shape = 'value' | 'list' | { readonly [key: string]: Shape };

/** Problems for variables that no column or built-in provides, checked segment by segment: {{event.titel}} as much as {{nmae}}. */
export function checkVariables(template: Template, available: Record<string, Shape>, columnsHint: string): Problem[] {
  const problems: Problem[] = [];
  for (const use of template.uses) {
    const at = (message: string, hint: string) =>
      problems.push({
        file: template.file,
        line: use.line + template.lineOffset,
        column: use.column,
        message: `the template uses "{{${use.path}}}", but ${message}`,
        hint,
      });
    let shape: Shape | undefined = Object.hasOwn(available, use.root) ? available[use.root] : undefined;
    if (shape === undefined) {
      at(`no contact column or built-in variable "${use.root}" exists`, columnsHint);
      continue;
    }
    for (let i = 1; i < use.parts.length; i++) {
      const part = use.parts[i]!;
      const owner = use.parts.slice(0, i).join('.');
      if (shape === 'list') break; // an item or `length`: what a list holds is not known here
      if (shape === 'value') {
        at(`"${owner}" is a text value with no parts`, `write {{${owner}}}`);
        break;
      }
      const next: Shape | undefined = Object.hasOwn(shape, part) ? shape[part] : undefined;
      if (next === undefined) {
        at(`"${owner}" has no "${part}"`, `${owner} has: ${Object.keys(shape).join(', ')}`);
        break;
      }
      shape = next;
    }
  }
  return problems;
}

type Report = (message: string, hint: string, loc: hbs.AST.SourceLocation) => void;

const unknownHelper = (name: string) => [`unknown helper "${name}"`, `available helpers: ${[...BUILT_IN_HELPERS].join(', ')}`] as const;

function walkProgram(program: Program | undefined, depth: number, uses: VariableUse[], unknown: Report, guards: ReadonlySet<string>): void {
  if (!program) return;
  for (const statement of program.body) walkStatement(statement, depth, uses, unknown, guards);
}

/** The variable a block tests ({{#if name}}, {{#unless name}}), when it tests one. */
function tested(call: hbs.AST.BlockStatement): string | undefined {
  const param = call.params[0];
  return call.params.length === 1 && param?.type === 'PathExpression' ? (param as hbs.AST.PathExpression).original : undefined;
}

function walkStatement(node: Statement, depth: number, uses: VariableUse[], unknown: Report, guards: ReadonlySet<string>): void {
  if (node.type === 'PartialStatement' || node.type === 'PartialBlockStatement') {
    const name = ((node as hbs.AST.PartialStatement).name as hbs.AST.PathExpression).original ?? '';
    unknown(`partials are not supported ({{> ${name}}})`, 'write the text into the template itself; every template is one file', node.loc);
    return;
  }
  if (node.type === 'DecoratorBlock' || node.type === 'Decorator') {
    unknown('decorators ({{* …}}) are not supported', 'remove it', node.loc);
    return;
  }
  if (node.type === 'MustacheStatement' || node.type === 'BlockStatement') {
    const call = node as hbs.AST.MustacheStatement | hbs.AST.BlockStatement;
    const isCall = call.params.length > 0 || (call.hash?.pairs.length ?? 0) > 0;
    const name = call.path.type === 'PathExpression' ? (call.path as hbs.AST.PathExpression).original : '';
    if (isCall) {
      if (!BUILT_IN_HELPERS.has(name)) unknown(...unknownHelper(name), call.loc);
    } else {
      walkExpression(call.path, depth, uses, unknown, guards);
    }
    // The test of {{#if x}} / {{#unless x}} shows nothing itself: it is a guard.
    const test = node.type === 'BlockStatement' && (name === 'if' || name === 'unless') ? tested(node as hbs.AST.BlockStatement) : undefined;
    const withTest = test ? new Set([...guards, test]) : guards;
    for (const param of call.params) walkExpression(param, depth, uses, unknown, withTest);
    for (const pair of call.hash?.pairs ?? []) walkExpression(pair.value, depth, uses, unknown, guards);
    if (node.type === 'BlockStatement') {
      const block = node as hbs.AST.BlockStatement;
      // {{#each list}} and {{#with obj}} change the context; {{#name}} without params does too.
      const inner = CONTEXT_BLOCKS.has(name) || !isCall ? depth + 1 : depth;
      // Inside {{#if x}}, and in the {{else}} of {{#unless x}}, x is not empty.
      walkProgram(block.program, inner, uses, unknown, name === 'if' ? withTest : guards);
      walkProgram(block.inverse, depth, uses, unknown, name === 'unless' ? withTest : guards);
    }
  }
}

function walkExpression(node: Expression, depth: number, uses: VariableUse[], unknown: Report, guards: ReadonlySet<string>): void {
  if (node.type === 'SubExpression') {
    const sub = node as hbs.AST.SubExpression;
    const name = sub.path.original;
    if (!BUILT_IN_HELPERS.has(name)) unknown(...unknownHelper(name), sub.loc);
    for (const param of sub.params) walkExpression(param, depth, uses, unknown, guards);
    return;
  }
  if (node.type !== 'PathExpression') return;
  const p = node as hbs.AST.PathExpression;
  if (p.data || p.depth > 0 || depth > 0) return; // @index, ../x and names inside {{#each}}
  const root = p.parts[0];
  if (root === undefined || p.original === 'this' || p.original.startsWith('this.')) return;
  uses.push({ root, parts: [...p.parts], path: p.original, line: p.loc.start.line, column: p.loc.start.column + 1, guarded: guards.has(p.original) });
}
