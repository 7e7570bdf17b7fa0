#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writer of the HA scenarios: runs on the lab's client host (netns pgtc).

Commits one row per transaction through the VIP with synchronous_commit=on
and appends every acknowledged id to OUT as "ack <id> <epoch seconds>
<commit latency seconds>" (latency: from sending the INSERT to the commit's
return, so a commit that waits for a standby shows as a stall); a
failed attempt is logged as "err <epoch> <message>" and the writer reconnects.
An id whose commit did not return is never reused, and never counted as
acknowledged. Stops cleanly on SIGTERM.

usage: pgwriter.py OUT HOST PASSFILE FIRST_ID [INTERVAL_S]
"""
import signal
import sys
import time

import psycopg2

stop = False


def on_term(_sig, _frm):
    global stop
    stop = True


def connect(host, passfile):
    conn = psycopg2.connect(
        host=host, port=5432, dbname="postgres", user="app", passfile=passfile,
        connect_timeout=3, keepalives=1, keepalives_idle=1, keepalives_interval=1,
        keepalives_count=3, tcp_user_timeout=4000, application_name="pgwriter",
        options="-c synchronous_commit=on")
    conn.autocommit = False
    return conn


def main():
    out_path, host, passfile = sys.argv[1:4]
    first_id = int(sys.argv[4])
    interval = float(sys.argv[5]) if len(sys.argv) > 5 else 0.05
    signal.signal(signal.SIGTERM, on_term)
    out = open(out_path, "a", buffering=1)
    conn = None
    next_id = first_id
    while not stop:
        try:
            if conn is None:
                conn = connect(host, passfile)
            my_id = next_id
            next_id += 1
            began = time.monotonic()
            with conn.cursor() as cur:
                cur.execute("INSERT INTO ha_rows (id) VALUES (%s)", (my_id,))
            conn.commit()
            latency = time.monotonic() - began
            out.write(f"ack {my_id} {time.time():.3f} {latency:.3f}\n")
            time.sleep(interval)
        except Exception as exc:  # noqa: BLE001 - every failure means reconnect
            out.write(f"err {time.time():.3f} {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}\n")
            try:
                if conn is not None:
                    conn.close()
            except Exception:  # noqa: BLE001
                pass
            conn = None
            time.sleep(0.3)
    out.close()


if __name__ == "__main__":
    main()
