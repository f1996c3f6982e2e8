// Letters per language (issue 24): how invite.yaml and the template files name them, and every
// way of getting that wrong, each an error naming invite.yaml's line or the file.
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCampaign } from '../../src/campaign/load.js';
import { Composer } from '../../src/compose/compose.js';
import { parseContacts } from '../../src/contacts/rules.js';
import { problemsOf } from '../helpers/problems.js';
import { ROOT } from '../helpers/cli.js';

const EXAMPLE = path.join(ROOT, 'examples', 'multilingual');

/** A copy of the multilingual example, changed by `change` (given its folder) before it is read. */
function example(change: (dir: string) => void = () => undefined): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'invite-letters-'));
  cpSync(EXAMPLE, dir, { recursive: true });
  change(dir);
  return dir;
}
const yaml = (dir: string, change: (text: string) => string) =>
  writeFileSync(path.join(dir, 'invite.yaml'), change(readFileSync(path.join(dir, 'invite.yaml'), 'utf8')));
const messages = (dir: string) => problemsOf(() => loadCampaign(dir)).map((p) => `${p.column ?? ''}: ${p.message}`);

describe('letters per language', () => {
  it('finds invitation.lv.* and invitation.pl.* beside the default templates, each with its subject', () => {
    const campaign = loadCampaign(EXAMPLE);
    const letters = campaign.mails.invitation.letters!;
    expect([...letters.keys()]).toEqual(['lv', 'pl']);
    expect(letters.get('lv')!.html.file).toMatch(/invitation\.lv\.html\.hbs$/);
    expect(campaign.language).toEqual({ default: 'en', fromCountry: true });
    expect(campaign.event.title).toBe('Social Innovation in the Baltic Sea Region – 2nd workshop');
    expect(campaign.event.translations?.lv?.title).toBe('Sociālās inovācijas Baltijas jūras reģionā – 2. seminārs');
  });

  it('a letter with only its HTML, a subject language without a letter, a subject map without the default language: each an error', () => {
    const dir = example((d) => {
      rmSync(path.join(d, 'templates', 'invitation.pl.txt.hbs'));
      yaml(d, (t) => t.replace('      en: "Invitation: ', '      de: "Einladung: {{event.title}}"\n      fr: "Invitation : '));
    });
    const found = messages(dir);
    expect(found).toContain(
      `mails.invitation.text: the pl letter has no text template "${path.relative(process.cwd(), path.join(dir, 'templates', 'invitation.pl.txt.hbs'))}"`,
    );
    expect(found.some((m) => m.includes('subject: has "de:", but there is no de letter (invitation.de.html.hbs)'))).toBe(true);
    expect(found.some((m) => m.includes('subject: has no text in the default language (en)'))).toBe(true);
  });

  it('a subject key that is no language tag: an error at that key', () => {
    const dir = example((d) => yaml(d, (t) => t.replace('      en: "Invitation: ', '      xx-: "x"\n      en: "Invitation: ')));
    expect(messages(dir)).toEqual(['mails.invitation.subject.xx-: "xx-" is not a valid key: expected a language tag such as en, lv, pl or de-AT']);
  });

  it('a single subject serves every letter; a letter file in the default language is an error', () => {
    const single = example((d) => yaml(d, (t) => t.replace(/ {4}subject:\n( {6}\w\w: .*\n){3}/, '    subject: "{{event.title}}, {{event.date}}"\n')));
    expect(loadCampaign(single).mails.invitation.letters?.size).toBe(2);
    const doubled = example((d) => copyFileSync(path.join(d, 'templates', 'invitation.html.hbs'), path.join(d, 'templates', 'invitation.en.html.hbs')));
    expect(messages(doubled).some((m) => m.includes('invitation.en.html.hbs is in the default language (en), whose letter is invitation.html.hbs'))).toBe(true);
  });

  it('event.title per language must have the default language; language.default must be a tag', () => {
    const dir = example((d) =>
      yaml(d, (t) => t.replace('    en: Social Innovation', '    de: Soziale Innovation').replace('  default: en', '  default: english!')),
    );
    const found = messages(dir);
    expect(found.some((m) => m.startsWith('language.default: '))).toBe(true);
  });

  it('a language cell: canonical (LV → lv, pl_pl → pl-PL), a letter for its language; not a tag, an error at the cell', () => {
    const campaign = loadCampaign(EXAMPLE);
    const list = parseContacts('email;name;language\na@example.org;A;LV\nb@example.org;B;pl_pl\nc@example.org;C;Latvian!\nd@example.org;D;\n', 'c.csv', {
      delimiter: ';',
    });
    const contacts = list.contacts.toArray();
    expect(contacts.map((c) => c.language)).toEqual(['lv', 'pl-PL', undefined]);
    expect(list.rejected[0]!.problems[0]).toMatchObject({ line: 4, column: 'language', message: '"Latvian!" is not a language tag' });
    const composer = new Composer(campaign);
    const now = new Date('2026-12-05T10:00:00Z');
    expect(contacts.map((c) => composer.compose(c, 'invitation', now).language)).toEqual(['lv', 'pl', 'en']);
  });

  it('{{#if (eq language "fi")}} is a known helper; an unknown one still is not', () => {
    const dir = example((d) =>
      writeFileSync(path.join(d, 'templates', 'invitation.txt.hbs'), '{{#if (eq language "fi")}}Hei{{/if}} {{#if (ne language "fi")}}x{{/if}}\n'),
    );
    expect(messages(dir)).toEqual([expect.stringContaining('unknown helper "ne"')]);
  });
});
