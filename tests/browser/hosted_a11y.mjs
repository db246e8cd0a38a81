// axe-core on every hosted page, light and dark, desktop (1280) and phone (320) width: zero
// WCAG 2.1 A/AA violations. Saves hosted-<page>-<scheme>-<width>.png under SCREENSHOT_DIR.
// The Rust test passes a verified user (USER_EMAIL / USER_PASSWORD), an authorization request
// of an app that asks for consent (AUTHORIZE_URL) and the mailbox.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { base, expect, run, totp } from './lib.mjs';

// Evaluated through the DevTools protocol: the pages' CSP (script-src 'self') stays as it is.
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core'), 'utf8');
const shots = process.env.SCREENSHOT_DIR || '/tmp';
const failures = [];

/** Checks the page now shown in every scheme and width. */
async function check(page, name) {
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const width of [1280, 320]) {
      await page.setViewportSize({ width, height: 900 });
      await page.evaluate(axeSource);
      const result = await page.evaluate(() => window.axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      }));
      for (const v of result.violations) {
        failures.push(`${name} ${scheme} ${width}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      }
      await page.screenshot({ path: `${shots}/hosted-${name}-${scheme}-${width}.png`, fullPage: true });
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function visit(page, path, name) {
  await page.goto(`${base}${path}`);
  await check(page, name);
}

run('hosted_a11y', async (page) => {
  const email = process.env.USER_EMAIL;
  const password = process.env.USER_PASSWORD;
  await visit(page, '/login', 'login');
  await visit(page, '/register', 'register');
  await visit(page, '/forgot-password', 'forgot-password');
  await visit(page, '/magic-link', 'magic-link');
  await visit(page, '/no-such-page', 'error');

  // Signed in: account, security, TOTP set-up, backup codes.
  await page.goto(`${base}/login`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.click('form[action="/login"] button[type=submit]');
  await page.waitForURL(/\/account/);
  await check(page, 'account');
  await visit(page, '/account/security', 'security');
  await visit(page, '/device', 'device');
  await page.goto(`${base}/account/security`);
  await page.click('form[action="/account/security/totp"] button[type=submit]');
  await page.waitForSelector('#totp-secret');
  await check(page, 'totp-setup');
  const secret = (await page.textContent('#totp-secret')).trim();
  await page.fill('#code', await totp(secret));
  await page.click('form[novalidate] button[type=submit]');
  await page.waitForSelector('#backup-codes');
  await check(page, 'backup-codes');

  // Consent for a relying app, then sign out and back in: the two-step page.
  await page.goto(process.env.AUTHORIZE_URL);
  await page.waitForSelector('form[action="/authorize/consent"]');
  await check(page, 'consent');
  await page.goto(`${base}/logout`);
  await check(page, 'logout');
  await page.click('form[action="/logout"] button[type=submit]');
  await page.goto(`${base}/login`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.click('form[action="/login"] button[type=submit]');
  await page.waitForSelector('#code');
  await check(page, 'mfa');

  expect(failures.length === 0, `axe found violations:\n${failures.join('\n')}`);
});
