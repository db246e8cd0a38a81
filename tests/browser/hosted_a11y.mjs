// axe-core on every hosted page, light and dark, desktop (1280) and phone (320) width: zero
// WCAG 2.1 A/AA violations; the sign-in, register, consent and security pages in German too.
// Saves hosted-<page>-<scheme>-<width>.png under SCREENSHOT_DIR.
// The Rust test passes verified users (USER_EMAIL / USER_PASSWORD; RESET_EMAIL and MAGIC_EMAIL
// for the mailed links; RISKY_EMAIL, who signed in before from another network, for the emailed
// code), an authorization request of an app that asks for consent (AUTHORIZE_URL), a device
// sign-in's code (DEVICE_USER_CODE) and the mailbox.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { base, expect, latestLink, run, totp } from './lib.mjs';

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

/** The link of the latest mail to `address` once it leads to `path` (an earlier mail may hold
 * another link). */
async function mailedLink(address, path) {
  for (let tries = 0; tries < 100; tries += 1) {
    const link = await latestLink(address);
    if (new URL(link).pathname === path) return link;
    await new Promise((resolve) => { setTimeout(resolve, 100); });
  }
  throw new Error(`no mail to ${address} with a link to ${path}`);
}

/** Submits the form holding `selector` by pressing Enter in it, and waits for the answer. */
async function submitFrom(page, selector) {
  await Promise.all([page.waitForNavigation(), page.press(selector, 'Enter')]);
}

async function signIn(page, email, password) {
  await page.goto(`${base}/login`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await submitFrom(page, '#password');
}

/** The sign-in, register, consent and security pages for a browser whose language is German. */
async function german(browser, email, password) {
  const context = await browser.newContext({ locale: 'de-DE' });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  await visit(page, '/login', 'de-login');
  expect(await page.getAttribute('html', 'lang') === 'de', 'German login page');
  await visit(page, '/register', 'de-register');
  await page.fill('#email', 'not an address');
  await page.fill('#password', 'short');
  await submitFrom(page, '#password');
  await check(page, 'de-register-errors');
  await signIn(page, email, password);
  await page.waitForURL(/\/account/);
  await visit(page, '/account/security', 'de-security');
  expect(await page.getAttribute('html', 'lang') === 'de', 'German security page');
  await page.goto(process.env.AUTHORIZE_URL);
  await page.waitForSelector('form[action="/authorize/consent"]');
  await check(page, 'de-consent');
  await context.close();
}

/** The emailed-code step of an unusual sign-in: a new browser on a new network. */
async function emailCode(browser, email, password) {
  const context = await browser.newContext({ extraHTTPHeaders: { 'X-Forwarded-For': '198.51.100.77' } });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  await signIn(page, email, password);
  await page.waitForURL(`${base}/login/code`);
  await check(page, 'email-code');
  await page.fill('#code', '000000');
  await submitFrom(page, '#code');
  await page.waitForSelector('#form-error');
  await check(page, 'email-code-error');
  await context.close();
}

run('hosted_a11y', async (page) => {
  const email = process.env.USER_EMAIL;
  const password = process.env.USER_PASSWORD;
  await german(page.context().browser(), email, password);
  await emailCode(page.context().browser(), process.env.RISKY_EMAIL, password);

  await visit(page, '/login', 'login');
  await page.fill('#email', email);
  await page.fill('#password', 'not the password');
  await submitFrom(page, '#password');
  await check(page, 'login-error');
  await visit(page, '/register', 'register');
  await submitFrom(page, '#email');
  await check(page, 'register-errors');
  await visit(page, '/no-such-page', 'error');
  const unknownApp = new URL(process.env.AUTHORIZE_URL);
  unknownApp.searchParams.set('redirect_uri', 'https://elsewhere.example/callback');
  await page.goto(unknownApp.href);
  await check(page, 'app-request-error');

  // A new account: the "check your email" notice, then the verification link's page.
  const newcomer = `a11y-${Date.now()}@example.com`;
  await page.goto(`${base}/register`);
  await page.fill('#email', newcomer);
  await page.fill('#password', 'a long enough passphrase');
  await submitFrom(page, '#password');
  await check(page, 'register-sent');
  await page.goto(await mailedLink(newcomer, '/verify-email'));
  await page.waitForSelector('form[action="/verify-email"]');
  await check(page, 'verify-email');
  await visit(page, '/verify-email?token=made-up', 'verify-email-invalid');

  // Password reset: the request, the notice, the mailed link's form and its refusal.
  await visit(page, '/forgot-password', 'forgot-password');
  await page.fill('#email', process.env.RESET_EMAIL);
  await submitFrom(page, '#email');
  await check(page, 'forgot-password-sent');
  await page.goto(await mailedLink(process.env.RESET_EMAIL, '/reset-password'));
  await page.waitForSelector('form[action="/reset-password"]');
  await check(page, 'reset-password');
  await page.fill('#password', 'short');
  await submitFrom(page, '#password');
  await check(page, 'reset-password-error');

  // Email link: the request, the notice and the mailed link's page.
  await visit(page, '/magic-link', 'magic-link');
  await page.fill('#email', process.env.MAGIC_EMAIL);
  await submitFrom(page, '#email');
  await check(page, 'magic-link-sent');
  await page.goto(await mailedLink(process.env.MAGIC_EMAIL, '/magic-link/verify'));
  await page.waitForSelector('form[action="/magic-link/verify"]');
  await check(page, 'magic-link-verify');

  // Signed in: account, devices, providers, password, the device sign-in, security, TOTP
  // set-up, backup codes.
  await signIn(page, email, password);
  await page.waitForURL(/\/account/);
  await check(page, 'account');
  await visit(page, '/account/devices', 'devices');
  await visit(page, '/account/providers', 'providers');
  await visit(page, '/account/password', 'change-password');
  await visit(page, '/device', 'device');
  await page.fill('#user_code', 'BCDF-GHJK');
  await submitFrom(page, '#user_code');
  await check(page, 'device-error');
  await page.fill('#user_code', process.env.DEVICE_USER_CODE);
  await submitFrom(page, '#user_code');
  await page.waitForSelector('form[action="/device/confirm"]');
  await check(page, 'device-confirm');
  await visit(page, '/account/security', 'security');
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
  await page.fill('#code', '000000');
  await submitFrom(page, '#code');
  await page.waitForSelector('#code-error');
  await check(page, 'mfa-error');
  await page.click('details.secondary summary');
  await page.fill('#backup-code', 'not-a-code');
  await submitFrom(page, '#backup-code');
  await page.waitForSelector('#backup-error');
  await check(page, 'mfa-backup-error');

  expect(failures.length === 0, `axe found violations:\n${failures.join('\n')}`);
});
