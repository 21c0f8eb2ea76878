#!/usr/bin/env python3
"""Deterministic stand-in for Kaggle's `olist_orders_dataset.csv` (plus the `daily` column).

The article loads the Brazilian e-commerce (Olist) orders file, which needs a Kaggle account and
cannot be downloaded on these machines. This writes a file of the same shape instead: the eight
varchar columns of `olist_orders_dataset` and `daily` (the purchase date the generator scripts
group by), 74,254 orders over 366 days from 2017-08-01, as the article's output shows
(`(74254, 9)`, `NO. DATES: 366`, then 165, 157 and 148 records on the first three days).

Random 32-hex ids make the file 4.6 MB gzipped (13 MB raw), too big to ship, so it is generated
on first use (about 2 s); a fixed seed makes every run, and every machine, write the same bytes.

    python demo/gen_olist.py [--out PATH] [--seed N]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import io
import math
import os
import random
import sys
from pathlib import Path

COLUMNS = [
    "order_id",
    "customer_id",
    "order_status",
    "order_purchase_timestamp",
    "order_approved_at",
    "order_delivered_carrier_date",
    "order_delivered_customer_date",
    "order_estimated_delivery_date",
]
CSV_COLUMNS = COLUMNS + ["daily"]

SEED = 20171001
# Bump when the output changes, so files cached by an older generator are rewritten.
VERSION = 1
TOTAL_ORDERS = 74254
N_DAYS = 366
FIRST_DAY = dt.date(2017, 8, 1)
# The article's run printed these for its first three days; pinning them makes our first lines
# read like the article's.
PINNED_FIRST_DAYS = (165, 157, 148)

# Roughly the real file's status mix (delivered dominates; the rest never reach the customer).
STATUSES = (
    ("delivered", 0.970),
    ("shipped", 0.011),
    ("canceled", 0.006),
    ("unavailable", 0.006),
    ("invoiced", 0.003),
    ("processing", 0.003),
    ("approved", 0.001),
)
TS = "%Y-%m-%d %H:%M:%S"


def _daily_counts(rng: random.Random) -> list[int]:
    """Orders per day: a rising trend with a weekly dip, then scaled to exactly TOTAL_ORDERS."""
    raw = []
    for i in range(N_DAYS):
        day = FIRST_DAY + dt.timedelta(days=i)
        trend = 150.0 + 95.0 * i / (N_DAYS - 1)
        weekly = 0.9 if day.weekday() >= 5 else 1.04
        raw.append(max(60.0, rng.gauss(trend * weekly, 12.0)))
    pinned = len(PINNED_FIRST_DAYS)
    rest_target = TOTAL_ORDERS - sum(PINNED_FIRST_DAYS)
    scale = rest_target / sum(raw[pinned:])
    counts = list(PINNED_FIRST_DAYS) + [int(round(x * scale)) for x in raw[pinned:]]
    # Rounding leaves a small difference: spread it one order at a time over the later days.
    diff = TOTAL_ORDERS - sum(counts)
    step = 1 if diff > 0 else -1
    i = N_DAYS - 1
    while diff:
        counts[i] += step
        diff -= step
        i = i - 1 if i > pinned else N_DAYS - 1
    return counts


def _status(rng: random.Random) -> str:
    x = rng.random()
    acc = 0.0
    for name, p in STATUSES:
        acc += p
        if x < acc:
            return name
    return "created"


def _order(rng: random.Random, day: dt.date) -> list[str]:
    purchase = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=rng.randrange(86400))
    status = _status(rng)
    approved = purchase + dt.timedelta(minutes=rng.randint(5, 2880))
    carrier = approved + dt.timedelta(hours=rng.randint(10, 140))
    delivered = carrier + dt.timedelta(hours=rng.randint(24, 20 * 24))
    estimated = dt.datetime.combine(purchase.date() + dt.timedelta(days=rng.randint(12, 35)), dt.time())
    approved_s = approved.strftime(TS) if status not in ("created", "canceled") else ""
    carrier_s = carrier.strftime(TS) if status in ("delivered", "shipped") else ""
    delivered_s = delivered.strftime(TS) if status == "delivered" else ""
    return [
        f"{rng.getrandbits(128):032x}",
        f"{rng.getrandbits(128):032x}",
        status,
        purchase.strftime(TS),
        approved_s,
        carrier_s,
        delivered_s,
        estimated.strftime(TS),
        day.isoformat(),
    ]


def generate_rows(seed: int = SEED) -> list[list[str]]:
    """All rows, in purchase-time order (the header is not included)."""
    rng = random.Random(seed)
    rows = []
    for i, n in enumerate(_daily_counts(rng)):
        day = FIRST_DAY + dt.timedelta(days=i)
        day_rows = [_order(rng, day) for _ in range(n)]
        day_rows.sort(key=lambda r: r[3])
        rows.extend(day_rows)
    return rows


def render(seed: int = SEED) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    w.writerows(generate_rows(seed))
    return buf.getvalue().encode()


def default_path() -> Path:
    repo = Path(__file__).resolve().parent.parent
    stack = Path(os.environ.get("SLUICE_STACK_DIR", repo / ".stack"))
    return stack / "demo" / "olist_orders_dataset.csv"


def _stamp(seed: int, digest: str) -> str:
    return f"gen_olist v{VERSION} seed {seed} sha256 {digest}\n"


def ensure(path: Path | None = None, seed: int = SEED) -> Path:
    """Writes the file unless the one there was written by this generator version with this
    seed and is intact (checked against the stamp written beside it, which is cheaper than
    generating the rows again)."""
    path = Path(path or default_path())
    stamp = path.with_name(path.name + ".stamp")
    if path.exists() and stamp.exists():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if stamp.read_text() == _stamp(seed, digest):
            return path
    data = render(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)  # atomic: a concurrent reader never sees half a file
    stamp.write_text(_stamp(seed, hashlib.sha256(data).hexdigest()))
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None, help=f"default: {default_path()}")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    path = ensure(args.out, args.seed)
    n = sum(1 for _ in path.open()) - 1
    print(f"{path}: {n} orders, {math.ceil(path.stat().st_size / 1024)} KiB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
