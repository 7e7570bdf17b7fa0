// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// One agent node under test: psql1 with peer psql2 ("peer" in the
// connector), a temporary data directory holding PG_VERSION, and every fake
// recording into one event log. Action tests derive from AgentFixture.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "agent_fakes.hpp"
#include "fakes.hpp"
#include "pgtwin/agent/context.hpp"

namespace pgtwin::testing {

class AgentFixture : public ::testing::Test {
protected:
    void SetUp() override {
        m_dir = std::filesystem::temp_directory_path() /
                ("pgtwin-agent-test-" + std::to_string(::getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->test_suite_name() + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(m_dir);
        std::filesystem::create_directories(m_dir / "data");
        std::ofstream(m_dir / "data" / "PG_VERSION") << "15\n";
        local.events = &events;
        peer.events = &events;
        cluster.events = &events;
        connector.hosts = {{"local", &local}, {"peer", &peer}};
        backend = std::make_unique<FakeBackend>((m_dir / "data").string());
        cfg.pgdata = (m_dir / "data").string();
        cfg.node_list = {"psql1", "psql2"};
        cfg.node_addresses = {{"psql2", "peer"}};
        cfg.application_name = "psql1";
        cfg.slot_name = "pgtwin_psql1";
        meta.interval = Millis{10000};
        meta.timeout = Millis{30000};
    }
    void TearDown() override { std::filesystem::remove_all(m_dir); }

    // The Pacemaker seam the actions see (a fixture may wrap `cluster`).
    virtual pcmk::Cluster& cluster_seam() { return cluster; }

    // A fresh context for one action on psql1, its deadline from meta.timeout.
    agent::Context ctx() {
        // clang-format off
        return agent::Context{cfg,     meta,      notify,          "psql1",   "psql2",
                              "pgsql", (m_dir / "state").string(), runner,    clock,
                              *backend, connector, cluster_seam(), Deadline(clock, meta.timeout)};
        // clang-format on
    }

    // Position of `e` in the event log, -1 when absent.
    std::ptrdiff_t index_of(const std::string& e) const {
        auto it = std::find(events.begin(), events.end(), e);
        return it == events.end() ? -1 : it - events.begin();
    }

    std::filesystem::path m_dir;
    Events events;
    FakePg local, peer;
    FakeConnector connector;
    FakeCluster cluster;
    FakeCommandRunner runner;
    FakeClock clock;
    std::unique_ptr<FakeBackend> backend;
    ocf::Config cfg;
    ocf::MetaEnv meta;
    pcmk::NotifyData notify;
    const std::string rep_state = "pgtwin-pgsql-rep-state";
};

}  // namespace pgtwin::testing
