"""How ``libreoffice-pivot.xlsx`` was made: a clinicops layout with a pivot table built in Calc.

Run from the repository root with LibreOffice Calc and python3-uno installed:
``python tests/data/workbooks/make_pivot_workbook.py``. Calc types four patients (one
without an id, so the sync writes to the tab), then adds a sheet "Patients by city" holding a
DataPilot table (Calc's pivot table) that counts the patients of each city from the
Patients tab, and saves as xlsx: the file carries a pivot table part and its pivot cache
(definition and records), none of it written by clinicops.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from clinicops.core import operations
from tests import libreoffice

HERE = Path(__file__).parent
PEOPLE = [
    ("P000001", "Grace", "Hopper", "12/9/1956", "Boston"),
    ("P000002", "Alan", "Turing", "6/23/1962", "Salem"),
    ("P000003", "Katherine", "Johnson", "8/26/1968", "Boston"),
    ("", "Edsger", "Dijkstra", "5/11/1970", "Lowell"),
]


def main() -> None:
    folder = Path(tempfile.mkdtemp()) / "clinic"
    operations.init_practice(folder, name="Pivot Clinic").close()
    calc = libreoffice.Calc()
    doc = calc.open(folder / "clinic.xlsx")
    patients = calc.sheet(doc, "Patients")
    header = [patients.getCellByPosition(c, 0).getString() for c in range(40)]
    city = header.index("City")
    columns = {"A": 0, "B": 1, "C": 2, "D": 3}
    for row, person in enumerate(PEOPLE, start=2):
        for letter, value in zip(columns, person[:4], strict=True):
            if value:
                calc.type(doc, "Patients", f"{letter}{row}", value)
        patients.getCellByPosition(city, row - 1).setString(person[4])
    doc.Sheets.insertNewByName("Patients by city", doc.Sheets.Count)
    target = calc.sheet(doc, "Patients by city")
    uno = calc.uno
    tables = target.getDataPilotTables()
    descriptor = tables.createDataPilotDescriptor()
    descriptor.setSourceRange(patients.getCellRangeByPosition(0, 0, city, len(PEOPLE)).getRangeAddress())
    fields = descriptor.getDataPilotFields()
    row_field = fields.getByIndex(city)
    row_field.Orientation = uno.Enum("com.sun.star.sheet.DataPilotFieldOrientation", "ROW")
    data_field = fields.getByIndex(0)
    data_field.Orientation = uno.Enum("com.sun.star.sheet.DataPilotFieldOrientation", "DATA")
    data_field.Function = uno.Enum("com.sun.star.sheet.GeneralFunction", "COUNT")
    where = uno.createUnoStruct("com.sun.star.table.CellAddress")
    where.Sheet, where.Column, where.Row = doc.Sheets.Count - 1, 0, 0
    tables.insertNewByName("PatientsByCity", where, descriptor)
    calc.save(doc, HERE / "libreoffice-pivot.xlsx")
    calc.close(doc)
    calc.quit()


if __name__ == "__main__":
    main()
