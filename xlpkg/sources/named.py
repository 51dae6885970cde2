"""Read only the cells behind a workbook's defined names, straight from the .xlsx zip.

A project form is a few hundred input cells in a workbook whose XML is mostly formulas and
styles. This source parses ``xl/workbook.xml`` (names, sheets), follows the relationships to
the sheet parts, and streams only the sheets that hold a wanted name, keeping only the wanted
cells and stopping at the last wanted row. Shared strings and styles are parsed once, and only
if a wanted cell needs them. Everything goes through expat, which never scans backwards (a
workbook.xml stuffed with thousands of ``<definedName`` inside a comment costs one pass) and
here refuses any DTD, so neither entity expansion nor external entities can happen.

Names are clipped to the template's own extent (``clip_names``): a name widened to
``$A$22:$XFD$1048576`` reads the template's 30 rows, never a billion empty cells. Values are
what the other sources give (``xlpkg.sources.plain_value``): int/float, str, bool, datetime,
None for empty; formula cells give their cached result.
"""
from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import posixpath
import re
import zipfile
import zlib
from pathlib import Path
from typing import Any, Iterable, Mapping
from xml.parsers import expat

from ..cellref import bounds, col_index, col_letter
from .cells import SourceError, parse_name_target
from ..system.safeio import read_entry

__all__ = ["NamedCellSource", "clip_names", "sheet_extent", "MAX_CELLS"]

# A request for more cells than this is refused rather than padded with None: a form's biggest
# name is 30 × 9 cells, and a million Python objects are already ~50 MB.
MAX_CELLS = 1_000_000
_CHUNK = 1 << 16
# A part up to this size (as its zip entry declares; zipfile stops there) is inflated at once;
# a bigger one in chunks, stopping at the first row past the wanted ones.
_WHOLE_PART = 1 << 20

_REL_NS = ("relationships",)    # transitional and strict OOXML both end r:id's namespace so


# Forms made from one template share workbook.xml, its relationships and styles.xml byte for
# byte: their parses are kept per content digest, so each costs one hash after the first form.
_CACHE_SIZE = 64
_parsed_books: dict[bytes, tuple[bool, dict[str, str], dict[str, tuple[str, str]]]] = {}
_parsed_styles: dict[tuple[int, int], frozenset[str]] = {}   # the s="…" values that mean a date
_date_bytes: dict[frozenset[str], frozenset[bytes]] = {}     # the same, as the XML spells them
_plans: dict[tuple, dict[str, tuple[list, frozenset, int]]] = {}
_fingerprints: dict[int, tuple[Any, Any]] = {}
_clipped: dict[tuple, tuple[dict, dict]] = {}


def _fingerprint(extents: Mapping[str, Any] | None) -> Any:
    """What the extents say, as a key; kept per object (with the object, so its id cannot be
    reused while cached) since the reader passes the same ``layout.NAMES`` every time."""
    if extents is None:
        return None
    found = _fingerprints.get(id(extents))
    if found is None or found[0] is not extents:
        items = tuple(sorted((k, v.ref if hasattr(v, "ref") else tuple(v)) for k, v in extents.items()))
        found = _remember(_fingerprints, id(extents), (extents, items))
    return found[1]


def _remember(cache: dict, key, value):
    if len(cache) >= _CACHE_SIZE:
        cache.clear()
    cache[key] = value
    return value


class _Stop(Exception):
    """Raised inside an expat handler once the rest of a part is not needed."""


def _refuse_dtd(*_args) -> None:
    raise SourceError("工作簿的XML包含DTD/实体声明（Excel 从不写入），可能是恶意文件，已拒绝读取")


def _parser(**handlers) -> expat.XMLParserType:
    p = expat.ParserCreate()
    p.buffer_text = True
    p.StartDoctypeDeclHandler = _refuse_dtd
    p.EntityDeclHandler = _refuse_dtd
    for name, fn in handlers.items():
        setattr(p, name, fn)
    return p


def _local(tag: str) -> str:
    return tag.rpartition(":")[2]


_ESCAPE_RE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(text: str) -> str:
    """OOXML's ``_xHHHH_`` escapes (e.g. ``_x000D_`` for a carriage return)."""
    return _ESCAPE_RE.sub(lambda m: chr(int(m[1], 16)), text) if "_x" in text else text


_CELL_RE = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")
_REF_CACHE: dict[str, tuple[int, int]] = {}


def _cell_pos(ref: str) -> tuple[int, int] | None:
    """"B12" → (12, 2): (row, col), 1-based; cached since every form repeats the same refs."""
    pos = _REF_CACHE.get(ref)
    if pos is None:
        m = _CELL_RE.match(ref)
        if not m:
            return None
        col = 0
        for ch in m[1].upper():
            col = col * 26 + ord(ch) - 64
        pos = (int(m[2]), col)
        if len(_REF_CACHE) < 100_000:
            _REF_CACHE[ref] = pos
    return pos


def clip_names(names: Mapping[str, tuple[str, str]], extents: Mapping[str, Any]
               ) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    """Each name no larger than its template extent, from its own top-left cell.

    ``extents`` maps a name to anything with ``ref`` (``layout.Name``) or to a (sheet, ref)
    pair. Returns (clipped names, {name: (file's ref, clipped ref)} for those cut down).
    Names without an extent are left as they are.
    """
    out, clipped = dict(names), {}
    for name, (sheet, ref) in names.items():
        extent = extents.get(name)
        if extent is None:
            continue
        extent_ref = extent.ref if hasattr(extent, "ref") else extent[1]
        c0, r0, c1, r1 = bounds(ref)
        e0, f0, e1, f1 = bounds(extent_ref)
        height, width = min(r1 - r0, f1 - f0), min(c1 - c0, e1 - e0)
        if (height, width) != (r1 - r0, c1 - c0):
            new = f"{col_letter(c0)}{r0}"
            if height or width:
                new += f":{col_letter(c0 + width)}{r0 + height}"
            out[name] = (sheet, new)
            clipped[name] = (ref, new)
    return out, clipped


# --- number formats: which styles make a number a date -----------------------------------

_BUILTIN_DATE_IDS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])
_FORMAT_NOISE_RE = re.compile(r'"[^"]*"|\\.|\[(?!h\]|hh\]|m\]|mm\]|s\]|ss\])[^\]]*\]', re.I)


def _is_date_format(code: str) -> bool:
    text = _FORMAT_NOISE_RE.sub("", code.split(";")[0]).lower()
    return text != "general" and any(ch in text for ch in "dmyhs")


def _epoch(date1904: bool) -> _dt.datetime:
    return _dt.datetime(1904, 1, 1) if date1904 else _dt.datetime(1899, 12, 30)


def _from_serial(serial: float, date1904: bool) -> _dt.datetime | float:
    if not 0 <= serial < 2_958_466:    # beyond 9999-12-31: leave the number alone
        return serial
    if not date1904 and serial < 60:   # Excel's phantom 1900-02-29
        serial += 1
    moment = _epoch(date1904) + _dt.timedelta(days=serial)
    micro = moment.microsecond   # round to the millisecond as Excel shows times
    if micro:
        moment = moment.replace(microsecond=0) + _dt.timedelta(milliseconds=round(micro / 1000))
    return moment


# --- the source --------------------------------------------------------------------------

class NamedCellSource:
    """``CellSource`` over an .xlsx file that reads only the cells behind defined names.

    ``extents``: the template's names (name → ``layout.Name`` or (sheet, ref)). Only those
    names are read in the first pass, each clipped to its extent; another range is read on
    demand with one more pass over its sheet. Without ``extents`` every defined name is read.
    ``beside``: {name: (first column, last column)}: also read those columns across the
    name's rows in the first pass (cells a check needs next to a name, e.g. the formulas
    that mirror the indicator table), instead of one more pass over the sheet later.
    """

    def __init__(self, path: str | Path, extents: Mapping[str, Any] | None = None,
                 beside: Mapping[str, tuple[str, str]] | None = None):
        self.path = Path(path)
        self.extents = extents
        self.beside = beside
        self._cells: dict[str, dict[tuple[int, int], Any]] = {}
        self._covered: dict[str, list[tuple[int, int, int, int]]] = {}
        self._strings: Any = None   # list[str] or _PlainStrings
        self._date_styles: frozenset[str] | None = None
        self._zip: zipfile.ZipFile | None = None
        self._loaded = False
        self._plan_memo: dict[str, dict] = {}   # per sheet: rect → inside the plan
        self._plan_rects: dict[str, list] = {}
        try:
            self._zip = zipfile.ZipFile(self.path)
            self._read_workbook()
        except zipfile.BadZipFile:
            self.close()
            raise SourceError("文件已损坏或不是 Excel 工作簿（.xlsx）") from None
        except SourceError:
            self.close()
            raise
        except (expat.ExpatError, UnicodeError) as exc:
            self.close()
            raise SourceError(f"工作簿结构文件 xl/workbook.xml 已损坏（{exc}）") from None
        except (OSError, EOFError, zlib.error, zipfile.LargeZipFile, NotImplementedError, RuntimeError) as exc:
            self.close()
            raise SourceError(f"文件已损坏，无法解压（{exc}）") from None

    # -- the CellSource protocol --

    def defined_names(self) -> dict[str, tuple[str, str]]:
        return dict(self._names)

    def clipped_names(self, extents: Mapping[str, Any]
                      ) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
        """``clip_names(self.defined_names(), extents)``, remembered for the forms of one
        template (they share workbook.xml, so their names and the answer are the same)."""
        key = (self._digest, _fingerprint(extents))
        found = _clipped.get(key)
        if found is None:
            found = _remember(_clipped, key, clip_names(self._names, extents))
        names, widened = found
        return dict(names), dict(widened)

    def sheet_names(self) -> list[str]:
        return list(self._sheet_parts)

    def range_values(self, sheet: str, ref: str) -> list[list[Any]]:
        c0, r0, c1, r1 = rect = _bounds(ref)
        if (r1 - r0 + 1) * (c1 - c0 + 1) > MAX_CELLS:
            raise SourceError(f"工作表“{sheet}”的区域 {ref} 过大（超过{MAX_CELLS}个单元格），已拒绝读取")
        if sheet not in self._sheet_parts:
            raise KeyError(f"工作簿中没有工作表“{sheet}”")
        if not self._loaded:
            self._load_wanted()
        if not self._is_covered(sheet, rect):
            self._read_sheets({sheet: _rects_plan([rect])})
        get = self._cells.get(sheet, {}).get
        columns = range(c0, c1 + 1)
        return [[get((r, c)) for c in columns] for r in range(r0, r1 + 1)]

    def _is_covered(self, sheet: str, rect: tuple[int, int, int, int]) -> bool:
        # The reader asks for the same ~90 rectangles of every form: whether one lies inside
        # the template's plan (read by every form) is remembered with the shared plan.
        memo = self._plan_memo.get(sheet)
        if memo is not None:
            in_plan = memo.get(rect)
            if in_plan is None:
                in_plan = _inside(rect, self._plan_rects[sheet])
                if len(memo) < 10_000:
                    memo[rect] = in_plan
            if in_plan:
                return True
        return _inside(rect, self._covered.get(sheet, ()))

    def load(self) -> "NamedCellSource":
        """Read the wanted cells now (else on the first ``range_values``), so a damaged sheet
        is reported when the file is opened, not as a missing value later."""
        if not self._loaded:
            self._load_wanted()
        return self

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None

    # -- workbook.xml and its relationships --

    def _member(self, name: str) -> bytes:
        try:
            return read_entry(self._open_zip(), name)
        except KeyError:
            raise SourceError(f"文件不是完整的 Excel 工作簿：缺少 {name}") from None

    def _open_zip(self) -> zipfile.ZipFile:
        if self._zip is None:
            self._zip = zipfile.ZipFile(self.path)
        return self._zip

    def _read_workbook(self) -> None:
        book = self._member("xl/workbook.xml")
        rels = self._member("xl/_rels/workbook.xml.rels")
        self._digest = hashlib.blake2b(book + b"\0" + rels, digest_size=16).digest()
        parsed = _parsed_books.get(self._digest)
        if parsed is None:
            parsed = _remember(_parsed_books, self._digest, self._parse_workbook(book, rels))
        self._date1904, self._sheet_parts, self._names, self._shared_parts = parsed

    def _parse_workbook(self, book: bytes, rels_xml: bytes
                        ) -> tuple[bool, dict[str, str], dict[str, tuple[str, str]]]:
        sheets: list[tuple[str, str]] = []
        names: dict[str, tuple[str, str]] = {}
        state: dict[str, Any] = {"name": None, "text": [], "date1904": False}

        def start(tag, attrs):
            local = _local(tag)
            if local == "sheet":
                rid = next((v for k, v in attrs.items() if _local(k.rpartition(" ")[2]) == "id"
                            and k != "sheetId"), None)
                if "name" in attrs and rid:
                    sheets.append((attrs["name"], rid))
            elif local == "definedName":
                keep = ("localSheetId" not in attrs and attrs.get("hidden") not in ("1", "true")
                        and "name" in attrs)
                state["name"] = attrs["name"] if keep else ""
                state["text"] = []
            elif local == "workbookPr":
                state["date1904"] = attrs.get("date1904") in ("1", "true")

        def end(tag):
            if _local(tag) == "definedName" and state["name"] is not None:
                if state["name"]:
                    target = parse_name_target("".join(state["text"]))
                    if target:
                        names[state["name"]] = target
                state["name"] = None

        def text(data):
            if state["name"]:
                state["text"].append(data)

        p = _parser(StartElementHandler=start, EndElementHandler=end, CharacterDataHandler=text)
        p.Parse(book, True)
        rels, by_type = _relationships("xl", rels_xml)
        parts = {sheet: rels[rid] for sheet, rid in sheets if rid in rels}
        return state["date1904"], parts, names, by_type

    # -- sheets --

    def _plan(self) -> dict[str, tuple[list, frozenset, int, dict, dict]]:
        """Per sheet: the wanted rectangles, their cells and the last wanted row."""
        key = (self._digest, _fingerprint(self.extents), tuple(sorted((self.beside or {}).items())))
        plan = _plans.get(key)
        if plan is not None:
            return plan
        names = self._names
        if self.extents is not None:
            names, _ = clip_names({k: v for k, v in names.items() if k in self.extents}, self.extents)
        wanted: dict[str, list[tuple[int, int, int, int]]] = {}
        for sheet, ref in names.values():
            if sheet not in self._sheet_parts:
                continue
            rect = bounds(ref)
            if (rect[3] - rect[1] + 1) * (rect[2] - rect[0] + 1) <= MAX_CELLS:
                wanted.setdefault(sheet, []).append(rect)
        for name, (first_col, last_col) in (self.beside or {}).items():
            if name in names and names[name][0] in self._sheet_parts:
                _, r0, _, r1 = bounds(names[name][1])
                if (r1 - r0 + 1) * 16 <= MAX_CELLS:
                    wanted.setdefault(names[name][0], []).append(
                        (col_index(first_col), r0, col_index(last_col), r1))
        plan = {sheet: _rects_plan(rects) for sheet, rects in wanted.items()}
        return _remember(_plans, key, plan)


    def _load_wanted(self) -> None:
        self._loaded = True
        plan = self._plan()
        self._plan_memo = {sheet: entry[4] for sheet, entry in plan.items()}
        self._plan_rects = {sheet: entry[0] for sheet, entry in plan.items()}
        self._read_sheets(plan)
        self.close()

    def _read_sheets(self, plan: dict[str, tuple[list, frozenset, int, dict, dict]]) -> None:
        raw: list[tuple[str, tuple[int, int], str | None, str | None, list[str]]] = []
        for sheet, (rects, want, last_row, want_refs, _memo) in plan.items():
            try:
                self._read_sheet(sheet, want, last_row, want_refs, raw)
            except _Stop:
                pass
            except expat.ExpatError as exc:
                raise SourceError(f"工作表“{sheet}”的XML已损坏（{expat.ErrorString(exc.code)}，"
                                  f"第{exc.lineno}行），请在 Excel/WPS 中打开并另存后再提交") from None
            except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                raise SourceError(f"工作表“{sheet}”的数据已损坏，无法解压（{exc}）") from None
            self._covered.setdefault(sheet, []).extend(rects)
        # Values last: the shared strings are then read only as far as the last one needed.
        needed = [int(text) for _, _, kind, _, text in raw if kind == "s" and text.isdigit()]
        if needed and (self._strings is None or max(needed) >= len(self._strings)):
            self._strings = self._read_strings(max(needed))   # a later range may need more
        value = self._value
        for sheet, pos, kind, style, text in raw:
            cells = self._cells.get(sheet)
            if cells is None:
                cells = self._cells[sheet] = {}
            cells[pos] = value(sheet, pos, kind, style, text)

    def _read_sheet(self, sheet: str, want: frozenset, last_row: int, want_refs: dict, raw: list) -> None:
        part = self._sheet_parts[sheet]
        try:
            data, complete, plain = _checked_sheet(self._open_zip(), part, last_row)
        except KeyError:
            raise SourceError(f"文件不是完整的 Excel 工作簿：缺少工作表“{sheet}”的内容（{part}）") from None
        found = _scan_cells(data, want_refs, sheet, self._date_bytes()) if plain else None
        if found is not None:
            numbers, rest = found
            self._cells.setdefault(sheet, {}).update(numbers)
            raw.extend(rest)
            return
        if not plain and not complete:   # the cut may have been a "<row" inside a comment
            data, complete, _ = _checked_sheet(self._open_zip(), part, None)
        self._parse_cells(sheet, data, complete, want, last_row, raw)

    def _parse_cells(self, sheet: str, data: bytes, complete: bool, want: frozenset,
                     last_row: int, raw: list) -> None:
        """The general path: every element through expat handlers (prefixes, cells without
        addresses, rich inline text, comments … anything the standard allows)."""
        # Most of a sheet is cells nobody asked for (labels, formulas): only start tags are
        # handled, and text is collected only inside a wanted cell's <v> or <is><t>, whose end
        # tag is the only one handled.
        st: list[Any] = [0, 0, None, 0]   # row, col, text parts of the wanted cell, rPh depth
        p = _parser()
        p.buffer_text = False   # text is appended to a list anyway; buffering costs per event
        get_pos, stop_row = _REF_CACHE.get, last_row

        def generic(tag, attrs):
            local = tag if ":" not in tag else _local(tag)
            if local == "c":
                cell(attrs)
            elif local == "v" or local == "t":
                if st[2] is not None and not st[3]:
                    p.CharacterDataHandler = st[2].append
                    p.EndElementHandler = text_end
            elif local == "row":
                row(attrs)
            else:
                p.CharacterDataHandler = None
                if local == "rPh" and st[2] is not None:
                    st[3] = 1   # phonetic runs are not the cell's text; they end the text runs

        def cell(attrs):
            p.CharacterDataHandler = None
            ref = attrs.get("r")
            if ref is None:
                pos = (st[0], st[1] + 1)
            else:
                pos = get_pos(ref) or _cell_pos(ref)
                if pos is None:
                    raise SourceError(f"工作表“{sheet}”中的单元格地址“{ref[:20]}”无效")
            st[0], st[1] = pos
            if pos in want:
                st[2], st[3] = [], 0
                raw.append((sheet, pos, attrs.get("t"), attrs.get("s"), st[2]))
            else:
                if pos[0] > stop_row:
                    raise _Stop
                st[2] = None

        def text_end(tag):   # the end of the <v> or <t> being read: no more text
            p.CharacterDataHandler = p.EndElementHandler = None

        def row(attrs):
            p.CharacterDataHandler = None
            st[2] = None
            r = attrs.get("r")
            number = int(r) if r and r.isdigit() else st[0] + 1
            if number > stop_row:
                raise _Stop
            st[0], st[1] = number, 0

        # The common case, unprefixed SpreadsheetML, on its shortest path: most events are the
        # <c>, <f> and <v> of cells nobody asked for.
        def fast(tag, attrs):
            if tag == "c":
                cell(attrs)
            elif tag == "v":
                if st[2] is not None:
                    p.CharacterDataHandler = st[2].append
                    p.EndElementHandler = text_end
            elif tag == "f":
                p.CharacterDataHandler = None
            elif tag == "row":
                row(attrs)
            elif ":" in tag or tag in ("t", "rPh"):
                p.StartElementHandler = generic
                generic(tag, attrs)
            else:
                p.CharacterDataHandler = None

        p.StartElementHandler = fast
        first = len(raw)
        try:
            p.Parse(data, complete)
        finally:   # the texts were collected in pieces; _Stop ends the parse early
            raw[first:] = [(a, b, c, d, "".join(parts)) for a, b, c, d, parts in raw[first:]]

    def _value(self, sheet: str, pos: tuple[int, int], kind: str | None, style: str | None,
               text: str) -> Any:
        if kind is None or kind == "n":
            if not text:
                return None
            try:
                number = float(text)
            except ValueError:
                return text   # not a number although typed as one: the reader says so
            if style and style != "0" and style in self._dates():
                return _from_serial(number, self._date1904)
            if number.is_integer() and abs(number) < 2 ** 53:
                return int(number)
            return number
        if kind == "s":
            strings = self._shared_strings()
            try:
                return _unescape(strings[int(text)]) or None
            except (ValueError, IndexError):
                raise SourceError(f"工作表“{sheet}”单元格{col_letter(pos[1])}{pos[0]}引用的共享字符串"
                                  f"“{text[:20]}”不存在：文件已损坏，请在 Excel/WPS 中打开并另存后再提交") from None
        if kind == "b":
            return text.strip() in ("1", "true")
        if kind in ("str", "inlineStr", "e"):
            return _unescape(text) or None
        if kind == "d":
            try:
                return _dt.datetime.fromisoformat(text.strip().rstrip("Z"))
            except ValueError:
                return text or None
        return text or None

    # -- shared parts, once per file and only when needed --

    def _shared_strings(self) -> list[str]:
        if self._strings is None:
            self._strings = self._read_strings(None)
        return self._strings

    def _read_strings(self, last: int | None) -> list[str]:
        part = self._part_of("sharedStrings")
        return _read_shared_strings(self._open_zip(), part, last) if part else []

    def _dates(self) -> frozenset[str]:
        if self._date_styles is None:
            part = self._part_of("styles")
            if part is None:
                self._date_styles = frozenset()
            else:
                # Keyed by the zip's own CRC and size of the part: no need to inflate it to know
                # it is the template's styles again. (A forged collision only changes how that
                # file's own numbers are shown: dates or not.)
                info = self._open_zip().getinfo(part)
                key = (info.CRC, info.file_size)
                found = _parsed_styles.get(key)
                if found is None:
                    xml = read_entry(self._open_zip(), part)
                    found = _remember(_parsed_styles, key,
                                      frozenset(map(str, _read_date_styles(xml, part))))
                self._date_styles = found
        return self._date_styles

    def _date_bytes(self) -> frozenset[bytes]:
        dates = self._dates()
        found = _date_bytes.get(dates)
        if found is None:
            found = _remember(_date_bytes, dates, frozenset(s.encode("ascii") for s in dates))
        return found

    def _part_of(self, kind: str) -> str | None:
        part = self._shared_parts.get(kind)
        return part if part in self._open_zip().NameToInfo else None


# --- the plain-sheet path ------------------------------------------------------------------
#
# Excel, WPS and LibreOffice write sheets with the default namespace, an r="A1" address on
# every cell, no comments, no CDATA and no processing instructions. ``_plain`` checks that on
# the bytes; then every "<" starts a tag, so each '<c r="…"' in the bytes is a real cell tag,
# and the wanted cells are found by one regular-expression pass instead of a Python call per
# element. Every cell must match the one expected shape and every text must decode, or the
# sheet goes down the general path, where expat reads (and so checks) the whole XML. An XML
# parser over every plain sheet cost as much as reading its cells; the zip's CRC already
# guards against damage in transit.

_ROW_NUMBER_RE = re.compile(rb'<row r="([0-9]+)"')
# A cell as Excel, WPS, LibreOffice and openpyxl write it: address, style, type, an optional
# formula, then the value or a one-run inline string. Groups: r, s, t, v, inline text.
# An address with a leading zero ("A01", which a parser reads as A1) is not of that shape.
# Any other cell ("<c" then a space, "/" or ">") matches the second branch with every group
# empty: ``_OTHER_CELL``. One pass both reads the cells and proves there is no other kind.
_PLAIN_CELL_RE = re.compile(
    rb'<c(?: r="([A-Z]{1,3}[1-9][0-9]{0,6})"(?: s="([0-9]+)")?(?: t="([a-zA-Z]+)")?\s*'
    rb'(?:/>|>(?:<f(?: [^>]*)?(?:/>|>[^<]*</f>))?(?:<v>([^<]*)</v>|<v ?/>|<is><t(?: xml:space="preserve")?>([^<]*)</t></is>)?</c>)'
    rb'|(?=[\s/>]))')
_OTHER_CELL = (b"", b"", b"", b"", b"")
_ENTITY_RE = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|lt|gt|amp|quot|apos);")
_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def _xml_text(raw: bytes) -> str:
    """Character data as an XML parser reports it: line ends normalised, references resolved."""
    text = raw.decode("utf-8")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "&" in text:
        if text.count("&") != len(_ENTITY_RE.findall(text)):
            raise ValueError("a bare '&' or an unknown entity")   # malformed: expat reports it
        text = _ENTITY_RE.sub(lambda m: _ENTITIES.get(m[1]) or chr(
            int(m[1][2:], 16) if m[1][1] in "xX" else int(m[1][1:])), text)
    return text


def _checked_sheet(zf: zipfile.ZipFile, part: str, last_row: int | None) -> tuple[bytes, bool, bool]:
    """(the part's bytes up to the first row past ``last_row``, whether that is the whole
    part, whether the plain path may read it). Bytes the plain path may not read are parsed
    by expat later, which checks them; plain ones are checked here by ``_plain``."""
    if zf.getinfo(part).file_size <= _WHOLE_PART:
        # A form's sheet: inflated in one step, which costs less than the chunks' bookkeeping;
        # never past its declared size, whatever the compressed data would give.
        data = read_entry(zf, part)
        cut = _first_row_past(data, last_row, 0)
        if cut is not None:
            data = data[:cut]
            return data, False, _plain(data, complete=False)
        return data, True, _plain(data, complete=True)
    buf = bytearray()
    with zf.open(part) as fh:
        while chunk := fh.read(_CHUNK):
            start = max(0, len(buf) - 24)
            buf += chunk
            cut = _first_row_past(buf, last_row, start)
            if cut is not None:
                data = bytes(buf[:cut])
                return data, False, _plain(data, complete=False)
    data = bytes(buf)
    return data, True, _plain(data, complete=True)


def _first_row_past(data: bytes | bytearray, last_row: int | None, start: int) -> int | None:
    """Where the first row numbered above ``last_row`` begins, looking from ``start``;
    None if there is none (or no last row was given)."""
    if last_row is not None:
        for m in _ROW_NUMBER_RE.finditer(data, start):
            if int(m[1]) > last_row:
                return m.start()
    return None


_DECLARATION_RE = re.compile(rb"<\?xml[^>]*?\?>")
_ENCODING_RE = re.compile(rb"""encoding\s*=\s*["']([^"']*)["']""")
_ROOT_RE = re.compile(rb"\s*<([^\s/>]+)")
_SPECIAL_MARKUP_RE = re.compile(rb"<[!?]")


def _plain(data: bytes, complete: bool) -> bool:
    """Whether ``data`` is a part as Excel, WPS and LibreOffice write it, checked on its bytes
    at C speed instead of by an XML parser (which cost as much as reading the cells):
    a UTF-8 declaration or none, an unprefixed root element, no comment, CDATA, DTD or
    processing instruction anywhere (so every "<" starts a tag and a regular expression
    sees exactly the elements a parser would), and, when complete, the root's end tag last
    (a part cut short is not plain). Anything else goes to expat, which reports what is
    wrong with it."""
    body = 0
    decl = _DECLARATION_RE.match(data)
    if decl:
        encoding = _ENCODING_RE.search(decl[0])
        if encoding and encoding[1].lower().replace(b"-", b"") != b"utf8":
            return False
        body = decl.end()
    if _SPECIAL_MARKUP_RE.search(data, body):   # a comment, CDATA, DTD or processing instruction
        return False
    root = _ROOT_RE.match(data, body)
    if root is None or b":" in root[1]:
        return False
    if not complete:
        return True
    end = b"</" + root[1] + b">"
    last = data.rfind(end)   # only the tail after it is looked at: no copy of the whole part
    return last >= 0 and not data[last + len(end):].strip()


def _scan_cells(data: bytes, want_refs: Mapping[bytes, tuple[int, int]], sheet: str,
                date_styles: frozenset[bytes]) -> tuple[dict, list] | None:
    """The wanted cells of a plain sheet: ({pos: value} of the plain numbers, and (sheet,
    pos, t, s, text) of the others for ``_value``; blanks are in neither, since an absent
    cell reads as None too); None if any cell is not of the usual shape (attributes other
    than r, s, t in that order, rich inline text, a value with attributes, an address with a
    leading zero …): the general path then reads the sheet. ``want_refs``: the wanted
    addresses as the file spells them (b"B12"); ``date_styles``: the ``s`` values that make a
    number a date."""
    cells = _PLAIN_CELL_RE.findall(data)
    if _OTHER_CELL in cells:
        return None
    numbers: dict[tuple[int, int], Any] = {}
    rest = []
    wanted = want_refs.get
    try:
        for ref, style, kind, value, inline in cells:
            if not value and not inline and (not kind or kind == b"n" or kind == b"str"):
                continue   # blank: None, as an absent cell reads (half of a form's cells)
            pos = wanted(ref)
            if pos is None:
                continue
            if (not kind or kind == b"n") and not inline and style not in date_styles:
                number = float(value)   # ValueError for text typed as a number: _value's case
                numbers[pos] = int(number) if number.is_integer() and abs(number) < 2 ** 53 else number
                continue
            text = value or inline
            rest.append((sheet, pos, kind.decode() if kind else None, style.decode() if style else None,
                         _xml_text(text) if text else ""))
    except (UnicodeDecodeError, ValueError):   # not UTF-8, a bad "&…;", a non-number: the general path
        return None
    return numbers, rest


def _rects_plan(rects: list[tuple[int, int, int, int]]) -> tuple[list, frozenset, int, dict, dict]:
    """(rectangles, their cells, last row, {b"B12": (12, 2)}, memo of ``_is_covered``)."""
    want = frozenset((r, c) for c0, r0, c1, r1 in rects
                     for r in range(r0, r1 + 1) for c in range(c0, c1 + 1))
    want_refs = {f"{col_letter(c)}{r}".encode("ascii"): (r, c) for r, c in want}
    return rects, want, max(r1 for _, _, _, r1 in rects), want_refs, {}


def _inside(rect: tuple[int, int, int, int], rects: Iterable[tuple[int, int, int, int]]) -> bool:
    c0, r0, c1, r1 = rect
    return any(a <= c0 and b <= r0 and c >= c1 and d >= r1 for a, b, c, d in rects)


@functools.lru_cache(maxsize=4096)
def _bounds(ref: str) -> tuple[int, int, int, int]:
    return bounds(ref)


def _relationships(folder: str, xml: bytes) -> tuple[dict[str, str], dict[str, str]]:
    """(id → part, relationship kind → part), e.g. "sharedStrings" → "xl/sharedStrings.xml"."""
    out: dict[str, str] = {}
    by_type: dict[str, str] = {}

    def start(tag, attrs):
        if _local(tag) == "Relationship" and "Id" in attrs and "Target" in attrs:
            target = attrs["Target"]
            if attrs.get("TargetMode") == "External":
                return
            path = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
            out[attrs["Id"]] = posixpath.normpath(path)
            by_type.setdefault(attrs.get("Type", "").rpartition("/")[2], out[attrs["Id"]])

    _parser(StartElementHandler=start).Parse(xml, True)
    return out, by_type


# "<si>(.*?)</si>" unrolled: the same items, without a backtracking step per character.
_SI_RE = re.compile(rb"<si>([^<]*(?:<(?!/si>)[^<]*)*)</si>|<si/>")
_ANY_SI_RE = re.compile(rb"<si[\s/>]")
_T_TEXT_RE = re.compile(rb"<t(?: [^<>]*)?>([^<]*)</t>")
_PHONETIC_RE = re.compile(rb"<rPh\b.*?</rPh>|<rPh\b[^<>]*/>", re.S)


def _read_shared_strings(zf: zipfile.ZipFile, part: str, last: int | None = None) -> list[str]:
    """The shared strings, up to index ``last`` when given (the rest is never looked at).

    Checked by expat first; a plain table (no comments, CDATA, prefixes) is then cut into
    <si> items by regular expressions, which is exact in well-formed XML of that kind.
    """
    try:
        data, _, plain = _checked_sheet(zf, part, None)
    except expat.ExpatError as exc:
        raise SourceError(f"共享字符串表 {part} 已损坏（{expat.ErrorString(exc.code)}，第{exc.lineno}行），"
                          "请在 Excel/WPS 中打开并另存后再提交") from None
    if plain:
        items = _SI_RE.findall(data)
        if len(items) == len(_ANY_SI_RE.findall(data)):
            return _PlainStrings(items)
    return _parse_shared_strings(data, last, part)


class _PlainStrings:
    """Shared strings decoded only when a wanted cell points at them (most never are)."""

    def __init__(self, items: list[bytes]):
        self._items = items
        self._done: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int) -> str:
        text = self._done.get(index)
        if text is None:
            item = self._items[index]
            if b"<rPh" in item:
                item = _PHONETIC_RE.sub(b"", item)
            try:
                text = _xml_text(b"".join(_T_TEXT_RE.findall(item)))
            except ValueError:   # also UnicodeDecodeError
                raise SourceError(f"共享字符串表第{index + 1}项的文字已损坏（不是有效的 UTF-8 或 XML 字符引用），"
                                  "请在 Excel/WPS 中打开并另存后再提交") from None
            self._done[index] = text
        return text


def _parse_shared_strings(data: bytes, last: int | None, part: str) -> list[str]:
    out: list[list[str]] = []
    stop = -1 if last is None else last + 1
    st: list[Any] = [None, 0]   # text parts of the current <si>, inside a phonetic run
    p = _parser()

    def start(tag, attrs):
        local = tag if ":" not in tag else _local(tag)
        if local == "si":
            p.CharacterDataHandler = None
            if len(out) == stop:
                raise _Stop
            st[0], st[1] = [], 0
            out.append(st[0])
        elif local == "t":
            if st[0] is not None and not st[1]:
                p.CharacterDataHandler = st[0].append
                p.EndElementHandler = text_end
        else:
            p.CharacterDataHandler = None
            if local == "rPh":
                st[1] = 1

    def text_end(tag):
        p.CharacterDataHandler = p.EndElementHandler = None

    # Text is collected only between <t> and its end tag, the only end tag handled; a
    # phonetic run (<rPh>, after the text runs) mutes the rest of its <si>.
    p.StartElementHandler = start
    p.buffer_text = False
    try:
        p.Parse(data, True)
    except _Stop:
        pass
    except expat.ExpatError as exc:
        raise SourceError(f"共享字符串表 {part} 已损坏（{expat.ErrorString(exc.code)}，第{exc.lineno}行），"
                          "请在 Excel/WPS 中打开并另存后再提交") from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise SourceError(f"共享字符串表 {part} 已损坏，无法解压（{exc}）") from None
    return ["".join(parts) for parts in out]


def _read_date_styles(xml: bytes, part: str) -> frozenset[int]:
    """Indexes of the cell formats (``s`` attribute) that show numbers as dates or times."""
    custom: dict[int, str] = {}
    xf_formats: list[int] = []
    st = {"xfs": False}

    def start(tag, attrs):
        local = _local(tag)
        if local == "numFmt":
            try:
                custom[int(attrs.get("numFmtId", ""))] = attrs.get("formatCode", "")
            except ValueError:
                pass
        elif local == "cellXfs":
            st["xfs"] = True
        elif local == "xf" and st["xfs"]:
            try:
                xf_formats.append(int(attrs.get("numFmtId", "0")))
            except ValueError:
                xf_formats.append(0)

    def end(tag):
        if _local(tag) == "cellXfs":
            st["xfs"] = False

    p = _parser(StartElementHandler=start, EndElementHandler=end)
    try:
        p.Parse(xml, True)
    except expat.ExpatError as exc:
        raise SourceError(f"样式表 {part} 已损坏（{expat.ErrorString(exc.code)}），"
                          "请在 Excel/WPS 中打开并另存后再提交") from None
    dates = {i for i, fmt in enumerate(xf_formats)
             if fmt in _BUILTIN_DATE_IDS or (fmt in custom and _is_date_format(custom[fmt]))}
    return frozenset(dates)


def sheet_extent(path: str | Path, sheet_part: str) -> tuple[int, int]:
    """(last row, last column) of the cells a sheet part holds, by streaming it (no grid).

    Lets a reader that builds a dense grid (calamine) refuse a sheet with a stray cell at
    XFD1048576 before it allocates the grid.
    """
    top = {"row": 0, "col": 0, "cur_row": 0, "cur_col": 0}

    def start(tag, attrs):
        local = tag if ":" not in tag else _local(tag)
        if local == "c":
            ref = attrs.get("r")
            pos = _cell_pos(ref) if ref else (top["cur_row"], top["cur_col"] + 1)
            if pos:
                top["cur_row"], top["cur_col"] = pos
                top["row"] = max(top["row"], pos[0])
                top["col"] = max(top["col"], pos[1])
        elif local == "row":
            r = attrs.get("r")
            top["cur_row"] = int(r) if r and r.isdigit() else top["cur_row"] + 1
            top["cur_col"] = 0
            top["row"] = max(top["row"], top["cur_row"])

    p = _parser(StartElementHandler=start)
    with zipfile.ZipFile(path) as zf, zf.open(sheet_part) as fh:
        while chunk := fh.read(_CHUNK):
            p.Parse(chunk, False)
        p.Parse(b"", True)
    return top["row"], top["col"]


def sheet_parts(path: str | Path) -> dict[str, str]:
    """Sheet name → zip part, as the workbook's relationships say."""
    source = NamedCellSource(path, extents={})
    source.close()
    return dict(source._sheet_parts)


def read_names(path: str | Path, names: Iterable[str]) -> dict[str, list[list[Any]]]:
    """The values behind some defined names of a file (a convenience for scripts and tests)."""
    source = NamedCellSource(path)
    found = source.defined_names()
    return {n: source.range_values(*found[n]) for n in names if n in found}
