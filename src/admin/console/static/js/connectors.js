// The Connectors tab: state, health, the hour's success rate and latency, queue; pause, resume, test.
import { api, report } from './api.js';
import { latencyChart, successChart } from './charts.js';
import { $, badge, clear, el, summary, toast, when } from './dom.js';

function healthCell(c) {
  if (!c.health) return [el('span', { className: 'muted', text: c.running ? '' : 'not running' })];
  const basis = c.health.source === 'probe' ? 'probe' : 'from deliveries';
  return [
    badge(c.health.status),
    el('span', { className: 'muted', text: ` ${basis} · ${when(c.health.checkedAt)}` }),
    c.health.detail
      ? el('div', { className: c.health.status === 'failing' ? 'attempt-error' : 'muted', text: c.health.detail })
      : null,
  ];
}

function actions(c) {
  if (!c.running) return [];
  const toggle = el(
    'button',
    { type: 'button', className: c.paused ? 'resume' : 'pause', onclick: () => setPaused(c) },
    [c.paused ? 'Resume' : 'Pause'],
  );
  const test = el('button', { type: 'button', className: 'test', onclick: () => sendTest(c) }, ['Send test event']);
  return [toggle, ' ', test];
}

function setPaused(c) {
  api('POST', `/connectors/${encodeURIComponent(c.name)}/${c.paused ? 'resume' : 'pause'}`).then((r) => {
    toast(r.connector + (r.paused ? ' paused.' : ' resumed.'));
    loadConnectors(false);
  }, report);
}

function sendTest(c) {
  if (
    !confirm(`Send a sample message:in:new event to ${c.name} now? It really goes out (nothing is stored or retried).`)
  )
    return;
  api('POST', `/connectors/${encodeURIComponent(c.name)}/test`, {}).then((r) => {
    const text = `Test event to ${r.connector}: ${r.outcome} in ${r.durationMs} ms${r.error ? ` (${r.error})` : ''}`;
    toast(text, r.outcome !== 'delivered' && r.outcome !== 'skipped');
  }, report);
}

function row(c) {
  return el('tr', { 'data-name': c.name, 'data-state': c.state }, [
    el('td', null, [el('strong', { text: c.name }), el('div', { className: 'muted', text: c.type || '' })]),
    el('td', null, [badge(c.state, c.state.replace(' ', '-'))]),
    el('td', { className: 'wrap health' }, healthCell(c)),
    el('td', null, [successChart(c.hour)]),
    el('td', null, [latencyChart(c.hour)]),
    el('td', { text: c.pending }),
    el('td', { text: c.oldestDueAgeSeconds === null ? '' : `${Math.round(c.oldestDueAgeSeconds)} s` }),
    el('td', { text: c.dead }),
    el('td', { text: c.inFlight }),
    el('td', null, actions(c)),
  ]);
}

export function loadConnectors(refresh) {
  return api('GET', `/connectors${refresh ? '?refresh=1' : ''}`).then((result) => {
    summary('connectors', `${result.events} events stored · ${result.unrouted} unrouted`);
    const body = clear($('connectors-body'));
    for (const c of result.connectors) body.appendChild(row(c));
    if (refresh) toast('Health checked.');
  }, report);
}

export function initConnectors() {
  $('c-refresh').addEventListener('click', () => loadConnectors(true));
}
