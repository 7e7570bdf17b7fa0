// SPDX-License-Identifier: GPL-2.0-or-later
// VM mode: where the PostgreSQL programs are, and which start options are safe.

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "pgtwin/backend/vm_backend.hpp"
#include "pgtwin/core/text.hpp"
#include "pgtwin/sys/files.hpp"

namespace pgtwin::backend {
namespace {

namespace fs = std::filesystem;

// "15" -> {15, 0}, "9.6" -> {9, 6}; nullopt for anything else.
std::optional<std::pair<int, int>> parse_version(const std::string& s) {
    static const std::regex kVersion(R"(([0-9]+)(?:\.([0-9]+))?)");
    std::smatch m;
    if (!std::regex_match(s, m, kVersion)) return std::nullopt;
    auto major = parse_number<int>(m[1].str());
    auto minor = m[2].matched ? parse_number<int>(m[2].str()) : std::optional<int>(0);
    if (!major || !minor) return std::nullopt;
    return std::pair{*major, *minor};
}

bool has_pg_ctl(const std::string& dir) { return !dir.empty() && sys::file_exists(dir + "/pg_ctl"); }

// A pg_ctl on PATH that resolves into another major's versioned directory
// (alternatives symlinks on RPM systems) must not serve this data directory.
bool path_hit_matches(const std::string& dir, const std::string& version) {
    static const std::regex kVersionedDir(R"(/(?:postgresql/|pgsql-)([0-9.]+)/bin/pg_ctl$)");
    std::error_code ec;
    const std::string real = fs::canonical(dir + "/pg_ctl", ec).string();
    std::smatch m;
    if (ec || !std::regex_search(real, m, kVersionedDir)) return true;
    return m[1].str() == version;
}

std::string debian_dir(const VmSearchPaths& p, const std::string& v) {
    return p.debian_root.empty() ? std::string{} : p.debian_root + "/" + v + "/bin";
}
std::string pgdg_dir(const VmSearchPaths& p, const std::string& v) {
    return p.pgdg_root.empty() ? std::string{} : p.pgdg_root + "/pgsql-" + v + "/bin";
}

// Installed bin directories under one root: (version, dir) for every
// <root>/<prefix><version>/bin that holds pg_ctl.
void scan_root(const std::string& root, const std::string& prefix, bool debian,
               std::vector<std::pair<std::pair<int, int>, std::string>>& out, const VmSearchPaths& p) {
    std::error_code ec;
    if (root.empty() || !fs::is_directory(root, ec)) return;
    for (const auto& entry : fs::directory_iterator(root, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind(prefix, 0) != 0) continue;
        const std::string v = name.substr(prefix.size());
        auto parsed = parse_version(v);
        const std::string dir = debian ? debian_dir(p, v) : pgdg_dir(p, v);
        if (parsed && has_pg_ctl(dir)) out.emplace_back(*parsed, dir);
    }
}

Result<std::string> find_for_version(const std::string& version, const VmSearchPaths& p) {
    std::vector<std::string> searched;
    for (const auto& dir : p.path_dirs) {
        if (dir.empty()) continue;
        searched.push_back(dir);
        if (has_pg_ctl(dir) && path_hit_matches(dir, version)) return dir;
    }
    for (const auto& dir : {debian_dir(p, version), pgdg_dir(p, version)}) {
        if (dir.empty()) continue;
        searched.push_back(dir);
        if (has_pg_ctl(dir)) return dir;
    }
    return fail(ErrorKind::NotInstalled,
                fmt::format("pg_ctl for PostgreSQL {} not found (searched: {})", version, fmt::join(searched, ", ")));
}

Result<std::string> find_highest(const VmSearchPaths& p) {
    std::vector<std::pair<std::pair<int, int>, std::string>> found;
    scan_root(p.debian_root, "", true, found, p);
    scan_root(p.pgdg_root, "pgsql-", false, found, p);
    if (!found.empty()) {
        return std::max_element(found.begin(), found.end(),
                                [](const auto& a, const auto& b) { return a.first < b.first; })
            ->second;
    }
    for (const auto& dir : p.path_dirs) {
        if (has_pg_ctl(dir)) return dir;
    }
    return fail(ErrorKind::NotInstalled, fmt::format("pg_ctl not found (searched: {}/*/bin, {}/pgsql-*/bin, {})",
                                                     p.debian_root, p.pgdg_root, fmt::join(p.path_dirs, ", ")));
}

}  // namespace

VmSearchPaths default_vm_search_paths() {
    VmSearchPaths p;
    const char* path = std::getenv("PATH");
    std::istringstream in(path != nullptr ? path : "");
    for (std::string dir; std::getline(in, dir, ':');) {
        if (!dir.empty()) p.path_dirs.push_back(dir);
    }
    p.debian_root = "/usr/lib/postgresql";
    p.pgdg_root = "/usr";
    p.c_utf8_locale_dirs = {"/usr/lib/locale/C.utf8", "/usr/lib/locale/C.UTF-8"};
    return p;
}

Result<std::string> find_pg_bindir(const ocf::Config& cfg, const VmSearchPaths& paths) {
    if (!cfg.pg_bindir.empty()) {
        if (has_pg_ctl(cfg.pg_bindir)) return cfg.pg_bindir;
        return fail(ErrorKind::NotInstalled, fmt::format("pg_ctl not found in pg_bindir {}", cfg.pg_bindir));
    }
    const std::string version_file = cfg.pgdata + "/PG_VERSION";
    if (!sys::file_exists(version_file)) return find_highest(paths);
    auto text = sys::read_file(version_file);
    if (!text) return text.error();
    std::string version = *text;
    version.erase(std::remove_if(version.begin(), version.end(),
                                 [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }),
                  version.end());
    if (!parse_version(version)) {
        return fail(ErrorKind::InvalidArgs, fmt::format("{} holds no PostgreSQL version", version_file));
    }
    return find_for_version(version, paths);
}

Result<std::vector<std::string>> split_start_opts(const std::string& start_opts) {
    static const std::regex kSafeToken(R"([A-Za-z0-9_=.,:/-]+)");
    std::vector<std::string> tokens;
    std::istringstream in(start_opts);
    for (std::string token; in >> token;) {
        if (!std::regex_match(token, kSafeToken)) {
            return fail(
                ErrorKind::InvalidConfig,
                fmt::format("start_opts token '{}' has characters other than A-Z a-z 0-9 _ = . , : / -", token));
        }
        tokens.push_back(std::move(token));
    }
    return tokens;
}

}  // namespace pgtwin::backend
