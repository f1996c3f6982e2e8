// Preparation shared by every command that reads a campaign: load it, load its contacts,
// settle the current time, and check that the templates can be filled for these columns.
import path from 'node:path';
import { DateTime } from 'luxon';
import { checkTiming, loadCampaign, type Campaign } from './campaign.js';
import { BUILT_IN_VARIABLES } from './compose.js';
import { loadContacts, type ContactList } from './contacts.js';
import { InputError, UsageError, type Problem } from './errors.js';
import { checkVariables } from './templates.js';
import type { Io } from './io.js';

export interface CampaignOptions {
  campaign?: string;
  contacts?: string;
  now?: string;
}

export interface Prepared {
  campaign: Campaign;
  contacts: ContactList;
  now: Date;
}

/** The current time: --now, else $INVITE_NOW, else the clock. Without an offset, in the event's zone. */
export function resolveNow(value: string | undefined, zone: string, io: Io): Date {
  const given = value ?? io.env.INVITE_NOW;
  if (!given) return io.clock ? io.clock() : new Date();
  const parsed = DateTime.fromISO(given, { zone });
  if (!parsed.isValid) {
    throw new UsageError(`--now "${given}" is not an ISO 8601 date and time`, 'e.g. --now 2027-04-18T09:00+02:00 (without an offset, the event\'s time zone is meant)');
  }
  return parsed.toJSDate();
}

export function loadCampaignOnly(options: CampaignOptions): Campaign {
  return loadCampaign(options.campaign ?? 'invite.yaml');
}

export function prepare(options: CampaignOptions, io: Io): Prepared {
  const campaign = loadCampaignOnly(options);
  const now = resolveNow(options.now, campaign.event.timezone, io);
  const contacts = loadContacts(options.contacts ? path.resolve(options.contacts) : campaign.contacts);
  const problems: Problem[] = [...checkTiming(campaign, now)];
  const available = new Set<string>([...contacts.columns, ...BUILT_IN_VARIABLES]);
  const hint = `columns of ${contacts.file}: ${contacts.columns.join(', ')}; built-ins: ${BUILT_IN_VARIABLES.join(', ')}`;
  for (const templates of Object.values(campaign.mails)) {
    for (const template of [templates.subject, templates.html, templates.text]) {
      problems.push(...checkVariables(template, available, hint));
    }
  }
  const organiser = campaign.organiser.email.toLowerCase();
  for (const contact of contacts.contacts) {
    if (contact.email.toLowerCase() === organiser) {
      problems.push({
        file: contacts.file,
        line: contact.line,
        column: 'email',
        message: `${contact.email} is the organiser of the event`,
        hint: 'calendars reject an invitation to its own organiser; remove the row',
      });
    }
  }
  if (problems.length > 0) throw new InputError(problems);
  return { campaign, contacts, now };
}
