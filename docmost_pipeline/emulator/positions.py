"""Sidebar position keys: fractional indexing over base-62 digits, compared byte-wise like Docmost's C collation.

Docmost 0.95 orders siblings by ``position``, a key made by the ``fractional-indexing`` family of libraries (the
recordings hold jittered keys such as ``a01WH``, ``ZzVkk``). :func:`key_between` is the library's
``generateKeyBetween`` (an integer part whose first character encodes its length, then a fraction without trailing
zeros); keys it cannot parse — none in the recordings, but a client may send anything — fall back to
:func:`_lenient_between`, which still returns a key strictly between its bounds.
"""

from __future__ import annotations

DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SMALLEST_INTEGER = "A" + "0" * 26


def _midpoint(a: str, b: str | None) -> str:
    if b is not None and a >= b:
        raise ValueError(f"{a!r} >= {b!r}")
    if a.endswith("0") or (b is not None and b.endswith("0")):
        raise ValueError("trailing zero")
    if b:
        n = 0
        while (a[n] if n < len(a) else "0") == b[n]:
            n += 1
        if n > 0:
            return b[:n] + _midpoint(a[n:], b[n:])
    digit_a = DIGITS.index(a[0]) if a else 0
    digit_b = DIGITS.index(b[0]) if b is not None else len(DIGITS)
    if digit_b - digit_a > 1:
        return DIGITS[round(0.5 * (digit_a + digit_b))]
    if b is not None and len(b) > 1:
        return b[0]
    return DIGITS[digit_a] + _midpoint(a[1:], None)


def _integer_length(head: str) -> int:
    if "a" <= head <= "z":
        return ord(head) - ord("a") + 2
    if "A" <= head <= "Z":
        return ord("Z") - ord(head) + 2
    raise ValueError(f"invalid order key head {head!r}")


def _split(key: str) -> tuple[str, str]:
    if not key or any(c not in DIGITS for c in key):
        raise ValueError(f"invalid order key {key!r}")
    length = _integer_length(key[0])
    if length > len(key) or key == _SMALLEST_INTEGER or key[length:].endswith("0"):
        raise ValueError(f"invalid order key {key!r}")
    return key[:length], key[length:]


def _increment(integer: str) -> str | None:
    head, digits = integer[0], list(integer[1:])
    for i in reversed(range(len(digits))):
        d = DIGITS.index(digits[i]) + 1
        if d < len(DIGITS):
            digits[i] = DIGITS[d]
            return head + "".join(digits)
        digits[i] = "0"
    if head == "Z":
        return "a0"
    if head == "z":
        return None
    new_head = chr(ord(head) + 1)
    if new_head > "a":
        digits.append("0")
    else:
        digits.pop()
    return new_head + "".join(digits)


def _decrement(integer: str) -> str | None:
    head, digits = integer[0], list(integer[1:])
    for i in reversed(range(len(digits))):
        d = DIGITS.index(digits[i]) - 1
        if d >= 0:
            digits[i] = DIGITS[d]
            return head + "".join(digits)
        digits[i] = DIGITS[-1]
    if head == "a":
        return "Z" + DIGITS[-1]
    if head == "A":
        return None
    new_head = chr(ord(head) - 1)
    if new_head < "Z":
        digits.append(DIGITS[-1])
    else:
        digits.pop()
    return new_head + "".join(digits)


def _generate(a: str | None, b: str | None) -> str:
    if a is None and b is None:
        return "a0"
    if a is None:
        integer_b, fraction_b = _split(b)
        if integer_b == _SMALLEST_INTEGER:
            return integer_b + _midpoint("", fraction_b)
        if integer_b < b:
            return integer_b
        result = _decrement(integer_b)
        if result is None:
            raise ValueError("cannot decrement any more")
        return result
    integer_a, fraction_a = _split(a)
    if b is None:
        result = _increment(integer_a)
        return integer_a + _midpoint(fraction_a, None) if result is None else result
    integer_b, fraction_b = _split(b)
    if integer_a == integer_b:
        return integer_a + _midpoint(fraction_a, fraction_b)
    result = _increment(integer_a)
    if result is None:
        raise ValueError("cannot increment any more")
    return result if result < b else integer_a + _midpoint(fraction_a, None)


def _lenient_between(a: str | None, b: str | None) -> str:
    if a is None:
        a = ""
    for suffix in ("V", "1", "01", "001"):
        candidate = a + suffix
        if candidate > a and (b is None or candidate < b):
            return candidate
    raise ValueError(f"no position key between {a!r} and {b!r}")


def key_between(a: str | None, b: str | None) -> str:
    """A position key sorting (byte-wise) after ``a`` and before ``b`` (``None``: open end)."""
    if a is not None and b is not None and a.encode() >= b.encode():
        raise ValueError(f"position {a!r} does not sort before {b!r}")
    try:
        key = _generate(a, b)
    except ValueError:
        key = _lenient_between(a, b)
    if (a is not None and key <= a) or (b is not None and key >= b):
        key = _lenient_between(a, b)
    return key
