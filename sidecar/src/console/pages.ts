/** The console's HTML, rendered on the server without any data: the script fetches everything as JSON. */

const HEAD = `<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="stylesheet" href="/console/console.css">`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The login page; `refused` adds the alert a wrong key gets. */
export function loginPage(refused: boolean): string {
  return `<!doctype html>
<html lang="en">
<head>
${HEAD}
<title>${refused ? 'Access key refused — ' : ''}Verdict policy console</title>
</head>
<body>
<main class="login">
<h1>Verdict policy console</h1>
${refused ? '<p role="alert" class="alert"><strong>Refused:</strong> that access key is not valid.</p>\n' : ''}<p>Open the address the sidecar printed when it started, or paste the access key from it.</p>
<form method="post" action="/console/login">
<label for="key">Access key</label>
<input id="key" name="key" type="password" autocomplete="off" spellcheck="false" required>
<button type="submit">Log in</button>
</form>
</main>
</body>
</html>
`;
}

/** A plain page for refusals outside the login (a missing Origin, a foreign Host). */
export function plainPage(title: string, message: string): string {
  return `<!doctype html>
<html lang="en">
<head>
${HEAD}
<title>${escapeHtml(title)} — Verdict policy console</title>
</head>
<body>
<main class="login">
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(message)}</p>
</main>
</body>
</html>
`;
}

const OUTCOMES = `<option value="">any</option>
<option value="allow">allow</option>
<option value="deny">deny</option>
<option value="error">error / no decision</option>
<option value="other">other value</option>`;

/** The console itself: a shell of labelled sections that `console.js` fills. */
export function consolePage(): string {
  return `<!doctype html>
<html lang="en">
<head>
${HEAD}
<title>Verdict policy console</title>
<script type="module" src="/console/console.js"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
<h1>Verdict policy console</h1>
<nav aria-label="Sections">
<ul>
<li><a href="#bundles-heading">Bundles</a></li>
<li><a href="#decisions-heading">Recent decisions</a></li>
<li><a href="#shadow-heading">Shadow disagreements</a></li>
<li><a href="#evaluate-heading">Evaluate</a></li>
<li><a href="#impact-heading">Impact report</a></li>
</ul>
</nav>
<form method="post" action="/console/logout"><button type="submit">Log out</button></form>
</header>
<main id="main">
<p id="console-error" role="alert" class="alert" hidden></p>

<section aria-labelledby="bundles-heading">
<h2 id="bundles-heading">Bundles</h2>
<table id="bundles">
<caption>The active bundle decides; the shadow bundle is evaluated beside it and never enforced.</caption>
<thead><tr><th scope="col">Bundle</th><th scope="col">Revision</th><th scope="col">Signed</th><th scope="col">Activated</th><th scope="col">Last error</th></tr></thead>
<tbody id="bundle-rows"><tr><td colspan="5">Loading…</td></tr></tbody>
</table>
</section>

<section aria-labelledby="decisions-heading">
<h2 id="decisions-heading">Recent decisions</h2>
<p>The last decisions this sidecar made, newest first, masked as the decision log masks them. Held in memory only.</p>
<form id="decision-filter" class="filters">
<div><label for="filter-action">Action</label>
<select id="filter-action" name="action"><option value="">any</option></select></div>
<div><label for="filter-outcome">Outcome</label>
<select id="filter-outcome" name="outcome">${OUTCOMES}</select></div>
<div><label for="filter-reason">Reason</label>
<select id="filter-reason" name="reason"><option value="">any</option></select></div>
<div><label for="filter-subject">Subject (sub or client_id)</label>
<input id="filter-subject" name="subject" type="text" autocomplete="off" spellcheck="false"></div>
<div class="buttons"><button type="submit">Apply filter</button>
<button type="reset">Clear</button></div>
</form>
<p id="decision-count" role="status" aria-live="polite"></p>
<table id="decisions">
<caption>Decisions matching the filter</caption>
<thead><tr><th scope="col">Time (UTC)</th><th scope="col">Action</th><th scope="col">Subject</th><th scope="col">Resource</th><th scope="col">Outcome</th><th scope="col">Reasons</th><th scope="col">Revision</th><th scope="col">Details</th></tr></thead>
<tbody id="decision-rows"></tbody>
</table>
<section id="decision-detail" aria-labelledby="detail-heading" hidden tabindex="-1">
<h3 id="detail-heading">Decision <code id="detail-id"></code></h3>
<p id="detail-meta"></p>
<div class="pair">
<div><h4>Input</h4><pre id="detail-input"></pre></div>
<div><h4>Result</h4><pre id="detail-result"></pre></div>
<div id="detail-shadow-box" hidden><h4>Shadow result (not enforced)</h4><pre id="detail-shadow"></pre></div>
</div>
</section>
</section>

<section aria-labelledby="shadow-heading">
<h2 id="shadow-heading">Shadow disagreements</h2>
<p id="shadow-count" role="status" aria-live="polite"></p>
<table id="disagreements">
<caption>Decisions where the shadow bundle answered otherwise than the active one</caption>
<thead><tr><th scope="col">Time (UTC)</th><th scope="col">Action</th><th scope="col">Subject</th><th scope="col">Resource</th><th scope="col">Active outcome</th><th scope="col">Shadow outcome</th><th scope="col">Shadow reasons</th><th scope="col">Change</th><th scope="col">Shadow revision</th><th scope="col">Details</th></tr></thead>
<tbody id="disagreement-rows"></tbody>
</table>
</section>

<section aria-labelledby="evaluate-heading">
<h2 id="evaluate-heading">Evaluate</h2>
<p>Runs one input against the active and the shadow bundle side by side. Nothing is enforced, logged or kept.</p>
<form id="evaluate">
<div><label for="evaluate-path">Entrypoint</label>
<select id="evaluate-path" name="path"></select></div>
<div class="wide"><label for="evaluate-input">Input (JSON)</label>
<textarea id="evaluate-input" name="input" rows="14" spellcheck="false" required></textarea></div>
<div class="buttons"><button type="submit">Evaluate</button>
<button type="button" id="evaluate-example">Use an example input</button></div>
</form>
<p id="evaluate-verdict" role="status" aria-live="polite"></p>
<div class="pair">
<div><h3 id="evaluate-active-heading">Active</h3><pre id="evaluate-active" aria-labelledby="evaluate-active-heading"></pre></div>
<div><h3 id="evaluate-shadow-heading">Shadow</h3><pre id="evaluate-shadow" aria-labelledby="evaluate-shadow-heading"></pre></div>
</div>
</section>

<section aria-labelledby="impact-heading">
<h2 id="impact-heading">Impact report</h2>
<p>Shows the JSON of <code>npm run policy:impact -- --format json</code>. The file is read in this page only; it is not uploaded.</p>
<form id="impact-form">
<label for="impact-file">Impact report (JSON file)</label>
<input id="impact-file" name="file" type="file" accept="application/json,.json">
</form>
<div id="impact" hidden>
<dl id="impact-summary" class="summary"></dl>
<table id="impact-groups">
<caption>Changed decisions by action and reason, largest group first</caption>
<thead><tr><th scope="col">Action</th><th scope="col">Reason</th><th scope="col">Decisions</th><th scope="col">Acknowledged</th><th scope="col">Kinds</th><th scope="col">Examples (subject, resource: before → after)</th></tr></thead>
<tbody id="impact-rows"></tbody>
</table>
</div>
</section>
</main>
</body>
</html>
`;
}

/** The console's style sheet: readable without colour (outcomes are words), a visible focus ring. */
export const CONSOLE_CSS = `:root { color-scheme: light; font-family: system-ui, sans-serif; line-height: 1.4; }
body { margin: 0; color: #111; background: #fff; }
header { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; padding: 0.5rem 1rem; border-bottom: 2px solid #333; }
header h1 { font-size: 1.25rem; margin: 0; }
header nav ul { display: flex; flex-wrap: wrap; gap: 0.75rem; list-style: none; margin: 0; padding: 0; }
header form { margin-left: auto; }
main { padding: 0 1rem 2rem; max-width: 90rem; }
main.login { max-width: 32rem; margin: 3rem auto; }
section { margin-top: 1.5rem; }
h2 { font-size: 1.1rem; border-bottom: 1px solid #999; padding-bottom: 0.2rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
caption { text-align: left; font-style: italic; padding: 0.25rem 0; }
th, td { border: 1px solid #999; padding: 0.25rem 0.4rem; text-align: left; vertical-align: top; }
thead th { background: #eee; }
td.outcome-deny, td.outcome-error { font-weight: bold; }
code, pre { font-family: ui-monospace, monospace; font-size: 0.85rem; }
pre { background: #f6f6f6; border: 1px solid #ccc; padding: 0.5rem; overflow: auto; max-height: 28rem; white-space: pre-wrap; word-break: break-word; }
form.filters, form#evaluate { display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: flex-end; }
form .wide { flex-basis: 100%; }
label { display: block; font-weight: 600; margin-bottom: 0.15rem; }
input, select, textarea, button { font: inherit; }
textarea { width: 100%; box-sizing: border-box; font-family: ui-monospace, monospace; font-size: 0.85rem; }
button { padding: 0.25rem 0.75rem; border: 2px solid #333; background: #fff; border-radius: 3px; cursor: pointer; }
button:hover { background: #eee; }
:focus-visible { outline: 3px solid #0645ad; outline-offset: 2px; }
.pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 1rem; }
.alert { border: 2px solid #900; padding: 0.5rem; }
.summary { display: grid; grid-template-columns: max-content auto; gap: 0.2rem 1rem; }
.summary dt { font-weight: 600; }
.summary dd { margin: 0; }
.skip { position: absolute; left: -10000px; }
.skip:focus { position: static; }
[hidden] { display: none !important; }
`;
