// A person registers, follows the emailed link, verifies, signs in and signs out.
import { base, expect, latestLink, run } from './lib.mjs';

const email = `browser-${Date.now()}@example.com`;
const password = 'a long browser password';

await run('register_verify_sign_in', async (page) => {
  await page.goto(`${base}/register`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Check your email' }).waitFor();

  const link = await latestLink(email);
  expect(link.startsWith(`${base}/verify-email?token=`), `verification link ${link}`);
  await page.goto(link);
  await page.getByRole('button', { name: 'Verify my email' }).click();
  await page.getByRole('heading', { name: 'Email verified' }).waitFor();

  await page.getByRole('link', { name: 'Sign in', exact: true }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(`${base}/account`);
  expect((await page.locator('#account-email').textContent()) === email, 'account page shows the email');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
  await page.goto(`${base}/account`);
  await page.waitForURL(/\/login\?next=/);
});
