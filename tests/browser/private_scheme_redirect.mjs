// A native app registered private-use scheme URIs (RFC 8252 §7.1). Chromium applies the
// submitting page's CSP form-action to every redirect after a form POST, so the browser must
// still reach the app after the sign-in form, the consent form and the sign-out confirmation.
// The app's scheme has no handler here: the navigation shows up as a request, then aborts.
// Prints "LANDED <url>" and "SIGNED_OUT <url>" for the Rust test to check.
import { expect, run } from './lib.mjs';

const { AUTHORIZE_URL, CALLBACK_URL, LOGOUT_URL, POST_LOGOUT_URL, USER_EMAIL, USER_PASSWORD } =
  process.env;

const violations = [];
const trail = [];

/** Records CSP reports and the page's traffic (shown if the app is never reached). */
function watch(page) {
  page.on('console', (m) => {
    if (m.text().includes('Content Security Policy')) violations.push(m.text());
    trail.push(`console ${m.text()}`);
  });
  page.on('request', (r) => trail.push(`request ${r.method()} ${r.url()}`));
  page.on('requestfailed', (r) => trail.push(`failed ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => trail.push(`response ${r.status()} ${r.url()}`));
}

/** Waits (started before the click that leads there) for the navigation to the app. */
function reach(page, prefix) {
  return page
    .waitForRequest((r) => r.url().startsWith(prefix), { timeout: 30000 })
    .then((r) => r.url())
    .catch(() => {
      throw new Error(
        `the browser never reached ${prefix} (CSP reports: ${violations.join(' | ') || 'none'})\n${trail.join('\n')}`,
      );
    });
}

await run('private_scheme_redirect', async (page) => {
  watch(page);
  await page.goto(AUTHORIZE_URL);
  await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
  await page.getByLabel('Email').fill(USER_EMAIL);
  await page.getByLabel('Password').fill(USER_PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: /wants to access your account/ }).waitFor();
  const toCallback = reach(page, CALLBACK_URL);
  await page.getByRole('button', { name: 'Allow' }).click();
  const landed = await toCallback;
  expect(new URL(landed).searchParams.get('code'), 'a code in the callback');
  console.log(`LANDED ${landed}`);

  // The app opens its sign-out URL in a fresh window with the same cookies, as a native app
  // does (a tab that just handed a URL to an external handler may ignore the next click).
  const context = await page.context().browser().newContext();
  await context.addCookies(await page.context().cookies());
  const tab = await context.newPage();
  tab.setDefaultTimeout(15000);
  watch(tab);
  await tab.goto(LOGOUT_URL);
  await tab.getByRole('heading', { name: 'Sign out?' }).waitFor();
  const toSignedOut = reach(tab, POST_LOGOUT_URL);
  await tab.getByRole('button', { name: 'Sign out' }).click();
  const signedOut = await toSignedOut;
  console.log(`SIGNED_OUT ${signedOut}`);
  expect(violations.length === 0, `no CSP violation: ${violations.join(' | ')}`);
});
