/**
 * The dashboard's one page: no framework, no build step, no CDN. It listens to `/events` (a snapshot a second)
 * and draws, per node, a small uPlot chart of load and calls/s over the last two minutes; the ring as bars of
 * each node's share; the top functions; the actor types with their active counts; and, for the actor typed into
 * the search box, its state machine's current state and context, following `/actor` live.
 *
 * Elements carry `data-*` attributes (node rows, the actor view) so the browser test can find them.
 */
export const DASHBOARD_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Lucent dashboard</title>
<link rel="stylesheet" href="/uplot.css">
<style>
  body { font: 14px system-ui, sans-serif; margin: 1.5rem; color: #1d2433; background: #f7f8fa; }
  h1 { font-size: 1.3rem; margin: 0 0 1rem; } h2 { font-size: 1rem; margin: 1.5rem 0 .5rem; }
  table { border-collapse: collapse; background: #fff; } td, th { padding: .3rem .7rem; border-bottom: 1px solid #e3e6ec; text-align: left; }
  .bar { height: .8rem; background: #4f7cff; display: inline-block; vertical-align: middle; }
  .bad { color: #c0392b; font-weight: 600; } .muted { color: #7a8294; }
  #actor-view pre { background: #fff; padding: .7rem; border: 1px solid #e3e6ec; max-width: 60rem; overflow: auto; }
  .grid { display: flex; gap: 2rem; flex-wrap: wrap; }
</style>
</head>
<body>
<h1>Lucent <span id="cluster" class="muted"></span> <span id="updated" class="muted"></span></h1>
<h2>Nodes</h2>
<table><thead><tr><th>node</th><th>tags</th><th>ready</th><th>health</th><th>load</th><th>calls/s</th><th>errors</th><th>actors</th><th>load · calls/s (2 min)</th></tr></thead>
<tbody id="nodes"></tbody></table>
<div class="grid">
  <div><h2>Ring</h2><table><tbody id="ring"></tbody></table></div>
  <div><h2>Top functions</h2><table><thead><tr><th>function</th><th>calls</th><th>errors</th></tr></thead><tbody id="functions"></tbody></table></div>
  <div><h2>Actor types</h2><table><thead><tr><th>type</th><th>active</th></tr></thead><tbody id="actor-types"></tbody></table></div>
</div>
<h2>Actor</h2>
<form id="actor-search"><input id="actor-type" placeholder="type" size="12"> <input id="actor-id" placeholder="id" size="16"> <button type="submit">open</button></form>
<div id="actor-view"></div>
<script src="/uplot.js"></script>
<script>
'use strict';
const HISTORY = 120;
const charts = new Map(); // node id -> { plot, xs, load, calls, row }
const $ = (id) => document.getElementById(id);
const pct = (f) => (Math.round(f * 1000) / 10) + ' %';
function cell(row, text, cls) { const td = row.insertCell(); td.textContent = text; if (cls) td.className = cls; return td; }

function nodeChart(id) {
  let entry = charts.get(id);
  if (entry) return entry;
  const row = document.createElement('tr');
  row.dataset.node = id;
  const holder = document.createElement('td');
  entry = { xs: [], load: [], calls: [], row, holder, plot: null };
  entry.plot = new uPlot({ width: 260, height: 60, legend: { show: false }, cursor: { show: false },
    axes: [{ show: false }, { show: false }], scales: { x: { time: true } },
    series: [{}, { stroke: '#4f7cff', scale: 'load' }, { stroke: '#27ae60', scale: 'calls' }] },
    [[], [], []], holder);
  charts.set(id, entry);
  return entry;
}

function renderNodes(snapshot) {
  const body = $('nodes');
  const live = new Set(snapshot.nodes.map((n) => n.id));
  for (const [id, entry] of charts) if (!live.has(id)) { entry.plot.destroy(); entry.row.remove(); charts.delete(id); }
  for (const node of snapshot.nodes) {
    const entry = nodeChart(node.id);
    const row = entry.row;
    while (row.cells.length) row.deleteCell(0);
    cell(row, node.id); cell(row, node.tags.join(',') || '-');
    cell(row, node.error ? '?' : node.ready ? 'yes' : 'no', node.ready ? '' : 'bad');
    cell(row, node.error ? 'no answer' : node.healthy ? 'ok' : 'unhealthy', node.healthy ? '' : 'bad');
    cell(row, pct(node.load)); cell(row, node.callsPerSecond.toFixed(1)).dataset.field = 'calls'; cell(row, pct(node.errorRate));
    cell(row, String(node.activeActors)).dataset.field = 'actors';
    row.appendChild(entry.holder);
    entry.xs.push(snapshot.at / 1000); entry.load.push(node.load); entry.calls.push(node.callsPerSecond);
    if (entry.xs.length > HISTORY) { entry.xs.shift(); entry.load.shift(); entry.calls.shift(); }
    entry.plot.setData([entry.xs, entry.load, entry.calls]);
    body.appendChild(row);
  }
}

function renderTables(snapshot) {
  const ring = $('ring'); ring.replaceChildren();
  for (const node of snapshot.nodes) {
    const row = ring.insertRow(); row.dataset.ringNode = node.id;
    cell(row, node.id);
    const bar = document.createElement('span'); bar.className = 'bar'; bar.style.width = Math.round(node.ringShare * 200) + 'px';
    row.insertCell().appendChild(bar); cell(row, pct(node.ringShare));
  }
  const fns = $('functions'); fns.replaceChildren();
  for (const fn of snapshot.functions) { const row = fns.insertRow(); cell(row, fn.name); cell(row, String(fn.calls)); cell(row, String(fn.errors), fn.errors ? 'bad' : ''); }
  if (!snapshot.functions.length) cell(fns.insertRow(), 'no calls yet', 'muted');
  const types = $('actor-types'); types.replaceChildren();
  for (const t of snapshot.actorTypes) { const row = types.insertRow(); row.dataset.actorType = t.type; cell(row, t.type); cell(row, String(t.count)); }
}

const events = new EventSource('/events');
events.onmessage = (message) => {
  const snapshot = JSON.parse(message.data);
  $('cluster').textContent = 'cluster ' + snapshot.cluster + ' · ' + snapshot.nodes.length + ' nodes';
  $('updated').textContent = '· ' + new Date(snapshot.at).toLocaleTimeString();
  renderNodes(snapshot); renderTables(snapshot);
};

let actorStream = null;
$('actor-search').onsubmit = (event) => {
  event.preventDefault();
  const type = $('actor-type').value.trim(), id = $('actor-id').value.trim();
  if (!type || !id) return;
  if (actorStream) actorStream.close();
  const view = $('actor-view');
  view.textContent = 'loading ' + type + '/' + id + '…';
  actorStream = new EventSource('/actor?type=' + encodeURIComponent(type) + '&id=' + encodeURIComponent(id));
  actorStream.onmessage = (message) => {
    const actor = JSON.parse(message.data);
    view.replaceChildren();
    view.dataset.actor = actor.key;
    const head = document.createElement('p');
    if (actor.error) { head.textContent = actor.key + ': ' + actor.error; head.className = 'bad'; view.appendChild(head); return; }
    const active = actor.active;
    head.textContent = actor.key + ' on ' + actor.node + ' · ' + (active ? active.status : 'passive') +
      (actor.stored ? ' · stored revision ' + actor.stored.revision : '');
    view.appendChild(head);
    const state = document.createElement('p');
    state.dataset.field = 'state';
    const value = active ? active.state : actor.stored && actor.stored.snapshot && actor.stored.snapshot.value;
    state.textContent = 'state: ' + JSON.stringify(value);
    view.appendChild(state);
    const context = document.createElement('pre');
    context.dataset.field = 'context';
    context.textContent = JSON.stringify(active ? active.context : actor.stored && actor.stored.snapshot && actor.stored.snapshot.context, null, 2);
    view.appendChild(context);
  };
};
</script>
</body>
</html>
`;
