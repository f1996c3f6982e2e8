import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTiming, loadCampaign } from '../../src/campaign/load.js';
import { problemsOf } from '../helpers/problems.js';

const FIXTURE = path.join(import.meta.dirname, '../fixtures/campaign');

/** A copy of the fixture campaign with invite.yaml changed by `edit`. */
function campaignWith(edit: (yaml: string) => string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'invite-campaign-'));
  cpSync(FIXTURE, dir, { recursive: true });
  const file = path.join(dir, 'invite.yaml');
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
  return file;
}

const campaignProblems = (file: string) => problemsOf(() => loadCampaign(file));

describe('loadCampaign', () => {
  it('reads the fixture and turns local times into UTC', () => {
    const campaign = loadCampaign(path.join(FIXTURE, 'invite.yaml'));
    expect(new Date(campaign.event.start).toISOString()).toBe('2027-05-06T07:00:00.000Z');
    expect(campaign.from).toEqual(campaign.organiser);
    expect(campaign.event.uid).toBe('test-campaign@example.org');
  });

  it('names an unknown key and its line', () => {
    const file = campaignWith((y) => y.replace('  location: Online\n', '  location: Online\n  venue: Room 1\n'));
    const [problem, ...rest] = campaignProblems(file);
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({ line: 10, column: 'event.venue', message: 'unknown key "venue"' });
    expect(problem?.hint).toContain('location');
  });

  it('names a wrong type and its line', () => {
    const file = campaignWith((y) => y.replace('  title: Test workshop', '  title: [a, b]'));
    expect(campaignProblems(file)).toEqual([
      expect.objectContaining({ line: 4, column: 'event.title', message: expect.stringContaining('expected a text, or one per language') }),
    ]);
  });

  it('names a missing key at its parent', () => {
    const file = campaignWith((y) => y.replace('  timezone: Europe/Stockholm\n', ''));
    expect(campaignProblems(file)).toEqual([expect.objectContaining({ line: 3, message: 'missing required key "event.timezone"' })]);
  });

  it('rejects an event that ends before it starts', () => {
    const file = campaignWith((y) => y.replace('end: 2027-05-06T12:00', 'end: 2027-05-06T08:00'));
    // Reported with every other check (invite validate), not instead of them.
    expect(loadCampaign(file).problems).toEqual([
      expect.objectContaining({ line: 7, column: 'event.end', message: expect.stringContaining('before it starts') }),
    ]);
    expect(checkTiming(loadCampaign(file), new Date('2027-01-01T00:00:00Z'))).toHaveLength(1);
  });

  it('rejects an unknown time zone and a missing attachment', () => {
    const file = campaignWith((y) => y.replace('Europe/Stockholm', 'Europe/Stokholm') + 'attachments:\n  - missing.pdf\n');
    const problems = campaignProblems(file);
    expect(problems.map((p) => p.message)).toEqual(['unknown time zone "Europe/Stokholm"', 'attachment "missing.pdf" not found']);
    expect(problems[1]?.line).toBe(24);
  });

  it('reports YAML syntax errors with their line', () => {
    const file = campaignWith((y) => y.replace('  title: Test workshop', '  title: "unclosed'));
    expect(campaignProblems(file)[0]?.message).toMatch(/^YAML:/);
  });

  it('says an event in the past is over', () => {
    const campaign = loadCampaign(path.join(FIXTURE, 'invite.yaml'));
    expect(checkTiming(campaign, new Date('2027-05-07T00:00:00Z'))[0]?.message).toContain('already over');
    expect(checkTiming(campaign, new Date('2027-05-01T00:00:00Z'))).toEqual([]);
  });
});
