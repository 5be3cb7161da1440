// The Route tester and Config tabs.
import { api, report } from './api.js';
import { $, badge, clear, el, pretty, toast } from './dom.js';

function showResult(result) {
  const out = clear($('t-result'));
  for (const e of result.events) {
    const routes = e.matchedRoutes.length
      ? e.matchedRoutes.map((r) => badge(r, 'ok'))
      : [el('span', { className: 'muted', text: 'none' })];
    const box = el('div', { className: 'result-event' }, [
      el('div', { className: 'delivery-head' }, [
        el('strong', { text: e.event.event }),
        el('span', { className: 'muted', text: e.event.id }),
      ]),
      el('p', null, ['Matching routes: ', ...routes]),
    ]);
    for (const d of e.deliveries) {
      box.appendChild(
        el('div', { className: 'delivery' }, [
          el('div', { className: 'delivery-head' }, [
            el('strong', { text: d.connector }),
            el('span', { className: 'muted', text: `${d.type} · route ${d.route}` }),
          ]),
          d.error
            ? el('div', { className: 'attempt-error', text: d.error })
            : el('pre', { className: 'code', text: pretty(d.wouldSend) }),
        ]),
      );
    }
    out.appendChild(box);
  }
}

function showError(error) {
  if (error.message === 'unauthorized') return;
  const out = $('t-result');
  out.appendChild(el('p', { className: 'error', text: error.message }));
  const issues = error.details?.issues;
  if (issues)
    out.appendChild(
      el(
        'ul',
        null,
        issues.map((i) => el('li', { text: `${i.path || '(root)'}: ${i.message}` })),
      ),
    );
}

export function loadConfig() {
  return api('GET', '/config').then((result) => {
    $('cfg-file').textContent = result.file;
    $('cfg-text').textContent = pretty(result.config);
  }, report);
}

export function initTools() {
  $('t-run').addEventListener('click', () => {
    const out = clear($('t-result'));
    let payload;
    try {
      payload = JSON.parse($('t-payload').value);
    } catch (error) {
      out.appendChild(el('p', { className: 'error', text: `Not valid JSON: ${error.message}` }));
      return;
    }
    api('POST', '/route-test', payload).then(showResult, showError);
  });
  $('cfg-reload').addEventListener('click', () => {
    api('POST', '/config/reload').then((result) => {
      toast(`Config reloaded: ${result.connectors.length} connectors, ${result.routes.length} routes.`);
      loadConfig();
    }, report);
  });
}
