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

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) for a base32 secret, `stepsAhead` steps from now. */
export async function totp(base32Secret, stepsAhead = 0) {
  const { createHmac } = await import('node:crypto');
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of base32Secret.replace(/[\s=]/g, '').toUpperCase()) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Math.floor(Date.now() / 1000 / 30) + stepsAhead;
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const hmac = createHmac('sha1', key).update(message).digest();
  const offset = hmac[hmac.length - 1] & 0x0f;
  const value = (hmac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, '0');
}

/**
 * Prepares `page` for the JSON passkey ceremonies: a CDP virtual authenticator (user verified),
 * no conditional mediation (the login page's autofill would answer and navigate away), and
 * in-page helpers on `window.gh`: `post(path, body, bearer)`, `register(token, name)` and
 * `assertion(email)` (a signed answer to a fresh email-first start). Returns the CDP session
 * and the authenticator's id.
 */
export async function passkeyPage(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  });
  await page.addInitScript(() => {
    if (window.PublicKeyCredential) PublicKeyCredential.isConditionalMediationAvailable = async () => false;
    const toBuffer = (v) => Uint8Array.from(atob(v.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (v.length % 4)) % 4)), (c) => c.charCodeAt(0)).buffer;
    const toB64u = (b) => (b ? btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') : null);
    const post = async (path, body, bearer) => {
      const headers = { 'Content-Type': 'application/json' };
      if (bearer) headers.Authorization = `Bearer ${bearer}`;
      const response = await fetch(path, { method: 'POST', headers, body: JSON.stringify(body) });
      return { status: response.status, body: await response.json() };
    };
    const register = async (token, name) => {
      const start = await post('/auth/passkeys/register/start', { name }, token);
      const options = start.body.options;
      options.challenge = toBuffer(options.challenge);
      options.user.id = toBuffer(options.user.id);
      const created = await navigator.credentials.create({ publicKey: options });
      return post('/auth/passkeys/register/finish', {
        challenge_id: start.body.challenge_id,
        credential: {
          id: created.id, rawId: toB64u(created.rawId), type: created.type,
          response: { clientDataJSON: toB64u(created.response.clientDataJSON), attestationObject: toB64u(created.response.attestationObject) },
        },
      }, token);
    };
    const assertion = async (email) => {
      const begin = await post('/auth/passkeys/authenticate/start', { email });
      const request = begin.body.options;
      request.challenge = toBuffer(request.challenge);
      request.allowCredentials.forEach((c) => { c.id = toBuffer(c.id); });
      const got = await navigator.credentials.get({ publicKey: request });
      const credential = {
        id: got.id, rawId: toB64u(got.rawId), type: got.type,
        response: {
          clientDataJSON: toB64u(got.response.clientDataJSON),
          authenticatorData: toB64u(got.response.authenticatorData),
          signature: toB64u(got.response.signature),
          userHandle: toB64u(got.response.userHandle),
        },
      };
      return { begin, credential, challengeId: begin.body.challenge_id };
    };
    window.gh = { post, register, assertion };
  });
  return { cdp, authenticatorId };
}
