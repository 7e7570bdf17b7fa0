// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Everything one OCF action needs, wired once by the app layer.

#include <optional>
#include <string>

#include "pgtwin/backend/backend.hpp"
#include "pgtwin/core/deadline.hpp"
#include "pgtwin/ocf/config.hpp"
#include "pgtwin/ocf/params.hpp"
#include "pgtwin/pcmk/cluster.hpp"
#include "pgtwin/pcmk/notify.hpp"
#include "pgtwin/pg/client.hpp"
#include "pgtwin/sys/command.hpp"

namespace pgtwin::agent {

// The inputs and collaborators of one agent invocation.
struct Context {
    ocf::Config cfg;
    ocf::MetaEnv meta;
    pcmk::NotifyData notify;
    std::string node;       // this node's name
    std::string peer;       // the other node of node_list ("" if unknown)
    std::string resource;   // OCF_RESOURCE_INSTANCE without the clone suffix
    std::string state_dir;  // where the per-node state cache lives
    sys::CommandRunner& runner;
    Clock& clock;
    backend::Backend& backend;
    pg::Connector& connector;
    pcmk::Cluster& cluster;
    Deadline deadline;
};

// Names of the node attributes pgtwin publishes for resource `rsc`.
struct AttributeNames {
    std::string rep_state;  // forever: the standby's replication state seen by the primary
    std::string walpos;     // private: "timeline:lsn" exchanged in pre-promote notify
    std::string data_id;    // forever: system identifier of the data this node holds
};

// Attribute names for a resource.
AttributeNames attribute_names(const std::string& resource);

}  // namespace pgtwin::agent
