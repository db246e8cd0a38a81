// A person who signed in before signs in from a new browser on a new network: Gatehouse mails a
// 6-digit code and shows the code page; a wrong code is explained, the right one signs in. The
// page is a plain server-rendered form (works without JavaScript too: this run disables it).
import { base, mailbox, expect, launch } from './lib.mjs';

const { USER_EMAIL, USER_PASSWORD } = process.env;

async function codeFromMail() {
  const url = `${mailbox}/latest-text?to=${encodeURIComponent(USER_EMAIL)}&subject=${encodeURIComponent('Your sign-in code')}`;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`mailbox answered ${response.status}`);
  const match = /Your sign-in code is (\d{6})\./.exec(await response.text());
  if (!match) throw new Error('no code in the mail');
  return match[1];
}

const { browser } = await launch();
// The test proxy (127.0.0.1, trusted) names the client: a network this account never used.
const context = await browser.newContext({
  javaScriptEnabled: false,
  extraHTTPHeaders: { 'X-Forwarded-For': '198.51.100.77' },
});
const page = await context.newPage();
page.setDefaultTimeout(15000);
try {
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(USER_EMAIL);
  await page.getByLabel('Password').fill(USER_PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(`${base}/login/code`);
  await page.getByRole('heading', { name: "Confirm it's you" }).waitFor();

  const code = await codeFromMail();
  const wrong = code === '000000' ? '111111' : '000000';
  await page.getByLabel('Code from the email').fill(wrong);
  await page.getByRole('button', { name: 'Verify' }).click();
  expect((await page.locator('#form-error').textContent()).includes('Invalid code'), 'a wrong code is explained');

  await page.getByLabel('Code from the email').fill(code);
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.waitForURL(`${base}/account`);
  expect((await page.locator('#account-email').textContent()).trim() === USER_EMAIL, 'signed in');
  const cookies = await context.cookies();
  const device = cookies.find((c) => c.name === 'device_token');
  expect(device && device.httpOnly && device.sameSite === 'Lax', 'a trusted-device cookie');
  console.log('browser test email_code_step: passed');
} catch (error) {
  const shot = `${process.env.SCREENSHOT_DIR || '/tmp'}/gatehouse-email_code_step.png`;
  await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
  console.error(`browser test email_code_step failed: ${error.stack || error}\n(screenshot: ${shot})`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
