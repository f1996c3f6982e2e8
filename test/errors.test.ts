// The one place errors become text and exit codes: a bug is 70 (never 1, which CI reads as
// "some messages not delivered"), Ctrl-C at a question is 130, input problems are 2.
import { describe, expect, it } from 'vitest';
import { describeFailure, InputError, PromptInterrupted, UsageError } from '../src/errors.js';

describe('describeFailure', () => {
  it('an internal error: exit 70, one line asking for a report, no stack', () => {
    const failure = describeFailure(new TypeError("Cannot read properties of undefined (reading 'email')"));
    expect(failure.code).toBe(70);
    expect(failure.lines).toHaveLength(1);
    expect(failure.lines[0]).toMatch(/^invite: internal error \(a bug in invite\): Cannot read properties of undefined \(reading 'email'\) — please report it/);
    expect(failure.lines[0]).toContain('--debug');
    expect(failure.lines.join('\n')).not.toMatch(/\n\s+at /);
  });

  it('the stack only with --debug', () => {
    const failure = describeFailure(new RangeError('boom'), true);
    expect(failure.code).toBe(70);
    expect(failure.lines.join('\n')).toMatch(/RangeError: boom\n\s+at /);
  });

  it("Ctrl-C at inquirer's question (ExitPromptError) or ours: exit 130 and one line", () => {
    const inquirer = Object.assign(new Error('User force closed the prompt with SIGINT'), { name: 'ExitPromptError' });
    expect(describeFailure(inquirer)).toEqual({ lines: ['Nothing sent.'], code: 130 });
    expect(describeFailure(new PromptInterrupted('Nothing written.'))).toEqual({ lines: ['Nothing written.'], code: 130 });
  });

  it('input and usage problems: exit 2 with the place and the hint', () => {
    expect(describeFailure(new InputError({ file: 'invite.yaml', line: 3, column: 'event.end', message: 'bad', hint: 'fix it' }))).toEqual({
      lines: ['invite: invite.yaml:3:event.end: bad (fix it)'],
      code: 2,
    });
    expect(describeFailure(new UsageError('no SMTP server', 'set SMTP_URL'))).toEqual({ lines: ['invite: no SMTP server', 'hint: set SMTP_URL'], code: 2 });
  });
});
