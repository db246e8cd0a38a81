// A native app registered a private-use scheme redirect URI (RFC 8252 §7.1). Chromium applies the
// submitting page's CSP form-action to every redirect after a form POST, so the browser must
// still reach the app after the sign-in form, the consent form and the sign-out confirmation.
// The app's scheme has no handler here: the navigation shows up as a request, then aborts.
// Prints "LANDED <url>" for the Rust test to finish the flow.
import { expect, run } from './lib.mjs';

const { AUTHORIZE_URL, CALLBACK_URL, LOGOUT_URL, POST_LOGOUT_URL, USER_EMAIL, USER_PASSWORD } =
  process.env;

await run('private_scheme_redirect', async (page) => {
  const violations = [];
  page.on('console', (m) => {
    if (m.text().includes('Content Security Policy')) violations.push(m.text());
  });
  const reached = [];
  page.on('request', (r) => {
    if (r.url().startsWith(CALLBACK_URL) || r.url().startsWith(POST_LOGOUT_URL)) {
      reached.push(r.url());
    }
  });
  const waitFor = async (prefix) => {
    for (let i = 0; i < 150 && !reached.some((u) => u.startsWith(prefix)); i += 1) {
      await page.waitForTimeout(100);
    }
    const url = reached.find((u) => u.startsWith(prefix));
    expect(url, `the browser reached ${prefix} (CSP reports: ${violations.join(' | ') || 'none'})`);
    return url;
  };

  await page.goto(AUTHORIZE_URL);
  await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
  await page.getByLabel('Email').fill(USER_EMAIL);
  await page.getByLabel('Password').fill(USER_PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: /wants to access your account/ }).waitFor();
  await page.getByRole('button', { name: 'Allow' }).click();

  const landed = await waitFor(CALLBACK_URL);
  expect(new URL(landed).searchParams.get('code'), 'a code in the callback');
  console.log(`LANDED ${landed}`);

  await page.goto(LOGOUT_URL);
  await page.getByRole('heading', { name: 'Sign out?' }).waitFor();
  await page.getByRole('button', { name: 'Sign out' }).click();
  const signedOut = await waitFor(POST_LOGOUT_URL);
  console.log(`SIGNED_OUT ${signedOut}`);
  expect(violations.length === 0, `no CSP violation: ${violations.join(' | ')}`);
});
