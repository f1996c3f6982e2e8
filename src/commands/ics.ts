// `invite ics`: the event as a standalone .ics file (METHOD:PUBLISH) for a web page or download.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildCalendar } from '../compose/calendar.js';
import { EXIT } from '../errors.js';
import { journalPath, readJournal } from '../journal/read.js';
import { eventState } from '../journal/lifecycle.js';
import type { Io } from '../io.js';
import { loadCampaignOnly, resolveNow, type CampaignOptions } from '../sending/prepare.js';

export interface IcsOptions extends CampaignOptions {
  out?: string;
  journal?: string;
}

export async function icsCommand(options: IcsOptions, io: Io): Promise<number> {
  const campaign = loadCampaignOnly(options);
  const now = resolveNow(options.now, campaign.event.timezone, io);
  // The published file says what calendars were last told: the latest SEQUENCE, and cancelled if it was.
  const state = eventState(readJournal(journalPath(campaign.dir, options.journal)).entries, campaign);
  const content = buildCalendar({
    event: campaign.event,
    method: 'PUBLISH',
    sequence: Math.max(0, state.sequence),
    organiser: campaign.organiser,
    now,
    status: state.cancelled ? 'CANCELLED' : 'CONFIRMED',
  });
  const out = options.out ?? `${campaign.id}.ics`;
  if (out === '-') {
    io.stdout.write(content);
  } else {
    writeFileSync(path.resolve(out), content);
    io.stderr.write(`Wrote ${out} (METHOD:PUBLISH, UID ${campaign.event.uid}).\n`);
  }
  return EXIT.ok;
}
