import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import test from 'ava';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadCases } from '../../../policy-tests/src/cases.js';
import type { PolicyConsole } from '../../src/console/console.js';
import { loadCandidate } from '../../src/impact/candidate.js';
import { analyzeImpact } from '../../src/impact/impact.js';
import type { RunningSidecar } from '../../src/sidecar.js';
import { tempDir } from '../helpers/opa.js';
import { shadowCases, writeCandidate } from '../shadow/candidate.js';
import { post, startTestSidecar, waitFor } from '../helpers/sidecar.js';
import { REAL_BUNDLE, REAL_KEYS } from './console-fixtures.js';

// The console end to end in Debian's real Chromium (playwright-core drives /usr/bin/chromium; no
// browser is downloaded): the real signed bundle decides, a candidate built from an edited copy of the
// policies (the manager EUR approval limit lowered, as in the impact tests) runs as the shadow, the
// decision tables' inputs go through the Data API, and the page is used as a person would use it.
// CONSOLE_SCREENSHOT=<path> saves the finished page (the README's docs/console.png).

const CHROMIUM = '/usr/bin/chromium';

let dir: { path: string; remove: () => Promise<void> };
let sidecar: RunningSidecar;
let policyConsole: PolicyConsole;
let base: string;
let browser: Browser;
let sent: { action: string; allow: boolean; sub: string | null }[];
let approval: Record<string, unknown>;
let impactFile: string;
let shadowRevision: string;
/** Decisions the impact replay finds changed: the live shadow must disagree on exactly these. */
let changed: number;
/** What `before` started, stopped in reverse order by `after.always` (also when `before` failed midway). */
const cleanups: (() => Promise<unknown>)[] = [];

test.before(async () => {
  dir = await tempDir();
  cleanups.push(() => dir.remove());
  // The candidate, signed with the same development key as the active bundle.
  const candidate = await writeCandidate(dir.path);
  shadowRevision = candidate.revision;
  const candidatePath = candidate.path;

  sidecar = await startTestSidecar({
    BUNDLE_PATH: REAL_BUNDLE,
    BUNDLE_PUBLIC_KEYS: REAL_KEYS,
    SHADOW_BUNDLE_PATH: candidatePath,
    CONSOLE: 'on',
  });
  cleanups.push(() => sidecar.close());
  policyConsole = sidecar.console!;
  base = sidecar.url;
  const held = (): number => policyConsole.decisions.list({ shadow: false }, 0).matched;

  // Single decisions of the decision tables (fake users), through the Data API.
  const cases = loadCases().filter((c) => c.entrypoint === 'decision');
  const chosen = cases.filter((_, index) => index % 6 === 0).slice(0, 40);
  sent = [];
  for (const c of chosen) {
    const answer = await post(base, '/v1/data/verdict/authz/decision', { input: c.input });
    if (answer.status !== 200) throw new Error(`${c.name}: ${answer.status}`);
    const claims = (c.input.subject as { claims: { sub?: string } }).claims;
    sent.push({ action: c.input.action as string, allow: answer.body.result.allow, sub: claims.sub ?? null });
  }
  await waitFor(() => held() === sent.length, 'the console to hold the decisions');

  // An approval within the old limit and above the new one: the active bundle allows it, the shadow not.
  approval = shadowCases().approval.input;
  await post(base, '/v1/data/verdict/authz/decision', { input: approval });
  sent.push({ action: 'transactions:approve', allow: true, sub: null });
  await waitFor(() => held() === sent.length, 'the approval to be held');
  await sidecar.shadow!.idle();
  await waitFor(() => policyConsole.decisions.list({ shadow: true }, 0).matched > 0, 'a disagreement');

  // The impact report of the candidate over what the console holds (the decision log's events).
  const log = join(dir.path, 'decisions.jsonl');
  const events = policyConsole.decisions.list({ shadow: false }, 1000).decisions.reverse();
  await writeFile(log, events.map((d) => JSON.stringify(d.event)).join('\n') + '\n');
  // Relative names, as someone running `npm run policy:impact` in that directory would give them.
  const cwd = process.cwd();
  process.chdir(dir.path);
  let report;
  try {
    report = await analyzeImpact({
      candidate: await loadCandidate('candidate.tar.gz'),
      log: 'decisions.jsonl',
    });
  } finally {
    process.chdir(cwd);
  }
  changed = report.summary.changed;
  impactFile = join(dir.path, 'impact.json');
  await writeFile(impactFile, JSON.stringify(report, null, 2));

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  cleanups.push(() => browser.close());
});

test.after.always(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** Waits until the decision count starts with `text` ("3 of 41 recent decisions match"). */
async function countIs(page: Page, text: string): Promise<void> {
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await page.locator('#decision-count', { hasText: new RegExp(`^${escaped}`) }).waitFor();
}

/** Collects what the page reports as broken: script errors and console errors (CSP violations among them). */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    // The refused logins' 401s and the browser's own /favicon.ico 404 are loads, not failures.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      errors.push(message.text());
  });
  page.on('response', (response) => {
    const path = new URL(response.url()).pathname;
    if (path.startsWith('/console/') && response.status() >= 400 && !/^\/console\/(login)?$/.test(path))
      errors.push(`${response.status()} ${path}`);
  });
  return errors;
}

test('console in Chromium: a wrong key is refused, the key logs in; revisions, filters, details, evaluate, impact', async (t) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(5_000);
  const errors = watchErrors(page);

  // A wrong key: 401, a plain page, no session.
  const refused = await page.goto(`${base}/console/?key=${'x'.repeat(43)}`);
  t.is(refused?.status(), 401);
  t.regex(await page.getByRole('alert').innerText(), /not valid/);
  t.deepEqual(await context.cookies(), []);

  // Log in by typing the printed key into the form (keyboard only).
  await page.goto(`${base}/console/`);
  await page.keyboard.press('Tab');
  t.is(await page.locator(':focus').getAttribute('id'), 'key');
  await page.keyboard.type(policyConsole.key);
  await page.keyboard.press('Enter');
  await page.waitForURL(`${base}/console/`);
  await page.getByRole('heading', { name: 'Bundles' }).waitFor();
  const cookies = await context.cookies();
  t.is(cookies.length, 1);
  t.like(cookies[0], { name: 'verdict_console', httpOnly: true, sameSite: 'Strict', path: '/console' });
  t.not(cookies[0]!.value, policyConsole.key);

  // Revisions and signatures.
  const bundles = page.locator('#bundle-rows');
  await bundles.getByText(sidecar.manager.active!.revision).waitFor();
  const activeRow = await bundles.locator('tr', { hasText: 'active' }).innerText();
  t.regex(activeRow, /yes, signature verified/);
  const shadowRow = await bundles.locator('tr', { hasText: 'shadow' }).innerText();
  t.true(shadowRow.includes(shadowRevision), shadowRow);
  t.regex(shadowRow, /yes, signature verified/);

  // Recent decisions: all of them, then filtered by action, then by outcome.
  const count = page.locator('#decision-count');
  const total = sent.length;
  await countIs(page, `${total} of ${total} recent decisions match`);
  t.is(await page.locator('#decision-rows tr').count(), total);
  const reads = sent.filter((s) => s.action === 'transactions:read');
  t.true(reads.length > 1 && reads.length < total);
  await page.selectOption('#filter-action', 'transactions:read');
  await page.getByRole('button', { name: 'Apply filter' }).click();
  await countIs(page, `${reads.length} of ${total} recent decisions match`);
  t.is(await page.locator('#decision-rows tr').count(), reads.length);
  const deniedReads = reads.filter((s) => !s.allow);
  t.true(deniedReads.length > 0);
  await page.selectOption('#filter-outcome', 'deny');
  await page.getByRole('button', { name: 'Apply filter' }).click();
  await countIs(page, `${deniedReads.length} of ${total} recent decisions match`);
  const rows = page.locator('#decision-rows tr');
  t.is(await rows.count(), deniedReads.length);
  for (const text of await rows.allInnerTexts()) t.regex(text, /transactions:read[\s\S]*deny/);

  // One decision's input and result.
  await rows
    .first()
    .getByRole('button', { name: /^Show input and result/ })
    .click();
  const detail = page.locator('#decision-detail');
  await detail.waitFor();
  const input = JSON.parse(await page.locator('#detail-input').innerText());
  const result = JSON.parse(await page.locator('#detail-result').innerText());
  t.is(input.action, 'transactions:read');
  t.false(result.allow);
  t.true(result.reasons.length > 0);
  t.is(await page.locator(':focus').getAttribute('id'), 'decision-detail', 'focus moves to the detail');
  // Clearing the filter shows everything again.
  await page.getByRole('button', { name: 'Clear' }).click();
  await countIs(page, `${total} of ${total}`);
  t.regex(await count.innerText(), new RegExp(`^${total} of ${total}`));

  // Shadow disagreements: what the live shadow refused, as many as the impact replay finds.
  const disagreements = page.locator('#disagreement-rows tr');
  await disagreements.first().waitFor();
  t.true(changed > 0);
  t.is(await disagreements.count(), changed);
  t.regex(await page.locator('#shadow-count').innerText(), new RegExp(`^${changed} recent disagreement`));
  const disagreement = await disagreements.first().innerText();
  t.regex(disagreement, /transactions:approve[\s\S]*allow[\s\S]*deny[\s\S]*approval_limit_exceeded/);
  t.regex(disagreement, /allow_to_deny/);
  t.true(disagreement.includes(shadowRevision));
  await disagreements.first().getByRole('button').click();
  await page.locator('#detail-shadow-box').waitFor();
  t.regex(await page.locator('#detail-shadow').innerText(), /approval_limit_exceeded/);
  t.true(JSON.parse(await page.locator('#detail-result').innerText()).allow, 'the enforced answer');

  // Evaluate: the approval between the limits, active vs shadow.
  await page.selectOption('#evaluate-path', 'verdict/authz/decision');
  await page.fill('#evaluate-input', JSON.stringify(approval, null, 2));
  await page.getByRole('button', { name: 'Evaluate', exact: true }).click();
  await page.locator('#evaluate-verdict', { hasText: 'DISAGREE (allow_to_deny' }).waitFor();
  const active = await page.locator('#evaluate-active').innerText();
  const shadow = await page.locator('#evaluate-shadow').innerText();
  t.true(active.includes(sidecar.manager.active!.revision));
  t.regex(active, /"allow": true/);
  t.true(shadow.includes(shadowRevision));
  t.regex(shadow, /"allow": false/);
  t.regex(shadow, /approval_limit_exceeded/);

  // Malformed JSON is said so, and nothing is sent.
  await page.fill('#evaluate-input', '{ not json');
  await page.getByRole('button', { name: 'Evaluate', exact: true }).click();
  await page.locator('#evaluate-verdict', { hasText: 'not JSON' }).waitFor();

  // The impact report of the candidate, read from a file in the page.
  await page.setInputFiles('#impact-file', impactFile);
  await page.locator('#impact').waitFor();
  const summary = await page.locator('#impact-summary').innerText();
  t.regex(summary, /changed/);
  const groups = await page.locator('#impact-rows tr').allInnerTexts();
  const limitGroup = groups.find(
    (g) => g.includes('transactions:approve') && g.includes('approval_limit_exceeded'),
  );
  t.truthy(limitGroup, groups.join('\n'));
  t.regex(limitGroup!, /allow → deny \(approval_limit_exceeded\)/);

  // Nothing kept in the browser: no storage, the cookie invisible to scripts.
  t.deepEqual(await page.evaluate('[localStorage.length, sessionStorage.length, document.cookie]'), [
    0,
    0,
    '',
  ]);
  t.deepEqual(errors, [], 'no script error and no CSP violation');

  if (process.env.CONSOLE_SCREENSHOT !== undefined) {
    // The finished page as the README shows it: the approval's detail open, the impact loaded.
    await page.selectOption('#filter-action', 'transactions:approve');
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await page.locator('#decision-rows tr').first().waitFor();
    await page.locator('#disagreement-rows tr').first().getByRole('button').click();
    await page.fill('#evaluate-input', JSON.stringify(approval, null, 2));
    await page.getByRole('button', { name: 'Evaluate', exact: true }).click();
    await page.locator('#evaluate-verdict', { hasText: 'DISAGREE' }).waitFor();
    await mkdir(dirname(process.env.CONSOLE_SCREENSHOT), { recursive: true });
    await page.screenshot({ path: process.env.CONSOLE_SCREENSHOT, fullPage: true });
  }
  await context.close();
});

test('console in Chromium: without a session the page goes back to the login', async (t) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(5_000);
  const answer = await page.goto(`${base}/console/`);
  t.is(answer?.status(), 401);
  await page.getByLabel('Access key').fill('wrong');
  await page.getByRole('button', { name: 'Log in' }).click();
  t.regex(await page.getByRole('alert').innerText(), /not valid/);
  t.deepEqual(await context.cookies(), []);
  await context.close();
});
