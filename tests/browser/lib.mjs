// Shared helpers for the browser scripts. The Rust test passes GATEHOUSE_URL (the issuer) and
// MAILBOX_URL (a captured-mail endpoint backed by a real SMTP listener).
import { chromium } from 'playwright-core';

export const base = process.env.GATEHOUSE_URL;
export const mailbox = process.env.MAILBOX_URL;

export async function launch() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage();
  page.setDefaultTimeout(15000);
  return { browser, page };
}

/** The link in the latest mail to `address` (waits for it to arrive). */
export async function latestLink(address) {
  const response = await fetch(`${mailbox}/latest-link?to=${encodeURIComponent(address)}`);
  if (!response.ok) throw new Error(`mailbox answered ${response.status}`);
  return (await response.text()).trim();
}

export function expect(condition, message) {
  if (!condition) throw new Error(`expectation failed: ${message}`);
}

/** Runs `body`, saving a screenshot when it fails, and sets the exit code. */
export async function run(name, body) {
  const { browser, page } = await launch();
  try {
    await body(page);
    console.log(`browser test ${name}: passed`);
  } catch (error) {
    const shot = `${process.env.SCREENSHOT_DIR || '/tmp'}/gatehouse-${name}.png`;
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    console.error(`browser test ${name} failed: ${error.stack || error}\n(screenshot: ${shot})`);
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}
