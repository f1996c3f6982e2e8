// Letters in the partners' own languages (issue 24): the example campaign's dry run and real
// send (what the SMTP server received, what ical.js reads of the calendar), and contacts files
// as the eight countries' offices export them.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ICAL from 'ical.js';
import iconv from 'iconv-lite';
import type { ParsedMail } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { campaignCopy, edit } from '../helpers/campaign.js';
import { ROOT, runCli, tmpJournal } from '../helpers/cli.js';
import { startSmtp, whenReceived } from '../helpers/smtp.js';

const EXAMPLE = path.join(ROOT, 'examples', 'multilingual');
const NOW = '2026-12-05T10:00';
const TITLES = {
  en: 'Social Innovation in the Baltic Sea Region – 2nd workshop',
  lv: 'Sociālās inovācijas Baltijas jūras reģionā – 2. seminārs',
  pl: 'Innowacje społeczne w regionie Morza Bałtyckiego – drugie warsztaty',
};

/** The messages of a dry run with --all, by recipient. */
function messagesOf(output: string): Map<string, string> {
  const messages = new Map<string, string>();
  for (const part of output.split(/^── message \d+ ─+$/m).slice(1)) messages.set(/^To: .*<([^>]+)>$/m.exec(part)![1]!, part);
  return messages;
}

describe('the multilingual example', () => {
  it('dry run: Latvian readers get the Latvian letter ("ceturtdiena"), Polish ones the Polish ("czwartek"), the others English; validate names the languages without a letter', async () => {
    const result = await runCli(['send', '--dry-run', '--all', '--campaign', EXAMPLE, '--now', NOW]);
    expect(result.code, result.stderr).toBe(0);
    const messages = messagesOf(result.stdout);
    expect(messages.size).toBe(6);
    for (const address of ['janis.berzins@lv.example.org', 'liga.ozolina@lv.example.org']) {
      const letter = messages.get(address)!;
      expect(letter).toContain(`Subject: Ielūgums: ${TITLES.lv}, ceturtdiena, 2027. gada 6. maijs`);
      expect(letter).toContain('ceturtdiena, 2027. gada 6. maijs, 09:00–12:00 CEST (10:00–13:00 Austrumeiropas laiks)');
      expect(letter).toContain('Reģistrācijas termiņš: svētdiena, 2027. gada 25. aprīlis.');
    }
    // Name made of Vārds + Uzvārds, as the Latvian office's export heads them.
    expect(messages.get('janis.berzins@lv.example.org')).toContain('Labdien, Jānis Bērziņš!');
    const polish = messages.get('agnieszka.wisniewska@pl.example.org')!;
    expect(polish).toContain(`Subject: Zaproszenie: ${TITLES.pl}, czwartek, 6 maja 2027`);
    expect(polish).toContain('Termin rejestracji: niedziela, 25 kwietnia 2027');
    for (const [address, city] of [
      ['ruta.kazlauskiene@lt.example.org', ' (10:00–13:00 in Vilnius)'],
      ['aino.virtanen@fi.example.org', ' (10:00–13:00 in Helsinki)'],
      ['katrin.schmidt@de.example.org', ''],
    ]) {
      const letter = messages.get(address!)!;
      expect(letter).toContain(`Subject: Invitation: ${TITLES.en}, Thursday 6 May 2027`);
      expect(letter).toContain(`Thursday 6 May 2027, 09:00–12:00 CEST${city}`);
      expect(letter).not.toMatch(/ceturtdiena|czwartek/);
    }
    // {{#if (eq language "fi")}} in the English letter.
    expect(messages.get('aino.virtanen@fi.example.org')).toContain('We do not have a Finnish letter yet');
    expect(messages.get('katrin.schmidt@de.example.org')).not.toContain('Finnish');
    // The table shows which letter each gets.
    expect(result.stderr + result.stdout).toMatch(/Jānis Bērziņš <janis\.berzins@lv\.example\.org>\s+lv\s+10:00–13:00 Austrumeiropas laiks/);
    expect(result.stderr + result.stdout).toMatch(/Aino Virtanen <aino\.virtanen@fi\.example\.org>\s+en\s+10:00–13:00 in Helsinki/);

    const validate = await runCli(['validate', '--campaign', EXAMPLE, '--now', NOW]);
    expect(validate.code).toBe(0);
    expect(validate.stdout).toContain(
      '3 recipients read languages with no letter of their own — Lithuanian (lt): 1, line 5; Finnish (fi): 1, line 6; German (de): 1, line 7: they get the English one',
    );
  });

  it('sent: each message in its language, and the calendar SUMMARY and DESCRIPTION with their LANGUAGE parameter, as ical.js reads them', async () => {
    const smtp = await startSmtp({ plain: true });
    try {
      const result = await runCli(['send', '--campaign', EXAMPLE, '--smtp', smtp.url, '--yes', '--journal', tmpJournal(), '--now', NOW]);
      expect(result.code, result.stderr).toBe(0);
      await whenReceived(smtp, 6);
      await smtp.close();
      const expected: Record<string, keyof typeof TITLES> = {
        'janis.berzins@lv.example.org': 'lv',
        'agnieszka.wisniewska@pl.example.org': 'pl',
        'aino.virtanen@fi.example.org': 'en',
      };
      for (const [address, language] of Object.entries(expected)) {
        const mail = smtp.received.find((m) => m.envelope.to[0] === address)!.parsed;
        expect(mail.subject).toContain(TITLES[language]);
        const event = new ICAL.Component(ICAL.parse(calendarOf(mail))).getFirstSubcomponent('vevent')!;
        const summary = event.getFirstProperty('summary')!;
        expect(summary.getFirstValue()).toBe(TITLES[language]);
        expect(summary.getParameter('language')).toBe(language);
        const description = event.getFirstProperty('description')!;
        expect(description.getParameter('language')).toBe(language);
        expect(String(description.getFirstValue())).toMatch({ en: /^The second workshop/, lv: /^Baltijas jūras reģiona/, pl: /^Drugie warsztaty/ }[language]);
      }
    } finally {
      await smtp.close();
    }
  });

  it("validate checks every language's templates as the default ones", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'invite-letters-'));
    cpSync(EXAMPLE, dir, { recursive: true });
    edit(path.join(dir, 'templates', 'invitation.pl.txt.hbs'), (t) => t.replace('Szanowni Państwo,', 'Szanowni Państwo, {{imie}}'));
    const result = await runCli(['validate', '--now', NOW], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /templates\/invitation\.pl\.txt\.hbs:1:\d+: the template uses "\{\{imie\}\}", but no contact column or built-in variable "imie" exists/,
    );
  });

  it('a mail kind without a letter in a language the invitation has one in: a warning naming the kind and the languages', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'invite-letters-'));
    cpSync(EXAMPLE, dir, { recursive: true });
    for (const ext of ['html.hbs', 'txt.hbs']) cpSync(path.join(dir, 'templates', `invitation.${ext}`), path.join(dir, 'templates', `update.${ext}`));
    cpSync(path.join(dir, 'templates', 'invitation.lv.html.hbs'), path.join(dir, 'templates', 'update.lv.html.hbs'));
    cpSync(path.join(dir, 'templates', 'invitation.lv.txt.hbs'), path.join(dir, 'templates', 'update.lv.txt.hbs'));
    edit(
      path.join(dir, 'invite.yaml'),
      (y) => `${y}  update:\n    subject: "{{event.title}}"\n    html: templates/update.html.hbs\n    text: templates/update.txt.hbs\n`,
    );
    const result = await runCli(['validate', '--now', NOW], { cwd: dir });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('the update has no letter in Polish (pl), as the invitation has: those readers get it in English');
    expect(result.stdout).not.toContain('Latvian (lv), as the invitation');
  });

  it('the preview gallery groups the letters by language', async () => {
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'invite-gallery-')), 'gallery');
    const result = await runCli(['preview', '--campaign', EXAMPLE, '--out', out, '--now', NOW]);
    expect(result.code, result.stderr).toBe(0);
    const index = readFileSync(path.join(out, 'index.html'), 'utf8');
    const headings = [...index.matchAll(/<h2 data-testid="language-([^"]+)" lang="[^"]+">([^<]+)<\/h2>/g)].map((m) => [m[1], m[2]]);
    expect(headings).toEqual([
      ['lv', 'Latvian (lv): 2 letters'],
      ['pl', 'Polish (pl): 1 letter'],
      ['en', 'English (en): 3 letters'],
    ]);
    // Each group lists its letters, with the subject in that language.
    const latvian = index.slice(index.indexOf('language-lv'), index.indexOf('language-pl'));
    expect(latvian).toContain('Ielūgums: ');
    expect(latvian).toContain('janis.berzins@lv.example.org');
  });

  it("the Polish office's export (windows-1250, Imię;Nazwisko;Adres e-mail;Kraj): Polish letters, the Latvian one for Łotwa", async () => {
    const file = path.join(EXAMPLE, 'contacts', 'biuro-gdansk.csv');
    const result = await runCli(['send', '--dry-run', '--all', '--campaign', EXAMPLE, '--contacts', file, '--encoding', 'windows-1250', '--now', NOW]);
    expect(result.code, result.stderr).toBe(0);
    const messages = messagesOf(result.stdout);
    expect(messages.get('lukasz.zolkiewski@pl.example.org')).toContain('To: Łukasz Żółkiewski <lukasz.zolkiewski@pl.example.org>');
    expect(messages.get('lukasz.zolkiewski@pl.example.org')).toContain('czwartek, 6 maja 2027');
    expect(messages.get('ilze.liepa@lv.example.org')).toContain('ceturtdiena, 2027. gada 6. maijs');
    expect(messages.get('ingrid.johansson@se.example.org')).toContain('Thursday 6 May 2027');
    expect(result.stderr).toContain('Swedish (sv): 1, line 5');
  });
});

/** The text/calendar part of a message. */
function calendarOf(mail: ParsedMail): string {
  const part = mail.attachments.find((a) => a.contentType === 'text/calendar');
  if (!part) throw new Error('no calendar');
  return part.content.toString('utf8');
}

/** The eight countries' offices, and an English one: headers, a row, and the zone its country means. */
const OFFICES: { country: string; header: string; row: string; name: string; zone: string; delimiter: string; encoding?: string }[] = [
  {
    country: 'Latvia',
    header: 'Vārds;Uzvārds;E-pasta adrese;Valsts;Organizācija',
    row: 'Jānis;Bērziņš;janis@lv.example.org;Latvija;Centre Latvia',
    name: 'Jānis Bērziņš',
    zone: 'Riga',
    delimiter: ';',
    encoding: 'windows-1257',
  },
  {
    country: 'Lithuania',
    header: 'Vardas;Pavardė;El. paštas;Šalis;Organizacija',
    row: 'Rūta;Kazlauskienė;ruta@lt.example.org;Lietuva;Centre Lithuania',
    name: 'Rūta Kazlauskienė',
    zone: 'Vilnius',
    delimiter: ';',
    encoding: 'windows-1257',
  },
  {
    country: 'Estonia',
    header: 'Eesnimi,Perekonnanimi,E-post,Riik,Organisatsioon',
    row: 'Tõnu,Põld,tonu@ee.example.org,Eesti,Centre Estonia',
    name: 'Tõnu Põld',
    zone: 'Tallinn',
    delimiter: ',',
  },
  {
    country: 'Finland',
    header: 'Etunimi;Sukunimi;Sähköposti;Maa;Organisaatio',
    row: 'Aino;Virtanen;aino@fi.example.org;Suomi;Centre Finland',
    name: 'Aino Virtanen',
    zone: 'Helsinki',
    delimiter: ';',
  },
  {
    country: 'Germany',
    header: 'Vorname;Nachname;E-Mail;Land;Organisation',
    row: 'Jürgen;Groß;juergen@de.example.org;Deutschland;Centre Germany',
    name: 'Jürgen Groß',
    zone: 'Berlin',
    delimiter: ';',
  },
  {
    country: 'Denmark',
    header: 'Fornavn;Efternavn;E-mail;Land;Organisation',
    row: 'Søren;Møller;soren@dk.example.org;Danmark;Centre Denmark',
    name: 'Søren Møller',
    zone: 'Copenhagen',
    delimiter: ';',
  },
  {
    country: 'Sweden',
    header: 'Förnamn;Efternamn;E-post;Land;Organisation',
    row: 'Åsa;Lindström;asa@se.example.org;Sverige;Centre Sweden',
    name: 'Åsa Lindström',
    zone: 'Stockholm',
    delimiter: ';',
  },
  {
    country: 'Poland',
    header: 'Imię;Nazwisko;Adres e-mail;Kraj;Organizacja',
    row: 'Małgorzata;Wiśniewska;gosia@pl.example.org;Polska;Centre Poland',
    name: 'Małgorzata Wiśniewska',
    zone: 'Warsaw',
    delimiter: ';',
    encoding: 'windows-1250',
  },
  {
    country: 'English',
    header: 'First name,Last name,E-mail address,Country,Organisation',
    row: 'Ada,Lovelace,ada@example.com,LV,Centre English',
    name: 'Ada Lovelace',
    zone: 'Riga',
    delimiter: ',',
  },
];

describe('contacts as the offices export them', () => {
  // The event is in Stockholm: every other country's readers see their own local time.
  it.each(OFFICES)('$country: given + family name make the name, the country value gives the zone, the delimiter and encoding as written', async (office) => {
    const dir = campaignCopy((yaml) => yaml.replace('contacts: contacts/competence-centres.csv', 'contacts: contacts/office.csv'));
    const text = `${office.header}\r\n${office.row}\r\n`;
    // Excel's "CSV UTF-8" writes a BOM; the code-page exports have none.
    const bytes = office.encoding ? iconv.encode(text, office.encoding) : Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    writeFileSync(path.join(dir, 'contacts', 'office.csv'), bytes);
    const args = ['send', '--dry-run', '--all', '--now', NOW, ...(office.encoding ? ['--encoding', office.encoding] : [])];
    const result = await runCli(args, { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain('warning');
    expect(result.stdout).toMatch(new RegExp(`^To: ${office.name} <`, 'm'));
    expect(result.stdout).toContain(`Dear ${office.name},`);
    // The organisation column under the office's own word is {{organisation}}.
    expect(result.stdout).toContain(`Centre ${office.country}`);
    // Berlin, Copenhagen and Warsaw keep Stockholm's time: no local time is shown, and no warning
    // says that the country's zone is unknown (as it does for a country invite does not know).
    if (!['Stockholm', 'Berlin', 'Copenhagen', 'Warsaw'].includes(office.zone))
      expect(result.stdout).toMatch(new RegExp(`\\(\\d\\d:00–\\d\\d:00 in ${office.zone}\\)`));
  });

  it("every country value understood (English, the partners' languages, ISO codes, any case, accents or none) shows that country's local time", async () => {
    const { countriesUnderstood } = await import('../../src/locale/zones.js');
    const values = countriesUnderstood().flatMap((c) => c.names.flatMap((name) => [name, name.toUpperCase()]).map((name) => ({ name, zone: c.zone })));
    const dir = campaignCopy((yaml) => yaml.replace('contacts: contacts/competence-centres.csv', 'contacts: contacts/countries.csv'));
    const rows = values.map((v, i) => `p${i}@example.org;Person ${i};Org;${v.name}`);
    writeFileSync(path.join(dir, 'contacts', 'countries.csv'), ['E-pasts;Vārds;Organizācija;Valsts', ...rows].join('\n') + '\n');
    const result = await runCli(['send', '--dry-run', '--now', NOW, '--json'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain('no time zone known');
    const recipients = (JSON.parse(result.stdout) as { recipients: { email: string; localTime: string }[] }).recipients;
    expect(recipients).toHaveLength(values.length);
    // Stockholm's own offset (CEST in May) shows the event's time; every other zone its city's.
    const sameAsStockholm = new Set(['Europe/Stockholm', 'Europe/Berlin', 'Europe/Copenhagen', 'Europe/Warsaw', 'Europe/Oslo']);
    recipients.forEach((r, i) => {
      const { name, zone } = values[i]!;
      const expected = sameAsStockholm.has(zone) ? '09:00–12:00 CEST' : new RegExp(`in ${zone.split('/')[1]}$`);
      expect(r.localTime, `${name} (${zone})`).toMatch(expected);
    });
  });

  it('a column that no template uses and invite does not read is named in one warning; a template that uses it silences it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'invite-columns-'));
    cpSync(EXAMPLE, dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'contacts', 'partners.csv'),
      '\ufeffVārds;Uzvārds;E-pasts;Valsts;Amats;Piezīmes\r\nJānis;Bērziņš;janis@lv.example.org;Latvija;direktors;zvanīt pirms\r\n',
    );
    const warned = await runCli(['validate', '--now', NOW], { cwd: dir });
    expect(warned.code).toBe(0);
    expect(warned.stdout).toContain(
      'contacts/partners.csv:1: the columns "Amats", "Piezīmes" are used by no template, and invite does not read them: their values appear in no letter',
    );
    edit(path.join(dir, 'templates', 'invitation.lv.txt.hbs'), (t) => t.replace('Labdien, {{name}}!', 'Labdien, {{name}} ({{amats}}, {{piezīmes}})!'));
    const quiet = await runCli(['validate', '--now', NOW], { cwd: dir });
    expect(quiet.stdout).not.toContain('used by no template');
  });
});
