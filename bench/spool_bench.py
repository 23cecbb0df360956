"""Spool benchmark: what keeping one webhook on disk costs while the database is down.

    python bench/spool_bench.py [--texts 40000] [--body-chars 90]

Keeps ``--texts`` texts in a fresh spool folder (hub/spool.py, the first key of a fresh
Fernet key encrypting, each file and the folder fsync'd) on this machine's disk, timing each
``keep``; prints p50/p99/max in milliseconds for the first and the last thousand (the cost
must not grow with what the spool holds) and the bytes a text takes on disk.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402

from hub.crypto import FieldCipher  # noqa: E402
from hub.spool import Spool  # noqa: E402


def _summary(label: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    return (f"{label}: p50 {statistics.median(ms):.2f} ms, "
            f"p99 {ms[int(len(ms) * 0.99) - 1]:.2f} ms, max {ms[-1]:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=40000)
    parser.add_argument("--body-chars", type=int, default=90)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=ROOT) as folder:
        spool = Spool(Path(folder) / "spool",
                      FieldCipher([Fernet.generate_key().decode()], b"bench-index-key-0123"),
                      max_bytes=2**40)
        body = ("my chest feels tight tonight and I am scared " * 40)[:args.body_chars]
        took = []
        for n in range(args.texts):
            sid = f"SM{n:032x}"
            started = time.perf_counter()
            spool.keep("sms", sid, {"MessageSid": sid, "From": "+12025550142", "Body": body},
                       datetime.now(UTC))
            took.append(time.perf_counter() - started)
        size = sum(p.stat().st_size for p in spool.folder.glob("*.req")) / args.texts
    chars = args.body_chars
    print(f"{args.texts} texts of {chars} characters, {size:.0f} bytes each on disk")
    print(_summary("first 1000", took[:1000]))
    print(_summary("last 1000", took[-1000:]))


if __name__ == "__main__":
    main()
