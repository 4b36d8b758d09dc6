// Label codes, the same rules as qr_labels/codes.py (spec: qr_labels/CODE_FORMAT.md).
// Pure functions so a typed or scanned code is checked on the phone without the network.

export const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const KIND_PREFIX = Object.freeze({ room: 'R', asset: 'A' });
export const BODY_LENGTH = 5;
export const CODE_LENGTH = 1 + BODY_LENGTH + 1;

const PREFIX_KIND = Object.freeze(
  Object.fromEntries(Object.entries(KIND_PREFIX).map(([kind, prefix]) => [prefix, kind])),
);
// Letters people confuse with digits when copying a code by hand (Crockford's decoding rules).
const CONFUSABLES = Object.freeze({ O: '0', I: '1', L: '1' });

// Multiply by x in GF(32) = GF(2)[x] / (x^5 + x^2 + 1).
function timesTwo(value) {
  const shifted = value << 1;
  return shifted & 0b100000 ? shifted ^ 0b100101 : shifted;
}

// Damm interim over the quasigroup x∘y = 2x + y: totally anti-symmetric, so every single
// substitution and adjacent transposition changes the result.
function damm(symbols) {
  let interim = 0;
  for (const ch of symbols) interim = timesTwo(interim) ^ ALPHABET.indexOf(ch);
  return interim;
}

/** The character that brings the Damm interim of `symbols` + it to zero. */
export function checkChar(symbols) {
  return ALPHABET[timesTwo(damm(symbols))];
}

/** Upper-case, drop separators and map O/I/L to 0/1, as typed codes arrive. */
export function normaliseCode(text) {
  return text
    .trim()
    .toUpperCase()
    .replace(/[\s\-_]/g, '')
    .replace(/[OIL]/g, (ch) => CONFUSABLES[ch]);
}

/**
 * Validate a typed code.
 * Returns { ok: true, code, kind, serial } or { ok: false, error } where error is one of
 * 'empty', 'length', 'character', 'kind', 'check'.
 */
export function parseCode(text) {
  const code = normaliseCode(text);
  if (!code) return { ok: false, error: 'empty' };
  if (code.length !== CODE_LENGTH) return { ok: false, error: 'length' };
  if ([...code].some((ch) => !ALPHABET.includes(ch))) return { ok: false, error: 'character' };
  const kind = PREFIX_KIND[code[0]];
  if (!kind) return { ok: false, error: 'kind' };
  if (damm(code) !== 0) return { ok: false, error: 'check' };
  let serial = 0;
  for (const ch of code.slice(1, -1)) serial = serial * ALPHABET.length + ALPHABET.indexOf(ch);
  return { ok: true, code, kind, serial };
}

/** The code of the `serial`-th label of `kind` within a site. */
export function makeCode(kind, serial) {
  let body = '';
  for (let rest = serial, i = 0; i < BODY_LENGTH; i += 1) {
    body = ALPHABET[rest % ALPHABET.length] + body;
    rest = Math.floor(rest / ALPHABET.length);
  }
  const symbols = KIND_PREFIX[kind] + body;
  return symbols + checkChar(symbols);
}

/** What the QR code holds: a URL a phone's camera app opens at the item. */
export function payloadUrl(baseUrl, code) {
  return `${baseUrl.replace(/\/+$/, '')}/q/${code}`;
}

/** Accept either a scanned payload URL or a bare code. */
export function codeFromScan(text) {
  const marker = text.lastIndexOf('/q/');
  if (marker < 0) return parseCode(text);
  return parseCode(text.slice(marker + 3).split(/[?#/]/, 1)[0]);
}
