// The confirmation on a terminal: the organiser's answer decides what reaches the server.
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sendCommand } from '../../src/commands/send.js';
import type { Io } from '../../src/io.js';
import { campaignCopy } from '../helpers/campaign.js';
import { tmpJournal } from '../helpers/cli.js';
import { startSmtp, TEST_PASS, TEST_USER, type TestSmtp } from '../helpers/smtp.js';

function terminal(answer: boolean, questions: string[]): Io & { out: () => string } {
  const stdout = Object.assign(new PassThrough(), { isTTY: true });
  const stderr = Object.assign(new PassThrough(), { isTTY: true });
  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  let text = '';
  stdout.on('data', (c: Buffer) => (text += c.toString()));
  stderr.resume();
  return {
    env: { SMTP_USER: TEST_USER, SMTP_PASS: TEST_PASS },
    stdout,
    stderr,
    stdin,
    confirm: async (question) => {
      questions.push(question);
      return answer;
    },
    out: () => text,
  };
}

describe('send on a terminal', () => {
  let smtp: TestSmtp;
  let ca: string | undefined;
  beforeEach(async () => {
    smtp = await startSmtp();
    ca = process.env.NODE_EXTRA_CA_CERTS;
  });
  afterEach(async () => {
    await smtp.close();
    process.env.NODE_EXTRA_CA_CERTS = ca;
  });

  // A copy: a real send makes the campaign's secret (.invite/secret), and the repository's own .invite/ is never touched.
  const options = () => ({ campaign: campaignCopy(), smtp: smtp.url, now: '2026-11-27T12:00:00Z', insecureTls: true, journal: tmpJournal() });

  it('asks with the count, server and sender; "no" sends nothing', async () => {
    const questions: string[] = [];
    const code = await sendCommand(options(), terminal(false, questions));
    expect(code).toBe(0);
    expect(questions).toEqual(['Send 9 invitations through 127.0.0.1 as biser@example.org?']);
    await smtp.close();
    expect(smtp.received).toHaveLength(0);
  });

  it('"yes" sends all 9', async () => {
    const questions: string[] = [];
    const io = terminal(true, questions);
    const code = await sendCommand(options(), io);
    expect(code).toBe(0);
    expect(questions).toHaveLength(1);
    await smtp.close();
    expect(smtp.received).toHaveLength(9);
  });

  it('--yes does not ask', async () => {
    const questions: string[] = [];
    const code = await sendCommand({ ...options(), yes: true, limit: 2 }, terminal(false, questions));
    expect(code).toBe(0);
    expect(questions).toEqual([]);
    await smtp.close();
    expect(smtp.received).toHaveLength(2);
  });
});
