// `invite ics`: the event as a standalone .ics file (METHOD:PUBLISH) for a web page or download.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildCalendar } from '../calendar.js';
import { EXIT } from '../errors.js';
import type { Io } from '../io.js';
import { loadCampaignOnly, resolveNow, type CampaignOptions } from '../prepare.js';

export interface IcsOptions extends CampaignOptions {
  out?: string;
}

export async function icsCommand(options: IcsOptions, io: Io): Promise<number> {
  const campaign = loadCampaignOnly(options);
  const now = resolveNow(options.now, campaign.event.timezone, io);
  const content = buildCalendar({ event: campaign.event, method: 'PUBLISH', sequence: 0, organiser: campaign.organiser, now });
  const out = options.out ?? `${campaign.id}.ics`;
  if (out === '-') {
    io.stdout.write(content);
  } else {
    writeFileSync(path.resolve(out), content);
    io.stderr.write(`Wrote ${out} (METHOD:PUBLISH, UID ${campaign.event.uid}).\n`);
  }
  return EXIT.ok;
}
