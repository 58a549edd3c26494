"""Check that PostgreSQL and Redis answer at the URLs CI tests against; one clear line if not."""

from __future__ import annotations

import sys

from sqlalchemy import create_engine, text


def main(pg_url: str, redis_url: str) -> int:
    try:
        engine = create_engine(pg_url, connect_args={"connect_timeout": 5})
        with engine.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar()
        engine.dispose()
    except Exception as exc:
        print(
            f"CI needs PostgreSQL at {pg_url}: it does not answer ({type(exc).__name__}: {_first_line(exc)})",
            file=sys.stderr,
        )
        return 1
    try:
        import redis

        redis.Redis.from_url(redis_url, socket_connect_timeout=5).ping()
    except Exception as exc:
        print(
            f"CI needs Redis at {redis_url}: it does not answer ({type(exc).__name__}: {_first_line(exc)})",
            file=sys.stderr,
        )
        return 1
    print(f"PostgreSQL {version} and Redis answer.")
    return 0


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else "no answer"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
