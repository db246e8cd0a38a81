// A relying app sends the person to /authorize: they sign in, approve consent, and land back on
// the app's callback with a code. Prints "LANDED <url>" for the Rust test to finish the flow.
import { expect, run } from './lib.mjs';

const { AUTHORIZE_URL, CALLBACK_URL, USER_EMAIL, USER_PASSWORD } = process.env;

await run('authorize_with_consent', async (page) => {
  await page.goto(AUTHORIZE_URL);
  await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
  await page.getByLabel('Email').fill(USER_EMAIL);
  await page.getByLabel('Password').fill(USER_PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();

  await page.getByRole('heading', { name: /wants to access your account/ }).waitFor();
  expect(await page.getByText('See your email address').isVisible(), 'consent lists the email scope');
  await page.getByRole('button', { name: 'Allow' }).click();

  await page.waitForURL((url) => url.href.startsWith(CALLBACK_URL));
  const landed = new URL(page.url());
  expect(landed.searchParams.get('code'), 'a code in the callback');
  console.log(`LANDED ${landed.href}`);
});
