// Sign in, tabs and polling. Each tab's module loads and renders its own data.
import { api, forgetToken, report, setToken, token, whenRefused } from './api.js';
import { loadConnectors, initConnectors } from './connectors.js';
import { initDead, loadDead, loadDeadConnectors } from './dead.js';
import { $, view } from './dom.js';
import { initEvents, loadEvents, refreshEvents } from './events.js';
import { initTools, loadConfig } from './tools.js';

let timers = [];
const stopTimers = () => {
  for (const timer of timers) clearInterval(timer);
  timers = [];
};
const every = (ms, run) => {
  timers.push(
    setInterval(() => {
      if (!document.hidden) run();
    }, ms),
  );
};

export function show(tab) {
  view.tab = tab;
  stopTimers();
  $('summary').textContent = '';
  for (const button of document.querySelectorAll('#tabs button'))
    button.classList.toggle('active', button.getAttribute('data-tab') === tab);
  for (const section of document.querySelectorAll('.view')) section.hidden = section.id !== `view-${tab}`;
  if (tab === 'events') {
    loadEvents(true);
    every(3000, refreshEvents);
  }
  if (tab === 'dead') {
    loadDeadConnectors().then(loadDead);
    every(5000, loadDead);
  }
  if (tab === 'connectors') {
    loadConnectors(false);
    every(5000, () => loadConnectors(false));
  }
  if (tab === 'config') loadConfig();
}

function signOut(message) {
  forgetToken();
  stopTimers();
  $('tabs').hidden = true;
  $('logout').hidden = true;
  $('summary').textContent = '';
  for (const section of document.querySelectorAll('.view')) section.hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message || '';
  $('token').focus();
}

function signIn() {
  $('login').hidden = true;
  $('tabs').hidden = false;
  $('logout').hidden = false;
  show(view.tab);
}

whenRefused(signOut);
$('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const value = $('token').value.trim();
  if (!value) return;
  setToken(value);
  $('token').value = '';
  api('GET', '/connectors?health=0').then(() => {
    $('login-error').textContent = '';
    signIn();
  }, report);
});
$('logout').addEventListener('click', () => signOut(''));
$('tabs').addEventListener('click', (event) => {
  const tab = event.target.getAttribute?.('data-tab');
  if (tab) show(tab);
});

initEvents();
initDead(show);
initConnectors();
initTools();
if (token()) signIn();
else signOut('');
