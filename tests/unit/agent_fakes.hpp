// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Fakes for the agent's collaborators: a scripted PostgreSQL per node, a
// Pacemaker attribute store and a backend. All record into one event log so
// tests can assert the ORDER of effects (e.g. publish before degrade).

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "fakes.hpp"
#include "pgtwin/agent/context.hpp"
#include "pgtwin/pg/client.hpp"

namespace pgtwin::testing {

using Events = std::vector<std::string>;

// One node's PostgreSQL as SQL sees it.
struct FakePg {
    bool answering = true;
    bool dropping = false;        // connection attempts get no answer (a powered-off host drops packets)
    bool slow_handshake = false;  // the host answers, the server needs 2 s to let a client in
    bool in_recovery = false;
    std::string lsn = "0/3000000";
    int timeline = 1;
    std::vector<pg::Row> replication;   // pg_stat_replication rows (8 columns)
    std::optional<pg::Row> receiver;    // pg_stat_wal_receiver row (4 columns)
    std::optional<pg::Row> slot_check;  // slot_lacks_wal row: wal_status, lacks ("t"/"f")
    std::map<std::string, std::string> settings{{"synchronous_standby_names", ""}, {"max_slot_wal_keep_size", "4GB"}};
    bool no_pg_monitor = false;   // the connecting role lacks pg_monitor: pg_ls_waldir is refused
    bool status_fails = false;    // role/status queries time out (the instance answers otherwise)
    std::set<std::string> slots;  // replication slots (all inactive, none lost)
    int slot_writes = 0;          // statements that create or drop a slot
    int queries = 0;              // statements run, one round trip each
    Events* events = nullptr;

    // A streaming standby row for pg_stat_replication.
    static pg::Row standby_row(const std::string& app, const std::string& state, const std::string& sync) {
        return {app, state, sync, "0/3000000", "0/3000000", "0/3000000", "0/3000000", "10.0.0.2"};
    }
};

class FakeSession final : public pg::Session {
public:
    explicit FakeSession(FakePg& w) : m_w(w) {}

    Result<pg::QueryResult> query(const std::string& sql, const std::vector<std::optional<std::string>>& params,
                                  const Deadline&) override {
        ++m_w.queries;
        pg::QueryResult r;
        if (sql.rfind("SELECT r.rec", 0) == 0) {
            if (m_w.status_fails) return fail(ErrorKind::Timeout, "Query timed out: SELECT r.rec");
            if (m_w.no_pg_monitor && sql.find("pg_ls_waldir") != std::string::npos) {
                return fail(ErrorKind::Generic, "permission denied for function pg_ls_waldir");
            }
            char walfile[25];
            std::snprintf(walfile, sizeof walfile, "%08X0000000000000003", static_cast<unsigned>(m_w.timeline));
            r.rows.push_back({m_w.in_recovery ? "t" : "f", m_w.lsn,
                              m_w.in_recovery ? std::nullopt : std::optional<std::string>(walfile),
                              m_w.in_recovery ? std::optional<std::string>(std::to_string(m_w.timeline)) : std::nullopt,
                              "7300"});
        } else if (sql.rfind("SELECT s.wal_status", 0) == 0) {
            if (m_w.slot_check) r.rows.push_back(*m_w.slot_check);
        } else if (sql.find("pg_stat_wal_receiver") != std::string::npos) {
            if (m_w.receiver) r.rows.push_back(*m_w.receiver);
        } else if (sql.find("pg_terminate_backend") != std::string::npos) {
            // end_walsenders: the walsenders of params[0] end and leave the view.
            const std::string app = *params.at(0);
            for (const auto& row : m_w.replication) {
                if (row.at(0) == app) r.rows.push_back({"4242"});
            }
            std::erase_if(m_w.replication, [&](const pg::Row& row) { return row.at(0) == app; });
            if (m_w.events) m_w.events->push_back("terminate:" + app);
        } else if (sql.find("pg_stat_replication") != std::string::npos) {
            r.rows = m_w.replication;
        } else if (sql.rfind("SELECT current_setting('synchronous_standby_names'),", 0) == 0) {
            // primary_upkeep: settings, peer slot needs work, own slot droppable.
            r.rows.push_back({m_w.settings.at("synchronous_standby_names"), m_w.settings.at("max_slot_wal_keep_size"),
                              m_w.slots.count(*params.at(0)) ? "f" : "t", m_w.slots.count(*params.at(1)) ? "t" : "f"});
        } else if (sql.find("pg_create_physical_replication_slot") != std::string::npos) {
            ++m_w.slot_writes;
            m_w.slots.insert(*params.at(0));
        } else if (sql.find("pg_drop_replication_slot") != std::string::npos) {
            ++m_w.slot_writes;
            if (sql.find("'lost'") == std::string::npos) m_w.slots.erase(*params.at(0));  // none is lost here
        } else if (sql.rfind("SELECT current_setting($1)", 0) == 0) {
            r.rows.push_back({m_w.settings.at(*params.at(0))});
        } else if (sql.rfind("SELECT pg_current_wal_lsn()", 0) == 0) {
            if (m_w.events) m_w.events->push_back("query:pg_current_wal_lsn");
            r.rows.push_back({m_w.lsn});
        } else if (sql.rfind("ALTER SYSTEM SET ", 0) == 0) {
            alter(sql.substr(17));
        } else if (sql.find("pg_reload_conf") != std::string::npos || sql == "CHECKPOINT" ||
                   sql.find("replication_slot") != std::string::npos) {
            if (m_w.events && sql == "CHECKPOINT") m_w.events->push_back("checkpoint");
        } else {
            throw std::logic_error("FakeSession: unexpected SQL: " + sql);
        }
        return r;
    }

    Result<std::string> quote_literal(const std::string& value) override { return "'" + value + "'"; }

private:
    // "name = 'value'": records it, and a standby named synchronous becomes 'sync'.
    void alter(const std::string& assignment) {
        auto eq = assignment.find(" = ");
        std::string name = assignment.substr(0, eq);
        std::string value = assignment.substr(eq + 4, assignment.size() - eq - 5);
        m_w.settings[name] = value;
        if (m_w.events) m_w.events->push_back("alter:" + name + "=" + value);
        if (name != "synchronous_standby_names") return;
        for (auto& row : m_w.replication) {
            row[2] = (!value.empty() && value == "\"" + *row[0] + "\"") ? "sync" : "async";
        }
    }

    FakePg& m_w;
};

// Connects to the FakePg registered for the connection's host.
class FakeConnector final : public pg::Connector {
public:
    std::map<std::string, FakePg*> hosts;
    std::vector<Millis> caps;  // each attempt's time left, in order

    Result<std::unique_ptr<pg::Session>> connect(const pg::ConnParams& p, const Deadline& d) override {
        caps.push_back(d.remaining());
        auto it = hosts.find(p.host);
        if (it != hosts.end() && it->second->dropping) {
            return fail(ErrorKind::Unreachable, "Connecting to PostgreSQL timed out: no answer from the host");
        }
        if (it != hosts.end() && it->second->slow_handshake && d.remaining() < Millis{2000}) {
            return fail(ErrorKind::Timeout, "Connecting to PostgreSQL timed out");
        }
        if (it == hosts.end() || !it->second->answering) {
            return fail(ErrorKind::NotRunning, "connection refused: " + p.host);
        }
        return std::unique_ptr<pg::Session>(std::make_unique<FakeSession>(*it->second));
    }
};

// Pacemaker's attribute store; `fail_writes` makes every write fail;
// `hold_writes` keeps writes in flight (they succeed) until release_held(),
// so a test can deliver them after later ones.
class FakeCluster final : public pcmk::Cluster {
public:
    std::map<std::string, std::string> attrs;  // "node/name" -> value
    std::map<std::string, int> scores;
    bool fail_writes = false;
    bool hold_writes = false;
    std::vector<std::function<void()>> held;
    int reads = 0;  // attribute and score reads (each a crm_attribute fork for real)
    Events* events = nullptr;
    pcmk::Membership peer_membership = pcmk::Membership::Member;  // of every other node
    bool fail_membership = false;
    int membership_queries = 0;

    // Applies the held writes now, in the order they were made.
    void release_held() {
        auto pending = std::move(held);
        held.clear();
        for (auto& w : pending) w();
    }

    Result<std::string> local_node_name(const Deadline&) override { return std::string("psql1"); }
    Result<void> set_promotion_score(const std::string& node, int score, const Deadline&) override {
        if (fail_writes) return fail(ErrorKind::Generic, "cib unavailable");
        if (hold_writes) {
            held.push_back([this, node, score] {
                scores[node] = score;
                log("score:" + node + "=" + std::to_string(score));
            });
            return ok();
        }
        scores[node] = score;
        log("score:" + node + "=" + std::to_string(score));
        return ok();
    }
    Result<std::optional<int>> promotion_score(const std::string& node, const Deadline&) override {
        ++reads;
        auto it = scores.find(node);
        return it == scores.end() ? std::optional<int>() : std::optional<int>(it->second);
    }
    Result<void> delete_promotion_score(const std::string& node, const Deadline&) override {
        scores.erase(node);
        return ok();
    }
    Result<void> set_attribute(const std::string& node, const std::string& name, const std::string& value,
                               pcmk::Lifetime, const Deadline&) override {
        if (fail_writes) return fail(ErrorKind::Generic, "cib unavailable");
        if (hold_writes) {
            held.push_back([this, node, name, value] {
                attrs[node + "/" + name] = value;
                log("attr:" + node + ":" + name + "=" + value);
            });
            return ok();
        }
        attrs[node + "/" + name] = value;
        log("attr:" + node + ":" + name + "=" + value);
        return ok();
    }
    Result<std::optional<std::string>> attribute(const std::string& node, const std::string& name, pcmk::Lifetime,
                                                 const Deadline&) override {
        ++reads;
        auto it = attrs.find(node + "/" + name);
        return it == attrs.end() ? std::optional<std::string>() : std::optional<std::string>(it->second);
    }
    Result<void> set_private_attribute(const std::string& node, const std::string& name, const std::string& value,
                                       const Deadline& d) override {
        return set_attribute(node, "private:" + name, value, pcmk::Lifetime::Reboot, d);
    }
    Result<std::optional<std::string>> private_attribute(const std::string& node, const std::string& name,
                                                         const Deadline& d) override {
        return attribute(node, "private:" + name, pcmk::Lifetime::Reboot, d);
    }
    Result<void> delete_private_attribute(const std::string& node, const std::string& name, const Deadline&) override {
        attrs.erase(node + "/private:" + name);
        return ok();
    }
    Result<pcmk::Membership> membership(const std::string& node, const Deadline&) override {
        ++membership_queries;
        log("membership:" + node);
        if (fail_membership) return fail(ErrorKind::Timeout, "crm_mon timed out");
        return node == "psql1" ? pcmk::Membership::Member : peer_membership;
    }

private:
    void log(const std::string& e) {
        if (events) events->push_back(e);
    }
};

// A backend over a temporary data directory; tools become plain argv.
class FakeBackend final : public backend::Backend {
public:
    explicit FakeBackend(std::string dir) : m_dir(std::move(dir)) {}
    backend::Liveness live = backend::Liveness::Running;

    std::string mode_name() const override { return "fake"; }
    Result<void> validate(const Deadline&, backend::ValidateScope) override { return ok(); }
    Result<backend::Liveness> liveness(const Deadline&) override { return live; }
    Result<void> start(const Deadline&) override { return ok(); }
    Result<void> stop(backend::StopMode, const Deadline&) override { return ok(); }
    Result<sys::Command> tool_command(backend::Tool tool, std::vector<std::string> args, const Deadline& d) override {
        static const char* names[] = {"pg_ctl", "pg_controldata", "pg_basebackup", "pg_rewind", "initdb", "postgres"};
        sys::Command c;
        c.argv.push_back(names[static_cast<int>(tool)]);
        c.argv.insert(c.argv.end(), args.begin(), args.end());
        c.timeout = d.remaining();
        return c;
    }
    std::string data_dir_for_tools() const override { return m_dir; }
    std::string host_data_dir() const override { return m_dir; }
    pg::ConnParams local_conn() const override {
        pg::ConnParams p;
        p.host = "local";
        return p;
    }
    Result<void> initdb(const Deadline&) override { return ok(); }
    Result<void> prepare_data_dir(const Deadline&) override {
        std::error_code ec;
        std::filesystem::create_directories(m_dir, ec);
        return ok();
    }

private:
    std::string m_dir;
};

}  // namespace pgtwin::testing
