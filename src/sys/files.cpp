// SPDX-License-Identifier: GPL-2.0-or-later
// File-system helpers with Result errors: atomic writes, owners, directories.

#include "pgtwin/sys/files.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

namespace pgtwin::sys {
namespace {

namespace fs = std::filesystem;

Error errno_error(const std::string& what, const std::string& path, int err) {
    ErrorKind kind = (err == EACCES || err == EPERM) ? ErrorKind::Permission : ErrorKind::Generic;
    return fail(kind, fmt::format("{} {}: {}", what, path, std::strerror(err)));
}

// Closes an fd on scope exit.
class FdGuard {
public:
    explicit FdGuard(int fd) : m_fd(fd) {}
    FdGuard(const FdGuard&) = delete;
    FdGuard& operator=(const FdGuard&) = delete;
    ~FdGuard() { reset(); }
    int get() const { return m_fd; }
    int reset() {
        int rc = 0;
        if (m_fd >= 0) rc = ::close(m_fd);
        m_fd = -1;
        return rc;
    }

private:
    int m_fd;
};

bool write_all(int fd, const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        done += static_cast<size_t>(n);
    }
    return true;
}

// fsync of the directory holding `path`, so a rename survives a crash.
void sync_parent_directory(const std::string& path) {
    fs::path parent = fs::path(path).parent_path();
    if (parent.empty()) parent = ".";
    int dfd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return;
    (void)::fsync(dfd);
    (void)::close(dfd);
}

// Writes, sets mode/owner and syncs the temp file; returns the errno-based error.
Result<void> fill_temp_file(int fd, const std::string& tmp, const std::string& content, mode_t mode,
                            std::optional<uid_t> uid, std::optional<gid_t> gid) {
    if (!write_all(fd, content)) return errno_error("cannot write", tmp, errno);
    if (::fchmod(fd, mode) != 0) return errno_error("cannot chmod", tmp, errno);
    if (uid || gid) {
        uid_t u = uid ? *uid : static_cast<uid_t>(-1);
        gid_t g = gid ? *gid : static_cast<gid_t>(-1);
        if (::fchown(fd, u, g) != 0) return errno_error("cannot chown", tmp, errno);
    }
    if (::fsync(fd) != 0) return errno_error("cannot fsync", tmp, errno);
    return ok();
}

Result<std::string> read_with_flags(const std::string& path, int flags) {
    FdGuard fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | flags));
    if (fd.get() < 0) return errno_error("cannot open", path, errno);
    std::string out;
    char buf[8192];
    while (true) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno_error("cannot read", path, errno);
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

}  // namespace

Result<std::string> read_file(const std::string& path) { return read_with_flags(path, 0); }

Result<std::string> read_file_no_symlink(const std::string& path) { return read_with_flags(path, O_NOFOLLOW); }

bool is_symlink(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

Result<void> write_file_atomic(const std::string& path, const std::string& content, mode_t mode,
                               std::optional<uid_t> uid, std::optional<gid_t> gid) {
    std::string tmpl = path + ".pgtwin-tmp.XXXXXX";
    std::vector<char> name(tmpl.begin(), tmpl.end());
    name.push_back('\0');
    FdGuard fd(::mkostemp(name.data(), O_CLOEXEC));
    if (fd.get() < 0) return errno_error("cannot create temporary file for", path, errno);
    std::string tmp(name.data());
    Result<void> filled = fill_temp_file(fd.get(), tmp, content, mode, uid, gid);
    if (filled.ok() && fd.reset() != 0) filled = errno_error("cannot close", tmp, errno);
    if (filled.ok() && ::rename(tmp.c_str(), path.c_str()) != 0)
        filled = errno_error("cannot rename into", path, errno);
    if (!filled.ok()) {
        (void)::unlink(tmp.c_str());
        return filled;
    }
    sync_parent_directory(path);
    return ok();
}

bool file_exists(const std::string& path) {
    std::error_code ec;
    return fs::exists(path, ec);
}

bool is_directory(const std::string& path) {
    std::error_code ec;
    return fs::is_directory(path, ec);
}

Result<bool> directory_is_empty_or_missing(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return true;
        return errno_error("cannot stat", path, errno);
    }
    if (!S_ISDIR(st.st_mode)) return false;
    std::error_code ec;
    fs::directory_iterator it(path, ec);
    if (ec) return errno_error("cannot read directory", path, ec.value());
    return it == fs::directory_iterator{};
}

Result<UserInfo> lookup_user(const std::string& name) {
    long hint = ::sysconf(_SC_GETPW_R_SIZE_MAX);
    std::vector<char> buf(hint > 0 ? static_cast<size_t>(hint) : 4096);
    while (true) {
        struct passwd pw {};
        struct passwd* found = nullptr;
        int rc = ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found);
        if (rc == ERANGE && buf.size() < (1U << 20)) {
            buf.resize(buf.size() * 2);
            continue;
        }
        if (rc != 0 && rc != ENOENT && rc != ESRCH) {
            return fail(ErrorKind::Generic, fmt::format("cannot look up user {}: {}", name, std::strerror(rc)));
        }
        if (found == nullptr) return fail(ErrorKind::InvalidArgs, fmt::format("user {} does not exist", name));
        return UserInfo{pw.pw_uid, pw.pw_gid, pw.pw_dir ? pw.pw_dir : "", pw.pw_name ? pw.pw_name : name};
    }
}

Result<std::pair<uid_t, gid_t>> owner_of(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return errno_error("cannot stat", path, errno);
    return std::pair<uid_t, gid_t>{st.st_uid, st.st_gid};
}

Result<void> chown_path(const std::string& path, uid_t uid, gid_t gid) {
    if (::chown(path.c_str(), uid, gid) != 0) return errno_error("cannot chown", path, errno);
    return ok();
}

Result<void> make_directories(const std::string& path, mode_t mode, uid_t uid, gid_t gid) {
    fs::path target = fs::path(path).lexically_normal();
    fs::path current;
    for (const auto& part : target) {
        current /= part;
        if (part.empty() || current == current.root_path()) continue;
        if (::mkdir(current.c_str(), mode) == 0) {
            // mkdir applies the umask; set the mode the caller asked for.
            if (::chmod(current.c_str(), mode) != 0) return errno_error("cannot chmod", current.string(), errno);
            if (::chown(current.c_str(), uid, gid) != 0) return errno_error("cannot chown", current.string(), errno);
            continue;
        }
        if (errno != EEXIST) return errno_error("cannot create directory", current.string(), errno);
        if (!is_directory(current.string())) {
            return fail(ErrorKind::Generic, fmt::format("{} exists and is not a directory", current.string()));
        }
    }
    return ok();
}

Result<void> rename_path(const std::string& from, const std::string& to) {
    if (::rename(from.c_str(), to.c_str()) != 0) {
        int err = errno;
        return errno_error("cannot rename " + from + " to", to, err);
    }
    return ok();
}

Result<void> remove_file(const std::string& path) {
    if (::remove(path.c_str()) != 0 && errno != ENOENT) return errno_error("cannot remove", path, errno);
    return ok();
}

}  // namespace pgtwin::sys
