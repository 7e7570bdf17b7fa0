// SPDX-License-Identifier: GPL-2.0-or-later
// Connections to the local instance and the peer, and the local poll loop.

#include "pgtwin/agent/connections.hpp"

#include <spdlog/spdlog.h>

#include "pgtwin/agent/decisions.hpp"
#include "pgtwin/agent/timing.hpp"
#include "pgtwin/core/text.hpp"

namespace pgtwin::agent {

Result<std::unique_ptr<pg::Session>> connect_local(Context& ctx, Millis cap) {
    return ctx.connector.connect(ctx.backend.local_conn(), ctx.deadline.capped(cap));
}

Result<pg::InstanceStatus> poll_local(Context& ctx, const LocalPoll& poll,
                                      const std::function<bool(const pg::InstanceStatus&)>& until) {
    while (true) {
        std::string last_error;  // this look's connection error, when reported
        auto session = connect_local(ctx, kLocalCap);
        if (session) {
            auto status = pg::instance_status(**session, ctx.deadline.capped(kLocalCap));
            if (status && until(*status)) return status;
        } else if (poll.connect_errors == ConnectErrors::Report) {
            if (session.error().kind == ErrorKind::Permission) {
                // Up but refusing us (pg_hba.conf, pg_ident.conf): waiting cannot help.
                return fail(ErrorKind::Permission,
                            "PostgreSQL refused the agent's connection: " + session.error().message);
            }
            last_error = session.error().message;
        }
        if (ctx.deadline.remaining() <= poll.interval) {
            std::string reason(poll.timeout_reason);
            if (!last_error.empty()) reason += " (last error: " + last_error + ")";
            return fail(ErrorKind::Timeout, reason);
        }
        ctx.clock.sleep_for(poll.interval);
    }
}

std::string peer_host(const Context& ctx) {
    auto it = ctx.cfg.node_addresses.find(ctx.peer);
    return it != ctx.cfg.node_addresses.end() ? it->second : ctx.peer;
}

pg::ConnParams peer_conn_params(const Context& ctx) {
    pg::ConnParams p;
    p.host = peer_host(ctx);
    p.port = ctx.cfg.pgport;
    p.user = ctx.cfg.rep_user;
    p.dbname = ctx.cfg.pgdatabase;
    p.application_name = "pgtwin-agent-" + ctx.node;
    p.passfile = ctx.cfg.pgpassfile;
    return p;
}

Result<std::unique_ptr<pg::Session>> connect_peer(Context& ctx, Millis cap) {
    if (ctx.peer.empty()) return fail(ErrorKind::NotRunning, "no peer node known");
    return ctx.connector.connect(peer_conn_params(ctx), ctx.deadline.capped(cap));
}

namespace {

// The connection of find_peer_primary. A fenced node's address drops the
// attempt, so the full kPeerCap would hold the survivor's promote for 5 s
// after a node loss. A first short attempt whose host never answered asks
// Pacemaker: a peer reported fenced (or cleanly gone, with fencing on) is
// given up; every other timeout gets the full kPeerCap, as a slow network
// or a busy server may need it. Refusals come back at once either way.
Result<std::unique_ptr<pg::Session>> connect_for_probe(Context& ctx) {
    auto session = connect_peer(ctx, kPeerFirstTryCap);
    if (session) return session;
    const ErrorKind kind = session.error().kind;
    if (kind == ErrorKind::Unreachable) {
        auto m = ctx.cluster.membership(ctx.peer, ctx.deadline);
        if (m && *m == pcmk::Membership::CleanDown) {
            spdlog::info("Peer does not answer and Pacemaker reports it fenced or gone: no primary there. [peer: {}]",
                         ctx.peer);
            return session;
        }
    }
    if (kind == ErrorKind::Unreachable || kind == ErrorKind::Timeout) return connect_peer(ctx, kPeerCap);
    return session;
}

}  // namespace

PeerProbe find_peer_primary(Context& ctx) {
    auto session = connect_for_probe(ctx);
    if (!session) {
        spdlog::debug("Peer not reachable. [peer: {}, reason: {}]", ctx.peer, session.error().message);
        return {PeerRole::Absent, std::nullopt, session.error().message};
    }
    auto status = pg::role_status(**session, ctx.deadline.capped(kPeerCap));
    if (!status) {
        // It answers, so it runs: its role is unknown, not "standby".
        spdlog::warn("Peer answers but its role cannot be read. [peer: {}, reason: {}]", ctx.peer,
                     status.error().message);
        return {PeerRole::Unknown, std::nullopt, status.error().message};
    }
    if (status->in_recovery) return {PeerRole::NotPrimary, std::nullopt, ""};
    return {PeerRole::Primary, *status, ""};
}

std::string peer_tool_conninfo(const Context& ctx) {
    pg::ConnParams p = peer_conn_params(ctx);
    p.passfile.clear();
    // Never the standby's name: pg_basebackup's WAL stream would otherwise be
    // taken for the standby and named synchronous (see judge_standby).
    p.application_name = kCloneAppPrefix + ctx.node;
    return pg::conninfo_string(p, static_cast<int>(kToolConnectTimeout.count()));
}

}  // namespace pgtwin::agent
