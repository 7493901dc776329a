/// <reference lib="dom" />
// (page.evaluate callbacks run in the browser: their code is typed against the DOM.)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { getAccountState, getCampaignStatus } from '@wabulk/queue';
import { screenshot } from '../support/browser.js';
import { expectUnchanged } from '../support/proc-ground-truth.js';
import { numbers } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import { OPERATOR, REVOCABLE, SENDER, signIn, startConsoleStack, TOKENS, VIEWER, type ConsoleStack } from './console-stack.js';

// The operator console (/ui/) in Debian's Chromium, driven by playwright-core, against the real API
// (listening), a real worker, Redis and the Kaleyra simulator. Each test signs in through the form.

jest.setTimeout(120_000);

let cs: ConsoleStack;
let dir: string;
beforeAll(async () => {
  cs = await startConsoleStack({ sim: { seed: 14 } });
  // Slow enough to watch: 25 messages a second.
  await cs.st.startWorker({ ratePerSecond: 25, concurrency: 5 });
  dir = mkdtempSync(join(tmpdir(), 'wabulk-console-'));
});
afterAll(async () => {
  await cs?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const sentAtSim = (campaignNumbers: string[]) => {
  const set = new Set(campaignNumbers.map((x) => x.replace('+', '')));
  return cs.st.sim.messages().filter((m) => set.has(m.to.replace('+', ''))).length;
};
/** No job of the account is active any more: every send that was in flight has ended. */
const settled = () => waitFor(async () => (await cs.st.ctx.queues.get('acme').getJobCounts('active')).active === 0, { what: 'the sends in flight to end' });
const cellNumber = async (page: Page, campaignId: string, field: string) => Number(((await page.locator(`tr[data-campaign="${campaignId}"] td[data-field="${field}"]`).textContent()) ?? '').replace(/,/g, ''));

test('a wrong token is told so and nothing is shown; the right one, typed from the keyboard, signs in; "Sign out" forgets it', async () => {
  const { page, errors } = await cs.newPage();
  await page.goto(`${cs.url}/ui/`);
  await expect(page.getByRole('heading', { name: 'wabulk console' }).isVisible()).resolves.toBe(true);
  await screenshot(page, 'sign-in');
  await page.getByLabel('API token').fill('not-a-token-of-this-api');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'Wrong token' }).waitFor();
  expect(await page.evaluate(() => sessionStorage.getItem('wabulk.token'))).toBeNull();
  expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);

  // Keyboard only: focus the field, type, Enter.
  await page.getByLabel('API token').fill('');
  await page.getByLabel('API token').focus();
  await page.keyboard.type(OPERATOR);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Campaigns', level: 1 }).waitFor();
  expect(await page.getByText('Signed in as operator').isVisible()).toBe(true);
  // Kept for this tab only: a reload stays signed in, a new tab (context) is not.
  expect(await page.evaluate(() => sessionStorage.getItem('wabulk.token'))).toBe(OPERATOR);
  expect(await page.evaluate(() => localStorage.length)).toBe(0);
  await page.reload();
  await page.getByRole('heading', { name: 'Campaigns', level: 1 }).waitFor();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('API token').waitFor();
  expect(await page.evaluate(() => sessionStorage.getItem('wabulk.token'))).toBeNull();
  expect(errors.filter((e) => !e.includes('401'))).toEqual([]);
});

test('a running campaign progresses live in the list; Pause, Resume and Cancel (each confirmed in a dialog) take effect at the simulator', async () => {
  // 2,000 at 25/s: it runs far longer than the test needs, on a slow machine too.
  const list = numbers(2000, 10_000);
  await cs.st.producer.enqueueCampaign({ campaignId: 'spring-sale', body: 'Spring sale: 20 % off today', recipients: list.map((to) => ({ to })) });
  const { page, errors } = await cs.newPage();
  await signIn(page, cs.url, OPERATOR);
  const row = page.locator('tr[data-campaign="spring-sale"]');
  await row.waitFor();
  // Live updates without reloading: the sent count grows on the same page.
  const first = await waitFor(async () => (await cellNumber(page, 'spring-sale', 'sent')) || undefined, { what: 'a first sent count in the list' });
  await waitFor(async () => (await cellNumber(page, 'spring-sale', 'sent')) > first, { what: 'the list to update by itself' });
  expect(await row.getByText('running').isVisible()).toBe(true);
  await screenshot(page, 'campaigns');

  await row.getByRole('link', { name: 'spring-sale' }).click();
  await page.getByRole('heading', { name: /Campaign spring-sale/ }).waitFor();

  // From the keyboard: the dialog takes the focus, and Escape closes it without doing anything.
  const dialog = page.getByRole('dialog');
  await page.getByRole('button', { name: 'Cancel' }).focus();
  await page.keyboard.press('Enter');
  await dialog.waitFor();
  expect(await page.evaluate(() => document.activeElement?.closest('dialog') !== null)).toBe(true);
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  expect(await page.locator('.state-line').getAttribute('data-state')).toBe('running');

  // Pause: the dialog names the campaign; "Confirm" pauses it; the simulator gets nothing more.
  await page.getByRole('button', { name: 'Pause' }).click();
  await dialog.waitFor();
  expect(await dialog.textContent()).toContain('spring-sale');
  await screenshot(page, 'campaign-pause-dialog');
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await page.locator('.state-line[data-state="paused"]').waitFor();
  expect(await page.locator('.state-line').textContent()).toContain('This campaign is paused');
  // Sends already in flight when it paused may still land: from when none is active, nothing more.
  await settled();
  const atPause = await expectUnchanged(() => sentAtSim(list), 1500, 'messages of a paused campaign at the simulator');
  expect(atPause).toBeLessThan(list.length);

  // Resume: sending goes on.
  await page.getByRole('button', { name: 'Resume' }).click();
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await page.locator('.state-line[data-state="running"]').waitFor();
  await waitFor(() => sentAtSim(list) > atPause, { what: 'sending to resume' });
  await screenshot(page, 'campaign');

  // Cancel: the dialog says how many recipients will not be sent, and that many end cancelled.
  await page.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor();
  expect(await dialog.textContent()).toMatch(/Cancel campaign spring-sale\?.*\d+ recipient\(s\) will not be sent/);
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await page.locator('.state-line[data-state="cancelled"]').waitFor();
  await settled();
  const atCancel = await expectUnchanged(() => sentAtSim(list), 1500, 'messages of a cancelled campaign at the simulator');
  const status = await waitFor(async () => {
    const s = await getCampaignStatus(cs.st.ctx, 'spring-sale');
    return s && s.pending === 0 ? s : undefined;
  });
  expect(status).toMatchObject({ state: 'cancelled', total: 2000, sent: atCancel, failed: 0 });
  expect(status.cancelled).toBe(2000 - atCancel);
  // Its first result was a send: that is when it started.
  expect(status.startedAt).toBeGreaterThanOrEqual(status.createdAt);
  expect(status.cancelled).toBeGreaterThan(0);
  // The page shows what the API says, formatted for reading.
  await waitFor(async () => ((await page.locator('.figures').first().textContent()) ?? '').includes(`Cancelled${status.cancelled.toLocaleString('en-US')}`), { what: 'the cancelled figure on the page' });
  expect(await page.getByRole('button', { name: 'Pause' }).count()).toBe(0);
  expect(await page.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
  expect(errors).toEqual([]);
});

test('a new campaign from an uploaded CSV: the dry run shows counts, the rejected row with its line, three samples and the time; only "Send" queues it', async () => {
  const [a, b, c, d] = numbers(4, 20_000) as [string, string, string, string];
  const csv = join(dir, 'welcome.csv');
  writeFileSync(csv, `phone,name,city\n${a},Ana,Pune\n${b},Ravi,\nnot-a-number,Bad,Goa\n${c},Łucja,Kraków\n${d},Zoë,Delhi\n`);
  const { page, errors } = await cs.newPage();
  await signIn(page, cs.url, OPERATOR);
  await page.getByRole('link', { name: 'New campaign' }).first().click();
  await page.getByRole('heading', { name: 'New campaign' }).waitFor();
  await page.getByLabel('Campaign ID').fill('welcome-csv');
  await page.getByLabel('Recipients file (CSV or NDJSON)').setInputFiles(csv);
  // The header is read from the file's first bytes: its columns are offered as placeholders.
  await page.getByText('{{city}}').waitFor();
  await page.getByLabel('Message text').fill('Hi {{name}}, welcome from {{city|our team}}!');
  await page.getByLabel('Priority').selectOption('high');
  await page.getByRole('button', { name: 'Check (dry run)' }).click();
  const dry = page.locator('section.dry-run');
  await dry.waitFor();
  const text = (await dry.textContent()) ?? '';
  expect(text).toContain('Rows read5');
  expect(text).toContain('Would be queued4');
  expect(text).toContain('Rejected1');
  expect(await dry.locator('table.rejected tbody tr').count()).toBe(1);
  expect(await dry.locator('table.rejected tbody tr td').first().textContent()).toBe('4');
  expect(await dry.locator('.samples li').count()).toBe(3);
  expect(text).toContain('Hi Ana, welcome from Pune!');
  expect(text).toContain('Hi Ravi, welcome from our team!');
  expect(text).toMatch(/Estimated timeabout \d+ s at 25\/s/);
  await screenshot(page, 'new-campaign-dry-run');
  // Any change after the dry run asks for a new one before "Send" is offered again.
  await page.getByLabel('Message text').fill('Hi {{name}}!');
  await page.getByText('The form changed since the dry run').waitFor();
  expect(await page.getByRole('button', { name: 'Send (check first)' }).isDisabled()).toBe(true);
  await page.getByLabel('Message text').fill('Hi {{name}}, welcome from {{city|our team}}!');
  await page.getByRole('button', { name: 'Check (dry run)' }).click();
  await page.getByRole('button', { name: 'Send to 4 recipient(s)' }).waitFor();
  // Nothing was written by the dry run.
  expect(await getCampaignStatus(cs.st.ctx, 'welcome-csv')).toBeUndefined();
  expect(sentAtSim([a, b, c, d])).toBe(0);

  await page.getByRole('button', { name: 'Send to 4 recipient(s)' }).click();
  await page.getByRole('heading', { name: /Campaign welcome-csv/ }).waitFor();
  await page.locator('.state-line[data-state="done"]').waitFor({ timeout: 30_000 });
  const bodies = Object.fromEntries([a, b, c, d].map((to) => [to, cs.st.sim.messages({ to }).map((m) => m.body).join(' | ')]));
  expect(bodies).toEqual({ [a]: 'Hi Ana, welcome from Pune!', [b]: 'Hi Ravi, welcome from our team!', [c]: 'Hi Łucja, welcome from Kraków!', [d]: 'Hi Zoë, welcome from Delhi!' });
  expect(await getCampaignStatus(cs.st.ctx, 'welcome-csv')).toMatchObject({ priority: 'high', total: 4, sent: 4 });

  // The export downloads as CSV with each recipient's message_id.
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download CSV' }).click();
  const file = await (await download).path();
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  expect(lines[0]).toMatch(/^to,status,messageId/);
  expect(lines).toHaveLength(5);
  // Each line carries Kaleyra's message_id (delivery callbacks may have moved a status on to delivered or read).
  const simIds = new Set(cs.st.sim.messages().map((m) => m.message_id));
  for (const line of lines.slice(1)) {
    const [, status, messageId] = line.split(',');
    expect(['sent', 'delivered', 'read']).toContain(status);
    expect(simIds.has(messageId!)).toBe(true);
  }
  expect(errors).toEqual([]);
});

test('an account paused by E110 says "top up, then resume"; after the top-up, Resume (confirmed) sends the rest', async () => {
  const list = numbers(30, 30_000);
  cs.st.sim.setFaults({ e110AfterAccepted: 10 });
  await cs.st.producer.enqueueCampaign({ campaignId: 'low-balance', body: 'Your order shipped', recipients: list.map((to) => ({ to })) });
  await waitFor(async () => (await getAccountState(cs.st.ctx, 'acme')).pauseReason === 'E110', { what: 'the worker to pause the account on E110' });
  const { page, errors } = await cs.newPage();
  await signIn(page, cs.url, OPERATOR);
  await page.getByRole('link', { name: 'Accounts' }).click();
  const row = page.locator('tr[data-account="acme"]');
  await row.waitFor();
  expect(await row.textContent()).toContain('paused');
  expect(await row.textContent()).toContain('Low balance (E110): top up, then resume.');
  expect(await row.textContent()).toContain('25/s');
  await expectUnchanged(() => sentAtSim(list), 1000, 'messages while the account is paused');
  await screenshot(page, 'accounts-e110');

  cs.st.sim.setBalance(Infinity);
  await row.getByRole('button', { name: 'Resume acme' }).click();
  const dialog = page.getByRole('dialog');
  expect(await dialog.textContent()).toContain('topped up');
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await row.getByText('running').waitFor();
  await cs.st.waitDone('low-balance');
  expect(await getCampaignStatus(cs.st.ctx, 'low-balance')).toMatchObject({ total: 30, sent: 30, failed: 0 });
  expect(sentAtSim(list)).toBe(30);
  expect(errors).toEqual([]);
});

test('failures by code show Kaleyra\'s reason; "Retry failed" for one code (confirmed) sends those recipients again', async () => {
  const list = numbers(12, 40_000);
  cs.st.sim.setFaults({ failNext: 3, failCode: 'WA400', failStatus: 400 });
  await cs.st.producer.enqueueCampaign({ campaignId: 'retry-me', body: 'Ticket update', recipients: list.map((to) => ({ to })) });
  const before = await cs.st.waitDone('retry-me');
  expect(before).toMatchObject({ total: 12, sent: 9, failed: 3, byCode: { WA400: 3 } });
  const { page, errors } = await cs.newPage();
  await signIn(page, cs.url, OPERATOR);
  await page.goto(`${cs.url}/ui/#/campaigns/retry-me`);
  const row = page.locator('table.codes tr[data-code="WA400"]');
  await row.waitFor();
  const reason = before.failureReasons?.WA400;
  expect(reason).toBeTruthy();
  expect(await row.textContent()).toContain(reason!);
  await screenshot(page, 'campaign-failures');
  await row.getByRole('button', { name: 'Retry failed WA400' }).click();
  const dialog = page.getByRole('dialog');
  expect(await dialog.textContent()).toMatch(/Queue the 3 failed recipient\(s\) with code WA400 of campaign retry-me again\?/);
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await page.getByText('3 failed recipient(s) queued again').waitFor();
  await waitFor(async () => {
    const s = await getCampaignStatus(cs.st.ctx, 'retry-me');
    return s?.sent === 12 ? s : undefined;
  }, { what: 'the retried recipients to be sent' });
  await page.getByText('No recipient failed.').waitFor();
  expect(sentAtSim(list)).toBe(12);
  expect(errors).toEqual([]);
});

test('a read-only token sees campaigns and accounts but is offered no control: no Pause, Resume, Cancel, Retry, New campaign or list changes', async () => {
  // Its own campaigns (the test runs alone too): one done with a failure (an operator would see
  // "Retry failed"), one scheduled (an operator would see Pause and Cancel).
  cs.st.sim.setFaults({ failNext: 1, failCode: 'WA400', failStatus: 400 });
  await cs.st.producer.enqueueCampaign({ campaignId: 'watch-only', body: 'Hello', recipients: numbers(3, 50_000).map((to) => ({ to })) });
  expect(await cs.st.waitDone('watch-only')).toMatchObject({ failed: 1, sent: 2 });
  await cs.st.producer.enqueueCampaign({ campaignId: 'watch-later', body: 'Later', at: new Date(Date.now() + 3_600_000).toISOString(), recipients: numbers(2, 51_000).map((to) => ({ to })) });
  const operator = await cs.newPage();
  await signIn(operator.page, cs.url, OPERATOR);
  for (const [id, buttons] of [['watch-only', 'Retry failed WA400'], ['watch-later', 'Cancel']] as const) {
    await operator.page.goto(`${cs.url}/ui/#/campaigns/${id}`);
    await operator.page.getByRole('button', { name: buttons }).waitFor();
  }
  const { page, errors } = await cs.newPage();
  await signIn(page, cs.url, VIEWER);
  await page.getByText('Signed in as viewer').waitFor();
  await page.locator('tr[data-campaign="watch-only"]').waitFor();
  expect(await page.getByRole('link', { name: 'New campaign' }).count()).toBe(0);
  for (const id of ['watch-only', 'watch-later']) {
    await page.goto(`${cs.url}/ui/#/campaigns/${id}`);
    await page.getByRole('heading', { name: new RegExp(`Campaign ${id}`) }).waitFor();
    expect(await page.getByRole('button', { name: /^(Pause|Resume|Cancel|Retry)/ }).count()).toBe(0);
    // Reading stays: the export.
    expect(await page.getByRole('link', { name: 'Download CSV' }).count()).toBe(1);
  }
  await page.getByRole('link', { name: 'Accounts' }).click();
  await page.locator('tr[data-account="acme"]').waitFor();
  expect(await page.getByRole('button', { name: /Pause|Resume/ }).count()).toBe(0);
  await page.getByRole('link', { name: 'Suppression list' }).click();
  await page.getByRole('heading', { name: 'Search a number' }).waitFor();
  expect(await page.getByRole('button', { name: /Add to the list|Remove from the list|Import/ }).count()).toBe(0);
  expect(errors).toEqual([]);
  // And the API would refuse it anyway: the page does not offer what the token cannot do.
  const refused = await page.evaluate(async (token) => (await fetch('/v1/campaigns/watch-only/pause', { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status, VIEWER);
  expect(refused).toBe(403);
});

test('the suppression list: add numbers, search one, import a file, remove one; a suppressed number is then rejected at intake', async () => {
  const [x, y, z, w] = numbers(4, 60_000) as [string, string, string, string];
  const { page, errors } = await cs.newPage();
  await signIn(page, cs.url, OPERATOR);
  await page.getByRole('link', { name: 'Suppression list' }).click();
  await page.getByLabel('List', { exact: true }).selectOption('global');
  await page.getByLabel('Numbers (one per line, or separated by commas)').fill(`${x}\n${y}\nnonsense`);
  await page.getByRole('button', { name: 'Add to the list' }).click();
  await page.getByText('2 added to global, 0 already on it, 1 rejected.').waitFor();
  await page.getByLabel('Phone number').fill(x);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByText(`${x} is suppressed`).waitFor();
  const file = join(dir, 'optouts.csv');
  writeFileSync(file, `number\n${z}\n${w}\n`);
  await page.getByLabel('CSV (with a number column) or text (one number per line)').setInputFiles(file);
  await page.getByRole('button', { name: 'Import' }).click();
  await page.getByText('2 row(s) read: 2 added to global').waitFor();
  await page.locator('table.suppressions').getByText(w).waitFor();
  await screenshot(page, 'suppressions');
  await page.getByLabel('Numbers (one per line, or separated by commas)').fill(y);
  await page.getByRole('button', { name: 'Remove from the list' }).click();
  await page.getByText('1 removed from global').waitFor();
  const r = await cs.st.producer.enqueueCampaign({ campaignId: 'after-optout', body: 'Hi', recipients: [x, y, z, w].map((to) => ({ to })) });
  expect(r).toMatchObject({ accepted: 1, suppressed: 3 });
  expect(errors).toEqual([]);
});

test('the API reference at /docs renders from the OpenAPI document with nothing fetched from another origin', async () => {
  const { page, errors } = await cs.newPage();
  const foreign: string[] = [];
  page.on('request', (req) => {
    if (!req.url().startsWith(cs.url) && !req.url().startsWith('data:')) foreign.push(req.url());
  });
  await page.goto(`${cs.url}/docs`);
  await page.getByText('wabulk API').first().waitFor();
  await page.getByText('/v1/campaigns/{id}/retry-failed').first().waitFor();
  await screenshot(page, 'api-docs');
  expect(foreign).toEqual([]);
  expect(errors).toEqual([]);
});

test('the layout holds from a laptop to a wide screen: no sideways scrolling of the page, every control labelled', async () => {
  await cs.st.producer.enqueueCampaign({ campaignId: 'layout-check', body: 'Hello', recipients: numbers(3, 90_000).map((to) => ({ to })) });
  await cs.st.waitDone('layout-check');
  for (const viewport of [{ width: 1280, height: 800 }, { width: 1920, height: 1080 }]) {
    const { page, errors } = await cs.newPage(viewport);
    await signIn(page, cs.url, OPERATOR);
    for (const route of ['#/campaigns', '#/campaigns/layout-check', '#/new', '#/accounts', '#/suppressions']) {
      await page.goto(`${cs.url}/ui/${route}`);
      await page.locator('main h1').first().waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect({ route, viewport: viewport.width, overflow }).toEqual({ route, viewport: viewport.width, overflow: 0 });
      // Every input, select and textarea has a label (its own <label>, or aria-label).
      const unlabelled = await page.evaluate(() =>
        [...document.querySelectorAll('input, select, textarea')].filter((el) => !(el as HTMLInputElement).labels?.length && !el.getAttribute('aria-label')).map((el) => el.outerHTML),
      );
      expect({ route, unlabelled }).toEqual({ route, unlabelled: [] });
    }
    if (viewport.width === 1920) await (async () => {
      await page.goto(`${cs.url}/ui/#/campaigns`);
      await page.locator('tr[data-campaign]').first().waitFor();
      await screenshot(page, 'campaigns-wide');
    })();
    expect(errors).toEqual([]);
  }
});

test('a token the API stops accepting mid-session signs the tab out with a message; a send-only token for one account picks it and stays on its result', async () => {
  const { page, errors } = await cs.newPage();
  await signIn(page, cs.url, REVOCABLE);
  await page.getByRole('heading', { name: 'Campaigns', level: 1 }).waitFor();
  cs.auth.replace(TOKENS.filter((t) => typeof t === 'string' || t.token !== REVOCABLE));
  try {
    // The next poll (every 3 s) gets 401: back to the sign-in form, token forgotten.
    await page.getByText('The API no longer accepts this token').waitFor({ timeout: 15_000 });
    await page.getByLabel('API token').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('wabulk.token'))).toBeNull();
  } finally {
    cs.auth.replace(TOKENS);
  }
  expect(errors.filter((e) => !e.includes('401'))).toEqual([]);

  const [a, b] = numbers(2, 70_000) as [string, string];
  const csv = join(dir, 'send-only.csv');
  writeFileSync(csv, `to\n${a}\n${b}\n`);
  const sender = await cs.newPage();
  await signIn(sender.page, cs.url, SENDER);
  await sender.page.getByText('Signed in as sender').waitFor();
  // No read scope: the campaign list says so, and "New campaign" is offered.
  await sender.page.getByText('This token lacks the read scope').waitFor();
  await sender.page.getByRole('link', { name: 'New campaign' }).first().click();
  await sender.page.getByLabel('Campaign ID').fill('send-only');
  // Its one account is offered although the token cannot list accounts.
  await sender.page.getByLabel('Account', { exact: true }).selectOption('acme');
  await sender.page.getByLabel('Recipients file (CSV or NDJSON)').setInputFiles(csv);
  await sender.page.getByLabel('Message text').fill('Your code is ready');
  await sender.page.getByRole('button', { name: 'Check (dry run)' }).click();
  await sender.page.getByRole('button', { name: 'Send to 2 recipient(s)' }).click();
  await sender.page.getByText('Campaign send-only: 2 recipient(s) queued').waitFor();
  await cs.st.waitDone('send-only');
  expect(sender.errors).toEqual([]);
});

test('"Show older" pages the campaign list through the API\'s cursor', async () => {
  for (let i = 0; i < 55; i++) await cs.st.producer.enqueueCampaign({ campaignId: `bulk-${String(i).padStart(2, '0')}`, body: 'Hi', recipients: [{ to: numbers(1, 80_000 + i)[0]! }], at: new Date(Date.now() + 3_600_000).toISOString() });
  const { page, errors } = await cs.newPage();
  await signIn(page, cs.url, OPERATOR);
  await page.getByLabel('State', { exact: true }).selectOption('scheduled');
  // Other tests may have scheduled campaigns too (older than these): count this test's own.
  const bulk = page.locator('tr[data-campaign^="bulk-"]');
  await waitFor(async () => (await page.locator('tr[data-campaign]').count()) === 50 && (await bulk.count()) === 50, { what: 'the first 50 scheduled campaigns, the newest' });
  await page.getByRole('button', { name: 'Show older' }).click();
  await waitFor(async () => (await bulk.count()) === 55, { what: 'the older 5' });
  const ids = await bulk.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-campaign')));
  expect(new Set(ids).size).toBe(55);
  // Newest first, across the page boundary.
  expect(ids).toEqual(Array.from({ length: 55 }, (_, i) => `bulk-${String(54 - i).padStart(2, '0')}`));
  expect(errors).toEqual([]);
});
