// First run: a newcomer opens the setup link `gatehouse serve` printed, creates the platform
// owner and lands in the admin console. The setup page fits a phone (320 and 390 px, no
// sideways scrolling); screenshots at 1280 and 390 px go to SCREENSHOT_DIR. A second visit of
// the link says setup is done.
import { expect, launch } from './lib.mjs';

const { SETUP_URL, OWNER_EMAIL, OWNER_PASSWORD, SCREENSHOT_DIR } = process.env;

const { browser } = await launch();
let failed = false;
try {
  for (const width of [1280, 390, 320]) {
    const context = await browser.newContext({ viewport: { width, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15000);
    await page.goto(SETUP_URL);
    await page.getByRole('heading', { name: 'Set up Gatehouse', exact: true }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow <= 0, `${width}px: no sideways scrolling (${overflow}px)`);
    if (width !== 320) {
      await page.screenshot({ path: `${SCREENSHOT_DIR}/console-setup-${width}.png`, fullPage: true });
    }
    await context.close();
  }

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  await page.goto(SETUP_URL);
  // A too-short password is refused next to the field; the address stays.
  await page.getByLabel('Email').fill(OWNER_EMAIL);
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create owner and open the console' }).click();
  await page.locator('#password-error').waitFor();
  expect((await page.getByLabel('Email').inputValue()) === OWNER_EMAIL, 'the address is kept');
  expect((await page.getByLabel('Password').inputValue()) === '', 'the password is not echoed');

  await page.getByLabel('Password').fill(OWNER_PASSWORD);
  await page.getByRole('button', { name: 'Create owner and open the console' }).click();
  await page.getByRole('heading', { name: 'Overview', exact: true }).waitFor();
  expect(new URL(page.url()).pathname === '/admin', `lands in the console (${page.url()})`);
  expect((await page.content()).includes(OWNER_EMAIL), 'the console names the owner');

  // The link is used up: a clear page.
  await page.goto(SETUP_URL);
  await page.getByRole('heading', { name: 'Gatehouse is already set up', exact: true }).waitFor();
  await page.screenshot({ path: `${SCREENSHOT_DIR}/console-setup-done-1280.png`, fullPage: true });
  await context.close();
  console.log('browser test first_run: passed');
} catch (error) {
  failed = true;
  console.error(`browser test first_run failed: ${error.stack || error}`);
} finally {
  await browser.close();
}
process.exitCode = failed ? 1 : 0;
