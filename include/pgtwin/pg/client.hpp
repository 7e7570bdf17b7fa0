// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// The PostgreSQL client seam: a connection factory and sessions that run
// parameterised SQL. The real implementation is libpq; tests use a fake.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pgtwin/core/deadline.hpp"
#include "pgtwin/core/result.hpp"

namespace pgtwin::pg {

// Where and how to connect. Never holds a password: passwords come from
// the passfile named here.
struct ConnParams {
    std::string host;  // socket directory or address
    int port = 5432;
    std::string user;
    std::string dbname = "postgres";
    std::string application_name = "pgtwin";
    std::string passfile;     // PGPASSFILE for this connection, may be empty
    std::string replication;  // "" or "database"/"true" for a replication connection
    // Unix socket only: connect with this OS user's effective identity (peer
    // authentication); "" = the agent's own. Ignored for TCP hosts.
    std::string os_user;
    // Server-side statement_timeout of the session; unset: the time the
    // connect deadline leaves (a longer one serves e.g. CHECKPOINT).
    std::optional<Millis> statement_timeout;
};

// Kind of a failed connect from libpq's message: Permission when the server
// is up and refused us (authentication, unknown role or database), NotRunning
// when it cannot be reached or is not ready yet.
ErrorKind connect_error_kind(std::string_view message);

// True when `host` names a Unix socket (libpq: empty, a directory, @abstract).
bool is_socket_host(const std::string& host);

// Builds a libpq conninfo string (values quoted and escaped per libpq rules).
std::string conninfo_string(const ConnParams& p, int connect_timeout_s);

// Escapes a value for use in a libpq conninfo string ('...' with \\ and \').
std::string conninfo_quote(const std::string& value);

using Row = std::vector<std::optional<std::string>>;

// Rows of text values from one statement.
struct QueryResult {
    std::vector<std::string> columns;
    std::vector<Row> rows;
};

// One open connection.
class Session {
public:
    virtual ~Session() = default;
    // Runs `sql` with text parameters $1..$n, bounded by the deadline.
    virtual Result<QueryResult> query(const std::string& sql, const std::vector<std::optional<std::string>>& params,
                                      const Deadline& deadline) = 0;
    // Quotes a string as an SQL literal (for utility statements like ALTER SYSTEM
    // that cannot take parameters).
    virtual Result<std::string> quote_literal(const std::string& value) = 0;
};

// Opens sessions.
class Connector {
public:
    virtual ~Connector() = default;
    // Connects; failure is NotRunning (not reachable or not ready), Permission
    // (the server refused us) or Timeout, with the server's message.
    virtual Result<std::unique_ptr<Session>> connect(const ConnParams& params, const Deadline& deadline) = 0;
};

// The libpq implementation.
std::unique_ptr<Connector> make_libpq_connector();

}  // namespace pgtwin::pg
