// SPDX-License-Identifier: GPL-2.0-or-later
// The initialise rule (decide_initialise) and the standby's streaming-failure
// threshold (judge_streaming) as row tables over their facts.

#include <gtest/gtest.h>

#include "pgtwin/agent/decisions.hpp"

namespace pgtwin::agent {
namespace {

TEST(DecideInitialise, OnlyTheFirstNodeWithNoRecordedDataInAModeThatMay) {
    using V = InitialiseVerdict;
    struct Row {
        bool mode_allows;
        std::string first_node;
        std::optional<bool> data_recorded;
        V expected;
    };
    const Row rows[] = {
        {false, "psql1", false, V::NotAllowedHere}, {true, "", false, V::NotFirstNode},
        {true, "psql2", false, V::NotFirstNode},    {true, "psql1", std::nullopt, V::RecordsUnread},
        {true, "psql1", true, V::DataRecorded},     {true, "psql1", false, V::Initialise},
    };
    for (const auto& r : rows) {
        InitialiseFacts f{.mode_allows = r.mode_allows,
                          .first_node = r.first_node,
                          .node = "psql1",
                          .data_recorded = r.data_recorded};
        EXPECT_EQ(decide_initialise(f), r.expected) << r.first_node;
    }
}

TEST(JudgeStreaming, FailsOnTheThresholdsConsecutiveMonitor) {
    using V = StreamingVerdict;
    struct Row {
        bool streaming;
        std::optional<bool> primary_possible;
        bool progressed;
        int failures;
        V expected;
        int counted;
        int kept;
    };
    const Row rows[] = {
        {true, std::nullopt, false, 2, V::Streaming, 0, 0},
        {true, true, false, 4, V::Streaming, 0, 0},
        {false, false, false, 4, V::NoPrimary, 0, 0},
        {false, true, true, 4, V::CatchingUp, 0, 0},
        {false, true, false, 0, V::NotStreaming, 1, 1},
        {false, true, false, 3, V::NotStreaming, 4, 4},
        {false, true, false, 4, V::ThresholdReached, 5, 0},
        // Not probed counts as a possible primary.
        {false, std::nullopt, false, 4, V::ThresholdReached, 5, 0},
    };
    for (const auto& r : rows) {
        StreamingFacts f{.streaming = r.streaming,
                         .primary_possible = r.primary_possible,
                         .replay_progressed = r.progressed,
                         .failures = r.failures,
                         .threshold = 5};
        auto j = judge_streaming(f);
        EXPECT_EQ(j.verdict, r.expected) << r.failures;
        EXPECT_EQ(j.counted, r.counted) << r.failures;
        EXPECT_EQ(j.kept, r.kept) << r.failures;
    }
}

TEST(JudgeStreaming, AThresholdOfOneFailsTheFirstMonitor) {
    StreamingFacts f{
        .streaming = false, .primary_possible = true, .replay_progressed = false, .failures = 0, .threshold = 1};
    EXPECT_EQ(judge_streaming(f).verdict, StreamingVerdict::ThresholdReached);
}

}  // namespace
}  // namespace pgtwin::agent
