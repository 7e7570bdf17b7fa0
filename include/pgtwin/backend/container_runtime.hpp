// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// The container runtime (podman or docker): detection, the small table of
// their differences, argv builders and parsing of `inspect` output. One code
// path serves both; only RuntimeTraits differ.
//
// Differences that matter to pgtwin (checked against podman 4.3 here; docker
// at the argv level only, no engine is available on the test machines):
//
// | what                    | podman                         | docker                        |
// |-------------------------|--------------------------------|-------------------------------|
// | binary                  | podman                         | docker                        |
// | image present?          | `image exists IMG` (rc 0/1)    | `image inspect --format {{.Id}} IMG` |
// | inspect of a missing    | rc 125, "no such container"    | rc 1, "No such container"     |
// | `run --replace`         | yes                            | no: pgtwin never uses it, it  |
// |                         |                                | removes a stale container first |
// | `:Z` relabel on -v      | yes                            | yes (no-op without SELinux)   |
// | `--entrypoint PROG`     | yes (one program; args follow the image) | same                |
// | `stop -t N`, `rm -f`, `exec -u`, `logs --tail N`, inspect JSON State | same | same      |

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pgtwin/backend/backend.hpp"
#include "pgtwin/core/clock.hpp"
#include "pgtwin/core/result.hpp"
#include "pgtwin/ocf/config.hpp"
#include "pgtwin/sys/command.hpp"

namespace pgtwin::backend {

enum class RuntimeKind { Podman, Docker };

// How one runtime differs from the other.
struct RuntimeTraits {
    RuntimeKind kind;
    const char* binary;     // program name looked up in PATH
    bool has_image_exists;  // `image exists` (podman) instead of `image inspect`
    bool supports_replace;  // `run --replace`; informational, never relied upon
};

// The traits row for `kind`.
const RuntimeTraits& traits_for(RuntimeKind kind);

// Finds the runtime: `wanted` if it is on `path_env` (a PATH value), or for
// Auto podman first, then docker. None: NotInstalled with the reason.
Result<RuntimeKind> detect_runtime(ocf::ContainerRuntime wanted, const std::string& path_env);

// A container's state as `inspect` reports it.
struct ContainerState {
    bool exists = false;     // false: no container of that name
    bool running = false;    // State.Running
    std::string status;      // State.Status: running, exited, created, paused...
    long long pid = 0;       // State.Pid (host PID of the container's init), 0 if none
    std::string started_at;  // State.StartedAt (RFC 3339)
};

// Parses the JSON array printed by `<rt> inspect --type container NAME`.
// An empty array means "no such container".
Result<ContainerState> parse_inspect(const std::string& json);

// True when a failed inspect's stderr says the container does not exist.
bool is_no_such_container(const std::string& err);

// Environment variables passed through to the runtime when set for the agent
// (the runner gives children a minimal environment): CONTAINERS_CONF,
// CONTAINERS_STORAGE_CONF, CONTAINER_HOST, DOCKER_HOST, DOCKER_CONFIG.
std::map<std::string, std::string> runtime_passthrough_env();

// One bind mount: host path, container path, read-only or not. Always
// relabelled with :Z (private SELinux label; ignored without SELinux).
struct Mount {
    std::string host;
    std::string container;
    bool read_only = false;
};

// What `<rt> run` should do; turned into argv in a fixed order.
struct RunSpec {
    bool detach = false;                     // -d (long-running) ...
    bool remove = false;                     // ... or --rm (one-off tool run)
    std::string name;                        // --name, empty: none
    std::string hostname;                    // --hostname, empty: none
    std::string network = "host";            // --network
    std::string user;                        // --user uid:gid
    std::vector<Mount> mounts;               // -v host:container[:ro],Z
    std::map<std::string, std::string> env;  // -e NAME=VALUE (never secrets)
    std::vector<std::string> extra_options;  // administrator's run options
    std::string image;
    std::vector<std::string> cmd;  // program (run as --entrypoint) and its arguments
};

// Builds runtime Commands for one runtime kind.
class ContainerRuntime {
public:
    // `env` is added to every Command (see runtime_passthrough_env).
    explicit ContainerRuntime(RuntimeKind kind, std::map<std::string, std::string> env = {});

    const RuntimeTraits& traits() const { return *m_traits; }
    // The program name, e.g. "podman".
    std::string binary() const { return m_traits->binary; }

    // A Command for `<rt> args...` with `timeout`.
    sys::Command command(std::vector<std::string> args, Millis timeout) const;
    // `<rt> inspect --type container NAME`.
    sys::Command inspect(const std::string& name, Millis timeout) const;
    // Image presence probe; exit 0 means present.
    sys::Command image_present(const std::string& image, Millis timeout) const;
    // `<rt> pull IMAGE`.
    sys::Command pull(const std::string& image, Millis timeout) const;
    // `<rt> rm -f NAME`.
    sys::Command remove(const std::string& name, Millis timeout) const;
    // `<rt> stop -t SECS NAME`.
    sys::Command stop(const std::string& name, long long seconds, Millis timeout) const;
    // `<rt> run ... --entrypoint PROGRAM IMAGE ARGS...` for `spec`: the
    // image's own entrypoint never runs.
    sys::Command run(const RunSpec& spec, Millis timeout) const;
    // `<rt> exec -u USER [-e NAME=VALUE...] NAME cmd...`.
    sys::Command exec(const std::string& name, const std::string& user, const std::map<std::string, std::string>& env,
                      std::vector<std::string> cmd, Millis timeout) const;
    // `<rt> logs --tail N NAME`.
    sys::Command logs_tail(const std::string& name, int lines, Millis timeout) const;

private:
    const RuntimeTraits* m_traits;
    std::map<std::string, std::string> m_env;
};

// Numeric ids the container processes run as.
struct UserIds {
    unsigned uid = 0;
    unsigned gid = 0;
    std::string spec() const { return std::to_string(uid) + ":" + std::to_string(gid); }
};

// Parses "999" or "999:998" (a bare uid means gid = uid); nullopt for names.
std::optional<UserIds> parse_numeric_user(const std::string& text);

// Parses the output of id(1) ("uid=999(postgres) gid=999(postgres) ...").
std::optional<UserIds> parse_id_output(const std::string& text);

// An Error for a runtime command that ran but failed (Timeout when it timed
// out), with the last lines of its stderr.
Error runtime_command_failed(const std::string& what, const sys::CommandResult& r);

// Splits `text` on runs of whitespace (for *_options parameters).
std::vector<std::string> split_words(const std::string& text);

}  // namespace pgtwin::backend
