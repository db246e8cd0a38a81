// A signed-up person turns on two-step sign-in by scanning (here: reading) the key on the security
// page, saves the backup codes, signs out, and signs in again with password + code.
import { base, expect, run, totp } from './lib.mjs';

const { USER_EMAIL, USER_PASSWORD } = process.env;

async function signIn(page) {
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(USER_EMAIL);
  await page.getByLabel('Password').fill(USER_PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

await run('totp_enrol_and_sign_in', async (page) => {
  await signIn(page);
  await page.waitForURL(`${base}/account`);
  await page.getByRole('link', { name: /two-step sign-in/ }).click();
  await page.getByRole('button', { name: 'Set up an authenticator app' }).click();

  expect(await page.locator('.qr svg').isVisible(), 'the QR code is shown');
  const secret = (await page.locator('#totp-secret').textContent()).replace(/\s/g, '');
  await page.getByLabel('Enter the 6-digit code the app shows').fill(await totp(secret));
  await page.getByRole('button', { name: 'Turn on two-step sign-in' }).click();
  await page.getByRole('heading', { name: 'Save your backup codes' }).waitFor();
  expect((await page.locator('#backup-codes li').count()) === 10, 'ten backup codes');
  await page.getByRole('link', { name: 'I saved them, continue' }).click();
  expect((await page.locator('#totp-status').textContent()).includes('10 backup codes left'), 'status shows it is on');

  await page.goto(`${base}/account`);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'You are signed out' }).waitFor();

  await signIn(page);
  await page.waitForURL(`${base}/login/mfa`);
  // The enrolment used this time step; the next one is within the allowed skew.
  await page.getByLabel('Authentication code').fill(await totp(secret, 1));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.waitForURL(`${base}/account`);
  expect((await page.locator('.facts').textContent()).includes('two-step sign-in'), 'signed in with a one-time code');
});
