"""Writes a workbook the way Excel saves one: text in the shared-strings table, dates as serial
numbers with a date style. Streams row by row, so building 200,000 rows takes little memory."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
EPOCH = dt.date(1899, 12, 30)
DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{MAIN}"><numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/>
<numFmt numFmtId="165" formatCode="yyyy\\-mm\\-dd\\ hh:mm"/></numFmts>
<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"""


def _column(i: int) -> str:
    letters = ""
    i += 1
    while i:
        i, rest = divmod(i - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def write_workbook(path: Path, sheets: dict[str, Iterable[list[Any]]]) -> None:
    strings: dict[str, int] = {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, rows in enumerate(sheets.values(), start=1):
            with z.open(f"xl/worksheets/sheet{n}.xml", "w") as out:
                out.write((DECLARATION + f'<worksheet xmlns="{MAIN}"><sheetData>').encode())
                for r, row in enumerate(rows, start=1):
                    cells = []
                    for c, value in enumerate(row):
                        ref = f"{_column(c)}{r}"
                        if value is None or value == "":
                            continue
                        if isinstance(value, dt.datetime):
                            serial = (value - dt.datetime(1899, 12, 30)).total_seconds() / 86400
                            cells.append(f'<c r="{ref}" s="2"><v>{serial}</v></c>')
                        elif isinstance(value, dt.date):
                            cells.append(f'<c r="{ref}" s="1"><v>{(value - EPOCH).days}</v></c>')
                        elif isinstance(value, int | float):
                            cells.append(f'<c r="{ref}"><v>{value}</v></c>')
                        else:
                            index = strings.setdefault(str(value), len(strings))
                            cells.append(f'<c r="{ref}" t="s"><v>{index}</v></c>')
                    out.write(f'<row r="{r}">{"".join(cells)}</row>'.encode())
                out.write(b"</sheetData></worksheet>")
        with z.open("xl/sharedStrings.xml", "w") as out:
            out.write((DECLARATION + f'<sst xmlns="{MAIN}" uniqueCount="{len(strings)}">').encode())
            for text in strings:
                out.write(f'<si><t xml:space="preserve">{escape(text)}</t></si>'.encode())
            out.write(b"</sst>")
        z.writestr("xl/styles.xml", STYLES)
        names = list(sheets)
        z.writestr(
            "xl/workbook.xml",
            DECLARATION
            + f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
            + "".join(f'<sheet name={quoteattr(t)} sheetId="{i}" r:id="rId{i}"/>' for i, t in enumerate(names, 1))
            + "</sheets></workbook>",
        )
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(names) + 1)
        )
        k = len(names)
        rels += f'<Relationship Id="rId{k + 1}" Type="{REL}/styles" Target="styles.xml"/>'
        rels += f'<Relationship Id="rId{k + 2}" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
        pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            DECLARATION + f'<Relationships xmlns="{pkg}">{rels}</Relationships>',
        )
        z.writestr(
            "_rels/.rels",
            DECLARATION + f'<Relationships xmlns="{pkg}">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{ct}.worksheet+xml"/>'
            for i in range(1, len(names) + 1)
        )
        z.writestr(
            "[Content_Types].xml",
            DECLARATION + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>{overrides}'
            f'<Override PartName="/xl/styles.xml" ContentType="{ct}.styles+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/></Types>',
        )
