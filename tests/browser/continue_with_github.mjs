// A relying app sends the person to /authorize; on the login page they choose "Continue with
// GitHub", pass the (mock) GitHub, and land back on the app's callback with a code. Prints
// "LANDED <url>" for the Rust test to finish the flow.
import { expect, run } from './lib.mjs';

const { AUTHORIZE_URL, CALLBACK_URL } = process.env;

await run('continue_with_github', async (page) => {
  await page.goto(AUTHORIZE_URL);
  const github = page.getByRole('link', { name: 'Continue with GitHub' });
  await github.waitFor();
  expect(await page.getByLabel('Email').isVisible(), 'the password form is still offered');
  await github.click();

  await page.waitForURL((url) => url.href.startsWith(CALLBACK_URL));
  const landed = new URL(page.url());
  expect(landed.searchParams.get('code'), 'a code in the callback');
  console.log(`LANDED ${landed.href}`);
});
