"""Time `read_contacts` on N generated vCards in one file (issue #17: `client import` of
10,000 cards in <= 3 s). In-process, stdlib timing, median of a few runs, and the ratio to a
floor: reading the file and splitting its lines.

    .venv/bin/python benchmarks/vcards.py [--cards 10000] [--runs 5] [--keep FILE]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from boundaries.sources.contacts import read_contacts


def write_cards(path: Path, n: int) -> None:
    """`n` cards in the mixed shapes of real exports (3.0 and 2.1 QP, groups, folded notes)."""
    out = []
    for i in range(n):
        mobile = f"+43 664 {1000000 + i:07d}"
        if i % 3 == 0:
            out.append("BEGIN:VCARD\r\nVERSION:2.1\r\n"
                       f"N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller{i};J=C3=\r\n"
                       f"=BCrgen;;;\r\nTEL;CELL;PREF:0664 {1000000 + i:07d}\r\n"
                       f"TEL;HOME:0732 {100000 + i % 900000:06d}\r\n"
                       f"EMAIL;HOME:j{i}@example.com\r\nEND:VCARD\r\n")
        else:
            out.append("BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//iPhone OS 17.1//EN\r\n"
                       f"N:Huber{i};Martina;;;\r\nFN:Martina Huber{i}\r\n"
                       f"ORG:Huber & Partner {i}\\, Steuerberatung;Buchhaltung;\r\n"
                       f"item1.TEL;type=pref:{mobile}\r\nitem1.X-ABLabel:_$!<Mobile>!$_\r\n"
                       f"item2.EMAIL;type=INTERNET:m{i}@huber.example\r\n"
                       "NOTE:Ein Hinweis\\, der lang genug ist\\, um gefaltet zu werden\\, wie \r\n"
                       " es Exporte tun.\r\nEND:VCARD\r\n")
    path.write_bytes("".join(out).encode("utf-8"))


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cards", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--keep", type=Path, help="write the file here (and keep it)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "cards.vcf"
        write_cards(path, args.cards)
        floor = median_time(lambda: path.read_bytes().splitlines(), args.runs)
        cold = median_time(lambda: read_contacts(path, "AT"), 1)  # phonenumbers' first parses
        warm = median_time(lambda: read_contacts(path, "AT"), args.runs)
        cards, warnings = read_contacts(path, "AT")
    size = path.stat().st_size if args.keep else None
    print(f"{len(cards)} cards, {len(warnings)} warnings"
          f"{f', {size / 1e6:.1f} MB' if size else ''}")
    print(f"floor (read + split lines): {floor * 1e3:8.1f} ms")
    print(f"read_contacts, first run:   {cold * 1e3:8.1f} ms  (numbers parsed, cache cold)")
    print(f"read_contacts, median of {args.runs}: {warm * 1e3:6.1f} ms  "
          f"({warm / floor:.0f}x the floor; numbers cached in-process)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
