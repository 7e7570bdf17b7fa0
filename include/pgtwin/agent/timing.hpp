// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// The agent's time budgets and poll intervals, each named once with the
// reason for its value. A budget caps one step; the action's Deadline
// (Pacemaker's timeout minus kActionMargin) still bounds every step.

#include <chrono>

#include "pgtwin/core/clock.hpp"

namespace pgtwin::agent {

// --- The action as a whole ---

// Kept back from Pacemaker's timeout (or a tenth of it, when smaller) so the
// agent reports before Pacemaker kills it.
inline constexpr Millis kActionMargin{2000};
// crm_node -n / -l at the start of an action: one short Pacemaker call.
inline constexpr Millis kNodeLookupCap{5000};
// The clone job has no Pacemaker timeout (a clone takes what the database
// needs); 30 days only keeps its tools' timeouts finite.
inline constexpr Millis kCloneJobBound{std::chrono::hours{24 * 30}};
// Kept back by stop so it reports before Pacemaker's own timeout fires.
inline constexpr Millis kStopReportMargin{1000};

// --- The local instance ---

// Connecting to the local instance and one query, in the actions other than
// monitor: it answers over its own socket, so more means it hangs.
inline constexpr Millis kLocalCap{5000};
// The same for monitor, which must not fail a busy but healthy instance:
// a false failure makes Pacemaker restart it.
inline constexpr Millis kMonitorLocalCap{10000};
// pg_controldata on a stopped data directory: reading pg_control is quick,
// but in container mode the tool runs in a container of its own.
inline constexpr Millis kControldataCap{15000};
// How often start looks whether PostgreSQL accepts connections yet: recovery
// takes seconds, so twice a second answers promptly at little cost.
inline constexpr Millis kStartPollInterval{500};
// How often promote looks whether the instance is writable; pg_ctl promote -w
// has usually waited already, so the first looks nearly always succeed.
inline constexpr Millis kPromotePollInterval{200};

// --- The peer ---

// Connecting to the peer and one query: a healthy peer answers at once, and
// an unreachable one must not hold up the action.
inline constexpr Millis kPeerCap{5000};
// find_peer_primary's first connection attempt: a live host answers the TCP
// handshake within a round trip (well under a millisecond on a LAN), even
// when its PostgreSQL is slow. Only a host that never answered it (a lost
// first SYN is retransmitted after 1 s) and that Pacemaker reports fenced
// is given up after it; any other outcome gets a second try of kPeerCap.
inline constexpr Millis kPeerFirstTryCap{500};
// connect_timeout (in seconds) in the conninfo of tools that reach the peer
// (pg_basebackup, pg_rewind); the same bound as kPeerCap.
inline constexpr std::chrono::seconds kToolConnectTimeout{5};
// How long start waits at most (and at most half its deadline) for a peer
// to clone from before it may initialise or fail.
inline constexpr Millis kPeerWaitCap{60000};
// How often start tries the peer while waiting for it: a peer that is
// starting needs many seconds, and each try is a connection over the network.
inline constexpr Millis kPeerPollInterval{2000};

// --- Promotion ---

// How long promote waits at most for a member's pre-promote WAL position
// (attrd propagates private attributes asynchronously).
inline constexpr Millis kElectionWaitCap{20000};
// How often promote looks for that position.
inline constexpr Millis kElectionPollInterval{500};
// Kept back from pg_ctl promote's own -t for the checkpoint and attribute
// writes that follow it.
inline constexpr Millis kAfterPromoteReserve{5000};
// The shortest -t pg_ctl promote gets, even when the deadline is nearer.
inline constexpr Millis kMinPromoteWait{1000};

// --- Attribute writes and replication ---

// Pause between attempts of an attribute write (write_with_retries):
// crm_attribute takes 50 ms to 10 s, a transient failure clears in moments.
inline constexpr Millis kWriteRetryPause{500};
// How long the primary waits for a standby it just named synchronous to
// report "sync", so one monitor can publish it in-sync.
inline constexpr Millis kSyncWait{2000};
// How often it looks during that wait.
inline constexpr Millis kSyncPollInterval{100};

// --- Cloning and rebuilding ---

// Kept back from a rebuild (copying the old data aside) for starting
// PostgreSQL afterwards.
inline constexpr Millis kRebuildStartReserve{20000};
// How long start waits for the clone job to report "ready" on fd 3.
inline constexpr Millis kCloneReadyWait{30000};
// How often start looks at the clone job's state file.
inline constexpr Millis kClonePollInterval{1000};
// Kept back from start's deadline while it follows the clone job, for the
// wait until PostgreSQL answers and the publishing.
inline constexpr Millis kCloneStartReserve{15000};
// SIGTERM to SIGKILL for the clone job (or half the stop deadline, if less):
// pg_basebackup ends at once on SIGTERM, so this only catches a hang.
inline constexpr Millis kCloneTermGrace{10000};
// How often stop looks whether the clone job is gone.
inline constexpr Millis kCloneStopPollInterval{100};
// The clone job's start of PostgreSQL after the copy: recovery of a large
// clone's WAL can take minutes, and no Pacemaker timeout runs.
inline constexpr Millis kClonePostgresStartCap{600000};
// How often the clone job saves its progress (pgtwin status shows it).
inline constexpr std::chrono::seconds kCloneStateEvery{5};
// How often the clone job logs its progress.
inline constexpr std::chrono::seconds kCloneLogEvery{60};

// --- Monitor housekeeping and pgtwin status ---

// Pruning safety snapshots in one monitor: deleting one and waiting for
// Btrfs to reclaim its space, without delaying the monitor much.
inline constexpr Millis kMonitorPruneCap{10000};
// pgtwin status as a whole: well under a second when both nodes answer;
// bounded when one does not.
inline constexpr Millis kStatusBudget{15000};
// pgtwin status reading the resource's configuration (cibadmin -Q).
inline constexpr Millis kStatusCibCap{5000};
// pgtwin status: the local instance, the peer and Pacemaker each get a
// few seconds, so the whole command answers within kStatusBudget.
inline constexpr Millis kStatusLocalCap{3000};
inline constexpr Millis kStatusPeerCap{2000};
inline constexpr Millis kStatusPcmkCap{3000};

}  // namespace pgtwin::agent
