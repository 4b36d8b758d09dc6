// fetch with the bearer token and the error envelope of the contract: {"error": {code, message, details}}.
import { getDb, STORES } from './db.js';

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

/** No answer at all (offline, server down, connection cut): nothing was decided, try again later. */
export class NetworkError extends Error {}

const listeners = new Set();
/** Called with the ApiError when the token stops working (expired, revoked): log in again. */
export function onAuthLost(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export async function getSession() {
  return (await getDb()).get(STORES.META, 'session');
}

export async function setSession(session) {
  const db = await getDb();
  if (session) await db.put(STORES.META, session, 'session');
  else await db.delete(STORES.META, 'session');
}

async function parseError(resp) {
  let body = null;
  try {
    body = await resp.json();
  } catch {
    body = null;
  }
  const err = body?.error || {};
  return new ApiError(resp.status, err.code || `http_${resp.status}`, err.message || resp.statusText, err.details);
}

/**
 * One call of the API. `body` objects are sent as JSON; Blobs as raw bytes with their type.
 * Returns the parsed JSON (or null for 204), throws ApiError or NetworkError.
 */
export async function request(method, path, { body, token, signal, raw = false } = {}) {
  const headers = {};
  const auth = token === undefined ? (await getSession())?.token : token;
  if (auth) headers.Authorization = `Bearer ${auth}`;
  let payload;
  if (body instanceof Blob) {
    payload = body;
    headers['Content-Type'] = body.type || 'application/octet-stream';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  let resp;
  try {
    resp = await fetch(path, { method, headers, body: payload, signal, cache: 'no-store', credentials: 'omit' });
  } catch (exc) {
    if (exc.name === 'AbortError') throw exc;
    throw new NetworkError(exc.message);
  }
  if (resp.status >= 500 && resp.status !== 501) {
    // A proxy's 502/503/504 or a server error: no decision on our records was made.
    const err = await parseError(resp);
    throw Object.assign(new NetworkError(err.message), { status: resp.status });
  }
  if (!resp.ok) {
    const err = await parseError(resp);
    if (resp.status === 401 && auth) for (const fn of listeners) fn(err);
    throw err;
  }
  if (raw) return resp;
  if (resp.status === 204) return null;
  return resp.json();
}

export const api = {
  login: (username, password, deviceName) => request('POST', '/api/v1/auth/login', {
    body: { username, password, device_name: deviceName }, token: null,
  }),
  logout: () => request('POST', '/api/v1/auth/logout'),
  me: () => request('GET', '/api/v1/auth/me'),
  pull: (cursor, limit = 500) => {
    const qs = new URLSearchParams({ limit: String(limit) });
    if (cursor) qs.set('cursor', cursor);
    return request('GET', `/api/v1/sync/pull?${qs}`);
  },
  push: (deviceId, batchId, records) => request('POST', '/api/v1/sync/push', {
    body: { device_id: deviceId, batch_id: batchId, records },
  }),
  putAttachment: (hash, blob) => request('PUT', `/api/v1/attachments/${hash}`, { body: blob }),
  resolveLabel: (code) => request('GET', `/api/v1/labels/resolve/${encodeURIComponent(code)}`),
};
