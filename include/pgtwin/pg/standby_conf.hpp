// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// The settings that make an instance a standby of its peer, as changes for
// postgresql.auto.conf (see auto_conf.hpp). Pure: no I/O.

#include <string>

#include "pgtwin/pg/auto_conf.hpp"

namespace pgtwin::pg {

// Where and as whom a standby streams from its primary.
struct StandbySource {
    std::string peer_host;  // the primary's address (or socket directory)
    int port = 5432;
    std::string rep_user;          // replication role
    std::string application_name;  // this standby's name in pg_stat_replication
    std::string slot_name;         // primary_slot_name; empty means no slot
    std::string passfile;          // PGPASSFILE for the WAL receiver; may be empty
};

// The primary_conninfo value for `src` (libpq conninfo, values quoted).
std::string standby_conninfo(const StandbySource& src);

// primary_conninfo, primary_slot_name and recovery_target_timeline='latest'.
SettingChanges standby_settings(const StandbySource& src);

// Removes the standby settings (for an instance that should not stream).
SettingChanges clear_standby_settings();

}  // namespace pgtwin::pg
