// `invite preview` (issue 13): the gallery loaded in a real browser — Debian's Chromium driven
// by playwright-core, which uses the installed browser and downloads none. Every page: no
// console error, no failed request, the recipient's name and local time visible, the
// registration link in the letter, no horizontal scroll at 375 px; screenshots at 375 and
// 900 px are written for the record.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignCopy } from '../helpers/campaign.js';
import { runCli } from '../helpers/cli.js';

const CHROMIUM = '/usr/bin/chromium';
// CI installs Chromium (.ci/run) and sets this, so a missing browser fails the run instead of skipping.
const required = process.env.INVITE_REQUIRE_CHROMIUM === '1';
const NOW = '2026-11-27T12:00:00Z';
/** Evaluated in the page (the tests are type-checked without the DOM library). */
const NO_HORIZONTAL_SCROLL = 'document.documentElement.scrollWidth <= window.innerWidth';
/**
 * Every visible element with its own text, whose contrast against its background is below
 * WCAG AA (4.5:1, or 3:1 for large text: 24 px, or 18.66 px bold). Returns what fails.
 */
const CONTRAST_FAILURES = `(() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const background = (el) => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c.length >= 3 && (c.length < 4 || c[3] > 0)) return c; } return [255, 255, 255]; };
  const failures = [];
  for (const el of document.body.querySelectorAll('*')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden' || el.closest('[style*="display: none"]')) continue;
    const a = lum(rgb(style.color)), b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < needed) failures.push(el.tagName + ' "' + el.textContent.trim().slice(0, 30) + '" ' + ratio.toFixed(2));
  }
  return failures;
})()`;

describe.skipIf(!existsSync(CHROMIUM) && !required)('invite preview, in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    // One renderer process, no GPU: the suite shares two cores with this browser.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-extensions', '--renderer-process-limit=1'],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('writes index.html and a page per recipient; every page loads cleanly at 375 px (index and one page also at 900) with what the recipient sees', async () => {
    const dir = campaignCopy();
    const out = path.join(dir, 'gallery');
    const result = await runCli(['preview', '--out', out, '--now', NOW], { cwd: dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Open ${path.join(out, 'index.html')} in a browser`);
    const pages = readdirSync(out)
      .filter((f) => f !== 'index.html')
      .sort();
    expect(pages).toHaveLength(9);
    const shots = process.env.INVITE_SCREENSHOTS ?? mkdtempSync(path.join(os.tmpdir(), 'invite-shots-'));
    mkdirSync(shots, { recursive: true });

    for (const width of [375, 900]) {
      const context = await browser.newContext({ viewport: { width, height: 900 } });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('requestfailed', (r) => problems.push(`failed: ${r.url()}`));

      await page.goto(`file://${path.join(out, 'index.html')}`);
      const index = await page.locator('body').innerText();
      expect(index).toContain('9 messages, as the recipients will see them');
      expect(index).toContain('Žydrūnė Šalčiūtė');
      expect(index).toContain('10:00–13:00 in Vilnius');
      expect(await page.evaluate(NO_HORIZONTAL_SCROLL)).toBe(true);
      await page.screenshot({ path: path.join(shots, `index-${width}.png`) });

      // The narrow width, where layouts break: the first recipient and one in another zone;
      // the wide one: the recipient in another zone.
      const chosen = width === 375 ? [pages[0]!, pages.find((f) => f.includes('lithuania'))!] : pages.filter((f) => f.includes('lithuania'));
      for (const file of chosen) {
        await page.goto(`file://${path.join(out, file)}`);
        const text = await page.locator('body').innerText();
        expect(text, file).toMatch(/To\s+\S/);
        expect(await page.getByTestId('calendar').innerText(), file).toMatch(/Thursday 6 May 2027, 09:00–12:00 CEST[\s\S]*Accept[\s\S]*Decline/);
        // The letter, rendered in its sandboxed frame: the name and the registration link.
        const frame = page.frameLocator('#letter');
        await expect.poll(() => frame.locator('body').innerText(), { timeout: 5000 }).toContain('Dear ');
        const links = await frame.locator('a').evaluateAll((as) => as.map((a) => (a as unknown as { href: string }).href));
        expect(links, file).toContain('https://events.example.org/bsr-social-innovation-2027/register');
        expect(await page.evaluate(NO_HORIZONTAL_SCROLL), `${file} at ${width} px`).toBe(true);
        // The letter meets WCAG AA contrast, and its registration button is a real button.
        const letter = page.frames().find((f) => f !== page.mainFrame())!;
        expect(await letter.evaluate(CONTRAST_FAILURES), `${file} at ${width} px`).toEqual([]);
        expect(await frame.getByRole('link', { name: 'Register now' }).getAttribute('href')).toBe(
          'https://events.example.org/bsr-social-innovation-2027/register',
        );
        if (file.includes('lithuania')) {
          expect(text).toContain('Žydrūnė Šalčiūtė <info@cc-lithuania.example.org>');
          expect(await page.getByTestId('calendar').innerText()).toContain('(10:00–13:00 in Vilnius)');
          await page.locator('#letter').screenshot({ path: path.join(shots, `lithuania-letter-${width}.png`) });
        }
      }
      expect(problems).toEqual([]);
      await context.close();
    }
  }, 60_000);

  it('--kind reminder: no calendar entry, the days left in the letter; --kind with a typo is exit 2', async () => {
    const dir = campaignCopy();
    const out = path.join(dir, 'gallery');
    const result = await runCli(['preview', '--kind', 'reminder', '--out', out, '--now', '2027-04-18T09:00', '--limit', '1'], { cwd: dir });
    expect(result.code).toBe(0);
    const [file] = readdirSync(out).filter((f) => f !== 'index.html');
    const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
    const page = await context.newPage();
    await page.goto(`file://${path.join(out, file!)}`);
    expect(await page.locator('body').innerText()).toContain('No calendar entry: a reminder is a letter');
    await expect.poll(() => page.frameLocator('#letter').locator('body').innerText()).toContain('Days left to register');
    await context.close();
    const typo = await runCli(['preview', '--kind', 'remind', '--out', out], { cwd: dir });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('--kind remind: no such mail kind');
  });
});

describe('invite preview --open', () => {
  it("--open hands index.html to the desktop's opener (xdg-open on Linux), and prints no path to open", async () => {
    const dir = campaignCopy();
    const bin = mkdtempSync(path.join(os.tmpdir(), 'invite-opener-'));
    const opened = path.join(bin, 'opened');
    writeFileSync(path.join(bin, 'xdg-open'), `#!/bin/sh\necho "$@" >> ${opened}\n`, { mode: 0o755 });
    const out = path.join(dir, 'gallery');
    const result = await runCli(['preview', '--out', out, '--open', '--now', NOW], { cwd: dir, env: { PATH: `${bin}:${process.env.PATH}` } });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('Open ');
    await expect.poll(() => (existsSync(opened) ? readFileSync(opened, 'utf8') : '')).toBe(`${path.join(out, 'index.html')}\n`);
  });
});
