// SPDX-License-Identifier: GPL-2.0-or-later
// EffectiveUser: seteuid/setegid/setgroups around a short call (a local
// libpq connect), restored in the destructor.

#include "pgtwin/sys/identity.hpp"

#include <grp.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

namespace pgtwin::sys {

namespace {

Error errno_error(const char* what, const UserInfo& user) {
    return fail(ErrorKind::Permission,
                fmt::format("cannot act as OS user {}: {} failed: {}", user.name, what, std::strerror(errno)));
}

// The user's supplementary groups (getgrouplist), including its primary group.
Result<std::vector<gid_t>> groups_of(const UserInfo& user) {
    int n = 32;
    std::vector<gid_t> groups(static_cast<std::size_t>(n));
    while (::getgrouplist(user.name.c_str(), user.gid, groups.data(), &n) < 0) {
        if (n <= static_cast<int>(groups.size())) return errno_error("getgrouplist", user);
        groups.resize(static_cast<std::size_t>(n));
    }
    groups.resize(static_cast<std::size_t>(n));
    return groups;
}

// Only what `man 2 setgroups` etc. promise for root: cannot fail in practice.
void restore_or_abort(bool ok, const char* what) {
    if (ok) return;
    (void)std::fprintf(stderr, "pgtwin: cannot restore the agent's identity (%s: %s)\n", what, std::strerror(errno));
    std::abort();
}

}  // namespace

int thread_count() {
    std::error_code ec;
    int n = 0;
    for (std::filesystem::directory_iterator it("/proc/self/task", ec), end; !ec && it != end; it.increment(ec)) ++n;
    return ec ? 0 : n;
}

Result<EffectiveUser> EffectiveUser::assume(const UserInfo& user) {
    EffectiveUser out;
    if (::geteuid() != 0 || user.uid == 0) return out;
    if (thread_count() > 1) {
        return fail(ErrorKind::Generic,
                    fmt::format("cannot act as OS user {}: the agent has {} threads", user.name, thread_count()));
    }
    auto groups = groups_of(user);
    if (!groups) return groups.error();
    out.m_uid = ::geteuid();
    out.m_gid = ::getegid();
    int n = ::getgroups(0, nullptr);
    out.m_groups.resize(static_cast<std::size_t>(n < 0 ? 0 : n));
    if (n > 0 && ::getgroups(n, out.m_groups.data()) < 0) return errno_error("getgroups", user);
    // Order matters: groups and gid can only be changed while euid is root.
    if (::setgroups(groups->size(), groups->data()) != 0) return errno_error("setgroups", user);
    if (::setegid(user.gid) != 0) {
        restore_or_abort(::setgroups(out.m_groups.size(), out.m_groups.data()) == 0, "setgroups");
        return errno_error("setegid", user);
    }
    if (::seteuid(user.uid) != 0) {
        restore_or_abort(::setegid(out.m_gid) == 0, "setegid");
        restore_or_abort(::setgroups(out.m_groups.size(), out.m_groups.data()) == 0, "setgroups");
        return errno_error("seteuid", user);
    }
    out.m_active = true;
    return out;
}

EffectiveUser::EffectiveUser(EffectiveUser&& other) noexcept
    : m_active(other.m_active), m_uid(other.m_uid), m_gid(other.m_gid), m_groups(std::move(other.m_groups)) {
    other.m_active = false;
}

EffectiveUser::~EffectiveUser() {
    if (!m_active) return;
    // euid first: setegid and setgroups need root again.
    restore_or_abort(::seteuid(m_uid) == 0, "seteuid");
    restore_or_abort(::setegid(m_gid) == 0, "setegid");
    restore_or_abort(::setgroups(m_groups.size(), m_groups.data()) == 0, "setgroups");
}

}  // namespace pgtwin::sys
