// SPDX-License-Identifier: GPL-2.0-or-later
// The libpq implementation of Connector/Session. Everything is non-blocking
// and driven by poll() so that no call outlives the operation's Deadline.

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include <fmt/format.h>
#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include "pgtwin/pg/client.hpp"
#include "pgtwin/sys/identity.hpp"

namespace pgtwin::pg {
namespace {

struct ConnCloser {
    void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultClearer {
    void operator()(PGresult* r) const { PQclear(r); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnCloser>;
using ResultPtr = std::unique_ptr<PGresult, ResultClearer>;

// libpq messages span several lines ("...failed: ...\n\tIs the server
// running...?"); exit reasons and logs need one trimmed line.
std::string one_line(const char* text) {
    std::string out;
    bool pending_space = false;
    for (const char* p = text == nullptr ? "" : text; *p != '\0'; ++p) {
        bool space = *p == ' ' || *p == '\n' || *p == '\t' || *p == '\r';
        if (space) {
            pending_space = !out.empty();
            continue;
        }
        if (pending_space) {
            out += ' ';
            pending_space = false;
        }
        out += *p;
    }
    return out;
}

enum class WaitOutcome { Ready, TimedOut, Failed };

// Waits until `fd` is readable (or writable) or the deadline passes.
WaitOutcome wait_socket(int fd, bool for_write, const Deadline& deadline) {
    if (fd < 0) {
        return WaitOutcome::Failed;
    }
    for (;;) {
        auto left = deadline.remaining().count();
        if (left <= 0) {
            return WaitOutcome::TimedOut;
        }
        pollfd pfd{fd, static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
        int rc = ::poll(&pfd, 1, static_cast<int>(std::min<long long>(left, 60000)));
        if (rc > 0) {
            return WaitOutcome::Ready;
        }
        if (rc < 0 && errno != EINTR) {
            return WaitOutcome::Failed;
        }
    }
}

// Milliseconds left, at least 1 (0 means "no limit" to PostgreSQL).
long long positive_ms(const Deadline& d) { return std::max<long long>(d.remaining().count(), 1); }

class LibpqSession final : public Session {
public:
    LibpqSession(ConnPtr conn, bool local) : m_conn(std::move(conn)), m_local(local) {}

    Result<QueryResult> query(const std::string& sql, const std::vector<std::optional<std::string>>& params,
                              const Deadline& deadline) override;
    Result<std::string> quote_literal(const std::string& value) override;

private:
    Result<void> send(const std::string& sql, const std::vector<std::optional<std::string>>& params,
                      const Deadline& deadline);
    Result<void> wait_result(const std::string& sql, const Deadline& deadline);
    Result<QueryResult> collect();
    Error cancel_and_close(const std::string& sql);
    Error lost_or_failed(const std::string& what) const;

    ConnPtr m_conn;
    bool m_local;  // Unix socket: a cancel request is answered at once
};

Error LibpqSession::lost_or_failed(const std::string& what) const {
    std::string msg = one_line(PQerrorMessage(m_conn.get()));
    // A dropped connection means the server went away (crash, stop).
    auto kind = PQstatus(m_conn.get()) == CONNECTION_BAD ? ErrorKind::NotRunning : ErrorKind::Generic;
    return fail(kind, what + ": " + msg);
}

Error LibpqSession::cancel_and_close(const std::string& sql) {
    // Ask the server to stop the statement, then drop the connection: its
    // protocol state is unknown and the deadline leaves no time to drain it.
    // PQcancel blocks while it opens its own connection. On the local socket
    // that is immediate; to a remote peer that vanished (being fenced) the
    // TCP connect can block until the kernel's SYN timeout (~127 s) and
    // overrun the operation. So remote sessions are only closed: the
    // server's statement_timeout (set at connect) ends the query there.
    if (m_local) {
        if (PGcancel* c = PQgetCancel(m_conn.get())) {
            char buf[256] = {};
            if (PQcancel(c, buf, sizeof buf) == 0) {
                spdlog::warn("Cancelling a timed-out query failed. [error: {}]", one_line(buf));
            }
            PQfreeCancel(c);
        }
    }
    m_conn.reset();
    return fail(ErrorKind::Timeout, "Query timed out: " + sql.substr(0, 60));
}

Result<void> LibpqSession::send(const std::string& sql, const std::vector<std::optional<std::string>>& params,
                                const Deadline& deadline) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) {
        values.push_back(p ? p->c_str() : nullptr);
    }
    // Text parameters and text results; PostgreSQL infers the parameter types.
    if (PQsendQueryParams(m_conn.get(), sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                          nullptr, 0) == 0) {
        return lost_or_failed("Sending query failed");
    }
    for (;;) {
        int rc = PQflush(m_conn.get());
        if (rc == 0) {
            return ok();
        }
        if (rc < 0) {
            return lost_or_failed("Sending query failed");
        }
        auto w = wait_socket(PQsocket(m_conn.get()), true, deadline);
        if (w == WaitOutcome::TimedOut) {
            return cancel_and_close(sql);
        }
        if (w == WaitOutcome::Failed) {
            return lost_or_failed("Sending query failed");
        }
    }
}

Result<void> LibpqSession::wait_result(const std::string& sql, const Deadline& deadline) {
    while (PQisBusy(m_conn.get()) != 0) {
        auto w = wait_socket(PQsocket(m_conn.get()), false, deadline);
        if (w == WaitOutcome::TimedOut) {
            return cancel_and_close(sql);
        }
        if (w == WaitOutcome::Failed || PQconsumeInput(m_conn.get()) == 0) {
            return lost_or_failed("Query failed");
        }
    }
    return ok();
}

Result<QueryResult> LibpqSession::collect() {
    QueryResult out;
    std::optional<Error> error;
    // Read every result so the connection is idle for the next query.
    while (ResultPtr r{PQgetResult(m_conn.get())}) {
        auto st = PQresultStatus(r.get());
        if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
            if (!error) {
                const char* primary = PQresultErrorField(r.get(), PG_DIAG_MESSAGE_PRIMARY);
                error =
                    primary != nullptr ? fail(ErrorKind::Generic, one_line(primary)) : lost_or_failed("Query failed");
            }
            continue;
        }
        int ncols = PQnfields(r.get());
        int nrows = PQntuples(r.get());
        out.columns.clear();
        out.rows.clear();
        for (int c = 0; c < ncols; ++c) {
            out.columns.emplace_back(PQfname(r.get(), c));
        }
        for (int i = 0; i < nrows; ++i) {
            Row row;
            for (int c = 0; c < ncols; ++c) {
                if (PQgetisnull(r.get(), i, c) != 0) {
                    row.emplace_back(std::nullopt);
                } else {
                    row.emplace_back(
                        std::string(PQgetvalue(r.get(), i, c), static_cast<std::size_t>(PQgetlength(r.get(), i, c))));
                }
            }
            out.rows.push_back(std::move(row));
        }
    }
    if (error) {
        return *error;
    }
    return out;
}

Result<QueryResult> LibpqSession::query(const std::string& sql, const std::vector<std::optional<std::string>>& params,
                                        const Deadline& deadline) {
    if (!m_conn) {
        return fail(ErrorKind::NotRunning, "Connection closed after an earlier timeout");
    }
    if (auto s = send(sql, params, deadline); !s) {
        return s.error();
    }
    if (auto w = wait_result(sql, deadline); !w) {
        return w.error();
    }
    return collect();
}

Result<std::string> LibpqSession::quote_literal(const std::string& value) {
    if (!m_conn) {
        return fail(ErrorKind::NotRunning, "Connection closed after an earlier timeout");
    }
    char* quoted = PQescapeLiteral(m_conn.get(), value.c_str(), value.size());
    if (quoted == nullptr) {
        return fail(ErrorKind::Generic, "Quoting failed: " + one_line(PQerrorMessage(m_conn.get())));
    }
    std::string out(quoted);
    PQfreemem(quoted);
    return out;
}

// Drives PQconnectPoll until the connection is made, fails or the deadline passes.
Result<void> poll_connect(PGconn* conn, const Deadline& deadline) {
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    for (;;) {
        if (st == PGRES_POLLING_OK) {
            return ok();
        }
        if (st == PGRES_POLLING_FAILED) {
            std::string msg = one_line(PQerrorMessage(conn));
            return fail(connect_error_kind(msg), msg);
        }
        auto w = wait_socket(PQsocket(conn), st == PGRES_POLLING_WRITING, deadline);
        if (w == WaitOutcome::TimedOut) {
            // Still waiting for the TCP handshake: nothing at that address
            // answered (a powered-off or fenced host drops the attempt).
            // Later, the server was reached and is only slow.
            if (PQstatus(conn) == CONNECTION_STARTED) {
                return fail(ErrorKind::Unreachable, "Connecting to PostgreSQL timed out: no answer from the host");
            }
            return fail(ErrorKind::Timeout, "Connecting to PostgreSQL timed out");
        }
        if (w == WaitOutcome::Failed) {
            return fail(ErrorKind::NotRunning, one_line(PQerrorMessage(conn)));
        }
        st = PQconnectPoll(conn);
    }
}

class LibpqConnector final : public Connector {
private:
    Result<std::unique_ptr<Session>> connect_as_is(const ConnParams& params, const Deadline& deadline) {
        // libpq rounds connect_timeout to whole seconds (minimum 2); poll()
        // below enforces the real deadline, this is only a backstop.
        auto timeout_s = std::to_string(std::max<long long>(2, (positive_ms(deadline) + 999) / 1000));
        // The server cancels any statement that outlives this operation's
        // budget even if the client is gone.
        long long statement_ms = params.statement_timeout ? std::max<long long>(params.statement_timeout->count(), 1)
                                                          : positive_ms(deadline);
        auto options = fmt::format("-c statement_timeout={}", statement_ms);
        auto port = std::to_string(params.port);
        std::vector<std::pair<const char*, const char*>> kv = {
            {"host", params.host.c_str()},
            {"port", port.c_str()},
            {"user", params.user.c_str()},
            {"dbname", params.dbname.c_str()},
            {"application_name", params.application_name.c_str()},
            {"connect_timeout", timeout_s.c_str()},
            {"options", options.c_str()},
        };
        if (!params.passfile.empty()) {
            kv.emplace_back("passfile", params.passfile.c_str());
        }
        if (!params.replication.empty()) {
            kv.emplace_back("replication", params.replication.c_str());
        }
        std::vector<const char*> keys, values;
        for (const auto& [k, v] : kv) {
            keys.push_back(k);
            values.push_back(v);
        }
        keys.push_back(nullptr);
        values.push_back(nullptr);
        ConnPtr conn{PQconnectStartParams(keys.data(), values.data(), 0)};
        if (!conn) {
            return fail(ErrorKind::Generic, "libpq could not allocate a connection");
        }
        if (PQstatus(conn.get()) == CONNECTION_BAD) {
            std::string msg = one_line(PQerrorMessage(conn.get()));
            return fail(connect_error_kind(msg), msg);
        }
        if (auto r = poll_connect(conn.get(), deadline); !r) {
            return r.error();
        }
        return std::unique_ptr<Session>(std::make_unique<LibpqSession>(std::move(conn), is_socket_host(params.host)));
    }

public:
    Result<std::unique_ptr<Session>> connect(const ConnParams& params, const Deadline& deadline) override {
        // Peer authentication reads the socket's credentials, fixed at
        // connect(2): act as os_user for the whole handshake, then switch
        // back. Never for TCP: there the peer's credentials do not travel.
        if (params.os_user.empty() || !is_socket_host(params.host)) return connect_as_is(params, deadline);
        auto user = sys::lookup_user(params.os_user);
        if (!user) return fail(ErrorKind::NotInstalled, "OS user " + params.os_user + " does not exist");
        auto identity = sys::EffectiveUser::assume(*user);
        if (!identity) return identity.error();
        return connect_as_is(params, deadline);
    }
};

}  // namespace

ErrorKind connect_error_kind(std::string_view message) {
    // libpq has no SQLSTATE for a failed connection, only the text. A server
    // that sent FATAL is up; it refused us unless it said it is not ready
    // yet (57P03 cannot_connect_now, 53300 too_many_connections). A message
    // translated by lc_messages is not recognised: it counts as not running
    // (start keeps waiting), as before.
    constexpr std::string_view kNotReady[] = {
        "starting up",      "shutting down",    "not yet accepting connections", "not accepting connections",
        "in recovery mode", "too many clients", "connection slots are reserved", "terminating connection"};
    const bool server_said = message.find("FATAL:") != std::string_view::npos;
    const bool client_auth = message.find("fe_sendauth") != std::string_view::npos;
    if (!server_said && !client_auth) return ErrorKind::NotRunning;
    for (auto phrase : kNotReady) {
        if (message.find(phrase) != std::string_view::npos) return ErrorKind::NotRunning;
    }
    return ErrorKind::Permission;
}

bool is_socket_host(const std::string& host) {
    // libpq: a path is a socket directory, '@' an abstract socket (Linux).
    return host.empty() || host.front() == '/' || host.front() == '@';
}

std::string conninfo_quote(const std::string& value) {
    // libpq conninfo: a single-quoted value in which \ and ' are backslash-escaped.
    std::string out = "'";
    for (char c : value) {
        if (c == '\\' || c == '\'') {
            out += '\\';
        }
        out += c;
    }
    out += '\'';
    return out;
}

std::string conninfo_string(const ConnParams& p, int connect_timeout_s) {
    std::string out =
        fmt::format("host={} port={} user={} dbname={} application_name={} connect_timeout={}", conninfo_quote(p.host),
                    conninfo_quote(std::to_string(p.port)), conninfo_quote(p.user), conninfo_quote(p.dbname),
                    conninfo_quote(p.application_name), conninfo_quote(std::to_string(connect_timeout_s)));
    if (!p.passfile.empty()) {
        out += " passfile=" + conninfo_quote(p.passfile);
    }
    if (!p.replication.empty()) {
        out += " replication=" + conninfo_quote(p.replication);
    }
    return out;
}

std::unique_ptr<Connector> make_libpq_connector() { return std::make_unique<LibpqConnector>(); }

}  // namespace pgtwin::pg
