import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (apt package `chromium`); nothing downloads a browser at run time. */
export const CHROMIUM = process.env.WABULK_CHROMIUM || '/usr/bin/chromium';

/**
 * Headless Chromium as this machine allows it: no sandbox (tests run as root), no GPU, and no
 * background networking (the closed network refuses Chromium's own connections, many at a time).
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install --no-install-recommends chromium; npm test does it as root) or set WABULK_CHROMIUM`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
  });
}

/**
 * Where screenshots go: WABULK_SCREENSHOTS (e.g. docs/console, to refresh the README's pictures) or
 * a folder under the OS temp dir that each run overwrites.
 */
export function screenshotDir(): string {
  const dir = process.env.WABULK_SCREENSHOTS || join(process.env.TMPDIR || '/tmp', 'wabulk-console-screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const path = join(screenshotDir(), `${name}.png`);
  await page.screenshot({ path, fullPage: true, animations: 'disabled', caret: 'hide' });
  return path;
}

/** Errors the page itself reported (console errors, uncaught exceptions): a test ends with none. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  return errors;
}
