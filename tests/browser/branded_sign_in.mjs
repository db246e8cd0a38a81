// A relying app of a branded organization: the login page names the app and shows the org's
// name, logo and colours, in light and dark, at desktop and phone width (320 px, no sideways
// scrolling); the dark palette keeps AA contrast; the person signs in with the keyboard only,
// and without JavaScript; the account pages fit a phone in both palettes and the password
// fields get a Show / Hide toggle. Screenshots go to SCREENSHOT_DIR. Prints "LANDED <url>".
import { expect, launch } from './lib.mjs';

const { GATEHOUSE_URL, AUTHORIZE_URL, CALLBACK_URL, USER_EMAIL, USER_PASSWORD, SCREENSHOT_DIR, ORG_NAME, SERVICE_NAME } =
  process.env;

const sizes = { desktop: { width: 1280, height: 800 }, phone: { width: 320, height: 640 } };

/** WCAG contrast of the computed text colour of `selector` against the card behind it. */
async function contrastOf(page, selector) {
  return page.evaluate((sel) => {
    const rgb = (s) => s.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number);
    const lum = ([r, g, b]) => {
      const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const el = document.querySelector(sel);
    let bgEl = el;
    let bg = 'rgba(0, 0, 0, 0)';
    while (bgEl && (bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent')) {
      bg = getComputedStyle(bgEl).backgroundColor;
      bgEl = bgEl.parentElement;
    }
    const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(rgb(bg))];
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  }, selector);
}

const { browser } = await launch();
let failed = false;
try {
  for (const scheme of ['light', 'dark']) {
    for (const [size, viewport] of Object.entries(sizes)) {
      const context = await browser.newContext({ viewport, colorScheme: scheme });
      const page = await context.newPage();
      page.setDefaultTimeout(15000);
      await page.goto(AUTHORIZE_URL);
      await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
      expect((await page.locator('#context').innerText()).includes(SERVICE_NAME), 'names the app');
      expect((await page.locator('header.brand').innerText()).includes(ORG_NAME), 'names the org');
      const logoLoaded = await page.locator('header.brand img.logo')
        .evaluate((img) => img.complete && img.naturalWidth > 0);
      expect(logoLoaded, 'the org logo loads');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow <= 0, `${scheme}/${size}: no sideways scrolling (${overflow}px)`);
      const bodyBg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      if (scheme === 'dark') {
        expect(bodyBg === 'rgb(17, 20, 24)', `dark palette in use (${bodyBg})`);
      } else {
        expect(bodyBg === 'rgb(244, 245, 247)', `light palette in use (${bodyBg})`);
      }
      for (const sel of ['h1', '#context', 'label[for=email]', 'button[type=submit]', '.links a', '.brand-links a']) {
        const ratio = await contrastOf(page, sel);
        expect(ratio >= 4.5, `${scheme}/${size}: ${sel} contrast ${ratio.toFixed(2)} >= 4.5`);
      }
      await page.screenshot({ path: `${SCREENSHOT_DIR}/login-branded-${scheme}-${size}.png`, fullPage: true });
      // Sign-up and the email link keep the app's context and branding.
      for (const [link, shot, heading] of [
        ['Create an account', 'register', 'Create an account'],
        ['Email me a sign-in link', 'magic-link', 'Sign in with a link'],
      ]) {
        await page.getByRole('link', { name: link }).click();
        await page.getByRole('heading', { name: heading, exact: true }).waitFor();
        expect((await page.locator('#context').innerText()).includes(SERVICE_NAME), `${shot} names the app`);
        await page.screenshot({ path: `${SCREENSHOT_DIR}/${shot}-branded-${scheme}-${size}.png`, fullPage: true });
        await page.goBack();
      }
      await context.close();
    }
  }

  // Keyboard only: the address field has focus, Tab to the password, Enter submits.
  const context = await browser.newContext({ viewport: sizes.phone });
  const page = await context.newPage();
  await page.goto(AUTHORIZE_URL);
  await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
  expect(await page.evaluate(() => document.activeElement.id === 'email'), 'focus starts on the address');
  await page.keyboard.type(USER_EMAIL);
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement.id === 'password'), 'Tab reaches the password');
  await page.keyboard.type(USER_PASSWORD);
  await page.keyboard.press('Enter');
  await page.waitForURL((url) => url.href.startsWith(CALLBACK_URL));

  // The account pages, signed in, in both palettes and sizes; nothing scrolls sideways.
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const [size, viewport] of Object.entries(sizes)) {
      await page.setViewportSize(viewport);
      for (const [path, shot] of [['/account', 'account'], ['/account/security', 'security'], ['/account/password', 'change-password']]) {
        await page.goto(`${GATEHOUSE_URL}${path}`);
        await page.locator('h1').waitFor();
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow <= 0, `${path} ${scheme}/${size}: no sideways scrolling (${overflow}px)`);
        const ratio = await contrastOf(page, 'h1');
        expect(ratio >= 4.5, `${path} ${scheme}: heading contrast ${ratio.toFixed(2)}`);
        await page.screenshot({ path: `${SCREENSHOT_DIR}/${shot}-${scheme}-${size}.png`, fullPage: true });
      }
    }
  }
  // Show / Hide password: a button after the field that flips it, announced as pressed.
  await page.goto(`${GATEHOUSE_URL}/account/password`);
  const toggle = page.getByRole('button', { name: 'Show password' }).first();
  await toggle.click();
  expect(await page.locator('#current-password').getAttribute('type') === 'text', 'the password is shown');
  expect(await page.getByRole('button', { name: 'Hide password' }).first().getAttribute('aria-pressed') === 'true', 'pressed');
  await context.close();

  // Without JavaScript the form works the same (fresh browser, no session).
  const noJs = await browser.newContext({ javaScriptEnabled: false });
  const plain = await noJs.newPage();
  await plain.goto(AUTHORIZE_URL);
  await plain.getByLabel('Email').fill(USER_EMAIL);
  await plain.getByLabel('Password').fill(USER_PASSWORD);
  await plain.getByRole('button', { name: 'Sign in', exact: true }).click();
  await plain.waitForURL((url) => url.href.startsWith(CALLBACK_URL));
  console.log(`LANDED ${plain.url()}`);
  await noJs.close();
  console.log('browser test branded_sign_in: passed');
} catch (error) {
  console.error(`browser test branded_sign_in failed: ${error.stack || error}`);
  failed = true;
} finally {
  await browser.close();
}
if (failed) process.exitCode = 1;
