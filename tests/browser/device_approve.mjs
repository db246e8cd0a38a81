// A person types the code a CLI shows (lower case, no dash) on /device, signs in when asked,
// compares the code on the confirmation page and approves the device.
import { base, expect, run } from './lib.mjs';

const { USER_CODE, USER_EMAIL, USER_PASSWORD } = process.env;

await run('device_approve', async (page) => {
  await page.goto(`${base}/device`);
  await page.getByRole('heading', { name: 'Connect a device' }).waitFor();
  await page.getByLabel('Code').fill(USER_CODE.toLowerCase().replace('-', ''));
  await page.getByRole('button', { name: 'Continue' }).click();

  await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
  await page.getByLabel('Email').fill(USER_EMAIL);
  await page.getByLabel('Password').fill(USER_PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();

  await page.getByRole('heading', { name: /on your device\?$/ }).waitFor();
  expect((await page.locator('#user-code').textContent()) === USER_CODE, 'the page shows the code to compare');
  expect(await page.getByText('See your email address').isVisible(), 'the page lists the scopes');
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.getByRole('heading', { name: 'Device connected' }).waitFor();
});
