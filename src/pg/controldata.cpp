// SPDX-License-Identifier: GPL-2.0-or-later
// Parsing of pg_controldata output. The labels are those of PostgreSQL's
// pg_controldata with LC_ALL=C (translations would change them).

#include "pgtwin/pg/controldata.hpp"
#include "pgtwin/core/text.hpp"

#include <map>

namespace pgtwin::pg {
namespace {

// Splits "Label:    value" lines into a map (the first ':' separates them;
// labels never contain one, values such as times may).
std::map<std::string, std::string, std::less<>> split_fields(std::string_view text) {
    std::map<std::string, std::string, std::less<>> fields;
    while (!text.empty()) {
        auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        auto colon = line.find(':');
        if (colon == std::string_view::npos) {
            continue;
        }
        fields.emplace(std::string(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
    }
    return fields;
}

using Fields = std::map<std::string, std::string, std::less<>>;

std::string_view field(const Fields& f, std::string_view label) {
    auto it = f.find(label);
    return it == f.end() ? std::string_view{} : std::string_view{it->second};
}

Lsn lsn_field(const Fields& f, std::string_view label) { return Lsn::parse(field(f, label)).value_or(Lsn{}); }

Timeline tli_field(const Fields& f, std::string_view label) {
    return parse_number<Timeline>(field(f, label)).value_or(0);
}

}  // namespace

ClusterState parse_cluster_state(std::string_view text) {
    static const std::map<std::string_view, ClusterState> kStates = {
        {"starting up", ClusterState::Starting},
        {"shut down", ClusterState::ShutDown},
        {"shut down in recovery", ClusterState::ShutDownInRecovery},
        {"shutting down", ClusterState::ShuttingDown},
        {"in crash recovery", ClusterState::InCrashRecovery},
        {"in archive recovery", ClusterState::InArchiveRecovery},
        {"in production", ClusterState::InProduction},
    };
    auto it = kStates.find(trim(text));
    return it == kStates.end() ? ClusterState::Unknown : it->second;
}

Result<ControlData> parse_controldata(std::string_view text) {
    Fields f = split_fields(text);
    auto state_text = field(f, "Database cluster state");
    if (state_text.empty()) {
        return fail(ErrorKind::Generic, "pg_controldata output has no database cluster state");
    }
    ControlData cd;
    cd.state = parse_cluster_state(state_text);
    cd.system_identifier = std::string(field(f, "Database system identifier"));
    cd.checkpoint_lsn = lsn_field(f, "Latest checkpoint location");
    cd.redo_lsn = lsn_field(f, "Latest checkpoint's REDO location");
    cd.checkpoint_timeline = tli_field(f, "Latest checkpoint's TimeLineID");
    cd.min_recovery_lsn = lsn_field(f, "Minimum recovery ending location");
    cd.min_recovery_timeline = tli_field(f, "Min recovery ending loc's timeline");
    cd.pg_control_version = parse_number<int>(field(f, "pg_control version number")).value_or(0);
    return cd;
}

}  // namespace pgtwin::pg
