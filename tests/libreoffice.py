"""LibreOffice Calc, headless, driven through UNO as a staff member drives it: open, type, save.

Typing goes through Calc's own input line (the ``EnterString`` command), so Calc applies its
number, date and boolean recognition exactly as for a person at the keyboard. Each test run
uses a private profile in a temporary folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

UNO_PATHS = ["/usr/lib/python3/dist-packages", "/usr/lib/libreoffice/program"]


def available() -> bool:
    return shutil.which("soffice") is not None and any(Path(p, "uno.py").exists() for p in UNO_PATHS)


def _uno() -> Any:
    for p in UNO_PATHS:
        if p not in sys.path:
            sys.path.append(p)
    import uno

    return uno


class Calc:
    """One running soffice; ``open`` a workbook, ``type`` into cells, ``save`` as xlsx, ``close``."""

    def __init__(self) -> None:
        self.uno = _uno()
        self.profile = Path(tempfile.mkdtemp(prefix="clinicops-lo-profile-"))
        self.pipe = f"clinicops{os.getpid()}x{time.monotonic_ns()}"
        self.process = subprocess.Popen(
            [
                "soffice",
                f"-env:UserInstallation={self.profile.as_uri()}",
                "--headless",
                "--invisible",
                "--norestore",
                "--nologo",
                "--nodefault",
                "--nolockcheck",
                f"--accept=pipe,name={self.pipe};urp;StarOffice.ComponentContext",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "LC_ALL": "en_US.UTF-8", "LANG": "en_US.UTF-8"},
        )
        self.desktop = self._connect()

    def _connect(self) -> Any:
        local = self.uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.monotonic() + 60
        while True:
            try:
                ctx = resolver.resolve(f"uno:pipe,name={self.pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.3)
        self.ctx = ctx
        return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)

    def _props(self, **values: Any) -> tuple:
        out = []
        for name, value in values.items():
            prop = self.uno.createUnoStruct("com.sun.star.beans.PropertyValue")
            prop.Name, prop.Value = name, value
            out.append(prop)
        return tuple(out)

    def open(self, path: Path) -> Any:
        return self.desktop.loadComponentFromURL(Path(path).resolve().as_uri(), "_blank", 0, self._props(Hidden=True))

    def sheet(self, doc: Any, title: str) -> Any:
        return doc.Sheets.getByName(title)

    def type(self, doc: Any, title: str, cell: str, text: str) -> None:
        """Type ``text`` into ``cell`` and press Enter, as a person does."""
        sheet = self.sheet(doc, title)
        controller = doc.getCurrentController()
        controller.setActiveSheet(sheet)
        controller.select(sheet.getCellRangeByName(cell))
        dispatcher = self.ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.DispatchHelper", self.ctx)
        dispatcher.executeDispatch(controller.getFrame(), ".uno:EnterString", "", 0, self._props(StringName=text))

    def save(self, doc: Any, path: Path | None = None) -> None:
        """Save as Excel 2007-365 (.xlsx), keeping the format, as 'Use Excel 2007-365!' does."""
        target = Path(path).resolve().as_uri() if path else doc.getURL()
        doc.storeToURL(target, self._props(FilterName="Calc MS Excel 2007 XML", Overwrite=True))

    def close(self, doc: Any) -> None:
        doc.close(True)

    def quit(self) -> None:
        with contextlib.suppress(Exception):
            self.desktop.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)
