"""JSON as the server reads and stores it.

Python's json module reads more than JSON can carry: NaN and Infinity, floats beyond ±1.8e308 (as
infinity), and it raises on integers of more than 4,300 digits. A PostgreSQL json column refuses the
first three, and the last stopped the whole request. Here each such number is read as a `BadNumber`,
which no schema field takes as a number: a typed field answers its usual error, the push engine
rejects the one record that holds it, and where it is stored or echoed it is written as the text sent.

Writing uses orjson, a tenth of the json module's time on the small nested objects a push is made
of (a checklist's answers); the json module remains for what orjson does not write (integers beyond
64 bits, unpaired surrogates, keys that are not strings).
"""
from __future__ import annotations

import json
import math
from typing import Any

import orjson

# orjson reads an integer beyond 64 bits as a float, where the json module keeps it exact: a text with a
# run of 19 digits anywhere (in a string too, rarely) is left to the json module. Translating every
# digit to "0" and searching for the run costs a fifth of orjson's reading; a regular expression cost more.
_LONG_DIGITS = b"0" * 19
_DIGITS_AS_ZEROS = bytes(ord("0") if b in range(ord("0"), ord("9") + 1) else ord(" ") for b in range(256))


class BadNumber:
    """A number as sent that no float or int here holds (up to its first 64 characters)."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text[:64]

    def __repr__(self) -> str:
        return f"BadNumber({self.text!r})"

    def __str__(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BadNumber) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


def _float(text: str) -> float | BadNumber:
    value = float(text)
    return value if math.isfinite(value) else BadNumber(text)


def _int(text: str) -> int | BadNumber:
    try:
        return int(text)
    except ValueError:  # beyond sys.get_int_max_str_digits()
        return BadNumber(text)


def loads(text: str | bytes) -> Any:
    """Read a JSON text; raises json.JSONDecodeError when it is not JSON, or nests deeper than the
    reader can follow (about 1,000 levels; no record of ours needs ten). orjson reads it when it can
    read it as the json module does, in under half the time; the json module reads the rest."""
    raw = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    if _LONG_DIGITS not in raw.translate(_DIGITS_AS_ZEROS):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass  # NaN, Infinity, 1e400, an unpaired surrogate, deep nesting, or not JSON at all
    try:
        # As text: from bytes the json module would also take a BOM, or UTF-16.
        return _read(text.decode() if isinstance(text, bytes) else text)
    except RecursionError as exc:
        raise json.JSONDecodeError("arrays or objects nested too deeply", str(text)[:100], 0) from exc


def _read(text: str | bytes) -> Any:
    try:
        return json.loads(text, parse_float=_float, parse_constant=BadNumber)
    except json.JSONDecodeError:
        raise
    except ValueError:  # an integer too long to read: only then is every integer read through _int
        return json.loads(text, parse_float=_float, parse_constant=BadNumber, parse_int=_int)


def spelled(value: Any) -> str:
    """`default` for the encoders: a BadNumber is written as the text it was sent as."""
    if isinstance(value, BadNumber):
        return value.text
    raise TypeError(f"{type(value).__name__} is not JSON")


def stored(value: Any) -> str:
    """JSON text for a json column (the engines' json_serializer): always valid JSON, which PostgreSQL
    checks. Text that is not Unicode is written as \\u escapes, as a json column can hold it."""
    try:
        return orjson.dumps(value, default=spelled).decode()
    except TypeError:  # beyond orjson: integers beyond 64 bits, unpaired surrogates, non-string keys
        return json.dumps(value, default=spelled, allow_nan=False)
