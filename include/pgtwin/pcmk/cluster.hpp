// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// The Pacemaker seam: node name, promotion scores, node attributes.
// The real implementation runs crm_node, crm_attribute and attrd_updater.

#include <memory>
#include <optional>
#include <string>

#include "pgtwin/core/deadline.hpp"
#include "pgtwin/core/result.hpp"
#include "pgtwin/sys/command.hpp"

namespace pgtwin::pcmk {

// How long an attribute lives.
enum class Lifetime {
    Reboot,   // transient status section (crm_attribute -l reboot / attrd)
    Forever,  // nodes section of the CIB, survives node and cluster restarts
};

// A node's membership as this node's partition sees it (crm_mon).
enum class Membership {
    Member,        // online here: it receives this partition's CIB writes
    CleanDown,     // offline and not unclean, fencing enabled: fenced, or left the cluster cleanly
    DownUnfenced,  // offline while fencing is disabled: nobody confirmed that it stopped
    Unclean,       // lost and not fenced yet: another partition may still run it
    Unknown,       // not listed or still joining (pending)
};

// Pacemaker operations the agent needs.
class Cluster {
public:
    virtual ~Cluster() = default;
    // This node's name as Pacemaker knows it (crm_node -n).
    virtual Result<std::string> local_node_name(const Deadline& d) = 0;
    // Sets this clone's promotion score on `node` (crm_attribute --promotion).
    virtual Result<void> set_promotion_score(const std::string& node, int score, const Deadline& d) = 0;
    // Reads it; nullopt when unset.
    virtual Result<std::optional<int>> promotion_score(const std::string& node, const Deadline& d) = 0;
    // Deletes it.
    virtual Result<void> delete_promotion_score(const std::string& node, const Deadline& d) = 0;
    // Sets a node attribute.
    virtual Result<void> set_attribute(const std::string& node, const std::string& name, const std::string& value,
                                       Lifetime lifetime, const Deadline& d) = 0;
    // Reads a node attribute; nullopt when unset.
    virtual Result<std::optional<std::string>> attribute(const std::string& node, const std::string& name,
                                                         Lifetime lifetime, const Deadline& d) = 0;
    // Sets a private (attrd-only, never in the CIB) attribute; used to exchange
    // WAL positions between pre-promote notify and promote.
    virtual Result<void> set_private_attribute(const std::string& node, const std::string& name,
                                               const std::string& value, const Deadline& d) = 0;
    // Reads a private attribute; nullopt when unset.
    virtual Result<std::optional<std::string>> private_attribute(const std::string& node, const std::string& name,
                                                                 const Deadline& d) = 0;
    // Deletes a private attribute.
    virtual Result<void> delete_private_attribute(const std::string& node, const std::string& name,
                                                  const Deadline& d) = 0;
    // `node`'s membership in this node's partition (crm_mon --output-as=xml);
    // forks, so call it only when a decision needs it.
    virtual Result<Membership> membership(const std::string& node, const Deadline& d) = 0;
};

// The command-line implementation. `resource` is OCF_RESOURCE_INSTANCE
// (crm_attribute --promotion needs it to name the clone).
std::unique_ptr<Cluster> make_cli_cluster(sys::CommandRunner& runner, std::string resource);

}  // namespace pgtwin::pcmk
