// One check, everywhere: for every input that once passed `validate` and then failed (or
// crashed) at `send`, both now reach the same verdict, with the same problem named.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { campaignCopy, edit } from '../helpers/campaign.js';
import { runCli } from '../helpers/cli.js';
import { readEvent } from '../helpers/ical.js';

const NOW = '2026-11-28T10:00';

interface Case {
  name: string;
  change: (dir: string) => void;
  /** A part of the one problem both must name; undefined: both accept. */
  problem?: RegExp;
  /** Accepted: the URL line the calendar then carries (default: the shipped event link). */
  url?: string;
}

const cases: Case[] = [
  {
    name: 'a misspelt part of a built-in in the subject: {{event.titel}}',
    change: (dir) => edit(path.join(dir, 'invite.yaml'), (y) => y.replace('subject: "Invitation: {{event.title}}', 'subject: "Invitation: {{event.titel}}')),
    problem: /invite\.yaml:\d+:\d+: the template uses "\{\{event\.titel\}\}", but "event" has no "titel"/,
  },
  {
    name: 'a quoted local part: "john doe"@example.org',
    change: (dir) => edit(path.join(dir, 'contacts/competence-centres.csv'), (csv) => csv.replace('info@cc-estonia.example.org', '"""john doe""@example.org"')),
    problem: /contacts\/competence-centres\.csv:3:email: ""john doe"@example\.org" has a quoted part before the @/,
  },
  {
    name: 'a contacts file with a header and no rows',
    change: (dir) => writeFileSync(path.join(dir, 'contacts/competence-centres.csv'), 'email,name,organisation,country,timezone\n'),
    problem: /contacts\/competence-centres\.csv:1: the contacts file has a header but no rows/,
  },
  {
    name: 'a partial in a template: {{> footer}}',
    change: (dir) => edit(path.join(dir, 'templates/invitation.txt.hbs'), (t) => `${t}\n{{> footer}}\n`),
    problem: /templates\/invitation\.txt\.hbs:\d+:1: partials are not supported \(\{\{> footer\}\}\)/,
  },
  {
    name: 'a javascript: registration link',
    change: (dir) =>
      edit(path.join(dir, 'invite.yaml'), (y) =>
        y.replace('url: https://events.example.org/bsr-social-innovation-2027/register', 'url: "javascript:alert(1)"'),
      ),
    problem: /invite\.yaml:\d+:registration\.url: expected a web address starting with https:\/\//,
  },
  {
    name: 'an event link with capitals in the host (refused by the calendar library before)',
    change: (dir) =>
      edit(path.join(dir, 'invite.yaml'), (y) =>
        y.replace('url: https://events.example.org/bsr-social-innovation-2027\n', 'url: HTTPS://Events.Example.org/bsr-social-innovation-2027\n'),
      ),
  },
  {
    name: 'a mailto: event link',
    change: (dir) =>
      edit(path.join(dir, 'invite.yaml'), (y) =>
        y.replace('url: https://events.example.org/bsr-social-innovation-2027\n', 'url: "mailto:biser@example.org"\n'),
      ),
    problem: /invite\.yaml:\d+:event\.url: expected a web address starting with https:\/\//,
  },
  {
    name: 'an event link with a space (written percent-encoded, as the calendar needs it)',
    change: (dir) =>
      edit(path.join(dir, 'invite.yaml'), (y) =>
        y.replace('url: https://events.example.org/bsr-social-innovation-2027\n', 'url: https://events.example.org/bsr social\n'),
      ),
    url: 'URL:https://events.example.org/bsr%20social',
  },
];

describe.each(cases)('validate and send agree: $name', ({ change, problem, url }) => {
  it(problem ? 'validate finds the error (exit 1) and send refuses with it (exit 2), in every mode' : 'both accept it', async () => {
    const dir = campaignCopy();
    change(dir);
    const validate = await runCli(['validate', '--now', NOW], { cwd: dir });
    // Accepted: the messages must really build (--out writes every byte). Refused: the check runs
    // before any transport is chosen, so one mode shows it for all.
    const send = await runCli(['send', problem ? '--dry-run' : '--out=out', '--now', NOW], { cwd: dir });
    if (!problem) {
      expect([validate.code, send.code]).toEqual([0, 0]);
      const mail = await simpleParser(readFileSync(path.join(dir, 'out', readdirSync(path.join(dir, 'out'))[0]!)));
      const ics = mail.attachments.find((a) => a.contentType === 'text/calendar')!.content.toString('utf8');
      expect(readEvent(ics).uid).toBe('bsr-social-innovation-2027@example.org');
      expect(ics.replace(/\r\n[ \t]/g, '').split('\r\n')).toContain(url ?? 'URL:https://events.example.org/bsr-social-innovation-2027');
      return;
    }
    expect(validate.code).toBe(1);
    expect(validate.stdout).toMatch(problem);
    expect(send.code).toBe(2);
    expect(send.stderr).toMatch(problem);
    expect(send.stderr).not.toContain('internal error');
    expect(send.stdout).not.toMatch(/^To: /m);
  });
});
