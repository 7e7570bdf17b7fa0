// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// A throw-away PostgreSQL 15 instance for live tests: data directory and
// Unix socket under a mkdtemp directory, run as user postgres (the test runs
// as root and drops privileges in a forked child).

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "pgtwin/pg/client.hpp"

namespace pgtwin::pg::live {

namespace fs = std::filesystem;
inline const std::string kBindir = "/usr/lib/postgresql/15/bin";

// Runs argv as user postgres (privileges dropped in the child), output to `log`.
inline int run_as_postgres(const std::vector<std::string>& argv, const std::string& log) {
    const passwd* pw = getpwnam("postgres");
    if (pw == nullptr) {
        return -1;
    }
    uid_t uid = pw->pw_uid;
    gid_t gid = pw->pw_gid;
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0 || setgid(gid) != 0 || initgroups("postgres", gid) != 0 ||
            setuid(uid) != 0) {
            _exit(126);
        }
        std::vector<char*> args;
        for (const auto& a : argv) {
            args.push_back(const_cast<char*>(a.c_str()));  // NOLINT: execve's signature
        }
        args.push_back(nullptr);
        char path_env[] = "PATH=/usr/bin:/bin";
        char lc_env[] = "LC_ALL=C";
        char* envp[] = {path_env, lc_env, nullptr};
        execve(args[0], args.data(), envp);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

inline std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Creates a temporary directory owned by postgres (mode 0700).
inline fs::path make_owned_tempdir() {
    std::string tmpl = (fs::temp_directory_path() / "pgtwin-live-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
        return {};
    }
    const passwd* pw = getpwnam("postgres");
    if (pw == nullptr || chown(tmpl.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
        return {};
    }
    return tmpl;
}

// Writes `text` to `path` (replacing it) and gives the file to postgres.
inline bool write_postgres_file(const fs::path& path, const std::string& text) {
    {
        std::ofstream out(path, std::ios::trunc);
        out << text;
        if (!out) {
            return false;
        }
    }
    const passwd* pw = getpwnam("postgres");
    return pw != nullptr && chown(path.c_str(), pw->pw_uid, pw->pw_gid) == 0;
}

// One PostgreSQL instance: its data directory and socket live under `dir`.
// A socket directory of its own means the port number cannot collide.
struct Instance {
    fs::path dir;
    int port = 0;

    fs::path data() const { return dir / "data"; }
    std::string log() const { return (dir / "log").string(); }

    // initdb (trust authentication, local socket only) and start.
    bool create_primary(int port_number) {
        dir = make_owned_tempdir();
        port = port_number;
        return !dir.empty() &&
               run_as_postgres(
                   {kBindir + "/initdb", "-D", data().string(), "-U", "postgres", "--auth=trust", "--no-sync"},
                   log()) == 0 &&
               configure();
    }
    // pg_basebackup from `primary` (not started; the caller makes it a standby).
    bool create_copy_of(const Instance& primary, int port_number) {
        dir = make_owned_tempdir();
        port = port_number;
        return !dir.empty() &&
               run_as_postgres(
                   {kBindir + "/pg_basebackup", "-h", primary.dir.string(), "-p", std::to_string(primary.port), "-U",
                    "postgres", "-D", data().string(), "-X", "stream", "--no-sync"},
                   log()) == 0 &&
               configure();
    }
    bool pg_ctl(const std::string& verb, const std::string& mode = "fast") const {
        std::vector<std::string> argv{kBindir + "/pg_ctl", "-D", data().string(), "-w", "-t", "60", verb};
        if (verb == "start") {
            argv.insert(argv.end(), {"-l", (dir / "server.log").string()});
        } else if (verb == "stop") {
            argv.insert(argv.end(), {"-m", mode});
        }
        return run_as_postgres(argv, log()) == 0;
    }
    // Stops the server (immediate) and deletes everything.
    void destroy() {
        if (!dir.empty()) {
            if (fs::exists(data() / "postmaster.pid")) {
                (void)pg_ctl("stop", "immediate");
            }
            std::error_code ec;
            fs::remove_all(dir, ec);
            dir.clear();
        }
    }
    ConnParams conn() const {
        ConnParams p;
        p.host = dir.string();
        p.port = port;
        p.user = "postgres";
        p.application_name = "pgtwin-test";
        return p;
    }

private:
    bool configure() const {
        std::ofstream conf(data() / "postgresql.conf", std::ios::app);
        conf << "port = " << port << "\nlisten_addresses = ''\n"
             << "unix_socket_directories = '" << dir.string() << "'\n";
        return conf.good();
    }
};

// True when live tests can run here (root, PostgreSQL 15 installed).
inline bool live_tests_possible() { return geteuid() == 0 && fs::exists(kBindir + "/initdb"); }

}  // namespace pgtwin::pg::live
