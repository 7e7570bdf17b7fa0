// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Temporarily acting as another OS user (effective uid, gid and groups only).
// Why: PostgreSQL's peer authentication takes the client's credentials from
// the Unix socket, which are the effective ids at connect(2); the agent runs
// as root, and a default Debian pg_hba.conf (`local all all peer`) lets only
// the OS user postgres log in as the role postgres.

#include <sys/types.h>

#include <vector>

#include "pgtwin/core/result.hpp"
#include "pgtwin/sys/files.hpp"

namespace pgtwin::sys {

// While alive, the process's effective uid/gid and supplementary groups are
// those of a user; the destructor restores the original ones. The real uid
// stays root so that the restore cannot fail. Move-only.
class EffectiveUser {
public:
    // Switches to `user`. When not running as root, or already running as
    // `user`, nothing changes (the caller's own identity is used).
    // Refuses when the process has more than one thread: the switch is
    // process-wide (glibc), other threads would act as `user` meanwhile.
    static Result<EffectiveUser> assume(const UserInfo& user);

    EffectiveUser(EffectiveUser&& other) noexcept;
    EffectiveUser& operator=(EffectiveUser&&) = delete;
    EffectiveUser(const EffectiveUser&) = delete;
    EffectiveUser& operator=(const EffectiveUser&) = delete;
    // Restores the original identity (aborts if the kernel refuses: carrying
    // on with the wrong identity would write files under the wrong owner).
    ~EffectiveUser();

    // True when the identity was actually switched.
    bool switched() const { return m_active; }

private:
    EffectiveUser() = default;
    bool m_active = false;
    uid_t m_uid = 0;
    gid_t m_gid = 0;
    std::vector<gid_t> m_groups;
};

// Number of threads of this process (/proc/self/task); 0 if unreadable.
int thread_count();

}  // namespace pgtwin::sys
