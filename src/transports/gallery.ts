// `invite preview`: the messages as recipients will see them, as a static gallery of HTML
// pages that works offline. index.html lists every recipient (name, address, local time,
// subject, attachments, warnings); each message has a page with its headers, the HTML part as a
// mail client renders it (in a sandboxed frame, remote content blocked until asked for), the
// text part, and the calendar entry as a card.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { formatSize } from '../campaign/attachments.js';
import type { Campaign } from '../campaign/model.js';
import { Composer, type Message } from '../compose/compose.js';
import { shownPath } from '../errors.js';
import type { ContactList } from '../contacts/rules.js';
import { fileSafeAddress, writeNoFollow, type Transport } from './transport.js';
import { shownPerson } from '../locale/words.js';
import { languageName } from '../locale/languages.js';

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

interface Row {
  file: string;
  name: string;
  email: string;
  localTime: string;
  subject: string;
  attachments: string[];
  warnings: string[];
  /** The letter's language. */
  language: string;
}

const STYLE = `
  :root { color-scheme: light; }
  body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; margin: 0; color: #1d1d1f; background: #f4f5f7; line-height: 1.45; }
  header.bar { background: #0b5fa5; color: #fff; padding: 12px 16px; }
  header.bar a { color: #fff; }
  main { max-width: 960px; margin: 0 auto; padding: 16px; }
  h1 { font-size: 1.3rem; margin: 0 0 12px; overflow-wrap: anywhere; }
  h2 { font-size: 1.05rem; margin: 24px 0 8px; }
  dl.headers { display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; background: #fff; padding: 12px; border-radius: 6px; margin: 0; }
  dl.headers dt { font-weight: 600; color: #4a4a4f; }
  dl.headers dd { margin: 0; overflow-wrap: anywhere; }
  .card { background: #fff; border-left: 4px solid #0b5fa5; border-radius: 6px; padding: 12px 16px; }
  .card .title { font-weight: 600; font-size: 1.05rem; }
  .card .answers span { display: inline-block; border: 1px solid #8a8a90; border-radius: 4px; padding: 2px 10px; margin: 8px 6px 0 0; }
  .card.cancelled { border-left-color: #b3261e; }
  iframe { width: 100%; height: 70vh; border: 1px solid #c9c9cf; border-radius: 6px; background: #fff; }
  pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #fff; padding: 12px; border-radius: 6px; margin: 0; font-size: 0.9rem; }
  .table-wrap { overflow-x: auto; background: #fff; border-radius: 6px; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #e3e3e8; vertical-align: top; }
  .warning { color: #8a4b00; }
  nav { margin-bottom: 12px; }
`;

/** In the head of every page: a folder whose index.html has it is a gallery invite wrote (preview --out may write there again). */
export const GALLERY_MARK = '<meta name="generator" content="invite preview">';

function page(title: string, body: string, script = ''): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${GALLERY_MARK}
<title>${escape(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
${script ? `<script>${script}</script>` : ''}
</body>
</html>
`;
}

/** The HTML part as a mail client shows it by default: nothing loaded from the network. */
function blocked(html: string): string {
  const csp = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data: cid:; font-src data:">`;
  return /<head[^>]*>/i.test(html) ? html.replace(/<head[^>]*>/i, (m) => `${m}\n${csp}`) : `${csp}\n${html}`;
}

function calendarCard(message: Message, campaign: Campaign, composer: Composer): string {
  if (message.calendar.content === undefined) return '<p>No calendar entry: a reminder is a letter, not an invitation.</p>';
  const view = composer.eventView(message.contact.timezone, message.language);
  const cancelled = message.calendar.method === 'CANCEL';
  const answers = cancelled
    ? '<div class="answers"><span>Remove from calendar</span></div>'
    : '<div class="answers"><span>Accept</span><span>Tentative</span><span>Decline</span></div>';
  return `<div class="card${cancelled ? ' cancelled' : ''}" data-testid="calendar">
  <div class="title">${cancelled ? 'Cancelled: ' : ''}${escape(view.title)}</div>
  <div>${escape(view.date)}, ${escape(view.time)}${view.local_time ? ` <strong>(${escape(view.local_time)})</strong>` : ''}</div>
  ${view.location ? `<div>${escape(view.location)}</div>` : ''}
  <div>Organiser: ${escape(shownPerson(campaign.organiser))}</div>
  <div>${escape(`METHOD:${message.calendar.method}, SEQUENCE:${message.calendar.sequence}`)}</div>
  ${answers}
</div>`;
}

/** Writes the gallery into `dir`: a page per message as it comes, index.html at the end, with the invalid rows flagged (nothing is sent to them). */
export function galleryTransport(dir: string, campaign: Campaign, rejected: ContactList['rejected'] = [], contactsFile = ''): Transport & { index: string } {
  mkdirSync(dir, { recursive: true });
  const rows: Row[] = [];
  const index = path.join(dir, 'index.html');
  const composer = new Composer(campaign);
  return {
    index,
    description: dir,
    mode: 'preview',
    needs: { journal: false, retries: false, progress: false },
    connections: 1,
    done: (what) => `Wrote a preview of ${what} to ${shownPath(index)}.`,
    async send(message) {
      const row = writeMessagePage(dir, rows.length + 1, message, campaign, composer);
      rows.push(row);
      return { response: `written ${row.file}` };
    },
    async close() {
      writeNoFollow(index, page(`Preview: ${campaign.event.title}`, indexBody(campaign, rows, rejected, contactsFile)));
    },
    async abort() {},
  };
}

/** The page of message `n`: headers, the calendar entry as a card, the HTML part in a sandboxed frame, the text part. */
function writeMessagePage(dir: string, n: number, message: Message, campaign: Campaign, composer: Composer): Row {
  const file = `${String(n).padStart(3, '0')}-${fileSafeAddress(message.to.email)}.html`;
  const recipient = composer.recipientOf(message.contact);
  const view = composer.eventView(message.contact.timezone, message.language);
  const headers: [string, string][] = [
    ['From', shownPerson(message.from)],
    ...(message.sender ? ([['Sender', shownPerson(message.sender)]] as [string, string][]) : []),
    ...(message.replyTo.length ? ([['Reply-To', message.replyTo.map(shownPerson).join(', ')]] as [string, string][]) : []),
    ['To', shownPerson(message.to)],
    ['Subject', message.subject],
    ['Date', message.date.toUTCString()],
    [
      'Attachments',
      [
        ...message.attachments.map((a) => `${a.filename} (${formatSize(a.size)})`),
        ...(message.calendar.content === undefined ? [] : ['invite.ics (calendar)']),
      ].join(', ') || 'none',
    ],
  ];
  const body = `<header class="bar"><a href="index.html">← All recipients</a> · message ${n}</header>
<main>
<h1>${escape(message.subject)}</h1>
${recipient.warnings.length ? `<p class="warning">⚠ ${escape(recipient.warnings.join('; '))}</p>` : ''}
<dl class="headers">${headers.map(([k, v]) => `<dt>${k}</dt><dd>${escape(v)}</dd>`).join('')}</dl>
<h2>Calendar entry</h2>
${calendarCard(message, campaign, composer)}
<h2>The HTML part, as the mail client shows it</h2>
<p><label><input type="checkbox" id="remote"> Load remote content (images, fonts), as a reader may allow</label></p>
<iframe id="letter" sandbox title="The HTML part of the message" srcdoc="${escape(blocked(message.html))}" data-remote="${escape(message.html)}" data-blocked="${escape(blocked(message.html))}"></iframe>
<h2>The text part</h2>
<pre data-testid="text">${escape(message.text)}</pre>
</main>`;
  const script = `document.getElementById('remote').addEventListener('change', function (e) { var f = document.getElementById('letter'); f.srcdoc = e.target.checked ? f.dataset.remote : f.dataset.blocked; });`;
  writeNoFollow(path.join(dir, file), page(`${message.to.email}: ${message.subject}`, body, script));
  return {
    file,
    name: message.to.name,
    email: message.to.email,
    localTime: view.local_time || view.time,
    subject: message.subject,
    attachments: message.attachments.map((a) => a.filename),
    warnings: recipient.warnings,
    language: message.language,
  };
}

/** index.html: every recipient with the local time and any warning (grouped by the letter's language when there are several), then the invalid rows. */
function indexBody(campaign: Campaign, rows: Row[], rejected: ContactList['rejected'], contactsFile: string): string {
  const numbered = rows.map((r, i) => ({ ...r, n: i + 1 }));
  const table = (group: typeof numbered) => `<div class="table-wrap"><table>
<thead><tr><th>#</th><th>Name</th><th>Address</th><th>Local time</th><th>Subject</th><th>Attachments</th><th>Warnings</th></tr></thead>
<tbody>
${group
  .map(
    (r) =>
      `<tr><td>${r.n}</td><td><a href="${escape(r.file)}">${escape(r.name || r.email)}</a></td><td>${escape(r.email)}</td><td>${escape(r.localTime)}</td><td>${escape(r.subject)}</td><td>${escape(r.attachments.join(', ') || '—')}</td><td class="warning">${escape(r.warnings.join('; '))}</td></tr>`,
  )
  .join('\n')}
</tbody>
</table></div>`;
  const languages = [...new Set(rows.map((r) => r.language))];
  const list =
    languages.length <= 1
      ? table(numbered)
      : languages
          .map((language) => {
            const group = numbered.filter((r) => r.language === language);
            return `<h2 data-testid="language-${escape(language)}" lang="${escape(language)}">${escape(languageName(language))} (${escape(language)}): ${group.length} ${group.length === 1 ? 'letter' : 'letters'}</h2>\n${table(group)}`;
          })
          .join('\n');
  const invalid = rejected
    .map(
      (r) =>
        `<tr><td>${escape(`${contactsFile}:${r.line}`)}</td><td>${escape(r.email || '(no address)')}</td><td class="warning">${escape(r.problems.map((p) => `${p.column ? `${p.column}: ` : ''}${p.message}`).join('; '))}</td></tr>`,
    )
    .join('\n');
  const body = `<header class="bar">${escape(campaign.event.title)} — ${escape(campaign.id)}</header>
<main>
<h1>${rows.length} ${rows.length === 1 ? 'message' : 'messages'}, as the recipients will see them</h1>
${list}
${
  rejected.length
    ? `<h2 class="warning" data-testid="invalid">⚠ ${rejected.length} invalid ${rejected.length === 1 ? 'row' : 'rows'}: nothing would be sent to ${rejected.length === 1 ? 'it' : 'them'} until fixed</h2>
<div class="table-wrap"><table data-testid="invalid-rows">
<thead><tr><th>Row</th><th>Address</th><th>Why</th></tr></thead>
<tbody>
${invalid}
</tbody>
</table></div>`
    : ''
}
</main>`;
  return body;
}
