#!/usr/bin/env python3
"""The article's src/02_generate_clickstream.py: for each of the first N days, one event per
customer who ordered that day, sent with kafka-python to `clickstream_events` (created first if
missing), keyed by customer_id.

    python demo/02_generate_clickstream.py       # N_DAYS=3 as upstream; sleeps 3 s between days

Env: N_DAYS (3), SLEEP_S (3), DEMO_CSV, KAFKA_BOOTSTRAP (127.0.0.1:9092; the article's container
used redpanda:9092), CLICKSTREAM_RAW_KEYS=1 to send bare ids as keys like upstream (the
article's JsonConverter sink then fails; see sluice_demo.event_key).
"""

import os
import sys

import sluice_demo as demo


def main() -> int:
    settings = demo.Settings.from_env()
    orders = demo.load_orders(demo.default_orders_path())
    demo.generate_clickstream(
        settings,
        orders,
        n_days=int(os.environ.get("N_DAYS", "3")),
        sleep_s=float(os.environ.get("SLEEP_S", "3")),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
