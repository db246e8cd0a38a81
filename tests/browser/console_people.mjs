// The admin console's people pages in a real browser: a platform owner creates a service token
// (the secret shown once, with a copy button), revokes it with a reason, finds both events in
// the audit log by filtering on the action, opens a user and signs out one of their sessions.
// Screenshots of each page at 1280 and 390 px go to SCREENSHOT_DIR; no page scrolls sideways.
// Prints "SECRET <secret>" for the Rust test to try on the admin API.
import { base, expect, run } from './lib.mjs';

const { OWNER_EMAIL, OWNER_PASSWORD, USER_EMAIL, SCREENSHOT_DIR } = process.env;
const widths = [1280, 390];

/** Screenshots the page at each width, checking it fits without sideways scrolling. */
async function shoot(page, name) {
  for (const width of widths) {
    await page.setViewportSize({ width, height: 800 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow <= 0, `${name} at ${width}px: no sideways scrolling (${overflow}px)`);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/console-${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

await run('console_people', async (page) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${base}/login?next=%2Fadmin`);
  await page.getByLabel('Email').fill(OWNER_EMAIL);
  await page.getByLabel('Password').fill(OWNER_PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(`${base}/admin`);

  // Create a service token.
  await page.getByRole('link', { name: 'Service tokens' }).click();
  await page.getByRole('link', { name: 'Create a token' }).click();
  await page.getByLabel('Name (token id)').fill('browser-ci');
  await page.getByLabel('admin:orgs:read').check();
  await page.getByLabel('admin:audit:read').check();
  await page.getByRole('button', { name: 'Create the token' }).click();
  await page.getByRole('heading', { name: 'Token browser-ci created' }).waitFor();
  const secret = (await page.locator('#secret').textContent()).trim();
  expect(secret.startsWith('gh_st_'), 'the secret is shown');
  expect(await page.getByRole('button', { name: 'Copy the secret' }).isVisible(), 'a copy button');
  await shoot(page, 'service-token-secret');
  console.log(`SECRET ${secret}`);

  // The list never shows it again; revoke with a reason.
  await page.getByRole('link', { name: /back to the service tokens/ }).click();
  expect(!(await page.content()).includes(secret), 'the list does not show the secret');
  await shoot(page, 'service-tokens');
  const row = page.locator('#token-browser-ci');
  await row.locator('summary', { hasText: 'Revoke' }).click();
  await row.getByLabel('Reason').fill('browser test done');
  await row.getByRole('button', { name: 'Revoke browser-ci' }).click();
  await page.locator('#done').waitFor();
  expect((await page.locator('#token-browser-ci').textContent()).includes('revoked'), 'shown revoked');

  // Both events in the audit log, found by action.
  await page.getByRole('link', { name: 'Audit log' }).click();
  for (const action of ['service_token.created', 'service_token.revoked']) {
    await page.getByLabel('Action').fill(action);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/action=service_token/);
    const event = page.locator('li.event', { hasText: action }).first();
    await event.locator('summary').click();
    expect((await event.textContent()).includes('service_token:browser-ci'), `${action} names the token`);
  }
  expect((await page.locator('li.event pre').first().textContent()).includes('browser test done'), 'details show the reason');
  await shoot(page, 'audit');

  // A user's page: sign out one of their sessions.
  await page.getByRole('link', { name: 'Users', exact: true }).click();
  await shoot(page, 'users');
  await page.getByLabel('Email or user id').fill(USER_EMAIL);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('link', { name: USER_EMAIL }).click();
  await page.getByRole('heading', { name: USER_EMAIL }).waitFor();
  await shoot(page, 'user');
  await page.locator('#sessions').getByRole('button', { name: /Sign out the session/ }).first().click();
  await page.locator('#done', { hasText: 'The session is signed out.' }).waitFor();
  expect(await page.locator('#no-sessions').isVisible(), 'no live session left');

  await page.getByRole('link', { name: 'Signing keys' }).click();
  await page.locator('#keys').waitFor();
  await shoot(page, 'keys');
});
