"""Normalising the text people type into Word: full-width forms, stray spaces, line breaks."""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

# Word documents carry no-break, ideographic and zero-width spaces as often as plain ones.
_SPACES = "\u3000\xa0\u2002\u2003\u2009\u200b\ufeff"
_WS = re.compile(rf"[\s{_SPACES}]+")
_LABEL_NOISE = re.compile(r"[\s:：()（）%％【】\[\]<>《》*＊]")


def strip(text: str) -> str:
    return (text or "").strip(" \t\r\n" + _SPACES)


def clean(text: str) -> str:
    """A cell's or paragraph's text as content: lines stripped, empty lines dropped.

    Indentation and blank lines are layout, not content: a document that indents with
    full-width spaces must read the same as one that does not.
    """
    lines = (strip(line) for line in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def key(text: str) -> str:
    """A label for matching: NFKC (full-width → half-width), no spaces, no brackets or colons."""
    return _LABEL_NOISE.sub("", unicodedata.normalize("NFKC", text or ""))


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "")


def decimal_of(text: str) -> Decimal | None:
    """"25.00", "２５％", "1,400" → Decimal; anything else → None."""
    raw = _WS.sub("", nfkc(text)).replace(",", "").rstrip("%")
    if not re.fullmatch(r"-?\d+(\.\d+)?", raw):
        return None
    try:
        return Decimal(raw)
    except InvalidOperation:
        return None


def split_names(text: str) -> list[str]:
    """Indicator names as printed in one line: separated by spaces (of any width) or 、，；;
    a closing full stop is punctuation, not part of the last name."""
    parts = re.split(rf"[\s{_SPACES}、，,；;]+", strip(text))
    out = []
    for part in parts:
        part = strip(part).rstrip("。.．")
        if part:
            out.append(part)
    return out
