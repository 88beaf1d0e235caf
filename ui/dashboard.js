// The dashboard: signs in when the gateway has auth, then polls the admin API. Jobs every second
// while one waits or runs, everything else every few seconds.
import { getJson, signedIn, signIn, signOut, Unauthorized } from './api.js';
import { TrafficCharts } from './charts.js';
import { renderBackends, renderDenials, renderJobs } from './view.js';

const SLOW_MS = 5000;
const FAST_MS = 1000;
const JOBS_SHOWN = 20;

const $ = (selector) => document.querySelector(selector);
let charts;
let timers = [];
/** Bumped by every stop: a tick of an earlier session (still awaiting its answer) does not reschedule. */
let session = 0;

function setStatus(text, isError = false) {
  $('#status').textContent = text;
  $('#status').classList.toggle('error', isError);
}

function showLogin(message) {
  stop();
  $('#dashboard').hidden = true;
  $('#logout').hidden = true;
  $('#login').hidden = false;
  $('#login-error').textContent = message ?? '';
  setStatus('');
  $('#login input[name=username]').focus();
}

function stop() {
  session++;
  for (const timer of timers) clearTimeout(timer);
  timers = [];
}

/** Runs `task` now and again after the delay it returns; a 401 anywhere brings the form back. */
function loop(task) {
  const mine = session;
  const tick = async () => {
    if (mine !== session) return;
    let delay = SLOW_MS;
    try {
      delay = await task();
      setStatus(`Updated ${new Date().toLocaleTimeString()}`);
    } catch (err) {
      if (mine !== session) return;
      if (err instanceof Unauthorized) return showLogin(err.message);
      setStatus(err.message, true);
    }
    if (mine === session) timers.push(setTimeout(tick, delay));
  };
  return tick();
}

async function refreshBackends() {
  const [status, readiness] = await Promise.all([getJson('/admin/v1/backends'), getJson('/readyz', { allowStatus: [503] })]);
  renderBackends($('#backends tbody'), status.backends, readiness);
  return SLOW_MS;
}

async function refreshTraffic() {
  const history = await getJson('/admin/v1/stats/history');
  charts.update(history.samples);
  return SLOW_MS;
}

async function refreshJobs() {
  const { jobs } = await getJson(`/admin/v1/replication/jobs?limit=${JOBS_SHOWN}`);
  renderJobs($('#jobs tbody'), jobs);
  return jobs.some((job) => ['active', 'waiting', 'delayed', 'waiting-children', 'prioritized'].includes(job.state)) ? FAST_MS : SLOW_MS;
}

function showNoReplication() {
  const note = $('#jobs .note');
  note.hidden = false;
  note.textContent = 'Replication does not run on this gateway (no rules, or no Redis).';
  $('#jobs table').hidden = true;
}

async function refreshDenials() {
  const { denials } = await getJson('/admin/v1/access/denials?limit=25');
  renderDenials($('#denials tbody'), denials);
  return SLOW_MS;
}

async function start() {
  stop();
  const settings = await getJson('/ui/settings.json');
  // Without a token on a gateway with auth, ask first: the admin API would only say 401.
  if (settings.auth && !signedIn()) return showLogin();
  try {
    // One call first: without a (valid) token on a gateway with auth, this is the 401.
    await getJson('/admin/v1/backends');
  } catch (err) {
    if (err instanceof Unauthorized) return showLogin(err.message);
    setStatus(err.message, true);
  }
  $('#login').hidden = true;
  $('#dashboard').hidden = false;
  $('#logout').hidden = !signedIn();
  charts ??= new TrafficCharts($('#requests-chart'), $('#hit-ratio-chart'));
  charts.resize();
  if (!settings.replication) showNoReplication();
  await Promise.all([loop(refreshBackends), loop(refreshTraffic), ...(settings.replication ? [loop(refreshJobs)] : []), loop(refreshDenials)]);
}

$('#login').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  const username = form.elements.username.value;
  const password = form.elements.password;
  try {
    await signIn(username, password.value);
    password.value = '';
    await start();
  } catch (err) {
    password.value = '';
    $('#login-error').textContent = err.message;
  }
});

$('#logout').addEventListener('click', () => {
  signOut();
  showLogin('Signed out.');
});

window.addEventListener('resize', () => charts?.resize());

start();
