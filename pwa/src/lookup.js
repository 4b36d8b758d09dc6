// What a label code points at: from the reference cache first (offline), the server otherwise.
import { api, ApiError, NetworkError } from './api.js';
import * as ref from './refcache.js';

/**
 * → {status: 'room'|'asset', id, entry?} | {status: 'replaced', replacedBy?} | {status: 'unknown'}
 *   | {status: 'not_cached'} (offline and the phone has no labels yet).
 */
export async function resolveCode(code) {
  const hit = fromEntries(await ref.byCode(code));
  if (hit) return hit;
  try {
    return fromServer(await api.resolveLabel(code));
  } catch (exc) {
    if (exc instanceof ApiError && (exc.status === 410 || exc.code === 'label_replaced')) {
      return { status: 'replaced', replacedBy: exc.details?.replaced_by || null };
    }
    if (exc instanceof ApiError && (exc.status === 404 || exc.status === 422)) return { status: 'unknown' };
    if (exc instanceof NetworkError || exc instanceof ApiError) {
      // Offline: the cache is complete as of the last pull, so a code missing from it is unknown,
      // unless this phone never pulled any label.
      return (await ref.count('label')) > 0 ? { status: 'unknown' } : { status: 'not_cached' };
    }
    throw exc;
  }
}

function targetOf(data) {
  if (!data) return null;
  if (data.room_id) return { status: 'room', id: String(data.room_id) };
  if (data.asset_id) return { status: 'asset', id: String(data.asset_id) };
  const type = data.target_type || data.kind || data.type;
  const id = data.target_id ?? data.object_id ?? data.id;
  if ((type === 'room' || type === 'asset') && id !== undefined && id !== null) return { status: type, id: String(id) };
  return null;
}

function isReplaced(data) {
  return data?.status === 'replaced' || Boolean(data?.replaced_by) || Boolean(data?.replaced_at);
}

function fromEntries(entries) {
  const label = entries.find((e) => e.type === 'label');
  if (label) {
    if (isReplaced(label.data)) return { status: 'replaced', replacedBy: label.data.replaced_by || null };
    return targetOf(label.data);
  }
  const direct = entries.find((e) => e.type === 'room' || e.type === 'asset');
  return direct ? { status: direct.type, id: direct.id } : null;
}

function fromServer(body) {
  if (!body) return { status: 'unknown' };
  if (isReplaced(body)) return { status: 'replaced', replacedBy: body.replaced_by || null };
  if (body.status === 'unknown') return { status: 'unknown' };
  const nested = body.room ? { room_id: body.room.id } : body.asset ? { asset_id: body.asset.id } : body;
  return targetOf(nested) || { status: 'unknown' };
}
