"""Label codes: Crockford base32 with a Damm check character over GF(32).

The format is specified in CODE_FORMAT.md; pwa/src/labelcode.js implements the same rules and both are
tested against code_vectors.json.
"""

import re
from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
VALUES = {ch: i for i, ch in enumerate(ALPHABET)}
# Letters people confuse with digits when copying a code by hand (Crockford's decoding rules).
CONFUSABLES = str.maketrans({"O": "0", "I": "1", "L": "1"})
SEPARATORS = re.compile(r"[\s\-_]")

KIND_PREFIX = {"room": "R", "asset": "A"}
PREFIX_KIND = {prefix: kind for kind, prefix in KIND_PREFIX.items()}

BODY_LENGTH = 5
CODE_LENGTH = 1 + BODY_LENGTH + 1
MAX_SERIAL = len(ALPHABET) ** BODY_LENGTH - 1


class CodeError(ValueError):
    """A text that is not a valid label code; `reason` is one of the codes in CODE_FORMAT.md."""

    def __init__(self, reason: str, text: str):
        super().__init__(f"{reason}: {text!r}")
        self.reason = reason
        self.text = text


@dataclass(frozen=True)
class ParsedCode:
    code: str
    kind: str
    serial: int


def _times_two(value: int) -> int:
    """Multiply by x in GF(32) = GF(2)[x] / (x^5 + x^2 + 1)."""
    value <<= 1
    return value ^ 0b100101 if value & 0b100000 else value


def _damm(symbols: str) -> int:
    # interim := 2*interim + symbol is the quasigroup x∘y = 2x + y, which is totally anti-symmetric
    # because 2 + 1 != 0 in GF(32): every single substitution and adjacent transposition changes it.
    interim = 0
    for ch in symbols:
        interim = _times_two(interim) ^ VALUES[ch]
    return interim


def check_char(symbols: str) -> str:
    """The character that brings the Damm interim of `symbols` + it to zero."""
    return ALPHABET[_times_two(_damm(symbols))]


def make_code(kind: str, serial: int) -> str:
    """The code of the `serial`-th label of `kind` ("room" or "asset") within a site."""
    if not 0 <= serial <= MAX_SERIAL:
        raise ValueError(f"serial out of range 0..{MAX_SERIAL}: {serial}")
    body = ""
    for _ in range(BODY_LENGTH):
        serial, digit = divmod(serial, len(ALPHABET))
        body = ALPHABET[digit] + body
    symbols = KIND_PREFIX[kind] + body
    return symbols + check_char(symbols)


def normalise(text: str) -> str:
    """Upper-case, drop separators and map O/I/L to 0/1, as typed codes arrive."""
    return SEPARATORS.sub("", text.upper()).translate(CONFUSABLES)


def parse_code(text: str) -> ParsedCode:
    """Validate a typed or scanned code; raise CodeError saying what is wrong."""
    code = normalise(text)
    if not code:
        raise CodeError("empty", text)
    if len(code) != CODE_LENGTH:
        raise CodeError("length", text)
    if any(ch not in VALUES for ch in code):
        raise CodeError("character", text)
    if code[0] not in PREFIX_KIND:
        raise CodeError("kind", text)
    if _damm(code) != 0:
        raise CodeError("check", text)
    serial = 0
    for ch in code[1:-1]:
        serial = serial * len(ALPHABET) + VALUES[ch]
    return ParsedCode(code=code, kind=PREFIX_KIND[code[0]], serial=serial)


def payload_url(base_url: str, code: str) -> str:
    """What the QR code holds: a URL a phone's camera app opens at the item."""
    return f"{base_url.rstrip('/')}/q/{code}"


def code_from_scan(text: str) -> ParsedCode:
    """Accept either a scanned payload URL or a bare code."""
    _, marker, tail = text.rpartition("/q/")
    if not marker:
        return parse_code(text)
    return parse_code(re.split(r"[?#/]", tail, maxsplit=1)[0])
