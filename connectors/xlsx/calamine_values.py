"""A cell's value as python-calamine gives it, from the cell's XML text, type and number format.

The streaming reader (:mod:`.sheet_stream`) must give every cell the value python-calamine's
``to_python`` gives it, so a sync's results never depend on which of the two read the tab.
These rules are python-calamine 0.9's (calamine 0.37), found in its source and checked
against it by the tests, odd ones included; each odd one says so where it is kept.
"""

from __future__ import annotations

import datetime as dt
import math
import posixpath
import re
from typing import Any
from xml.parsers import expat

from clinicops.connectors.xlsx.package import Package

#: A cell calamine leaves out of the sheet: its extent does not reach it, and it reads as "".
EMPTY: Any = object()
#: An error cell (``#N/A``): calamine counts it in the sheet's extent but gives it as "".
ERROR: Any = object()

OTHER, DATE, DURATION = 0, 1, 2
_KNOWN_ERRORS = frozenset({"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"})
_BUILTIN_DATES = frozenset({"14", "15", "16", "17", "18", "19", "20", "21", "22", "45", "47"})
PLAIN_NUMBER = _FLOAT = re.compile(
    r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?(?:inf|infinity|nan)", re.IGNORECASE | re.ASCII
)
_ESCAPE = re.compile(r"_x00([0-9A-Fa-f+][0-9A-Fa-f])_")
_ISO_DATE = re.compile(r"([+-]?\d{4,})-(\d\d?)-(\d\d?)", re.ASCII)
_ISO_TIME = re.compile(r"(\d\d?):(\d\d?):(\d\d?)(?:\.(\d{1,9}))?", re.ASCII)
_EPOCH = dt.datetime(1899, 12, 30)
_MS_PER_DAY = 86_400_000.0
_I64 = 2**63 - 1


def number_kind(code: str) -> int:
    """Whether a custom number format shows a date, a duration (``[h]:mm``) or a plain number.

    calamine's own test, character for character: only the first section counts; quoted,
    escaped (``\\``, ``_``, ``*``) and bracketed text is skipped, except that a bracket
    holding h, m or s makes a duration; ``a`` starts an AM/PM run in which p, m or / make a date.
    """
    escaped = quoted = ap = hms = False
    brackets = 0
    prev = " "
    for ch in code:
        if escaped:
            escaped = False
        elif ch in "_\\*":
            escaped = True
        elif quoted:
            quoted = ch != '"'
        elif ch == '"':
            quoted = True
        elif ch == ";":
            return OTHER
        elif ch == "[":
            brackets = min(brackets + 1, 255)
        elif ch == "]" and brackets == 1 and hms:
            return DURATION
        elif ch == "]":
            brackets = max(brackets - 1, 0)
        elif ch in "aA" and not ap and brackets == 0:
            ap = True
        elif (ch in "pmPM/" and ap and brackets == 0) or (ch in "dmhysDMHYS" and not ap and brackets == 0):
            return DATE
        elif not (hms and ch.lower() == prev.lower()):
            hms = prev == "[" and ch in "mhsMHS"
        prev = ch
    return OTHER


def number_kinds(package: Package) -> list[int]:
    """The kind of number each cell style (``cellXfs`` entry) shows, by style index.

    calamine reads ``styles.xml`` beside the workbook part whatever the relationships name
    (as it does ``sharedStrings.xml``), so this does too.
    """
    member = _beside_workbook(package, "styles.xml")
    if member is None:
        return []
    formats: dict[str, int] = {}
    kinds: list[int] = []
    section = [""]

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        if local in ("numFmts", "cellXfs"):
            section[0] = local
        elif local == "numFmt" and section[0] == "numFmts":
            if "numFmtId" in attrs and "formatCode" in attrs:
                formats[attrs["numFmtId"]] = number_kind(attrs["formatCode"])
        elif local == "xf" and section[0] == "cellXfs":
            fmt = attrs.get("numFmtId")
            if fmt is None:
                kinds.append(OTHER)
            elif fmt in formats:
                kinds.append(formats[fmt])
            else:
                kinds.append(DATE if fmt in _BUILTIN_DATES else DURATION if fmt == "46" else OTHER)

    def end(name: str) -> None:
        if name.rpartition(":")[2] in ("numFmts", "cellXfs"):
            section[0] = ""

    parser = expat.ParserCreate("UTF-8")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.Parse(package.read(member), True)
    return kinds


def shared_strings(package: Package) -> list[str]:
    """Every text of the shared-strings table, each ``si`` read as :class:`TextBuilder` says.

    The same rules as :class:`TextBuilder`, in closures: a large table holds hundreds of
    thousands of texts, and method calls would double the time to read it.
    """
    member = _beside_workbook(package, "sharedStrings.xml")
    texts: list[str] = []
    if member is None:
        return texts
    parts: list[str] = []
    current = ""
    in_t = preserve = False
    phonetic = 0

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal in_t, preserve, current, phonetic
        local = name.rpartition(":")[2]
        if local == "t":
            if not phonetic:
                in_t, current = True, ""
                preserve = attrs.get("xml:space") == "preserve"
        elif local == "si":
            parts.clear()
        elif local == "rPh":
            phonetic += 1

    def end(name: str) -> None:
        nonlocal in_t, phonetic
        local = name.rpartition(":")[2]
        if local == "t":
            if in_t:
                in_t = False
                parts.append(unescape(current if preserve else current.strip(" \t\r\n")))
        elif local == "si":
            texts.append(parts[0] if len(parts) == 1 else "".join(parts))
        elif local == "rPh":
            phonetic -= 1

    def chars(data: str) -> None:
        nonlocal current
        if in_t:
            current += data

    parser = expat.ParserCreate("UTF-8")
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    with package.open(member) as stream:  # parsed as it is inflated: the table's text is never whole in memory
        parser.ParseFile(stream)
    return texts


class TextBuilder:
    """The text of a shared string (``si``) or an inline one (``is``), as calamine makes it.

    Every ``t`` outside a phonetic run (``rPh``) counts, rich-text runs joined. A ``t``
    without ``xml:space="preserve"`` loses its leading and trailing ASCII spaces, tabs and
    line ends (calamine's quirk: Excel keeps them), then Excel's ``_x000D_`` escapes are undone.
    """

    __slots__ = ("_current", "_in_t", "_parts", "_phonetic", "_preserve")

    def __init__(self) -> None:
        self.begin()

    def begin(self) -> None:
        self._parts: list[str] = []
        self._current: list[str] = []
        self._in_t = False
        self._phonetic = 0
        self._preserve = False

    def start(self, local: str, attrs: dict[str, str]) -> None:
        if local == "rPh":
            self._phonetic += 1
        elif local == "t" and not self._phonetic:
            self._in_t = True
            self._preserve = attrs.get("xml:space") == "preserve"
            self._current = []

    def end(self, local: str) -> None:
        if local == "rPh":
            self._phonetic -= 1
        elif local == "t" and self._in_t:
            self._in_t = False
            value = "".join(self._current)
            self._parts.append(unescape(value if self._preserve else value.strip(" \t\r\n")))

    def chars(self, data: str) -> None:
        if self._in_t:
            self._current.append(data)

    def text(self) -> str:
        return "".join(self._parts)


def unescape(text: str) -> str:
    """Excel's ``_x000D_`` escapes undone, as calamine does: only ``_x00HH_`` (so ``_x0100_`` stays),
    and Rust's number parsing lets the first of the two digits be a ``+`` (``_x00+F_`` is U+000F)."""
    if "_x00" not in text:
        return text
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def cell_value(text: str, kind: str | None, style: str | None, kinds: list[int], strings: list[str], d1904: bool):
    """The value of a cell whose ``v`` holds ``text``: ``kind`` is its ``t``, ``style`` its ``s``."""
    if kind is None or kind == "n":
        if not text:
            return EMPTY
        if not _FLOAT.fullmatch(text):
            if kind is None:  # calamine keeps what is not a number as text when no type was given
                return text
            raise ValueError(f"a number cell holds {text!r}")
        number = float(text)
        if style is None:
            return number
        index = int(style) if style.isdigit() else 0  # calamine reads a style it cannot parse as style 0
        fmt = kinds[index] if index < len(kinds) else OTHER
        if fmt == OTHER:
            return number
        return duration(number) if fmt == DURATION else serial_value(number, d1904)
    if kind == "s":
        if not text:
            return EMPTY
        index = int(text) if text.isdigit() else 0  # calamine's quirk: an index it cannot parse is 0
        if index >= len(strings):
            raise ValueError(f"shared string {index} is not in the table")
        return strings[index]
    if kind == "str":
        return unescape(text)
    if kind == "b":
        flag = text.strip().lower()
        if not flag:
            return EMPTY
        if flag in ("1", "true"):
            return True
        if flag in ("0", "false"):
            return False
        raise ValueError(f"a boolean cell holds {text!r}")
    if kind == "e":
        if not text:
            return EMPTY
        if text not in _KNOWN_ERRORS:  # calamine refuses the whole sheet over #SPILL! and the like
            raise ValueError(f"unsupported cell error {text!r}")
        return ERROR
    if kind == "d":
        return iso_value(text)
    if kind in ("inlineStr", "is"):
        return EMPTY  # the text is in ``is``; calamine ignores a ``v`` beside it
    raise ValueError(f"unknown cell type {kind!r}")


def _round(x: float) -> int:
    """Rust's ``f64::round`` (halves away from zero), saturating to i64 as Rust's ``as i64`` does."""
    if math.isnan(x):
        return 0
    if math.isinf(x):
        return _I64 if x > 0 else -_I64 - 1
    whole = math.trunc(x)
    if abs(x - whole) >= 0.5:
        whole += 1 if x > 0 else -1
    return max(-_I64 - 1, min(_I64, whole))


def _moment(serial: float, d1904: bool) -> tuple[int, int] | None:
    """(day offset from 1899-12-30, milliseconds into the day) of a serial, or None where chrono overflows."""
    f = serial + 1462.0 if d1904 else serial
    if not f >= 60.0:  # Excel's 1900 leap-year bug: serials before 1900-03-01 are a day off
        f += 1.0
    ms = _round(f * _MS_PER_DAY)
    days, rest = divmod(ms, 86_400_000)
    if abs(days) > 95_000_000:  # beyond chrono's years (±262,143)
        return None
    return days, rest


def serial_value(serial: float, d1904: bool) -> Any:
    """A date-formatted number: a time below 1, a date when whole, a date-time otherwise; the number
    itself where that has no Python date (python-calamine's rules, including a time for a negative serial)."""
    moment = _moment(serial, d1904)
    if moment is None:
        return serial
    days, ms = moment
    if serial < 1.0:
        return (dt.datetime.min + dt.timedelta(milliseconds=ms)).time()
    try:
        moment_dt = _EPOCH + dt.timedelta(days=days, milliseconds=ms)
    except OverflowError:
        return serial
    if serial < 2.0**64 and serial == math.floor(serial):
        return moment_dt.date()
    return moment_dt


def duration(serial: float) -> Any:
    """A ``[h]:mm``-formatted number: a timedelta to the millisecond."""
    return dt.timedelta(milliseconds=_round(serial * _MS_PER_DAY))


def iso_value(text: str) -> Any:
    """A ``t="d"`` cell: an ISO date, date-time or time as chrono parses it, else the text itself."""
    try:
        if "T" in text:
            day, _, clock = text.partition("T")
            return dt.datetime.combine(_iso_date(day), _iso_time(clock))
        if ":" in text:
            return _iso_time(text)
        return _iso_date(text)
    except (ValueError, OverflowError):
        return text


def _iso_date(text: str) -> dt.date:
    match = _ISO_DATE.fullmatch(text)
    if not match:
        raise ValueError(text)
    return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))


def _iso_time(text: str) -> dt.time:
    match = _ISO_TIME.fullmatch(text)
    if not match:
        raise ValueError(text)
    micro = int((match.group(4) or "0").ljust(9, "0")) // 1000
    second = int(match.group(3))
    # chrono takes a leap second (``:60``); Python has none, and python-calamine gives ``:59`` for it
    return dt.time(int(match.group(1)), int(match.group(2)), 59 if second == 60 else second, micro)


def _beside_workbook(package: Package, name: str) -> str | None:
    """The member named ``name`` in the workbook part's folder, its name's case aside (as calamine finds it)."""
    wanted = posixpath.join(posixpath.dirname(package.workbook_part), name).lower()
    return next((n for n in package.names if n.replace("\\", "/").lower() == wanted), None)


def date1904(package: Package) -> bool:
    """calamine's reading of ``date1904``: only ``1`` and ``true`` switch to the 1904 date system."""
    props = package.tree(package.workbook_part).find("workbookPr")
    return props is not None and props.get("date1904") in ("1", "true")
