// The dry run's preview: messages printed readably on a stream, nothing sent.
import type { ChalkInstance } from 'chalk';
import { formatSize } from '../campaign/attachments.js';
import { printable } from '../errors.js';
import { shownPerson } from '../locale/words.js';
import type { Transport } from './transport.js';

/**
 * Prints messages readably: headers, text body, attachments, the event. Sends nothing. Every
 * message is rendered (so every one is checked); the first is printed in full, or each one
 * with `everyMessage` (--all, --to, --limit). The run prints the table of recipients before.
 */
export function previewTransport(out: NodeJS.WritableStream, chalk: ChalkInstance, campaignId: string, everyMessage = true): Transport {
  let count = 0;
  return {
    description: 'preview (dry run)',
    mode: 'dry-run',
    needs: { journal: false, retries: false, progress: false },
    connections: 1,
    done: (what) =>
      `Dry run: ${what} rendered for ${campaignId}; nothing sent.${!everyMessage && count > 1 ? ` The first is shown in full; --all shows every one, --to ADDRESS one of them.` : ''}`,
    async send(message) {
      count += 1;
      if (!everyMessage && count > 1) return { response: 'previewed' };
      // Contact data is shown, never obeyed: an escape sequence in a CSV cell prints as \x1B.
      const header = (name: string, value: string) => `${chalk.bold(`${name}:`)} ${printable(value)}`;
      const lines = [
        chalk.cyan(`── message ${count} ${'─'.repeat(50)}`),
        header('From', shownPerson(message.from)),
        ...(message.replyTo.length ? [header('Reply-To', message.replyTo.map(shownPerson).join(', '))] : []),
        header('To', shownPerson(message.to)),
        header('Subject', message.subject),
        header('Date', message.date.toUTCString()),
        header('Message-ID', message.messageId),
        '',
        printable(message.text.trimEnd()),
        '',
        chalk.bold('Attachments:'),
        ...message.attachments.map((a) => `  ${printable(a.filename)} (${formatSize(a.size)})`),
        ...(message.calendar.content === undefined
          ? []
          : [`  invite.ics (calendar, METHOD:${message.calendar.method}, SEQUENCE:${message.calendar.sequence})`]),
        `${chalk.bold('Event:')} ${message.calendar.method === 'CANCEL' ? 'CANCELLED: ' : ''}${printable(message.eventSummary)}`,
        '',
      ];
      out.write(lines.join('\n') + '\n');
      return { response: 'previewed' };
    },
    async close() {},
    async abort() {},
  };
}
