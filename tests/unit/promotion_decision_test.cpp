// SPDX-License-Identifier: GPL-2.0-or-later
// decide_promotion: promote's ordered refusals (second primary, forced,
// recorded state, election) as one table over its facts.

#include <gtest/gtest.h>

#include "pgtwin/agent/decisions.hpp"

namespace pgtwin::agent {
namespace {

using V = PromotionVerdict;

RecordedState recorded(std::optional<RepState> state) {
    return {state ? std::optional(rep_state_record(*state)) : std::nullopt, std::nullopt};
}

const RecordedState kUnreadable{std::nullopt, "timed out"};
const LostElection kLost{"psql2", "2:0/6000000", "2:0/5000000"};

TEST(DecidePromotion, RefusalsComeInTheirOrder) {
    struct Row {
        PeerRole peer;
        bool forced;
        std::optional<RecordedState> state;
        std::optional<LostElection> lost;
        V expected;
    };
    const Row rows[] = {
        // A second primary is refused first, even when forced.
        {PeerRole::Primary, true, recorded(RepState::InSync), std::nullopt, V::PeerPrimary},
        {PeerRole::Unknown, true, recorded(RepState::InSync), std::nullopt, V::PeerRoleUnknown},
        {PeerRole::Primary, false, kUnreadable, kLost, V::PeerPrimary},
        // Forced skips the recorded state and the election.
        {PeerRole::Absent, true, kUnreadable, kLost, V::PromoteForced},
        {PeerRole::NotPrimary, true, recorded(RepState::Lagging), std::nullopt, V::PromoteForced},
        // Then the recorded state, before the election.
        {PeerRole::Absent, false, kUnreadable, kLost, V::StateUnreadable},
        {PeerRole::NotPrimary, false, recorded(RepState::Lagging), kLost, V::NotInSync},
        {PeerRole::Absent, false, recorded(RepState::Catchup), std::nullopt, V::NotInSync},
        {PeerRole::Absent, false, recorded(RepState::Disconnected), std::nullopt, V::NotInSync},
        {PeerRole::Absent, false, recorded(RepState::InSync), kLost, V::ElectionLost},
        {PeerRole::Absent, false, recorded(std::nullopt), kLost, V::ElectionLost},
        {PeerRole::Absent, false, recorded(RepState::InSync), std::nullopt, V::Promote},
        {PeerRole::NotPrimary, false, recorded(RepState::Primary), std::nullopt, V::Promote},
        {PeerRole::Absent, false, recorded(std::nullopt), std::nullopt, V::Promote},
        // Facts not gathered yet refuse nothing.
        {PeerRole::Absent, false, std::nullopt, std::nullopt, V::Promote},
    };
    for (const auto& r : rows) {
        PromotionFacts f{.peer = "psql2",
                         .peer_role = r.peer,
                         .peer_detail = "",
                         .forced = r.forced,
                         .recorded = r.state,
                         .lost_election = r.lost};
        EXPECT_EQ(decide_promotion(f).verdict, r.expected) << static_cast<int>(r.peer) << " forced=" << r.forced;
    }
}

TEST(DecidePromotion, RecordedTextThatNamesNoStateIsNotInSync) {
    PromotionFacts f{.peer = "psql2",
                     .peer_role = PeerRole::Absent,
                     .peer_detail = "",
                     .forced = false,
                     .recorded = RecordedState{rep_state_record(std::string("in_sync")), std::nullopt},
                     .lost_election = std::nullopt};
    EXPECT_EQ(decide_promotion(f).verdict, V::NotInSync);
}

TEST(DecidePromotion, ReasonsNameTheFacts) {
    PromotionFacts f{.peer = "psql2",
                     .peer_role = PeerRole::Unknown,
                     .peer_detail = "query timed out",
                     .forced = false,
                     .recorded = std::nullopt,
                     .lost_election = std::nullopt};
    EXPECT_EQ(decide_promotion(f).reason,
              "peer psql2 answers but its role cannot be read (query timed out); it may be a running primary");
    f.peer_role = PeerRole::Absent;
    f.recorded = recorded(RepState::Lagging);
    EXPECT_EQ(decide_promotion(f).reason,
              "this standby was not in sync when last seen by the primary (state: "
              "lagging); set force_promotion=true to accept losing data");
    f.recorded = recorded(RepState::InSync);
    f.lost_election = kLost;
    EXPECT_EQ(decide_promotion(f).reason, "peer psql2 has newer data (2:0/6000000) than this node (2:0/5000000)");
    EXPECT_TRUE(decide_promotion({.peer = "psql2",
                                  .peer_role = PeerRole::Absent,
                                  .peer_detail = "",
                                  .forced = true,
                                  .recorded = std::nullopt,
                                  .lost_election = std::nullopt})
                    .reason.empty());
}

}  // namespace
}  // namespace pgtwin::agent
