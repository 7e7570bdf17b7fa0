// SPDX-License-Identifier: GPL-2.0-or-later
// Standby settings for postgresql.auto.conf.

#include "pgtwin/pg/standby_conf.hpp"

#include "pgtwin/pg/client.hpp"

namespace pgtwin::pg {
namespace {

void add(std::string& out, const char* key, const std::string& value) {
    if (!out.empty()) {
        out += ' ';
    }
    out += key;
    out += '=';
    out += conninfo_quote(value);
}

}  // namespace

std::string standby_conninfo(const StandbySource& src) {
    std::string out;
    add(out, "host", src.peer_host);
    add(out, "port", std::to_string(src.port));
    add(out, "user", src.rep_user);
    add(out, "application_name", src.application_name);
    if (!src.passfile.empty()) {
        add(out, "passfile", src.passfile);
    }
    // TLS when the primary offers it; a bounded connect so the WAL receiver
    // retries quickly after a failover.
    add(out, "sslmode", "prefer");
    add(out, "connect_timeout", "5");
    // TCP keepalives let the WAL receiver notice a vanished primary (partition,
    // power loss) in about 20 s instead of the kernel's two hours.
    add(out, "keepalives", "1");
    add(out, "keepalives_idle", "5");
    add(out, "keepalives_interval", "5");
    add(out, "keepalives_count", "3");
    return out;
}

SettingChanges standby_settings(const StandbySource& src) {
    SettingChanges c;
    c["primary_conninfo"] = standby_conninfo(src);
    // An empty primary_slot_name means "no slot" to PostgreSQL; remove the
    // key instead so the file shows no stale value.
    c["primary_slot_name"] = src.slot_name.empty() ? std::nullopt : std::optional<std::string>(src.slot_name);
    // After a failover the new primary is on a newer timeline; 'latest'
    // (PostgreSQL's default since 12, written to be explicit) follows it.
    c["recovery_target_timeline"] = "latest";
    return c;
}

SettingChanges clear_standby_settings() {
    return SettingChanges{{"primary_conninfo", std::nullopt},
                          {"primary_slot_name", std::nullopt},
                          {"recovery_target_timeline", std::nullopt}};
}

}  // namespace pgtwin::pg
