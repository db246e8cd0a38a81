// German pages: a browser whose language is German gets German pages; an English browser sent
// by an app with ui_locales=de gets the German sign-in (the rest of the sign-in stays German).
import { chromium } from 'playwright-core';
import { base, expect, run } from './lib.mjs';

run('hosted_german', async (page) => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu'],
  });
  try {
    const german = await (await browser.newContext({ locale: 'de-DE' })).newPage();
    await german.goto(`${base}/register`);
    expect(await german.getAttribute('html', 'lang') === 'de', 'lang="de" on the register page');
    expect((await german.textContent('h1')).trim() === 'Konto erstellen', 'German heading');
    await german.goto(`${base}/login`);
    expect((await german.textContent('h1')).trim() === 'Anmelden', 'German login');

    const english = await (await browser.newContext({ locale: 'en-US' })).newPage();
    await english.goto(`${base}/login`);
    expect((await english.textContent('h1')).trim() === 'Sign in', 'English by default');
    await english.goto(process.env.AUTHORIZE_URL);
    await english.waitForSelector('form[action="/login"]');
    expect(await english.getAttribute('html', 'lang') === 'de', 'ui_locales=de wins');
    expect((await english.textContent('h1')).trim() === 'Anmelden', 'German sign-in');
    await english.goto(`${base}/magic-link`);
    expect((await english.textContent('h1')).trim() === 'Mit einem Link anmelden', 'still German');
  } finally {
    await browser.close();
  }
  await page.close();
});
