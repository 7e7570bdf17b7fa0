// SPDX-License-Identifier: GPL-2.0-or-later
// Environment parsing driven by the parameter table (params_table.cpp).

#include "pgtwin/ocf/params.hpp"
#include "pgtwin/core/text.hpp"

#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "param_checks.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, not in every header

namespace pgtwin::ocf {
namespace {

constexpr std::string_view kReskey = "OCF_RESKEY_";
constexpr std::string_view kMeta = "CRM_meta_";

std::string lowercase(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
    return out;
}

// Pacemaker passes unset and empty parameters alike for our purposes: empty means unset.
std::optional<std::string> lookup(const EnvMap& env, std::string_view name) {
    const auto it = env.find(fmt::format("{}{}", kReskey, name));
    if (it == env.end() || it->second.empty()) return std::nullopt;
    return it->second;
}

std::string range_text(const ParamSpec& spec) {
    if (spec.max_value == INT64_MAX) return fmt::format("at least {}", spec.min_value);
    return fmt::format("between {} and {}", spec.min_value, spec.max_value);
}

// The generic type check of the table: boolean, integer with range, select choice.
Result<ParamValue> typed_value(const ParamSpec& spec, const std::string& text) {
    ParamValue value{.text = text};
    if (spec.type == ParamType::Boolean) {
        const auto flag = parse_boolean(text);
        if (!flag) return detail::invalid(fmt::format("'{}' is not a boolean (true/false, yes/no, on/off, 1/0)", text));
        value.boolean = *flag;
    } else if (spec.type == ParamType::Integer) {
        std::string_view digits = text;
        if (spec.seconds_suffix && digits.size() > 1 && digits.back() == 's') digits.remove_suffix(1);
        const auto number = parse_number<std::int64_t>(digits);
        if (!number) return detail::invalid(fmt::format("'{}' is not an integer", text));
        if (*number < spec.min_value || *number > spec.max_value) {
            return detail::invalid(fmt::format("{} is out of range (must be {})", *number, range_text(spec)));
        }
        value.integer = *number;
    } else if (spec.type == ParamType::Select) {
        if (std::find(spec.choices.begin(), spec.choices.end(), text) == spec.choices.end()) {
            return detail::invalid(fmt::format("'{}' is not one of {}", text, fmt::join(spec.choices, ", ")));
        }
    } else {
        if (auto clean = detail::check_no_control(text); !clean) return clean.error();
    }
    return value;
}

Result<void> apply_param(Config& config, const ParamSpec& spec, const std::string& text) {
    auto value = typed_value(spec, text);
    Result<void> applied = value ? spec.apply(config, value.value()) : Result<void>(value.error());
    if (!applied) return fail(applied.error().kind, fmt::format("{}: {}", spec.name, applied.error().message));
    return ok();
}

// PGTWIN_CONTAINER_MODE lets container images turn the mode on without a parameter.
bool container_mode_from_env(const EnvMap& env) {
    const auto it = env.find("PGTWIN_CONTAINER_MODE");
    if (it == env.end()) return false;
    const std::string value = lowercase(it->second);
    return value == "true" || value == "1" || value == "yes";
}

void fill_derived(Config& config, const std::string& node_name) {
    if (config.logfile.empty()) {
        std::string base = config.pgdata;
        while (base.size() > 1 && base.back() == '/') base.pop_back();
        config.logfile = base + "/log/pgtwin-postgresql.log";
    }
    if (node_name.empty()) return;  // meta-data, usage: nothing to derive from
    if (config.application_name.empty()) config.application_name = node_name;
    if (config.slot_name.empty()) config.slot_name = default_slot_name(node_name);
    if (config.container_name.empty()) config.container_name = "pgtwin-postgres-" + node_name;
    const std::string host_dir = "/var/lib/pgtwin/@postgres-" + node_name;
    if (config.container_config_dir.empty()) config.container_config_dir = host_dir + "/config";
    if (config.container_archive_dir.empty()) config.container_archive_dir = host_dir + "/archive";
}

// Container mode's storage layout gives every node its own subvolume, so one
// resource definition serves both nodes when pgdata is derived from the node name.
Result<void> default_pgdata(Config& config, const std::string& node_name) {
    if (!config.pgdata.empty()) return ok();
    if (!config.container_mode) return detail::invalid("pgdata is required");
    if (node_name.empty()) return detail::invalid("pgdata is required when the node name is unknown");
    std::string derived = "/var/lib/pgtwin/@postgres-" + node_name + "/data";
    if (auto safe = detail::check_shell_safe_path(derived); !safe) {
        return detail::invalid(fmt::format("pgdata: derived from node name '{}': {}", node_name, safe.error().message));
    }
    config.pgdata = std::move(derived);
    return ok();
}

Result<void> check_combinations(const Config& config) {
    if (config.node_list.empty()) return ok();
    for (const auto& [name, address] : config.node_addresses) {
        if (std::find(config.node_list.begin(), config.node_list.end(), name) == config.node_list.end()) {
            return detail::invalid(fmt::format("node_addresses: node '{}' is not in node_list", name));
        }
    }
    return ok();
}

}  // namespace

std::optional<bool> parse_boolean(std::string_view text) {
    const std::string value = lowercase(text);
    if (value == "true" || value == "yes" || value == "on" || value == "1") return true;
    if (value == "false" || value == "no" || value == "off" || value == "0") return false;
    return std::nullopt;
}

std::string default_slot_name(std::string_view node_name) {
    std::string slot = "pgtwin_";
    for (const char c : lowercase(node_name)) {
        const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        slot.push_back(keep ? c : '_');
    }
    if (slot.size() > 63) slot.resize(63);  // PostgreSQL truncates names at NAMEDATALEN - 1
    return slot;
}

EnvMap current_environment() {
    EnvMap env;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        const auto eq = text.find('=');
        if (eq == std::string_view::npos) continue;
        env.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
    }
    return env;
}

Result<Config> parse_config(const EnvMap& env, const std::string& node_name) {
    Config config;
    for (const ParamSpec& spec : parameter_table()) {
        const auto value = lookup(env, spec.name);
        if (!value && spec.required) return detail::invalid(fmt::format("{} is required", spec.name));
        if (!value && spec.default_value.empty()) continue;
        const std::string text = value ? *value : std::string(spec.default_value);
        if (auto applied = apply_param(config, spec, text); !applied) return applied.error();
    }
    if (!lookup(env, "container_mode") && container_mode_from_env(env)) config.container_mode = true;
    if (auto pgdata = default_pgdata(config, node_name); !pgdata) return pgdata.error();
    fill_derived(config, node_name);
    if (auto combined = check_combinations(config); !combined) return combined.error();
    return config;
}

MetaEnv parse_meta(const EnvMap& env) {
    MetaEnv meta;
    const auto get = [&env](std::string_view key) { return lookup(env, fmt::format("{}{}", kMeta, key)); };
    const auto get_int = [&get](std::string_view key) -> std::optional<std::int64_t> {
        const auto text = get(key);
        return text ? parse_number<std::int64_t>(*text) : std::nullopt;
    };
    meta.on_node = get("on_node").value_or("");
    meta.role = get("role").value_or("");
    if (const auto t = get_int("timeout"); t && *t > 0) meta.timeout = std::chrono::milliseconds{*t};
    if (const auto i = get_int("interval"); i && *i >= 0) meta.interval = std::chrono::milliseconds{*i};
    if (const auto n = get("notify")) {
        meta.notify_passed = true;
        meta.notify_enabled = parse_boolean(*n).value_or(false);
    }
    if (const auto c = get_int("clone_max"); c && *c >= 0 && *c <= INT32_MAX) meta.clone_max = static_cast<int>(*c);
    // Why the fallback: Pacemaker before 2.1 only sets the old name master_max.
    auto promoted = get_int("promoted_max");
    if (!promoted) promoted = get_int("master_max");
    if (promoted && *promoted >= 0 && *promoted <= INT32_MAX) meta.promoted_max = static_cast<int>(*promoted);
    return meta;
}

std::vector<std::string> deprecated_parameters_set(const EnvMap& env) {
    std::vector<std::string> names;
    for (const ParamSpec& spec : parameter_table()) {
        if (spec.deprecated && lookup(env, spec.name)) names.emplace_back(spec.name);
    }
    return names;
}

std::vector<std::string> unknown_parameters(const EnvMap& env) {
    std::vector<std::string> names;
    const auto table = parameter_table();
    for (const auto& [key, value] : env) {
        if (!key.starts_with(kReskey)) continue;
        const std::string_view name = std::string_view(key).substr(kReskey.size());
        // Pacemaker passes these with every action; they are not parameters.
        if (name.starts_with(kMeta) || name == "crm_feature_set") continue;
        const bool known =
            std::any_of(table.begin(), table.end(), [name](const ParamSpec& s) { return s.name == name; });
        if (!known) names.emplace_back(name);
    }
    return names;
}

}  // namespace pgtwin::ocf
