"""``python -m clinicops.connectors.emulators.sheets [--host H] [--port N]``."""

from __future__ import annotations

import argparse

from .runner import serve


def main() -> None:
    """Parse ``--host``/``--port`` and serve in the foreground."""
    parser = argparse.ArgumentParser(description="Run the Google Sheets API v4 emulator.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind (default: a free one)")
    args = parser.parse_args()
    serve(args.host, args.port)


if __name__ == "__main__":
    main()
