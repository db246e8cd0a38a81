// An org admin in the console: sets the organization's own mail server and sends a test mail
// (the org's SMTP listener receives it), then sets its branding and opens the preview: the
// org's sign-in page shows its name and accent colour. Screenshots of the mail server,
// providers and branding pages at 1280 and 390 px wide go to SCREENSHOT_DIR.
import { expect, run } from './lib.mjs';

const { GATEHOUSE_URL: base, ORG_SLUG, ORG_SMTP_PORT, ORG_MAILBOX_URL, ADMIN_EMAIL, ADMIN_PASSWORD, SCREENSHOT_DIR } =
  process.env;

const widths = [1280, 390];

async function shoot(page, name) {
  for (const width of widths) {
    await page.setViewportSize({ width, height: 900 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow <= 0, `${name} at ${width}px: no sideways scrolling (${overflow}px)`);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/console-${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

await run('console_org_settings', async (page) => {
  const settings = `${base}/admin/orgs/${ORG_SLUG}`;
  await page.goto(`${base}/login?next=${encodeURIComponent(`/admin/orgs/${ORG_SLUG}/smtp`)}`);
  await page.getByLabel('Email').fill(ADMIN_EMAIL);
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: 'Mail server' }).waitFor();

  // The mail server: saved, the password never shown, then a test mail through it.
  await page.getByLabel('Host').fill('127.0.0.1');
  await page.getByLabel('Port').fill(ORG_SMTP_PORT);
  await page.getByLabel('Security').selectOption('none');
  await page.getByLabel('Username').fill('mailer');
  await page.getByLabel('Password', { exact: true }).fill('browser-smtp-secret');
  await page.getByLabel('From address').fill('no-reply@acme.example');
  await page.getByRole('button', { name: 'Save mail server' }).click();
  await page.getByText('Mail server saved.').waitFor();
  expect(!(await page.content()).includes('browser-smtp-secret'), 'the password is not in the page');
  expect(await page.getByLabel('Password', { exact: true }).inputValue() === '', 'the password field is empty');
  await page.getByLabel('Send to').fill(ADMIN_EMAIL);
  await page.getByRole('button', { name: 'Send a test mail' }).click();
  await page.getByText(`Test mail sent to ${ADMIN_EMAIL}`).waitFor();
  const arrived = await fetch(
    `${ORG_MAILBOX_URL}/latest-text?to=${encodeURIComponent(ADMIN_EMAIL)}&subject=${encodeURIComponent('Gatehouse test mail')}`,
  );
  expect(arrived.ok, `the org's SMTP listener received the test mail (${arrived.status})`);
  await shoot(page, 'org-smtp');

  // Providers: the callback URL to register is on the page.
  await page.goto(`${settings}/providers`);
  await page.getByRole('heading', { name: 'Sign-in providers' }).waitFor();
  expect((await page.locator('#callback-url').innerText()).endsWith('/auth/github/callback'), 'callback URL shown');
  await shoot(page, 'org-providers');

  // Branding: a too-light colour is explained next to the field, then a good one is saved.
  await page.goto(`${settings}/branding`);
  await page.getByLabel('Display name').fill('Acme Console Brand');
  await page.getByLabel('Accent colour').fill('#ffcc00');
  await page.getByRole('button', { name: 'Save branding' }).click();
  await page.locator('#accent-error').waitFor();
  expect(await page.getByLabel('Display name').inputValue() === 'Acme Console Brand', 'typed name kept');
  await page.getByLabel('Accent colour').fill('#0b6e4f');
  await page.getByRole('button', { name: 'Save branding' }).click();
  await page.getByText('Branding saved.').waitFor();
  await shoot(page, 'org-branding');

  const preview = await page.getByRole('link', { name: 'Preview the sign-in page' }).getAttribute('href');
  await page.goto(`${base}${preview}`);
  await page.locator('header.brand').waitFor();
  expect((await page.locator('header.brand').innerText()).includes('Acme Console Brand'), 'the login page names the org');
  const brand = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--brand').trim());
  expect(brand === '#0b6e4f', `the login page uses the accent (${brand})`);
  await page.screenshot({ path: `${SCREENSHOT_DIR}/console-org-branding-preview-1280.png`, fullPage: true });
});
