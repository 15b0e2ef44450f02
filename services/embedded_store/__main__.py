"""Run mongoeco's MongoDB-wire server as a process of its own.

`make run` and the test suite start this when no `MONGODB_URI` is set: it is a real wire-protocol peer for
PyMongo, so every service talks to it exactly as it would to MongoDB. It prints one JSON line with
`"event": "ready"` and the connection URI once it accepts connections, and stops cleanly on SIGTERM/SIGINT.
Why SQLite by default: see docs/architecture.md (the measured figures and the choice).
"""

import argparse
import asyncio
import logging
import sqlite3
from pathlib import Path

from mongoeco.engines.memory import MemoryEngine
from mongoeco.engines.sqlite import SQLiteEngine
from mongoeco.wire.proxy import AsyncMongoEcoProxyServer

from services.common.lifecycle import stop_requested
from services.common.logging import configure_logging

log = logging.getLogger("services.embedded_store")
_CLOSE_ATTEMPTS = 5


def _engine(kind: str, path: Path):
    # The default 50k cap would make large aggregations (backfills) fail rather than merely run slowly.
    if kind == "memory":
        return MemoryEngine()
    path.parent.mkdir(parents=True, exist_ok=True)
    return SQLiteEngine(str(path), aggregation_materialization_limit=None)


async def serve(host: str, port: int, engine: str, path: Path) -> None:
    server = AsyncMongoEcoProxyServer(engine=_engine(engine, path), host=host, port=port)
    address = await server.start()
    uri = address.uri  # already carries directConnection=true
    log.info("embedded store ready", extra={"event": "ready", "uri": uri, "engine": engine, "path": str(path)})
    await stop_requested().wait()
    log.info("embedded store stopping", extra={"event": "stopping"})
    for attempt in range(_CLOSE_ATTEMPTS):
        try:
            await server.close()
            return
        except* sqlite3.OperationalError as failure:
            # A client's operation cut short by the close can hold SQLite's lock for a moment after its connection
            # is gone ("database is locked"): closing again once it lets go is a clean stop. (What was committed is
            # in the file either way: SQLite's WAL survives even a kill -9.)
            if attempt == _CLOSE_ATTEMPTS - 1:
                raise
            log.warning("embedded store busy while closing; closing again",
                        extra={"attempt": attempt, "error": str(failure.exceptions[0])})
            await asyncio.sleep(0.2 * (attempt + 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=27017, help="0 picks a free port (tests)")
    parser.add_argument("--engine", choices=["sqlite", "memory"], default="sqlite")
    parser.add_argument("--path", type=Path, default=Path("var/store.sqlite3"), help="SQLite file")
    args = parser.parse_args()
    configure_logging("embedded_store")
    asyncio.run(serve(args.host, args.port, args.engine, args.path))


if __name__ == "__main__":
    main()
