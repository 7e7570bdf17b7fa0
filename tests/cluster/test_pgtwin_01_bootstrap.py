# SPDX-License-Identifier: GPL-2.0-or-later
"""Scenario 1: bootstrap from nothing. psql1 was prepared with
`pg-prepare-node --init`, psql2 has an empty data directory; after loading
examples/vm-mode-cluster.crm pgtwin must make one primary and a streaming,
synchronous standby (psql2 filled by the agent with pg_basebackup)."""
import pgkit


def test_primary_and_streaming_standby_from_one_initialised_node(pgtwin_lab):
    lab = pgtwin_lab
    primary, standby = pgkit.wait_settled(lab, timeout=300)
    # psql2 started empty: the agent must have created its cluster, as a copy
    # of psql1's (same system identifier).
    ids = {n: pgkit.sql(lab, n, "SELECT system_identifier FROM pg_control_system()")
           for n in (primary, standby)}
    assert ids[primary] == ids[standby]
    assert pgkit.sql(lab, standby, "SELECT pg_is_in_recovery()") == "t"
    assert pgkit.sql(lab, standby, "SELECT status FROM pg_stat_wal_receiver") == "streaming"
    assert pgkit.sql(lab, primary, "SELECT application_name || ':' || sync_state "
                     "FROM pg_stat_replication") == f"{standby}:sync"


def test_writes_through_the_vip_reach_both_nodes(pgtwin_lab):
    lab = pgtwin_lab
    primary, standby = pgkit.wait_settled(lab)
    pgkit.prepare_app_user(lab, primary)
    with pgkit.Scenario(lab, "bootstrap") as sc:
        sc.more_acks(30)
        missing = sc.finish(primary)
        assert missing == []
        # Synchronous commit: every acknowledged row is on the standby too.
        assert pgkit.missing_rows(lab, standby, sc.writer.acked()) == []
