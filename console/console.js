// The analyst console: plain browser JavaScript over fraudmini's console and API routes.
// Everything shown is set as text (never as HTML), so nothing stored can run as script here.
'use strict';

/** @type {{ user: string, role: string, csrf_token: string } | null} */
let session = null;
/** Alerts of the page shown, in order; the alert open; the cursor of the next page. */
let page = [];
let openId = null;
let nextCursor = null;
let cursorStack = [];
let events = null;

const $ = (id) => document.getElementById(id);

function say(text) {
  $('status').textContent = text;
}

/** Calls a route; state-changing calls carry the session's anti-CSRF token. */
async function call(method, url, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && session) headers['x-csrf-token'] = session.csrf_token;
  const res = await fetch(url, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = res.headers.get('content-type')?.includes('application/json') ? await res.json() : null;
  if (res.status === 401 && url !== '/session') showSignIn();
  if (!res.ok) {
    const err = new Error(data?.message ?? `${res.status}`);
    err.status = res.status;
    throw err;
  }
  return data;
}

function showSignIn() {
  session = null;
  events?.close();
  events = null;
  $('workspace').hidden = true;
  $('whoami').hidden = true;
  $('sign-in').hidden = false;
  $('username').focus();
}

function showWorkspace() {
  $('sign-in').hidden = true;
  $('workspace').hidden = false;
  $('whoami').hidden = false;
  $('user-name').textContent = session.user;
  $('user-role').textContent = session.role;
  listen();
  void loadQueue();
  void loadWorkbench();
  void loadCases();
}

/** New alerts arrive as server-sent events: the first page is loaded again, the open alert stays. */
function listen() {
  events?.close();
  events = new EventSource('/events');
  events.addEventListener('ready', () => void loadQueue());
  events.addEventListener('stats', (e) => showLive(JSON.parse(e.data)));
  events.addEventListener('alerts', (e) => {
    const { count } = JSON.parse(e.data);
    say(`${count} new alert${count === 1 ? '' : 's'}`);
    if (cursorStack.length === 0) void loadQueue();
  });
}

const count = (n) => Number(n).toLocaleString('en-US');

/** The live view: counters, rates of the last minute, outcome mix. */
function showLive(f) {
  $('live-decisions').textContent = count(f.transactions);
  $('live-dpm').textContent = count(f.decisions_per_minute);
  $('live-alerts').textContent = count(f.alerts);
  $('live-apm').textContent = count(f.alerts_per_minute);
  $('live-rate').textContent = `${(f.alert_rate * 100).toFixed(1)} %`;
  $('live-files').textContent = count(f.files.processed);
  $('live-files-busy').textContent = count(f.files.processing);
  $('live-files-failed').textContent = count(f.files.failed);
  const total = f.outcomes.allow + f.outcomes.review + f.outcomes.block;
  for (const o of ['allow', 'review', 'block']) {
    const share = total > 0 ? f.outcomes[o] / total : 0;
    $(`mix-${o}`).textContent = count(f.outcomes[o]);
    $(`mix-${o}-bar`).value = share;
    $(`mix-${o}-pct`).textContent = `${(share * 100).toFixed(1)} %`;
  }
  if (f.charts) {
    drawHistogram(f.charts.score_histogram);
    drawPrecision(f.charts.precision);
    renderFiles(f.charts.files_in_progress);
  }
}

const SVG = 'http://www.w3.org/2000/svg';

/** An SVG element with its attributes (presentation by class: the page's CSP allows no inline style). */
function svg(name, attrs, text) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Plot area of both charts inside their 340 × 150 viewBox. */
const PLOT = { left: 34, right: 332, top: 8, bottom: 126 };

function axes(chart, yLabels) {
  const out = [];
  for (const [value, y] of yLabels) {
    out.push(svg('line', { class: 'grid', x1: PLOT.left, x2: PLOT.right, y1: y, y2: y }));
    out.push(svg('text', { class: 'tick', x: PLOT.left - 4, y: y + 3, 'text-anchor': 'end' }, value));
  }
  out.push(svg('line', { class: 'axis', x1: PLOT.left, x2: PLOT.left, y1: PLOT.top, y2: PLOT.bottom }));
  out.push(svg('line', { class: 'axis', x1: PLOT.left, x2: PLOT.right, y1: PLOT.bottom, y2: PLOT.bottom }));
  chart.append(...out);
}

/** Decisions per score bucket of 10 points, as bars; the buckets of 80 and up in red. */
function drawHistogram(h) {
  const chart = $('score-chart');
  chart.replaceChildren();
  const total = h.counts.reduce((a, b) => a + b, 0);
  const top = Math.max(1, ...h.counts);
  const height = PLOT.bottom - PLOT.top;
  axes(chart, [[count(top), PLOT.top], [count(Math.round(top / 2)), PLOT.top + height / 2], ['0', PLOT.bottom]]);
  const slot = (PLOT.right - PLOT.left) / h.counts.length;
  h.counts.forEach((n, i) => {
    const barHeight = (n / top) * height;
    const bar = svg('rect', {
      class: i >= 8 ? 'bar high' : 'bar',
      x: PLOT.left + i * slot + 2,
      y: PLOT.bottom - barHeight,
      width: slot - 4,
      height: barHeight,
      'data-count': n,
    });
    bar.append(svg('title', {}, `score ${i * 10}–${i * 10 + 10}: ${count(n)}`));
    chart.append(bar, svg('text', { class: 'tick', x: PLOT.left + i * slot + slot / 2, y: PLOT.bottom + 12, 'text-anchor': 'middle' }, i * 10));
  });
  chart.append(svg('text', { class: 'tick', x: PLOT.right, y: PLOT.bottom + 22, 'text-anchor': 'end' }, 'score'));
  $('score-chart-desc').textContent =
    total === 0
      ? 'No decision yet.'
      : `${count(total)} newest decisions by score: ` + h.counts.map((n, i) => `${i * 10}–${i * 10 + 10}: ${count(n)}`).join(', ') + '.';
}

/** Precision of the labelled alerts per stretch of event time, as a line (gaps where none is labelled). */
function drawPrecision(p) {
  const chart = $('precision-chart');
  chart.replaceChildren();
  const height = PLOT.bottom - PLOT.top;
  axes(chart, [['100 %', PLOT.top], ['50 %', PLOT.top + height / 2], ['0 %', PLOT.bottom]]);
  const points = p.points;
  const labelled = points.reduce((a, b) => a + b.labelled, 0);
  if (labelled === 0) {
    $('precision-chart-desc').textContent = 'No alert labelled yet.';
    return;
  }
  const slot = (PLOT.right - PLOT.left) / points.length;
  const at = (i, v) => [PLOT.left + i * slot + slot / 2, PLOT.bottom - v * height];
  let run = [];
  const flush = () => {
    if (run.length > 1) chart.append(svg('polyline', { class: 'line', points: run.map((xy) => xy.join(',')).join(' ') }));
    run = [];
  };
  points.forEach((b, i) => {
    if (b.precision === null) return flush();
    const [x, y] = at(i, b.precision);
    run.push([x, y]);
    const dot = svg('circle', { class: 'dot', cx: x, cy: y, r: 3, 'data-precision': b.precision });
    dot.append(svg('title', {}, `${when(b.from)} – ${when(b.to)}: ${b.fraud} fraud of ${b.labelled} labelled`));
    chart.append(dot);
  });
  flush();
  chart.append(svg('text', { class: 'tick', x: PLOT.left, y: PLOT.bottom + 12 }, when(points[0].from)));
  chart.append(svg('text', { class: 'tick', x: PLOT.right, y: PLOT.bottom + 12, 'text-anchor': 'end' }, when(points[points.length - 1].to)));
  const fraud = points.reduce((a, b) => a + b.fraud, 0);
  $('precision-chart-desc').textContent =
    `${count(fraud)} fraud of ${count(labelled)} labelled alerts (${((fraud / labelled) * 100).toFixed(1)} %), ` +
    `from ${when(points[0].from)} to ${when(points[points.length - 1].to)}: ` +
    points
      .filter((b) => b.precision !== null)
      .map((b) => `${when(b.from)} ${(b.precision * 100).toFixed(0)} %`)
      .join(', ') +
    '.';
}

function renderFiles(files) {
  const tbody = $('files-table').tBodies[0];
  tbody.replaceChildren();
  for (const f of files) {
    const row = tbody.insertRow();
    cell(row, f.name);
    cell(row, f.status);
    cell(row, count(f.rows_done), 'num');
    cell(row, count(f.decided), 'num');
    cell(row, count(f.alerts), 'num');
    cell(row, count(f.rejected), 'num');
  }
  $('files-none').hidden = files.length > 0;
}

function filters() {
  const form = new FormData($('filters'));
  const q = new URLSearchParams();
  for (const [k, v] of form) if (v !== '') q.set(k, String(v));
  return q;
}

async function loadQueue(after) {
  const q = filters();
  if (after) q.set('after', after);
  let data;
  try {
    data = await call('GET', `/queue?${q}`);
  } catch (e) {
    if (e.status !== 401) say(`Could not load the queue: ${e.message}`);
    return;
  }
  page = data.alerts;
  nextCursor = data.next;
  $('next-page').disabled = nextCursor === null;
  $('first-page').disabled = cursorStack.length === 0;
  renderAlerts($('queue-table').tBodies[0], page);
  $('queue-empty').hidden = page.length > 0;
}

/**
 * A table row of an alert: a button opening it, then its time, account, card, amount, outcome and
 * score; the caller adds the columns its table has after these.
 */
function alertRow(tbody, a) {
  const row = tbody.insertRow();
  const open = document.createElement('button');
  open.type = 'button';
  open.className = 'link';
  open.textContent = `Alert ${a.id}`;
  open.addEventListener('click', () => void openAlert(a.id));
  row.insertCell().append(open);
  cell(row, when(a.timestamp));
  cell(row, a.account_id);
  cell(row, a.card ?? '');
  cell(row, money(a.amount, a.currency), 'num');
  row.insertCell().append(badge(a.outcome));
  cell(row, a.score.toFixed(1), 'num');
  return row;
}

function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function badge(outcome) {
  const span = document.createElement('span');
  span.className = `badge ${outcome}`;
  span.textContent = outcome;
  return span;
}

function money(amount, currency) {
  return `${Number(amount).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 4 })} ${currency}`;
}

function when(iso) {
  return iso.slice(0, 16).replace('T', ' ');
}

function renderAlerts(tbody, alerts) {
  tbody.replaceChildren();
  for (const a of alerts) {
    const row = alertRow(tbody, a);
    if (a.id === openId) row.className = 'current';
    cell(row, a.reasons.map((r) => r.rule).join(' '), 'wrap');
  }
}

async function openAlert(id) {
  let d;
  try {
    d = await call('GET', `/queue/${id}`);
  } catch (e) {
    if (e.status !== 401) say(`Could not open alert ${id}: ${e.message}`);
    return;
  }
  openId = id;
  for (const row of $('queue-table').tBodies[0].rows) {
    row.classList.toggle('current', row.cells[0].textContent === `Alert ${id}`);
  }
  $('detail').hidden = false;
  $('detail-title').textContent = `Alert ${id}: transaction ${d.transaction.transaction_id}`;
  const t = d.transaction;
  const fields = [
    ['Time', when(t.timestamp)],
    ['Account', t.account_id],
    ['Card', t.card ? t.card.masked : ''],
    ['Amount', money(t.amount, t.currency)],
    ['Merchant', t.merchant ?? ''],
    ['Category', t.merchant_category ?? ''],
    ['Country', t.country ?? ''],
    ['From / to', t.origin_country || t.destination_country ? `${t.origin_country ?? '?'} → ${t.destination_country ?? '?'}` : ''],
    ['Balance', t.account_balance !== undefined ? money(t.account_balance, t.currency) : ''],
    ['Channel', t.channel ?? ''],
    ['Outcome', d.decision.outcome],
    ['Rules', d.decision.rules_version],
  ];
  const dl = $('tx-fields');
  dl.replaceChildren();
  for (const [k, v] of fields) {
    if (v === '') continue;
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    dl.append(dt, dd);
  }
  $('detail-score').textContent = `${d.decision.score.toFixed(1)} / 100`;
  const reasons = $('detail-reasons');
  reasons.replaceChildren();
  for (const r of d.decision.reasons) {
    const li = document.createElement('li');
    li.textContent = `${r.rule} (+${r.weight}${r.action ? `, ${r.action}` : ''}): ${r.detail}`;
    reasons.append(li);
  }
  const features = d.decision.model_features ?? [];
  $('model-block').hidden = features.length === 0;
  $('detail-features').replaceChildren(
    ...features.map((f) => {
      const li = document.createElement('li');
      li.textContent = `${f.feature} = ${f.value} (+${f.weight.toFixed(3)})`;
      return li;
    }),
  );
  const history = $('history-table').tBodies[0];
  history.replaceChildren();
  for (const h of d.history) {
    const row = history.insertRow();
    cell(row, h.transaction_id);
    cell(row, when(h.timestamp));
    cell(row, money(h.amount, h.currency), 'num');
    cell(row, h.merchant ?? '', 'wrap');
    cell(row, h.card ?? '');
    row.insertCell().append(badge(h.outcome));
    cell(row, h.score.toFixed(1), 'num');
    cell(row, h.label ?? '');
  }
  renderAlerts($('related-table').tBodies[0], d.related);
  $('related-none').hidden = d.related.length > 0;
  $('audit-block').hidden = d.audit.length === 0;
  $('detail-audit').replaceChildren(
    ...d.audit.map((e) => {
      const li = document.createElement('li');
      li.textContent = `${when(e.at)} ${e.user} marked ${e.label} (${e.result})${e.note ? `: ${e.note}` : ''}`;
      return li;
    }),
  );
  void showAlertCase(id, d);
  $('note').value = '';
  const decided = d.label !== null;
  $('decided').hidden = !decided;
  $('decided').textContent = decided ? `Labelled ${d.label}.` : '';
  $('mark-fraud').disabled = decided;
  $('mark-legit').disabled = decided;
  $('detail-title').focus();
}

async function decide(label) {
  if (openId === null) return;
  const id = openId;
  const note = $('note').value.trim();
  let result;
  try {
    result = await call('POST', `/queue/${id}/decision`, note === '' ? { label } : { label, note });
  } catch (e) {
    if (e.status !== 401) say(`Could not mark alert ${id}: ${e.message}`);
    return;
  }
  // The next alert is the one after this in the page shown, else the one the server names.
  const at = page.findIndex((a) => a.id === id);
  const following = at >= 0 ? page[at + 1] : undefined;
  say(`Alert ${id} marked ${result.label}.`);
  await loadQueue();
  const next = following?.id ?? result.next;
  if (next !== null && next !== undefined) await openAlert(next);
  else {
    openId = null;
    $('detail').hidden = true;
    say(`Alert ${id} marked ${result.label}. No alert awaits a decision.`);
  }
}

/** The case open, if any. */
let openCaseId = null;

const STATUS_NAMES = {
  open: 'open',
  investigating: 'investigating',
  closed_fraud: 'closed as fraud',
  closed_legit: 'closed as legit',
};
const subjectText = (s) => `${s.kind} ${s.value}`;

/** Who the alert open is assigned to, its case, or the cases it could join. */
async function showAlertCase(id, d) {
  $('alert-assignee').textContent = d.assignee ? `Assigned to ${d.assignee}.` : 'Not assigned.';
  $('assign-me').disabled = d.assignee === session.user;
  const inCase = d.case_id !== null && d.case_id !== undefined;
  $('alert-in-case').hidden = !inCase;
  $('alert-add-case').hidden = inCase;
  if (inCase) {
    $('alert-in-case-text').textContent = `In case ${d.case_id}.`;
    $('open-alert-case').onclick = () => void openCase(d.case_id);
    return;
  }
  const a = d.alert;
  const options = [];
  const lists = [call('GET', `/cases?status=active&account=${encodeURIComponent(a.account_id)}`)];
  if (a.card) lists.push(call('GET', `/cases?status=active&card=${encodeURIComponent(a.card)}`));
  let found = [];
  try {
    found = (await Promise.all(lists)).flatMap((r) => r.cases);
  } catch (e) {
    if (e.status !== 401) say(`Could not load the cases of alert ${id}: ${e.message}`);
  }
  for (const c of found) options.push([String(c.id), `Case ${c.id} (${subjectText(c.subject)}, ${STATUS_NAMES[c.status]})`]);
  options.push(['new-account', `New case for account ${a.account_id}`]);
  if (a.card) options.push(['new-card', `New case for card ${a.card}`]);
  $('case-pick').replaceChildren(
    ...options.map(([value, text]) => {
      const o = document.createElement('option');
      o.value = value;
      o.textContent = text;
      return o;
    }),
  );
}

async function assignMe() {
  if (openId === null) return;
  const id = openId;
  try {
    await call('POST', `/queue/${id}/assign`, {});
  } catch (e) {
    if (e.status !== 401) say(`Could not assign alert ${id}: ${e.message}`);
    return;
  }
  say(`Alert ${id} assigned to ${session.user}.`);
  await openAlert(id);
}

async function addToCase() {
  if (openId === null) return;
  const id = openId;
  const pick = $('case-pick').value;
  let c;
  try {
    if (pick === 'new-account' || pick === 'new-card') {
      c = await call('POST', '/cases', { alert_id: id, by: pick === 'new-card' ? 'card' : 'account' });
      say(`Case ${c.id} opened with alert ${id}.`);
    } else {
      c = await call('POST', `/cases/${pick}/alerts`, { alert_id: id });
      say(`Alert ${id} added to case ${c.id}.`);
    }
  } catch (e) {
    if (e.status !== 401) say(`Could not add alert ${id} to a case: ${e.message}`);
    return;
  }
  await loadCases();
  await openAlert(id);
  await openCase(c.id, false);
}

/** The cases table, filtered by status. */
async function loadCases() {
  const status = $('cases-status').value;
  let data;
  try {
    data = await call('GET', `/cases${status ? `?status=${status}` : ''}`);
  } catch (e) {
    if (e.status !== 401) say(`Could not load the cases: ${e.message}`);
    return;
  }
  const tbody = $('cases-table').tBodies[0];
  tbody.replaceChildren();
  for (const c of data.cases) {
    const row = tbody.insertRow();
    if (c.id === openCaseId) row.className = 'current';
    const open = document.createElement('button');
    open.type = 'button';
    open.className = 'link';
    open.textContent = `Case ${c.id}`;
    open.addEventListener('click', () => void openCase(c.id));
    row.insertCell().append(open);
    cell(row, subjectText(c.subject));
    cell(row, STATUS_NAMES[c.status]);
    cell(row, c.assignee ?? '');
    cell(row, String(c.alert_ids.length), 'num');
    cell(row, when(c.updated_at));
  }
  $('cases-empty').hidden = data.cases.length > 0;
}

/** Opens a case: its status, assignee, alerts and audit trail. */
async function openCase(id, focus = true) {
  let d;
  try {
    d = await call('GET', `/cases/${id}`);
  } catch (e) {
    if (e.status !== 401) say(`Could not open case ${id}: ${e.message}`);
    return;
  }
  openCaseId = id;
  const c = d.case;
  for (const row of $('cases-table').tBodies[0].rows) row.classList.toggle('current', row.cells[0].textContent === `Case ${id}`);
  $('case-detail').hidden = false;
  $('case-title').textContent = `Case ${c.id}: ${subjectText(c.subject)}`;
  $('case-status').textContent = STATUS_NAMES[c.status];
  $('case-assignee').textContent = c.assignee ?? 'nobody';
  $('case-opened').textContent = `${when(c.created_at)} by ${c.created_by}`;
  const closed = c.status === 'closed_fraud' || c.status === 'closed_legit';
  $('assign-case-me').disabled = closed || c.assignee === session.user;
  $('set-case-status').disabled = closed;
  $('case-new-status').disabled = closed;
  const tbody = $('case-alerts-table').tBodies[0];
  tbody.replaceChildren();
  for (const a of d.alerts) {
    const row = alertRow(tbody, a);
    cell(row, a.label ?? '');
  }
  $('case-audit').replaceChildren(
    ...d.audit.map((e) => {
      const li = document.createElement('li');
      li.textContent = `${when(e.at)} ${e.user} ${e.action.replace('_', ' ')}: ${e.detail}`;
      return li;
    }),
  );
  if (focus) $('case-title').focus();
}

async function assignCaseMe() {
  if (openCaseId === null) return;
  const id = openCaseId;
  try {
    await call('POST', `/cases/${id}/assign`, {});
  } catch (e) {
    if (e.status !== 401) say(`Could not assign case ${id}: ${e.message}`);
    return;
  }
  say(`Case ${id} assigned to ${session.user}.`);
  await Promise.all([openCase(id, false), loadCases()]);
}

async function setCaseStatus() {
  if (openCaseId === null) return;
  const id = openCaseId;
  const status = $('case-new-status').value;
  let r;
  try {
    r = await call('POST', `/cases/${id}/status`, { status });
  } catch (e) {
    if (e.status !== 401) say(`Could not change case ${id}: ${e.message}`);
    return;
  }
  const labelled = r.labels.filter((l) => l.status === 'recorded').length;
  say(`Case ${id} ${STATUS_NAMES[r.case.status]}${r.labels.length > 0 ? `: ${labelled} of ${r.labels.length} alerts labelled` : ''}.`);
  await Promise.all([openCase(id, false), loadCases(), loadQueue()]);
  if (openId !== null && r.case.alert_ids.includes(openId)) await openAlert(openId);
}

async function addCaseNote() {
  if (openCaseId === null) return;
  const id = openCaseId;
  const note = $('case-note').value.trim();
  if (note === '') return say('Write a note first.');
  try {
    await call('POST', `/cases/${id}/notes`, { note });
  } catch (e) {
    if (e.status !== 401) say(`Could not add the note: ${e.message}`);
    return;
  }
  $('case-note').value = '';
  say(`Note added to case ${id}.`);
  await openCase(id, false);
}

/** The rule set in force (version and document), and the index of the rule being edited. */
let rulesInForce = null;
let ruleIndex = 0;
let checkSeq = 0;

const isAdmin = () => session?.role === 'admin';

/** The rule set in force and the history of versions; the editor starts from the rule picked. */
async function loadWorkbench() {
  let current;
  let history;
  try {
    current = await call('GET', '/rules');
    history = await call('GET', '/rules/versions');
  } catch (e) {
    // Not served where the console runs (on AWS the rules change with signed PUT /rules): hidden.
    if (e.status === 404) $('workbench').hidden = true;
    else if (e.status !== 401) say(`Could not load the rules: ${e.message}`);
    return;
  }
  $('workbench').hidden = false;
  rulesInForce = current;
  $('rules-active').textContent = current.version;
  const pick = $('rule-pick');
  const chosen = pick.value;
  pick.replaceChildren(
    ...current.document.rules.map((r, i) => {
      const o = document.createElement('option');
      o.value = String(i);
      o.textContent = r.id;
      return o;
    }),
  );
  const again = current.document.rules.findIndex((r) => r.id === chosen);
  ruleIndex = again >= 0 ? again : 0;
  pick.value = String(ruleIndex);
  $('rule-condition').value = current.document.rules[ruleIndex]?.when ?? '';
  $('draft-version').value = `${current.version}-draft`;
  showProblem(null);
  $('publish').disabled = !isAdmin();
  $('publish').hidden = !isAdmin();
  $('publish-note').hidden = isAdmin();
  const tbody = $('versions-table').tBodies[0];
  tbody.replaceChildren();
  for (const v of history.versions) {
    const row = tbody.insertRow();
    cell(row, v.version);
    cell(row, when(v.saved_at));
    cell(row, v.digest.slice(0, 12));
    const state = row.insertCell();
    if (v.active) state.textContent = 'in force';
    else if (isAdmin()) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = `Roll back to ${v.version}`;
      b.addEventListener('click', () => void rollBack(v.id, v.version));
      state.append(b);
    }
  }
}

/** The document in force with the edited condition and the draft's version. */
function draft() {
  const doc = JSON.parse(JSON.stringify(rulesInForce.document));
  doc.version = $('draft-version').value.trim();
  if (doc.rules[ruleIndex]) doc.rules[ruleIndex].when = $('rule-condition').value;
  return doc;
}

/** Shows a problem under the editor, with a caret under its column; null clears it. */
function showProblem(problem) {
  const area = $('rule-condition');
  if (!problem) {
    area.removeAttribute('aria-invalid');
    $('rule-problem-text').textContent = '';
    $('rule-problem-caret').hidden = true;
    return;
  }
  area.setAttribute('aria-invalid', 'true');
  if (problem.column === undefined) {
    $('rule-problem-text').textContent = `${problem.path}: ${problem.reason}`;
    $('rule-problem-caret').hidden = true;
    return;
  }
  $('rule-problem-text').textContent = `Line ${problem.line}, column ${problem.column}: ${problem.reason}`;
  const line = area.value.split('\n')[problem.line - 1] ?? '';
  $('rule-problem-caret').textContent = `${line}\n${' '.repeat(problem.column - 1)}^`;
  $('rule-problem-caret').hidden = false;
}

/** Checks the draft on the server (the same validation as publishing), the latest answer winning. */
async function checkDraftNow() {
  if (!rulesInForce) return;
  const seq = ++checkSeq;
  let result;
  try {
    result = await call('POST', '/rules/check', { document: draft() });
  } catch (e) {
    if (e.status !== 401) say(`Could not check the rule: ${e.message}`);
    return;
  }
  if (seq !== checkSeq) return;
  if (result.ok) return showProblem(null);
  const own = result.errors.find((p) => p.path === `rules[${ruleIndex}].when`);
  showProblem(own ?? result.errors[0]);
}

// Each keystroke asks the server (one small request on the same host); an answer to an older
// text is dropped, so the problem shown is always the current text's.
function scheduleCheck() {
  void checkDraftNow();
}

const ratio = (x) => (x === null ? '–' : `${(x * 100).toFixed(1)} %`);
const units = (x) => Number(x).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

async function backtest() {
  let r;
  try {
    r = await call('POST', '/rules/backtest', { document: draft() });
  } catch (e) {
    if (e.status !== 401) say(`Could not backtest the draft: ${e.message}`);
    return;
  }
  $('bt-current').textContent = `In force (${r.current.version})`;
  $('bt-draft').textContent = `Draft (${r.draft.version})`;
  const id = rulesInForce.document.rules[ruleIndex]?.id;
  const rows = [
    ['Flagged', (s) => s.flagged.hits.toLocaleString('en-US')],
    ['Fraud flagged', (s) => s.flagged.frauds.toLocaleString('en-US')],
    ['Precision', (s) => ratio(s.flagged.precision)],
    ['Recall', (s) => ratio(s.flagged.recall)],
    ['Money caught', (s) => units(s.flagged.money_caught)],
    ['Money flagged', (s) => units(s.flagged.money_flagged)],
    [`Hits of ${id}`, (s) => (s.rules[id]?.hits ?? 0).toLocaleString('en-US')],
    [`Precision of ${id}`, (s) => ratio(s.rules[id]?.precision ?? null)],
  ];
  const tbody = $('backtest-table').tBodies[0];
  tbody.replaceChildren();
  for (const [name, f] of rows) {
    const row = tbody.insertRow();
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = name;
    row.append(th);
    cell(row, f(r.current), 'num');
    cell(row, f(r.draft), 'num');
  }
  $('backtest-table').hidden = false;
  $('backtest-summary').hidden = false;
  $('backtest-summary').textContent =
    `${r.labelled.toLocaleString('en-US')} labelled of ${r.transactions.toLocaleString('en-US')} stored transactions, ` +
    `${r.frauds.toLocaleString('en-US')} fraud (${units(r.fraud_money)}).`;
  say(`Backtest done: ${r.labelled.toLocaleString('en-US')} labelled transactions.`);
}

async function publish() {
  let r;
  try {
    r = await call('POST', '/rules/versions', { document: draft() });
  } catch (e) {
    if (e.status !== 401) say(`Could not publish: ${e.message}`);
    return;
  }
  say(`Rules ${r.version} published.`);
  await loadWorkbench();
}

async function rollBack(id, version) {
  try {
    await call('POST', `/rules/versions/${id}/activate`);
  } catch (e) {
    if (e.status !== 401) say(`Could not roll back: ${e.message}`);
    return;
  }
  say(`Rolled back to rules ${version}.`);
  await loadWorkbench();
}

async function start() {
  $('sign-in-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    $('sign-in-error').textContent = '';
    try {
      session = await call('POST', '/session', { username: $('username').value, password: $('password').value });
      $('password').value = '';
      showWorkspace();
    } catch (err) {
      $('sign-in-error').textContent = err.status === 401 ? 'Unknown user name or wrong password.' : `Sign-in failed: ${err.message}`;
    }
  });
  $('sign-out').addEventListener('click', async () => {
    try {
      await call('DELETE', '/session');
    } finally {
      showSignIn();
    }
  });
  $('filters').addEventListener('submit', (e) => {
    e.preventDefault();
    cursorStack = [];
    void loadQueue();
  });
  $('next-page').addEventListener('click', () => {
    if (nextCursor === null) return;
    cursorStack.push(nextCursor);
    void loadQueue(nextCursor);
  });
  $('first-page').addEventListener('click', () => {
    cursorStack = [];
    void loadQueue();
  });
  $('mark-fraud').addEventListener('click', () => void decide('fraud'));
  $('mark-legit').addEventListener('click', () => void decide('legit'));
  $('rule-condition').addEventListener('input', scheduleCheck);
  $('draft-version').addEventListener('input', scheduleCheck);
  $('rule-pick').addEventListener('change', () => {
    ruleIndex = Number($('rule-pick').value);
    $('rule-condition').value = rulesInForce?.document.rules[ruleIndex]?.when ?? '';
    showProblem(null);
  });
  $('assign-me').addEventListener('click', () => void assignMe());
  $('add-to-case').addEventListener('click', () => void addToCase());
  $('cases-status').addEventListener('change', () => void loadCases());
  $('assign-case-me').addEventListener('click', () => void assignCaseMe());
  $('set-case-status').addEventListener('click', () => void setCaseStatus());
  $('add-case-note').addEventListener('click', () => void addCaseNote());
  $('backtest').addEventListener('click', () => void backtest());
  $('publish').addEventListener('click', () => void publish());
  try {
    session = await call('GET', '/session');
    showWorkspace();
  } catch {
    showSignIn();
  }
}

document.addEventListener('DOMContentLoaded', () => void start());
