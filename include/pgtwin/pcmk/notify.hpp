// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Notification data that Pacemaker passes to notify actions (and to every
// action of a clone with notify=true) in OCF_RESKEY_CRM_meta_notify_*.

#include <string>
#include <vector>

#include "pgtwin/ocf/params.hpp"

namespace pgtwin::pcmk {

// One notify invocation's variables, node name lists split on spaces.
struct NotifyData {
    std::string type;                                       // "pre" or "post"
    std::string operation;                                  // "start", "stop", "promote", "demote"
    std::vector<std::string> start, stop, promote, demote;  // *_uname lists
    std::vector<std::string> active, promoted, unpromoted, inactive, all;
    bool empty() const { return type.empty(); }
};

// Reads OCF_RESKEY_CRM_meta_notify_*; accepts both promoted/unpromoted and
// the older master/slave variable names.
NotifyData parse_notify(const ocf::EnvMap& env);

}  // namespace pgtwin::pcmk
