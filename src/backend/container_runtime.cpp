// SPDX-License-Identifier: GPL-2.0-or-later
// podman and docker: detection, argv builders for their differences, parsing of `inspect`.

#include "pgtwin/backend/container_runtime.hpp"
#include "pgtwin/core/text.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <system_error>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace pgtwin::backend {
namespace {

constexpr std::array<RuntimeTraits, 2> kTraits{{
    {RuntimeKind::Podman, "podman", true, true},
    {RuntimeKind::Docker, "docker", false, false},
}};

// True when `dir/name` is an executable regular file.
bool executable_in(const std::string& dir, const char* name) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path p = fs::path(dir.empty() ? "." : dir) / name;
    auto st = fs::status(p, ec);
    if (ec || !fs::is_regular_file(st)) return false;
    auto exec_bits = fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec;
    return (st.permissions() & exec_bits) != fs::perms::none;
}

bool on_path(const char* name, const std::string& path_env) {
    std::stringstream ss(path_env);
    std::string dir;
    while (std::getline(ss, dir, ':')) {
        if (executable_in(dir, name)) return true;
    }
    return false;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

}  // namespace

const RuntimeTraits& traits_for(RuntimeKind kind) { return kind == RuntimeKind::Podman ? kTraits[0] : kTraits[1]; }

Result<RuntimeKind> detect_runtime(ocf::ContainerRuntime wanted, const std::string& path_env) {
    std::vector<RuntimeKind> candidates;
    if (wanted == ocf::ContainerRuntime::Podman) candidates = {RuntimeKind::Podman};
    else if (wanted == ocf::ContainerRuntime::Docker) candidates = {RuntimeKind::Docker};
    else candidates = {RuntimeKind::Podman, RuntimeKind::Docker};
    for (RuntimeKind k : candidates) {
        if (on_path(traits_for(k).binary, path_env)) return k;
    }
    if (candidates.size() == 1) {
        return fail(ErrorKind::NotInstalled,
                    std::string("container runtime ") + traits_for(candidates[0]).binary + " not found in PATH");
    }
    return fail(ErrorKind::NotInstalled, "no container runtime found (podman or docker)");
}

Result<ContainerState> parse_inspect(const std::string& json) {
    nlohmann::json doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_array()) {
        return fail(ErrorKind::Generic, "container inspect output is not a JSON array");
    }
    ContainerState st;
    if (doc.empty()) return st;
    const auto& first = doc.at(0);
    if (!first.is_object() || !first.contains("State") || !first.at("State").is_object()) {
        return fail(ErrorKind::Generic, "container inspect output has no State object");
    }
    const auto& state = first.at("State");
    try {
        st.exists = true;
        st.running = state.value("Running", false);
        st.status = state.value("Status", std::string{});
        st.pid = state.value("Pid", 0LL);
        st.started_at = state.value("StartedAt", std::string{});
    } catch (const nlohmann::json::exception& e) {
        return fail(ErrorKind::Generic, std::string("container inspect State has unexpected types: ") + e.what());
    }
    return st;
}

bool is_no_such_container(const std::string& err) {
    std::string e = lower(err);
    return e.find("no such container") != std::string::npos || e.find("no such object") != std::string::npos;
}

std::map<std::string, std::string> runtime_passthrough_env() {
    std::map<std::string, std::string> env;
    for (const char* name :
         {"CONTAINERS_CONF", "CONTAINERS_STORAGE_CONF", "CONTAINER_HOST", "DOCKER_HOST", "DOCKER_CONFIG"}) {
        const char* v = std::getenv(name);
        if (v != nullptr && *v != '\0') env[name] = v;
    }
    return env;
}

ContainerRuntime::ContainerRuntime(RuntimeKind kind, std::map<std::string, std::string> env)
    : m_traits(&traits_for(kind)), m_env(std::move(env)) {}

sys::Command ContainerRuntime::command(std::vector<std::string> args, Millis timeout) const {
    sys::Command cmd;
    cmd.argv.reserve(args.size() + 1);
    cmd.argv.emplace_back(m_traits->binary);
    for (auto& a : args) cmd.argv.push_back(std::move(a));
    cmd.env = m_env;
    cmd.timeout = timeout;
    return cmd;
}

sys::Command ContainerRuntime::inspect(const std::string& name, Millis timeout) const {
    return command({"inspect", "--type", "container", name}, timeout);
}

sys::Command ContainerRuntime::image_present(const std::string& image, Millis timeout) const {
    if (m_traits->has_image_exists) return command({"image", "exists", image}, timeout);
    return command({"image", "inspect", "--format", "{{.Id}}", image}, timeout);
}

sys::Command ContainerRuntime::pull(const std::string& image, Millis timeout) const {
    return command({"pull", image}, timeout);
}

sys::Command ContainerRuntime::remove(const std::string& name, Millis timeout) const {
    return command({"rm", "-f", name}, timeout);
}

sys::Command ContainerRuntime::stop(const std::string& name, long long seconds, Millis timeout) const {
    return command({"stop", "-t", std::to_string(seconds), name}, timeout);
}

sys::Command ContainerRuntime::logs_tail(const std::string& name, int lines, Millis timeout) const {
    return command({"logs", "--tail", std::to_string(lines), name}, timeout);
}

sys::Command ContainerRuntime::run(const RunSpec& spec, Millis timeout) const {
    std::vector<std::string> a{"run"};
    if (spec.detach) a.emplace_back("-d");
    if (spec.remove) a.emplace_back("--rm");
    if (!spec.name.empty()) a.insert(a.end(), {"--name", spec.name});
    if (!spec.hostname.empty()) a.insert(a.end(), {"--hostname", spec.hostname});
    if (!spec.network.empty()) a.insert(a.end(), {"--network", spec.network});
    if (!spec.user.empty()) a.insert(a.end(), {"--user", spec.user});
    for (const Mount& m : spec.mounts) {
        a.insert(a.end(), {"-v", m.host + ":" + m.container + (m.read_only ? ":ro,Z" : ":Z")});
    }
    for (const auto& [k, v] : spec.env) a.insert(a.end(), {"-e", fmt::format("{}={}", k, v)});
    a.insert(a.end(), spec.extra_options.begin(), spec.extra_options.end());
    // Why --entrypoint: the program itself replaces the image's entrypoint,
    // so no image script runs on a pgtwin node (the official one chmods the
    // shared socket directory 03775 and runs its own initdb on an empty
    // PGDATA). Both runtimes take a single program here; its arguments follow
    // the image as the command.
    if (!spec.cmd.empty()) a.insert(a.end(), {"--entrypoint", spec.cmd.front()});
    a.push_back(spec.image);
    if (!spec.cmd.empty()) a.insert(a.end(), spec.cmd.begin() + 1, spec.cmd.end());
    return command(std::move(a), timeout);
}

sys::Command ContainerRuntime::exec(const std::string& name, const std::string& user,
                                    const std::map<std::string, std::string>& env, std::vector<std::string> cmd,
                                    Millis timeout) const {
    std::vector<std::string> a{"exec", "-u", user};
    for (const auto& [k, v] : env) a.insert(a.end(), {"-e", fmt::format("{}={}", k, v)});
    a.push_back(name);
    a.insert(a.end(), std::make_move_iterator(cmd.begin()), std::make_move_iterator(cmd.end()));
    return command(std::move(a), timeout);
}

Error runtime_command_failed(const std::string& what, const sys::CommandResult& r) {
    if (r.timed_out) return fail(ErrorKind::Timeout, what + ": timed out");
    std::string detail = last_lines(r.err.empty() ? r.out : r.err, 3, " | ");
    std::string msg = what + ": exit code " + std::to_string(r.exit_code);
    if (!detail.empty()) msg += ": " + detail;
    return fail(ErrorKind::Generic, msg);
}

std::vector<std::string> split_words(const std::string& text) {
    std::vector<std::string> words;
    std::istringstream in(text);
    std::string w;
    while (in >> w) words.push_back(w);
    return words;
}

}  // namespace pgtwin::backend

namespace pgtwin::backend {
namespace {

// Parses a decimal id; nullopt unless `text` is all digits and fits.
std::optional<unsigned> parse_id(const std::string& text) {
    if (text.empty() || text.size() > 9) return std::nullopt;
    unsigned v = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10U + static_cast<unsigned>(c - '0');
    }
    return v;
}

// The digits after `key` ("uid=") in id(1) output.
std::optional<unsigned> id_field(const std::string& text, const std::string& key) {
    auto pos = text.find(key);
    if (pos == std::string::npos) return std::nullopt;
    pos += key.size();
    auto end = text.find_first_not_of("0123456789", pos);
    return parse_id(text.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
}

}  // namespace

std::optional<UserIds> parse_numeric_user(const std::string& text) {
    auto colon = text.find(':');
    auto uid = parse_id(text.substr(0, colon));
    if (!uid) return std::nullopt;
    if (colon == std::string::npos) return UserIds{*uid, *uid};
    auto gid = parse_id(text.substr(colon + 1));
    if (!gid) return std::nullopt;
    return UserIds{*uid, *gid};
}

std::optional<UserIds> parse_id_output(const std::string& text) {
    auto uid = id_field(text, "uid=");
    auto gid = id_field(text, "gid=");
    if (!uid || !gid) return std::nullopt;
    return UserIds{*uid, *gid};
}

}  // namespace pgtwin::backend
