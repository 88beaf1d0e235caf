// The admin API, as the signed-in operator. The token lives in sessionStorage (this tab only);
// the password is sent once, to /token, and kept nowhere.
const TOKEN_KEY = 'gantry.dashboard.token';

export class Unauthorized extends Error {}

/** Exchanges credentials for a Gantry token (GET /token with Basic, no scope: the admin guard takes it). */
export async function signIn(username, password) {
  // credentials: 'omit' keeps the browser's own Basic prompt out of it.
  const res = await fetch('/token', { headers: { authorization: `Basic ${base64(`${username}:${password}`)}` }, credentials: 'omit', cache: 'no-store' });
  if (res.status === 401) throw new Unauthorized('Wrong username or password.');
  if (res.status === 429) throw new Error('Too many attempts: wait a moment.');
  if (!res.ok) throw new Error(`Sign-in failed (HTTP ${res.status}).`);
  const body = await res.json();
  sessionStorage.setItem(TOKEN_KEY, body.token);
}

/** Whether a token is held: without auth on the gateway, there is none and nothing to sign out of. */
export function signedIn() {
  return sessionStorage.getItem(TOKEN_KEY) !== null;
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** GET a JSON document; a 401 drops the token (expired or revoked) and says so. */
export async function getJson(path, { allowStatus = [] } = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const res = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {}, credentials: 'omit', cache: 'no-store' });
  if (res.status === 401) {
    signOut();
    throw new Unauthorized('Sign in to see the dashboard.');
  }
  if (!res.ok && !allowStatus.includes(res.status)) throw new Error(`${path}: ${await errorMessage(res)}`);
  return res.json();
}

async function errorMessage(res) {
  try {
    const body = await res.json();
    return body.errors?.[0]?.message ?? `HTTP ${res.status}`;
  } catch {
    return `HTTP ${res.status}`;
  }
}

function base64(text) {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
