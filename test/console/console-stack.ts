import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildApi, createBearerAuth, type Api, type ApiTokenInput, type BearerAuth } from '@wabulk/api';
import { createLogger } from '@wabulk/telemetry';
import { Registry } from 'prom-client';
import { CALLBACK_BASIC } from '../api/api-harness.js';
import { collectPageErrors, launchChromium } from '../support/browser.js';
import { startStack, type Stack } from '../support/stack.js';

export const OPERATOR = 'operator-token-0123456789abcdef';
export const VIEWER = 'viewer-token-0123456789abcdef';
/** Send only, for account acme only: it cannot read campaigns or list accounts. */
export const SENDER = 'sender-token-0123456789abcdef';
/** Taken away during a test (the API's tokens replaced, as on SIGHUP). */
export const REVOCABLE = 'revocable-token-0123456789abcd';

export const TOKENS: ApiTokenInput[] = [
  { name: 'operator', token: OPERATOR, accounts: '*', scopes: ['send', 'read', 'control'] },
  { name: 'viewer', token: VIEWER, accounts: '*', scopes: ['read'] },
  { name: 'sender', token: SENDER, accounts: ['acme'], scopes: ['send'] },
  { name: 'revocable', token: REVOCABLE, accounts: '*', scopes: ['read'] },
];

/**
 * The console's world: the simulator, Redis, an in-process worker (started by the test), and the API
 * listening on a free port with the TOKENS below (an operator with every scope but metrics, a viewer
 * with read only, a send-only token for acme, one to revoke), and Chromium. Delivery callbacks go from the simulator to the API.
 */
export interface ConsoleStack {
  st: Stack;
  api: Api;
  /** The API's token table: `replace()` swaps the accepted tokens at once. */
  auth: BearerAuth;
  url: string;
  browser: Browser;
  /** A new tab in a fresh browser context (its own sessionStorage), with its page errors collected. */
  newPage(viewport?: { width: number; height: number }): Promise<{ page: Page; errors: string[]; context: BrowserContext }>;
  close(): Promise<void>;
}

export async function startConsoleStack(sim: Parameters<typeof startStack>[0] = {}): Promise<ConsoleStack> {
  const st = await startStack(sim);
  const auth = createBearerAuth(TOKENS);
  const api = await buildApi({
    redis: st.redis,
    base: st.base,
    tokens: TOKENS,
    bearerAuth: auth,
    logger: createLogger({ level: 'silent', destination: process.stderr }),
    registry: new Registry(),
    defaultAccount: st.account.id,
    configuredAccounts: [st.account.id],
    callbackAuth: { basic: CALLBACK_BASIC },
  });
  await api.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
  const [user, password] = CALLBACK_BASIC.split(':') as [string, string];
  st.sim.setFaults({ callbackUrl: `http://${user}:${password}@127.0.0.1:${(api.server.address() as AddressInfo).port}/v1/callbacks/kaleyra`, callbackDelayMs: 50, callbackReadShare: 0.5 });
  const browser = await launchChromium();
  const contexts: BrowserContext[] = [];
  return {
    st,
    api,
    auth,
    url,
    browser,
    async newPage(viewport = { width: 1366, height: 900 }) {
      const context = await browser.newContext({ viewport, acceptDownloads: true, locale: 'en-GB', timezoneId: 'UTC' });
      contexts.push(context);
      const page = await context.newPage();
      const errors = collectPageErrors(page);
      return { page, errors, context };
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await api.close();
      await st.close();
    },
  };
}

/** Signs in through the form as an operator would: the "API token" field and the "Sign in" button. */
export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/ui/`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Signed in (the token checked by GET /v1/me): a navigation made before this could be overtaken by
  // the sign-in's own route change (seen once under load: a campaign page that never showed).
  await page.getByText('Signed in as').waitFor();
}
