// The init wizard's questions, driven with random and hostile answers: whatever is typed, each
// answer is either refused with a reason (and asked again) or the campaign written from the
// accepted answers passes every check `invite validate` makes.
import { mkdtempSync, writeFileSync, cpSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { initQuestions, renderCampaignYaml, sampleAnswers, type InitAnswers } from '../../src/commands/init.js';
import type { Io } from '../../src/io.js';
import { check } from '../../src/sending/prepare.js';
import { ROOT } from '../helpers/cli.js';

const NOW = new Date('2026-11-28T10:00:00Z');

/** A small seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const HOSTILE = [
  '',
  ' ',
  '#x@example.org',
  '"quoted" \'single\'',
  'a: b',
  '- item',
  '{ flow: map }',
  '[1, 2]',
  '*alias',
  '&anchor x',
  '!!binary AAAA',
  '%TITLE%',
  'line\nbreak',
  'tab\there',
  '\u001b[2J',
  '\u0000',
  '\u2028',
  '\u0085',
  '\ud800',
  'null',
  '~',
  'yes',
  '0x1F',
  '1e400',
  '2027-02-30',
  '2026-11-27',
  '2027-05-06',
  '2025-01-01',
  '24:00',
  '23:59',
  '00:00',
  '9:00',
  '17:30',
  '19:30',
  'Riga',
  'Europe/Riga',
  'Mars/Olympus',
  'UTC',
  'https://example.org/x?a=1&b=<2>',
  'javascript:alert(1)',
  'http://',
  'ada.lovelace@example.org',
  'events@example.org',
  'x'.repeat(5000),
  'Žemaitė “Ūdens” – ąčęėįšųūž',
];

function answer(rng: () => number, defaultValue: string): string {
  const r = rng();
  if (r < 0.35) return defaultValue;
  if (r < 0.9) return HOSTILE[Math.floor(rng() * HOSTILE.length)]!;
  return Array.from({ length: Math.floor(rng() * 12) }, () => String.fromCharCode(32 + Math.floor(rng() * 0x24f))).join('');
}

const io = (): Io => ({ env: {}, stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough() });

/** Writes the campaign the answers make (with the starter's other files) and runs validate's checks on it. */
function validate(answers: InitAnswers) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'invite-wizard-'));
  for (const part of ['contacts', 'templates']) cpSync(path.join(ROOT, 'starter', part), path.join(dir, part), { recursive: true });
  writeFileSync(path.join(dir, 'invite.yaml'), renderCampaignYaml(answers));
  return check({ campaign: dir, now: NOW.toISOString() }, io(), 'count');
}

describe('init’s questions', () => {
  it('300 wizards of random and hostile answers: every campaign written validates, every refusal has a reason', () => {
    const sample = sampleAnswers(NOW);
    const contacts = ['ada.lovelace@example.org', 'grace.hopper@example.org', 'alan.turing@example.org'];
    for (let seed = 1; seed <= 300; seed++) {
      const rng = random(seed);
      const answers: Partial<InitAnswers> = {};
      for (const q of initQuestions(sample, NOW, contacts)) {
        // Up to 6 tries, then the default (which the organiser can always accept).
        let accepted: string | undefined;
        for (let attempt = 0; attempt < 6 && accepted === undefined; attempt++) {
          const checked = q.check(answer(rng, q.default(answers)), answers);
          if ('value' in checked) accepted = checked.value;
          else expect(checked.reason, `seed ${seed}, ${q.name}`).toMatch(/\w/);
        }
        if (accepted === undefined) {
          const fallback = q.check(q.default(answers), answers);
          expect(fallback, `the default of ${q.name} must pass its own check (seed ${seed})`).toHaveProperty('value');
          accepted = (fallback as { value: string }).value;
        }
        answers[q.name] = accepted;
      }
      const checked = validate(answers as InitAnswers);
      expect([...checked.errors, ...checked.rowErrors], `seed ${seed}: ${JSON.stringify(answers)}`).toEqual([]);
      // Every value reads back as it was answered.
      const yaml = YAML.parse(renderCampaignYaml(answers as InitAnswers));
      expect(yaml.event.title).toBe(answers.title);
      expect(yaml.organiser).toEqual({ name: answers.organiserName, email: answers.organiserEmail });
      expect(yaml.registration.deadline).toBe(answers.deadline);
    }
  });

  it('the end is offered as the start plus the sample’s two hours, and must be after the start', () => {
    const questions = initQuestions(sampleAnswers(NOW), NOW);
    const end = questions.find((q) => q.name === 'end')!;
    const soFar: Partial<InitAnswers> = { timezone: 'Europe/Riga', date: '2027-03-04', start: '17:30' };
    expect(end.default(soFar)).toBe('19:30');
    expect(end.check('12:00', soFar)).toEqual({ reason: 'the event must end after it starts (17:30), on the same day' });
    expect(end.default({ ...soFar, start: '23:00' })).toBe('23:59');
  });

  it('a deadline after the event is refused; an organiser who is a sample contact too', () => {
    const questions = initQuestions(sampleAnswers(NOW), NOW, ['ada.lovelace@example.org']);
    const deadline = questions.find((q) => q.name === 'deadline')!;
    expect(deadline.check('2027-03-05', { date: '2027-03-04', timezone: 'UTC' })).toEqual({
      reason: 'the deadline must be on or before the event (2027-03-04)',
    });
    expect(deadline.check('2027-03-04', { date: '2027-03-04', timezone: 'UTC' })).toEqual({ value: '2027-03-04' });
    const organiser = questions.find((q) => q.name === 'organiserEmail')!;
    expect(organiser.check('Ada.Lovelace@example.org', {})).toHaveProperty('reason');
    expect(organiser.check(' #x@example.org ', {})).toEqual({ value: '#x@example.org' });
  });
});
