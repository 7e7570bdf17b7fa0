#pragma once
// The one parameter table: parsing, validation, meta-data and the docs'
// parameter reference are all generated from it.

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pgtwin/core/result.hpp"
#include "pgtwin/ocf/config.hpp"

namespace pgtwin::ocf {

enum class ParamType { String, Integer, Boolean, Select };

// One agent parameter as declared to Pacemaker and documented.
struct ParamSpec {
    std::string_view name;
    ParamType type = ParamType::String;
    std::string_view default_value;      // "" = no default
    bool required = false;
    bool unique = false;
    bool reloadable = false;
    bool deprecated = false;             // accepted, logged as deprecated
    std::vector<std::string_view> choices; // for Select
    std::string_view shortdesc;
    std::string_view longdesc;
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

}  // namespace pgtwin::ocf
