"""How ``libreoffice-clinic.xlsx`` was made: a clinicops layout, filled in and decorated in Calc.

Run from the repository root with LibreOffice Calc and python3-uno installed:
``python tests/data/workbooks/make_libreoffice_workbook.py``. Calc types the rows and adds what
staff add to a workbook (an image, a chart, conditional formatting, data validation, notes,
a Yes/No cell, a formula) and saves as xlsx; nothing of this file is written by clinicops.
"""

from __future__ import annotations

import struct
import sys
import tempfile
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from clinicops.core import operations
from tests import libreoffice

HERE = Path(__file__).parent


def tiny_png(path: Path) -> None:
    """A 4×4 teal square: enough of an image to be kept or lost."""
    raw = b"".join(b"\x00" + b"\x00\x80\x80" * 4 for _ in range(4))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    )


def main() -> None:
    folder = Path(tempfile.mkdtemp()) / "clinic"
    operations.init_practice(folder, name="Corpus Clinic").close()
    book = folder / "clinic.xlsx"
    calc = libreoffice.Calc()
    doc = calc.open(book)
    typed = {
        ("Providers", "A2"): "PR000001",
        ("Providers", "B2"): "Ada",
        ("Providers", "C2"): "Lovelace",
        ("Providers", "E2"): "1234567893",
        ("Providers", "N2"): "TRUE",
        ("Inventory", "A2"): "INV000001",
        ("Inventory", "B2"): "Gloves",
        ("Inventory", "C2"): "supplies",
        ("Inventory", "E2"): "=4+4",
        ("Patients", "S1"): "Visits",
        ("Patients", "T1"): "Visits doubled",
    }
    people = [
        ("P000001", "Grace", "Hopper", "12/9/1956", "3"),
        ("P000002", "Alan", "Turing", "6/23/1962", "5"),
        ("", "Edsger", "Dijkstra", "5/11/1970", "1"),
    ]
    for i, (mrn, first, last, born, visits) in enumerate(people, start=2):
        for col, value in zip("ABCDS", (mrn, first, last, born, visits), strict=True):
            if value:
                typed[("Patients", f"{col}{i}")] = value
        typed[("Patients", f"T{i}")] = f"=S{i}*2"
    for (tab, ref), text in typed.items():
        calc.type(doc, tab, ref, text)
    uno = calc.uno
    sheet = calc.sheet(doc, "Patients")
    address = uno.createUnoStruct("com.sun.star.table.CellAddress")
    address.Sheet, address.Column, address.Row = 2, 1, 1
    sheet.Annotations.insertNew(address, "Prefers mornings")
    address.Column, address.Row = 18, 2
    sheet.Annotations.insertNew(address, "Counted by hand")
    image = folder / "logo.png"
    tiny_png(image)
    shape = doc.createInstance("com.sun.star.drawing.GraphicObjectShape")
    provider = calc.desktop.getCurrentComponent()  # keep a reference while loading the graphic
    graphic_provider = calc.ctx.ServiceManager.createInstanceWithContext(
        "com.sun.star.graphic.GraphicProvider", calc.ctx
    )
    shape.Graphic = graphic_provider.queryGraphic(calc._props(URL=image.as_uri()))
    sheet.DrawPage.add(shape)
    size = uno.createUnoStruct("com.sun.star.awt.Size")
    size.Width, size.Height = 2000, 2000
    shape.setSize(size)
    point = uno.createUnoStruct("com.sun.star.awt.Point")
    point.X, point.Y = 30000, 3000
    shape.setPosition(point)
    rect = uno.createUnoStruct("com.sun.star.awt.Rectangle")
    rect.X, rect.Y, rect.Width, rect.Height = 30000, 6000, 8000, 5000
    chart_range = sheet.getCellRangeByName("S1:S4").getRangeAddress()
    sheet.Charts.addNewByName("Visits", rect, (chart_range,), True, False)
    visits = sheet.getCellRangeByName("S2:S100")
    formats = visits.ConditionalFormat
    condition = uno.Enum("com.sun.star.sheet.ConditionOperator", "GREATER")
    formats.addNew(calc._props(Operator=condition, Formula1="4", StyleName="Accent"))
    visits.ConditionalFormat = formats
    validation = visits.Validation
    validation.Type = uno.Enum("com.sun.star.sheet.ValidationType", "WHOLE")
    validation.setOperator(uno.Enum("com.sun.star.sheet.ConditionOperator", "BETWEEN"))
    validation.setFormula1("0")
    validation.setFormula2("100")
    visits.Validation = validation
    del provider
    calc.save(doc, HERE / "libreoffice-clinic.xlsx")
    calc.close(doc)
    calc.quit()


if __name__ == "__main__":
    main()
