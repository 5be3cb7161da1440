import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { TestRouter } from '../testkit/router.ts';
import { ADMIN_TOKEN } from './helpers.ts';

/** Debian's chromium (CI installs it: `apt-get install -y chromium`); CHROMIUM_PATH overrides. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `The console tests need Chromium at ${CHROMIUM} (Debian: apt-get install -y chromium; or set CHROMIUM_PATH). They are not skipped: install it.`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface ConsolePage {
  readonly page: Page;
  /** Page errors and console errors seen so far: a test ends by asserting there are none. */
  readonly problems: string[];
  /** Texts of the confirm() dialogs, each accepted. */
  readonly dialogs: string[];
}

/** A page signed in to the console, on the Events tab. */
export async function signedIn(browser: Browser, t: TestRouter, width = 1280, height = 800): Promise<ConsolePage> {
  const page = await browser.newPage({ viewport: { width, height } });
  const problems: string[] = [];
  const dialogs: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.accept();
  });
  await page.goto(`${t.url}/console`);
  await page.locator('#token').fill(ADMIN_TOKEN);
  await page.locator('#login-form button[type=submit]').click();
  await page.locator('#tabs').waitFor();
  return { page, problems, dialogs };
}

export const tab = (page: Page, name: string) => page.locator(`#tabs button[data-tab="${name}"]`).click();
