"""Version ordering of Linux package managers, as the package managers themselves do it.

Debian (deb-version(7), the algorithm of dpkg's verrevcmp): ``[epoch:]upstream[-revision]``;
each part is compared as alternating non-digit and digit runs, where in non-digit runs
``~`` sorts before everything (even the end), letters before other characters.
RPM (rpmvercmp in rpm's lib/rpmvercmp.c): alphanumeric segments, numbers beat letters,
``~`` sorts before the end and ``^`` after it.
"""

from __future__ import annotations

def _order(char: str) -> int:
    if char == "~":
        return -1
    if char.isdigit():
        return 0
    if char.isalpha():
        return ord(char)
    return ord(char) + 256


def _verrevcmp(a: str, b: str) -> int:
    i = j = 0
    while i < len(a) or j < len(b):
        first_diff = 0
        while (i < len(a) and not a[i].isdigit()) or (j < len(b) and not b[j].isdigit()):
            ac = _order(a[i]) if i < len(a) else 0
            bc = _order(b[j]) if j < len(b) else 0
            if ac != bc:
                return ac - bc
            i += 1
            j += 1
        while i < len(a) and a[i] == "0":
            i += 1
        while j < len(b) and b[j] == "0":
            j += 1
        while i < len(a) and a[i].isdigit() and j < len(b) and b[j].isdigit():
            if not first_diff:
                first_diff = ord(a[i]) - ord(b[j])
            i += 1
            j += 1
        if i < len(a) and a[i].isdigit():
            return 1
        if j < len(b) and b[j].isdigit():
            return -1
        if first_diff:
            return first_diff
    return 0


def _split_debian(version: str) -> tuple[int, str, str]:
    epoch, sep, rest = version.partition(":")
    if not sep:
        epoch, rest = "0", version
    upstream, sep, revision = rest.rpartition("-")
    if not sep:
        upstream, revision = rest, ""
    return (int(epoch) if epoch.isdigit() else 0), upstream, revision


def debian_compare(a: str, b: str) -> int:
    """<0, 0, >0 as ``dpkg --compare-versions a lt/eq/gt b``."""
    ea, ua, ra = _split_debian(a.strip())
    eb, ub, rb = _split_debian(b.strip())
    if ea != eb:
        return ea - eb
    return _verrevcmp(ua, ub) or _verrevcmp(ra, rb)


def _rpmvercmp(a: str, b: str) -> int:
    """A port of rpmvercmp(): segments of digits or letters; separators only separate."""
    i = j = 0
    while i < len(a) or j < len(b):
        while i < len(a) and not a[i].isalnum() and a[i] not in "~^":
            i += 1
        while j < len(b) and not b[j].isalnum() and b[j] not in "~^":
            j += 1
        ca, cb = a[i:i + 1], b[j:j + 1]
        if ca == "~" or cb == "~":  # tilde sorts before everything, even the end
            if ca != cb:
                return -1 if ca == "~" else 1
            i, j = i + 1, j + 1
            continue
        if ca == "^" or cb == "^":  # caret sorts after the end but before anything else
            if not ca:
                return -1
            if not cb:
                return 1
            if ca != cb:
                return 1 if cb == "^" else -1
            i, j = i + 1, j + 1
            continue
        if not (ca and cb):
            break
        numeric = ca.isdigit()
        test = str.isdigit if numeric else str.isalpha
        si, sj = i, j
        while i < len(a) and test(a[i]):
            i += 1
        while j < len(b) and test(b[j]):
            j += 1
        x, y = a[si:i], b[sj:j]
        if not y:  # different kinds of segment: numbers are newer
            return 1 if numeric else -1
        if numeric:
            x, y = x.lstrip("0"), y.lstrip("0")
            if len(x) != len(y):
                return 1 if len(x) > len(y) else -1
        if x != y:
            return 1 if x > y else -1
    rest_a, rest_b = i < len(a), j < len(b)
    return 0 if rest_a == rest_b else (1 if rest_a else -1)


def rpm_compare(a: str, b: str) -> int:
    """Compare ``[epoch:]version[-release]`` as rpm does."""
    ea, ua, ra = _split_debian(a.strip())
    eb, ub, rb = _split_debian(b.strip())
    if ea != eb:
        return ea - eb
    return _rpmvercmp(ua, ub) or (_rpmvercmp(ra, rb) if ra and rb else 0)
