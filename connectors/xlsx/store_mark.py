"""The store's mark in a workbook: a hidden defined name only clinicops writes.

A defined name is part of the workbook, not of any tab, so sorting, deleting rows or
removing a tab keeps it; hidden, it does not show in Excel's Name Manager list or the name
box, and staff have no reason to touch it. Its value is a text constant, ``"<uuid>"``, the
identity of the store that last synced the workbook (see
:mod:`clinicops.core.store_identity`). ECMA-376 Part 1, 18.2.5 (definedName) and 18.2.27
(workbook: ``definedNames`` comes after ``sheets``, ``functionGroups`` and
``externalReferences``).
"""

from __future__ import annotations

from clinicops.connectors.xlsx.package import Package
from clinicops.connectors.xlsx.xml_nodes import Node, prefix_of

NAME = "_clinicops_store"
_BEFORE = ("sheets", "functionGroups", "externalReferences")  # what definedNames follows


def read(package: Package) -> str | None:
    """The identity the workbook carries, or None."""
    names = package.tree(package.workbook_part).find("definedNames")
    for each in names.elements() if names is not None else ():
        if each.get("name") == NAME:
            value = each.text().strip().strip('"')
            return value or None
    return None


def write(package: Package, identity: str) -> bool:
    """Give the workbook the mark ``identity``; False when it already carries it."""
    if read(package) == identity:
        return False
    book = package.tree(package.workbook_part)
    p = prefix_of(book.name)
    names = book.find("definedNames")
    if names is None:
        names = Node(p + "definedNames")
        after = [i for i, c in enumerate(book.children) if isinstance(c, Node) and c.local in _BEFORE]
        book.children.insert(after[-1] + 1 if after else len(book.children), names)
    names.children = [c for c in names.children if not (isinstance(c, Node) and c.get("name") == NAME)]
    names.children.append(Node(p + "definedName", ["name", NAME, "hidden", "1"], [f'"{identity}"']))
    package.touch(package.workbook_part)
    return True
