"""BCP 47 locale codes, matched ignoring case with `_` and `-` alike."""

import re

_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
# Canonical casing for the scripts and regions Tandem ships.
_SUBTAG_CASE = {"hant": "Hant", "hans": "Hans", "latn": "Latn", "cyrl": "Cyrl"}


def normalize_locale(raw):
    """'zh_hant' → 'zh-Hant', 'EN-us' → 'en-US'; None for something that is not a locale code."""
    if raw is None:
        return None
    code = str(raw).strip().replace("_", "-")
    if not code or not _TAG.match(code):
        return None
    parts = code.split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        low = part.lower()
        if low in _SUBTAG_CASE:
            out.append(_SUBTAG_CASE[low])
        elif len(part) == 2 and part.isalpha():
            out.append(part.upper())
        elif len(part) == 4 and part.isalpha():
            out.append(part.title())
        else:
            out.append(low)
    return "-".join(out)


def same_locale(a, b):
    na, nb = normalize_locale(a), normalize_locale(b)
    return na is not None and na == nb


def base_language(code):
    code = normalize_locale(code)
    return code.split("-")[0] if code else None
