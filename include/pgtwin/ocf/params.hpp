// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// The one parameter table: parsing, validation, meta-data and the docs'
// parameter reference are all generated from it.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pgtwin/core/result.hpp"
#include "pgtwin/ocf/config.hpp"

namespace pgtwin::ocf {

enum class ParamType { String, Integer, Boolean, Select };

// A value from the environment after the generic type check of its ParamSpec.
struct ParamValue {
    std::string text;          // the raw value (never empty: empty means unset)
    bool boolean = false;      // for ParamType::Boolean
    std::int64_t integer = 0;  // for ParamType::Integer, range-checked
};

// Stores a type-checked value into the Config; parameter-specific checks fail here.
using ParamApply = Result<void> (*)(Config& config, const ParamValue& value);

// One agent parameter as declared to Pacemaker and documented. Every member has
// an initializer so the table can use designated initializers without warnings.
struct ParamSpec {
    std::string_view name{};
    ParamType type = ParamType::String;
    std::string_view default_value{};  // "" = no default
    bool required = false;
    bool unique = false;
    bool reloadable = false;
    bool deprecated = false;                  // accepted, logged as deprecated
    std::vector<std::string_view> choices{};  // for Select
    std::string_view shortdesc{};
    std::string_view longdesc{};
    std::string_view section{};          // documentation group heading
    std::int64_t min_value = 0;          // Integer: inclusive lower bound
    std::int64_t max_value = INT64_MAX;  // Integer: inclusive upper bound
    bool seconds_suffix = false;         // Integer: a trailing "s" is accepted (seconds)
    ParamApply apply = nullptr;          // writes the value into Config
};

// Environment variables as name -> value (tests pass their own).
using EnvMap = std::map<std::string, std::string>;

// The table, in documentation order.
std::span<const ParamSpec> parameter_table();

// Reads the process environment into an EnvMap.
EnvMap current_environment();

// Parses OCF_RESKEY_* into a Config; bad values are InvalidConfig errors.
// `node_name` is used for defaults derived from it (application_name, slot_name...).
Result<Config> parse_config(const EnvMap& env, const std::string& node_name);

// Parses OCF_RESKEY_CRM_meta_* values.
MetaEnv parse_meta(const EnvMap& env);

// Names of deprecated parameters that are set in `env` (to log a warning each).
std::vector<std::string> deprecated_parameters_set(const EnvMap& env);

// Names (without prefix) of OCF_RESKEY_* variables that are neither parameters nor CRM_meta_*.
std::vector<std::string> unknown_parameters(const EnvMap& env);

// OCF boolean: true/false, yes/no, on/off, 1/0 in any case; nullopt otherwise.
std::optional<bool> parse_boolean(std::string_view text);

// The default replication slot name for a node: "pgtwin_" + name lowercased, with
// characters outside [a-z0-9_] replaced by '_' (PostgreSQL's slot name rule), max 63.
std::string default_slot_name(std::string_view node_name);

}  // namespace pgtwin::ocf
