import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCampaign } from '../../src/campaign/load.js';
import { Composer } from '../../src/compose/compose.js';
import { builtInsFor } from '../../src/compose/context.js';
import { checkVariables, compileTemplate, type Shape } from '../../src/campaign/templates.js';
import { problemsOf } from '../helpers/problems.js';

/** Columns (text values) plus the invitation's built-ins. */
const columns = (...names: string[]): Record<string, Shape> => ({
  ...Object.fromEntries(names.map((n) => [n, 'value' as const])),
  ...builtInsFor('invitation'),
});

describe('checkVariables', () => {
  it('names file, line, column and variable for a name no column or built-in provides', () => {
    const template = compileTemplate('Dear {{name}},\n\n{{#if vip}}Hi {{first_nmae}}{{/if}}\n{{event.title}}', 'templates/t.txt.hbs', 0, 'text');
    const problems = checkVariables(template, columns('name', 'vip'), 'columns: name, vip');
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
    expect(checkVariables(template, { items: 'list' }, '')).toEqual([]);
  });

  it('follows every path to its end: {{event.titel}} is as wrong as {{nmae}}', () => {
    const template = compileTemplate('{{event.titel}} {{event.title}} {{name.first}} {{registration.url}} {{organiser.mail}}', 'invite.yaml', 9, 'header');
    expect(checkVariables(template, columns('name'), '')).toEqual([
      {
        file: 'invite.yaml',
        line: 10,
        column: 3,
        message: 'the template uses "{{event.titel}}", but "event" has no "titel"',
        hint: expect.stringMatching(/^event has: title, description, .*when$/),
      },
      {
        file: 'invite.yaml',
        line: 10,
        column: 35,
        message: 'the template uses "{{name.first}}", but "name" is a text value with no parts',
        hint: 'write {{name}}',
      },
      {
        file: 'invite.yaml',
        line: 10,
        column: 71,
        message: 'the template uses "{{organiser.mail}}", but "organiser" has no "mail"',
        hint: 'organiser has: name, email',
      },
    ]);
  });

  it('a reminder has {{stage.days_left}} and an update {{changes}}; an invitation has neither', () => {
    const template = compileTemplate('{{stage.days_left}} {{#each changes}}{{this}}{{/each}}', 'x.hbs', 0, 'text');
    expect(checkVariables(template, builtInsFor('reminder:week-before'), '').map((p) => p.message)).toEqual([expect.stringContaining('"changes"')]);
    expect(checkVariables(template, builtInsFor('update'), '').map((p) => p.message)).toEqual([expect.stringContaining('"stage"')]);
    expect(checkVariables(template, builtInsFor('invitation'), '')).toHaveLength(2);
  });

  it('adds the line offset of a subject written inside invite.yaml', () => {
    const template = compileTemplate('Hello {{nmae}}', 'invite.yaml', 41, 'header');
    expect(checkVariables(template, columns('name'), '')[0]).toMatchObject({ file: 'invite.yaml', line: 42 });
  });
});

describe('compileTemplate', () => {
  it('rejects an unknown helper with its position', () => {
    const problems = problemsOf(() => compileTemplate('a\n  {{uppercase name}}', 'x.hbs', 0, 'text'));
    expect(problems).toEqual([{ file: 'x.hbs', line: 2, column: 3, message: 'unknown helper "uppercase"', hint: expect.stringContaining('if, unless, each') }]);
  });

  it('reports partials and decorators, which no template can use', () => {
    expect(problemsOf(() => compileTemplate('a {{> footer}}', 'x.hbs', 0, 'text'))).toEqual([
      {
        file: 'x.hbs',
        line: 1,
        column: 3,
        message: 'partials are not supported ({{> footer}})',
        hint: expect.stringContaining('write the text into the template'),
      },
    ]);
    expect(problemsOf(() => compileTemplate('{{#> layout}}x{{/layout}}', 'x.hbs', 0, 'text'))[0]?.message).toBe('partials are not supported ({{> layout}})');
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
    expect(checkVariables(template, columns('First name', 'first_name'), '')).toEqual([]);
    expect(template.render({ 'First name': 'Ada', first_name: 'Ada' })).toBe('Hi Ada / Ada');
  });
});

describe('<style> blocks are inlined (Gmail and Outlook drop them)', () => {
  const styled = (body: string) =>
    `<!DOCTYPE html>\n<html><head><style>\np { color: #123456; }\n.button { background: #0b5fa5; }\n@media (max-width: 480px) { p { font-size: 18px; } }\n</style></head>\n<body>${body}</body></html>\n`;

  function campaignWithHtml(html: string): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'invite-styled-'));
    cpSync(path.join(import.meta.dirname, '../fixtures/campaign'), dir, { recursive: true });
    writeFileSync(path.join(dir, 'templates/invitation.html.hbs'), html);
    return dir;
  }

  it('each rule lands in the style attributes of the message; media queries stay in <style>', () => {
    const dir = campaignWithHtml(styled('<p>Dear {{name}},</p>\n<a class="button" href="{{registration.url}}">Register</a>'));
    const campaign = loadCampaign(path.join(dir, 'invite.yaml'));
    const html = campaign.mails.invitation.html.render({
      ...new Composer(campaign).templateContext({ line: 2, email: 'a@example.org', name: 'Ada', attachments: [], fields: { name: 'Ada', organisation: 'O' } }),
    });
    expect(html).toMatch(/<p style="color: #123456;">Dear Ada,<\/p>/);
    expect(html).toMatch(/<a class="button" href="https:\/\/events\.example\.org\/test\/register" style="background: #0b5fa5;">/);
    expect(html).toContain('@media (max-width: 480px)');
    expect(html).not.toContain('.button {');
  });

  it('problems still name the line of the template as written', () => {
    const dir = campaignWithHtml(styled('<p>Dear {{name}},</p>\n<p>{{nonexistent}}</p>'));
    const campaign = loadCampaign(path.join(dir, 'invite.yaml'));
    const template = campaign.mails.invitation.html;
    const problems = checkVariables(template, columns('name'), 'hint');
    expect(problems.map((p) => p.line)).toEqual([8]); // as written, not as inlined
  });
});
