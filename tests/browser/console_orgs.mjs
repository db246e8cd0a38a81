// The console in Chromium: a platform owner signs in, sees the overview with its sign-in
// chart, creates an organization and invites a member; every page fits 1280 and 390 px wide
// (no sideways scrolling) and is saved as a screenshot in SCREENSHOT_DIR.
import { base, expect, run } from './lib.mjs';

const { OWNER_EMAIL, OWNER_PASSWORD, INVITEE_EMAIL, SCREENSHOT_DIR } = process.env;
const widths = [1280, 390];

await run('console_orgs', async (page) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${base}/admin`);
  await page.waitForURL(/\/login\?next=/);
  await page.getByLabel('Email').fill(OWNER_EMAIL);
  await page.getByLabel('Password').fill(OWNER_PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  expect(await page.locator('#sign-in-chart').isVisible(), 'the chart is visible');
  expect((await page.locator('#stat-sign-ins').innerText()).trim() !== '0', 'this sign-in is counted');
  expect(await page.getByRole('link', { name: 'Add your first app' }).isVisible(), 'first-app prompt');

  await page.goto(`${base}/admin/orgs`);
  await page.getByLabel('Name', { exact: true }).fill('Browser Org');
  await page.getByLabel('Slug').fill('browser-org');
  await page.getByRole('button', { name: 'Create organization' }).click();
  await page.getByText('Organization created.').waitFor();
  expect(page.url().endsWith('/admin/orgs/browser-org?done=created'), `created: ${page.url()}`);

  await page.getByRole('link', { name: 'Members' }).click();
  await page.getByLabel('Email').fill(INVITEE_EMAIL);
  await page.getByLabel('Roles', { exact: true }).fill('owner, admin');
  await page.getByRole('button', { name: 'Invite' }).click();
  await page.getByText('Invitation sent').waitFor();
  expect((await page.locator('#members').innerText()).includes(INVITEE_EMAIL), 'the invitee is listed');

  const pages = {
    overview: '/admin',
    orgs: '/admin/orgs',
    org: '/admin/orgs/browser-org',
    members: '/admin/orgs/browser-org/members',
  };
  for (const width of widths) {
    await page.setViewportSize({ width, height: 900 });
    for (const [name, path] of Object.entries(pages)) {
      await page.goto(`${base}${path}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow <= 0, `${name} at ${width}px: no sideways scrolling (${overflow}px)`);
      await page.screenshot({ path: `${SCREENSHOT_DIR}/console-${name}-${width}.png`, fullPage: true });
    }
  }
  console.log('INVITED');
});
