"""``python -m clinicops.connectors.emulators.airtable [--host H] [--port N] [--token T]``."""

from __future__ import annotations

import argparse

from .server import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m clinicops.connectors.emulators.airtable",
        description="Run the Airtable Web API emulator; prints its base URL first.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument(
        "--token",
        action="append",
        dest="tokens",
        help="accept only this bearer token (repeatable); default: any non-empty token",
    )
    arguments = parser.parse_args(argv)
    serve(arguments.host, arguments.port, tokens=arguments.tokens)


if __name__ == "__main__":
    main()
