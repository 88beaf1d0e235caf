// DOM building for the dashboard. Every value goes in as text (textContent): repository names,
// subjects and reasons come from users and upstreams and must never become markup.

/** An element with attributes (strings) and children (nodes or text). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === undefined || child === null) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

const badge = (text, kind = text) => el('span', { class: `badge ${cssToken(kind)}` }, text);

/** A state word as a class name: only letters and dashes survive. */
function cssToken(text) {
  return String(text).toLowerCase().replace(/[^a-z-]/g, '');
}

function rows(tbody, items, emptyText, columns) {
  tbody.replaceChildren(...(items.length > 0 ? items : [el('tr', {}, el('td', { colspan: columns, class: 'muted' }, emptyText))]));
}

/** Backends: their own status (credentials, circuit) joined with the readiness probe (up or down). */
export function renderBackends(tbody, statuses, readiness) {
  const probes = new Map((readiness?.backends ?? []).map((b) => [b.name, b]));
  const items = statuses.map((backend) => {
    const probe = probes.get(backend.name);
    const health = probe ? probe.state : 'unknown';
    const credentials = backend.credentials?.state ?? 'none';
    const detail = [probe?.error, backend.credentials?.lastError, backend.error].filter(Boolean).join(' · ');
    const validUntil = backend.credentials?.validUntil ? `valid until ${new Date(backend.credentials.validUntil).toLocaleString()}` : undefined;
    return el('tr', { 'data-backend': backend.name },
      el('td', {}, el('strong', {}, backend.name)),
      el('td', {}, backend.type ?? ''),
      el('td', { class: 'health' }, badge(health)),
      el('td', { class: 'credentials', title: validUntil }, badge(credentials)),
      el('td', {}, backend.circuit ? badge(backend.circuit.state) : el('span', { class: 'muted' }, '—')),
      el('td', { class: 'muted' }, detail || (validUntil ?? '')));
  });
  rows(tbody, items, 'No backends configured.', 6);
}

const MiB = 1024 * 1024;
const size = (bytes) => (bytes >= MiB ? `${(bytes / MiB).toFixed(1)} MiB` : `${Math.round(bytes / 1024)} KiB`);

/** How far a job got, 0–1: by bytes when the copy knows them, by blobs otherwise. */
export function jobFraction(job) {
  if (job.state === 'completed') return 1;
  const p = job.progress;
  if (!p || typeof p !== 'object') return 0;
  if (p.bytesTotal > 0) return Math.min(1, p.bytesDone / p.bytesTotal);
  if (p.blobsTotal > 0) return Math.min(1, p.blobsDone / p.blobsTotal);
  return 0;
}

function progressText(job) {
  const p = job.progress;
  if (!p || typeof p !== 'object' || !(p.blobsTotal > 0)) return job.failedReason ?? '';
  return `${p.blobsDone}/${p.blobsTotal} blobs · ${size(p.bytesDone)} of ${size(p.bytesTotal)}`;
}

export function renderJobs(tbody, jobs) {
  const items = jobs.map((job) => {
    const fraction = jobFraction(job);
    const copy = `${job.source.backend}/${job.source.repository} → ${job.destination.backend}/${job.destination.repository}${job.tag ? `:${job.tag}` : ''}`;
    return el('tr', { 'data-job': job.id },
      el('td', {}, job.id),
      el('td', {}, job.rule),
      el('td', {}, copy),
      el('td', {}, badge(job.state)),
      el('td', {},
        el('progress', { max: '1', value: fraction.toFixed(4), 'aria-label': `job ${job.id} progress` }),
        el('span', { class: 'progress-text' }, job.state === 'failed' ? (job.failedReason ?? 'failed') : progressText(job))));
  });
  rows(tbody, items, 'No replication jobs yet.', 5);
}

export function renderDenials(tbody, denials) {
  const items = denials.map((d) => el('tr', { 'data-event': d.event },
    el('td', { title: d.time }, new Date(d.time).toLocaleTimeString()),
    el('td', {}, d.subject, d.sourceAddress ? el('span', { class: 'progress-text' }, d.sourceAddress) : undefined),
    el('td', {}, d.action ?? d.event),
    el('td', {}, d.repository ? `${d.repository}${d.reference ? `:${d.reference}` : ''}` : '—'),
    el('td', { class: 'reason' }, d.reason ?? 'denied', d.rule || d.policy ? el('span', { class: 'progress-text' }, d.policy ? `policy ${d.policy}` : `rule ${d.rule}`) : undefined)));
  rows(tbody, items, 'No denials since this gateway started.', 5);
}
