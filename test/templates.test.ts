import { describe, expect, it } from 'vitest';
import { checkVariables, compileTemplate } from '../src/templates.js';
import { problemsOf } from './helpers/problems.js';

describe('checkVariables', () => {
  it('names file, line, column and variable for a name no column or built-in provides', () => {
    const template = compileTemplate('Dear {{name}},\n\n{{#if vip}}Hi {{first_nmae}}{{/if}}\n{{event.title}}', 'templates/t.txt.hbs', 0, 'text');
    const problems = checkVariables(template, new Set(['name', 'vip', 'event']), 'columns: name, vip');
    expect(problems).toEqual([
      {
        file: 'templates/t.txt.hbs',
        line: 3,
        column: 17, // where the name itself starts
        message: 'the template uses "{{first_nmae}}", but no contact column or built-in variable "first_nmae" exists',
        hint: 'columns: name, vip',
      },
    ]);
  });

  it('does not treat names inside {{#each}} as top-level variables', () => {
    const template = compileTemplate('{{#each items}}{{label}}{{/each}}', 'x.hbs', 0, 'text');
    expect(checkVariables(template, new Set(['items']), '')).toEqual([]);
  });

  it('adds the line offset of a subject written inside invite.yaml', () => {
    const template = compileTemplate('Hello {{nmae}}', 'invite.yaml', 41, 'header');
    expect(checkVariables(template, new Set(['name']), '')[0]).toMatchObject({ file: 'invite.yaml', line: 42 });
  });
});

describe('compileTemplate', () => {
  it('rejects an unknown helper with its position', () => {
    const problems = problemsOf(() => compileTemplate('a\n  {{uppercase name}}', 'x.hbs', 0, 'text'));
    expect(problems).toEqual([{ file: 'x.hbs', line: 2, column: 3, message: 'unknown helper "uppercase"', hint: expect.stringContaining('if, unless, each') }]);
  });

  it('reports a syntax error with its line', () => {
    const problems = problemsOf(() => compileTemplate('a\nb {{#if x}} c', 'x.hbs', 0, 'text'));
    expect(problems[0]).toMatchObject({ file: 'x.hbs' });
    expect(problems[0]?.message).toMatch(/template syntax/);
  });

  it('escapes in HTML mode only', () => {
    const data = { name: 'Tom & "Jerry" <x>' };
    expect(compileTemplate('{{name}}', 'x', 0, 'html').render(data)).toBe('Tom &amp; &quot;Jerry&quot; &lt;x&gt;');
    expect(compileTemplate('{{name}}', 'x', 0, 'text').render(data)).toBe('Tom & "Jerry" <x>');
    expect(compileTemplate('{{name}}', 'x', 0, 'header').render(data)).toBe('Tom & "Jerry" <x>');
  });
});

describe('columns by their header as written', () => {
  it('{{[First name]}} reads the column and passes the check', () => {
    const template = compileTemplate('Hi {{[First name]}} / {{first_name}}', 'x.hbs', 0, 'text');
    expect(checkVariables(template, new Set(['First name', 'first_name']), '')).toEqual([]);
    expect(template.render({ 'First name': 'Ada', first_name: 'Ada' })).toBe('Hi Ada / Ada');
  });
});
