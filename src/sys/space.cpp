// SPDX-License-Identifier: GPL-2.0-or-later
// Whether a file system has room where PostgreSQL writes, probed by writing.

#include "pgtwin/sys/space.hpp"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace pgtwin::sys {
namespace {

bool is_full_errno(int err) { return err == ENOSPC || err == EDQUOT; }

// Writes `bytes` into a new probe file in `dir`; the errno that stopped it, or 0.
int probe_write(const std::string& dir, std::size_t bytes) {
    std::string probe = dir + "/.pgtwin-space-probe";
    int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return is_full_errno(errno) ? errno : 0;
    std::vector<char> block(std::size_t{64} * 1024, '\0');
    int err = 0;
    for (std::size_t done = 0; done < bytes && err == 0; done += block.size()) {
        if (::write(fd, block.data(), block.size()) < 0) err = errno;
    }
    ::close(fd);
    ::unlink(probe.c_str());
    return is_full_errno(err) ? err : 0;
}

}  // namespace

std::string space_shortage(const std::string& dir, std::size_t bytes) {
    struct statvfs vfs {};
    if (::statvfs(dir.c_str(), &vfs) != 0) return {};
    if (static_cast<unsigned long long>(vfs.f_bavail) * vfs.f_frsize < bytes) return std::strerror(ENOSPC);
    int err = probe_write(dir, bytes);
    return err == 0 ? std::string{} : std::strerror(err);
}

}  // namespace pgtwin::sys
