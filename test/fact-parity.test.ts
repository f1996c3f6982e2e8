// Every fact of a letter is in both its parts (issue 13): most recipients only ever see the
// HTML, some only the text. For every mail kind of the shipped campaign and of the one
// `invite init` writes, each fact (date, time, local time, place, links, deadline, days left)
// appears in the HTML exactly when it appears in the text.
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadCampaign } from '../src/campaign/load.js';
import type { Campaign, MailKind } from '../src/campaign/model.js';
import { Composer } from '../src/compose/compose.js';
import { eventView } from '../src/compose/context.js';
import type { Contact } from '../src/contacts/rules.js';
import { ROOT, runCli } from './helpers/cli.js';

/** A message as a run composes it (one Composer per call: the tests share no state). */
const compose = (campaign: Campaign, ...rest: Parameters<Composer['compose']>) => new Composer(campaign).compose(...rest);

const ada: Contact = {
  line: 2,
  email: 'ada@example.org',
  name: 'Ada Ąžuolaitė',
  timezone: 'Europe/Vilnius',
  attachments: [],
  fields: { email: 'ada@example.org', name: 'Ada Ąžuolaitė', organisation: 'Analytical & Co', country: 'Lithuania' },
};
const now = new Date('2027-04-18T07:00:00Z');

/** The HTML as a reader sees it: tags gone, entities decoded, spaces collapsed. */
function readable(html: string): string {
  return html
    .replace(/<(style|title|head)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&#x3D;/g, '=')
    .replace(/\s+/g, ' ');
}
const flat = (text: string) => text.replace(/\s+/g, ' ');

function facts(campaign: Campaign, kind: MailKind, daysLeft: number, language = campaign.language.default): string[] {
  const view = eventView(campaign, ada.timezone, language);
  const context = new Composer(campaign).templateContext(ada, undefined, undefined, language);
  return [
    view.date,
    view.time,
    view.local_time,
    view.location,
    view.url,
    context.registration.url,
    context.registration.deadline,
    ...(kind.startsWith('reminder:') ? [`${daysLeft}`] : []),
  ].filter((f): f is string => Boolean(f));
}

/** Every mail kind, in every language it has a letter in: the same facts in both parts, and the same links as the default letter. */
function checkParity(campaign: Campaign, atLeastKinds = 2) {
  const kinds = Object.keys(campaign.mails) as MailKind[];
  expect(kinds.length).toBeGreaterThanOrEqual(atLeastKinds);
  for (const kind of kinds) {
    const languages = [campaign.language.default, ...(campaign.mails[kind]?.letters?.keys() ?? [])];
    const links = languages.map((language) => checkLetter(campaign, kind, language));
    for (const [i, language] of languages.entries()) expect([...links[i]!].sort(), `${kind} in ${language}: the links`).toEqual([...links[0]!].sort());
  }
}

/** One letter: each fact (in the letter's language) in its HTML exactly when in its text; returns the links it has. */
function checkLetter(campaign: Campaign, kind: MailKind, language: string): Set<string> {
  const extra = kind.startsWith('reminder:')
    ? { stage: { name: kind.slice(9), days_before: 7, days_left: 7 }, days_left: 7 }
    : kind === 'update'
      ? { changes: ['Time: before → after'] }
      : {};
  const message = compose(campaign, { ...ada, language }, kind, now, { sequence: 1, extra });
  expect(message.language).toBe(language);
  const text = flat(message.text);
  const html = readable(message.html);
  // Links count when they can be followed: in the text as written, in the HTML as an href or as text.
  const urls = (s: string) => new Set((s.match(/https?:\/\/[^\s"<>)]+/g) ?? []).map((u) => u.replace(/[.,;]$/, '')));
  const textUrls = urls(message.text);
  const htmlUrls = urls(message.html);
  for (const fact of facts(campaign, kind, 7, language)) {
    const where = `${kind} in ${language}: "${fact}"`;
    if (/^https?:/.test(fact)) {
      expect(htmlUrls.has(fact), `${where}: linked in the text ${textUrls.has(fact)}, in the HTML ${htmlUrls.has(fact)}`).toBe(textUrls.has(fact));
      continue;
    }
    if (kind.startsWith('reminder:') && fact === '7') {
      // Days left: a number, so look for it as the letters word it.
      expect(/Days left to register: 7\b/.test(html), `${where} in the HTML`).toBe(/Days left to register: 7\b/.test(text));
      continue;
    }
    expect(html.includes(fact), `${where}: in the text ${text.includes(fact)}, in the HTML ${html.includes(fact)}`).toBe(text.includes(fact));
  }
  return textUrls;
}

describe('the same facts in the HTML and the text', () => {
  it('the shipped campaign, every mail kind', () => {
    checkParity(loadCampaign(path.join(ROOT, 'invite.yaml')));
  });

  it('the campaign invite init writes, every mail kind', async () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'invite-parity-')), 'event');
    expect((await runCli(['init', dir, '--yes', '--now', '2027-01-04T10:00:00Z'])).code).toBe(0);
    checkParity(loadCampaign(dir));
  });

  it('the multilingual example: the English, Latvian and Polish letters, each in its own words, the same links', () => {
    const campaign = loadCampaign(path.join(ROOT, 'examples', 'multilingual'));
    expect([...(campaign.mails.invitation.letters?.keys() ?? [])]).toEqual(['lv', 'pl']);
    checkParity(campaign, 1);
    // The facts really are in each language: the Latvian letter says the date as Latvian does.
    expect(facts(campaign, 'invitation', 7, 'lv')).toContain('ceturtdiena, 2027. gada 6. maijs');
    expect(facts(campaign, 'invitation', 7, 'pl')).toContain('czwartek, 6 maja 2027');
  });
});
