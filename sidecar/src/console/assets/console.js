/* global document, window, FileReader, FormData, URLSearchParams */
// The policy console's page script (served as /console/console.js, no inline script: the CSP forbids
// it). Plain JavaScript, type-checked by tsc against the DOM with JSDoc types
// (sidecar/tsconfig.console.json, run by sidecar/test/console/console.test.ts); tsx serves this file
// from src/, and tsc copies it into dist/ for production and the image (tsconfig.build.json allowJs).
// Everything is fetched as JSON and written with textContent; nothing is kept in storage.

/**
 * @typedef {{ revision: string | null, signed: boolean, activated_at: string | null,
 *   last_error: { reason: string, message: string, at: string | null } | null, entrypoints?: string[] }} BundleInfo
 * @typedef {{ active: BundleInfo, shadow: BundleInfo | null, decisions: { held: number, capacity: number } }} Status
 * @typedef {{ seq: number, decision_id: string, path: string, timestamp: string, revision: string | null,
 *   action: string | null, subject: string | null, resource_id: string | null, outcome: string,
 *   reasons: string[], items: number | null,
 *   shadow: { revision: string | null, outcome: string, reasons: string[], kinds: string[] } | null }} Row
 * @typedef {{ held: number, matched: number, decisions: Row[], facets: { actions: string[], reasons: string[] } }} Listing
 * @typedef {{ revision: string | null, result?: unknown, error?: { code: string, message: string } }} Evaluation
 */

/** @type {Status | undefined} */
let status;

/**
 * @param {string} id
 * @returns {HTMLElement}
 */
function byId(id) {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`#${id} is missing`);
  return element;
}

/** @param {string} message */
function showError(message) {
  const box = byId('console-error');
  box.textContent = message;
  box.hidden = message === '';
}

/**
 * GETs or POSTs console JSON; a lost session (401) goes back to the login page.
 * @param {string} path
 * @param {RequestInit} [init]
 * @returns {Promise<any>}
 */
async function api(path, init) {
  const response = await fetch(`/console/api/${path}`, { cache: 'no-store', ...init });
  if (response.status === 401) {
    window.location.assign('/console/');
    throw new Error('the session ended');
  }
  const body = await response.json();
  if (!response.ok) throw new Error(`${response.status}: ${body.message ?? body.code ?? 'failed'}`);
  return body;
}

/**
 * A table cell with text.
 * @param {string} text
 * @param {string} [className]
 */
function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className !== undefined) td.className = className;
  return td;
}

/** @param {unknown} value */
function pretty(value) {
  return value === undefined ? '(undefined: no result)' : JSON.stringify(value, null, 2);
}

/** @param {string | null} iso */
function time(iso) {
  return iso === null ? '—' : iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '');
}

/**
 * @param {string} label
 * @param {BundleInfo | null} info
 */
function bundleRow(label, info) {
  const tr = document.createElement('tr');
  const th = document.createElement('th');
  th.scope = 'row';
  th.textContent = label;
  tr.append(th);
  if (info === null) {
    const td = cell('no shadow bundle (SHADOW_BUNDLE_PATH / SHADOW_BUNDLE_URL unset)');
    td.colSpan = 4;
    tr.append(td);
    return tr;
  }
  const error = info.last_error;
  tr.append(
    cell(info.revision ?? 'none active'),
    cell(
      info.signed ? 'yes, signature verified' : 'NO (not verified)',
      info.signed ? undefined : 'outcome-deny',
    ),
    cell(time(info.activated_at)),
    cell(error === null ? '—' : `${error.reason}: ${error.message}`),
  );
  return tr;
}

async function loadStatus() {
  /** @type {Status} */
  const loaded = await api('status');
  status = loaded;
  byId('bundle-rows').replaceChildren(bundleRow('active', loaded.active), bundleRow('shadow', loaded.shadow));
  const select = /** @type {HTMLSelectElement} */ (byId('evaluate-path'));
  const chosen = select.value || 'verdict/authz/decision';
  select.replaceChildren(
    ...(loaded.active.entrypoints ?? []).map((entrypoint) => {
      const option = document.createElement('option');
      option.value = entrypoint;
      option.textContent = entrypoint;
      option.selected = entrypoint === chosen;
      return option;
    }),
  );
}

/**
 * Replaces a filter select's choices, keeping "any" and the current choice.
 * @param {string} id
 * @param {string[]} values
 */
function setChoices(id, values) {
  const select = /** @type {HTMLSelectElement} */ (byId(id));
  const chosen = select.value;
  const any = document.createElement('option');
  any.value = '';
  any.textContent = 'any';
  const all = chosen !== '' && !values.includes(chosen) ? [...values, chosen] : values;
  select.replaceChildren(
    any,
    ...all.map((value) => {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = value;
      option.selected = value === chosen;
      return option;
    }),
  );
}

/** @param {readonly string[]} list */
function listed(list) {
  return list.length === 0 ? '—' : list.join(', ');
}

/**
 * The rows of a decision table (the shadow's side too for disagreements); each has a button that
 * opens its input and result.
 * @param {Row[]} rows
 */
function decisionRows(rows) {
  return rows.map((row) => {
    const tr = document.createElement('tr');
    const action = row.action ?? row.path;
    const outcome = row.items === null ? row.outcome : `${row.outcome} (batch of ${row.items})`;
    tr.append(
      cell(time(row.timestamp)),
      cell(action),
      cell(row.subject ?? '—'),
      cell(row.resource_id ?? '—'),
      cell(outcome, `outcome-${row.outcome}`),
    );
    if (row.shadow === null) tr.append(cell(listed(row.reasons)), cell(row.revision ?? '—'));
    else
      tr.append(
        cell(row.shadow.outcome, `outcome-${row.shadow.outcome}`),
        cell(listed(row.shadow.reasons)),
        cell(listed(row.shadow.kinds)),
        cell(row.shadow.revision ?? '—'),
      );
    const td = document.createElement('td');
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Show';
    button.setAttribute(
      'aria-label',
      `Show input and result of ${action} by ${row.subject ?? 'unknown'} at ${time(row.timestamp)}`,
    );
    button.addEventListener('click', () => {
      showDecision(row.decision_id, row.shadow !== null).catch((/** @type {Error} */ error) => {
        showError(error.message);
      });
    });
    td.append(button);
    tr.append(td);
    return tr;
  });
}

/**
 * @param {string} id
 * @param {boolean} shadow
 */
async function showDecision(id, shadow) {
  const item = await api(`decisions/${encodeURIComponent(id)}${shadow ? '?shadow=true' : ''}`);
  byId('detail-id').textContent = item.decision_id;
  byId('detail-meta').textContent =
    `${item.path} · ${time(item.timestamp)} · revision ${item.revision ?? '—'} · ${item.outcome}` +
    (item.shadow ? ' · shadow disagreement' : '') +
    (item.event.erased ? ` · masked: ${item.event.erased.join(', ')}` : '');
  byId('detail-input').textContent = pretty(item.event.input);
  byId('detail-result').textContent = pretty(item.event.error ?? item.event.result);
  byId('detail-shadow-box').hidden = !item.shadow;
  byId('detail-shadow').textContent = item.shadow
    ? `revision ${item.event.shadow.revision}\n${pretty(item.event.shadow.error ?? item.event.shadow.result)}`
    : '';
  const detail = byId('decision-detail');
  detail.hidden = false;
  detail.focus();
}

async function loadDecisions() {
  const form = /** @type {HTMLFormElement} */ (byId('decision-filter'));
  const query = new URLSearchParams();
  for (const [name, value] of new FormData(form)) {
    if (typeof value === 'string' && value.trim() !== '') query.set(name, value.trim());
  }
  query.set('shadow', 'false');
  /** @type {Listing} */
  const listing = await api(`decisions?${query}`);
  setChoices('filter-action', listing.facets.actions);
  setChoices('filter-reason', listing.facets.reasons);
  byId('decision-count').textContent =
    `${listing.matched} of ${listing.held} recent decisions match` +
    (listing.decisions.length < listing.matched ? ` (newest ${listing.decisions.length} shown).` : '.');
  byId('decision-rows').replaceChildren(...decisionRows(listing.decisions));
}

async function loadDisagreements() {
  if (status?.shadow === null) {
    byId('shadow-count').textContent = 'No shadow bundle is configured, so there is nothing to compare.';
    byId('disagreement-rows').replaceChildren();
    return;
  }
  /** @type {Listing} */
  const listing = await api('decisions?shadow=true');
  byId('shadow-count').textContent =
    listing.matched === 1 ? '1 recent disagreement.' : `${listing.matched} recent disagreements.`;
  byId('disagreement-rows').replaceChildren(...decisionRows(listing.decisions));
}

/** @param {Evaluation | null} evaluation */
function describe(evaluation) {
  if (evaluation === null) return 'no shadow bundle';
  const head = `revision ${evaluation.revision ?? '—'}\n`;
  if (evaluation.error !== undefined)
    return `${head}error ${evaluation.error.code}: ${evaluation.error.message}`;
  return head + pretty(evaluation.result);
}

/** @param {SubmitEvent} event */
async function evaluate(event) {
  event.preventDefault();
  const path = /** @type {HTMLSelectElement} */ (byId('evaluate-path')).value;
  const text = /** @type {HTMLTextAreaElement} */ (byId('evaluate-input')).value;
  let input;
  try {
    input = JSON.parse(text);
  } catch (error) {
    byId('evaluate-verdict').textContent = `The input is not JSON: ${/** @type {Error} */ (error).message}`;
    return;
  }
  const answer = await api('evaluate', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ path, input }),
  });
  byId('evaluate-active').textContent = describe(answer.active);
  byId('evaluate-shadow').textContent = describe(answer.shadow);
  const kinds = answer.kinds?.length ? ` (${answer.kinds.join(', ')})` : '';
  byId('evaluate-verdict').textContent =
    answer.same === null
      ? 'Evaluated by the active bundle (no shadow bundle).'
      : answer.same
        ? 'Active and shadow agree.'
        : `Active and shadow DISAGREE${kinds}.`;
}

/** An input in the contract's shape, with a fake customer. */
const EXAMPLE_INPUT = {
  subject: { claims: { sub: 'alice', client_id: 'web-app', scope: 'transactions:read', roles: [] } },
  action: 'transactions:read',
  resource: {
    type: 'transaction',
    id: 'tx-example',
    owner: 'alice',
    department: 'retail',
    amount_minor: 12050,
    currency: 'EUR',
    category: 'groceries',
    status: 'pending',
    created_at: '2026-11-20T09:30:00Z',
    account: { id: 'acct-alice-1', owner: 'alice', department: 'retail', status: 'open' },
  },
  environment: { now: '2026-11-23T10:00:00Z' },
};

/**
 * @param {string} term
 * @param {string} value
 */
function definition(term, value) {
  const dt = document.createElement('dt');
  dt.textContent = term;
  const dd = document.createElement('dd');
  dd.textContent = value;
  return [dt, dd];
}

/** @param {any} outcome */
function outcomeText(outcome) {
  if (outcome === null || outcome === undefined) return '?';
  if (outcome.outcome === 'decision') {
    const reasons = outcome.reasons.length === 0 ? '' : ` (${outcome.reasons.join(', ')})`;
    return `${outcome.allow ? 'allow' : 'deny'}${outcome.visible === false ? ', hidden' : ''}${reasons}`;
  }
  return outcome.outcome;
}

/** @param {any} report */
function showImpact(report) {
  if (report?.format !== 'verdict-policy-impact' || report.version !== 1)
    throw new Error('not an impact report (format verdict-policy-impact, version 1)');
  const { summary, candidate, log } = report;
  byId('impact-summary').replaceChildren(
    ...definition(
      'Candidate',
      `${candidate.source} (${candidate.kind}), revision ${candidate.revision ?? '—'}, signature ${candidate.signature.status}`,
    ),
    ...definition(
      'Log',
      `${log.path}: ${log.events} events, ${time(log.first_timestamp)} to ${time(log.last_timestamp)}`,
    ),
    ...definition(
      'Decisions',
      `${summary.decisions} compared, ${summary.unchanged} unchanged, ${summary.changed} changed, ${summary.cannot_replay} cannot replay`,
    ),
    ...definition('Unacknowledged', `${summary.unacknowledged} (exit code ${report.exit_code})`),
  );
  /** @type {any[]} */
  const groups = [...report.changes, ...report.cannot_replay];
  byId('impact-rows').replaceChildren(
    ...groups.map((group) => {
      const tr = document.createElement('tr');
      const kinds = Object.entries(group.kinds)
        .map(([kind, n]) => `${kind} ${n}`)
        .join(', ');
      const examples = group.examples
        .map(
          (/** @type {any} */ e) =>
            `${e.subject ?? '—'}, ${e.resource_id ?? '—'}: ${outcomeText(e.before)} → ${outcomeText(e.after)}`,
        )
        .join('\n');
      tr.append(
        cell(group.action),
        cell(group.reason),
        cell(String(group.count)),
        cell(String(group.acknowledged)),
        cell(kinds === '' ? '—' : kinds),
        cell(examples, 'examples'),
      );
      return tr;
    }),
  );
  byId('impact').hidden = false;
}

/** @param {Event} event */
function loadImpact(event) {
  const file = /** @type {HTMLInputElement} */ (event.target).files?.[0];
  if (file === undefined) return;
  const reader = new FileReader();
  reader.addEventListener('load', () => {
    try {
      showImpact(JSON.parse(String(reader.result)));
      showError('');
    } catch (error) {
      byId('impact').hidden = true;
      showError(`Impact report: ${/** @type {Error} */ (error).message}`);
    }
  });
  reader.readAsText(file);
}

/** @param {() => Promise<void>} task */
function run(task) {
  task().then(
    () => undefined,
    (/** @type {Error} */ error) => {
      showError(error.message);
    },
  );
}

function start() {
  const filter = byId('decision-filter');
  filter.addEventListener('submit', (event) => {
    event.preventDefault();
    run(loadDecisions);
  });
  filter.addEventListener('reset', () => {
    window.setTimeout(() => {
      run(loadDecisions);
    }, 0);
  });
  byId('evaluate').addEventListener('submit', (event) => {
    run(() => evaluate(/** @type {SubmitEvent} */ (event)));
  });
  byId('evaluate-example').addEventListener('click', () => {
    /** @type {HTMLTextAreaElement} */ (byId('evaluate-input')).value = JSON.stringify(
      EXAMPLE_INPUT,
      null,
      2,
    );
  });
  byId('impact-file').addEventListener('change', loadImpact);
  run(async () => {
    await loadStatus();
    await Promise.all([loadDecisions(), loadDisagreements()]);
  });
}

start();
