// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Test doubles shared by all unit tests.

#include <deque>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "pgtwin/core/clock.hpp"
#include "pgtwin/sys/command.hpp"

namespace pgtwin::testing {

// A clock that only moves when told to (sleep_for advances it).
class FakeClock final : public Clock {
public:
    SteadyTime now() const override { return m_now; }
    void sleep_for(Millis d) override { m_now += d; }
    void advance(Millis d) { m_now += d; }

private:
    SteadyTime m_now{std::chrono::hours(1000)};
};

// A strict recording CommandRunner: each expected call is queued with the
// argv it must match (or a predicate) and the result it returns. An
// unexpected call throws, so a test cannot silently pass on a wrong argv.
class FakeCommandRunner final : public sys::CommandRunner {
public:
    struct Expectation {
        std::vector<std::string> argv;                     // exact match unless matcher set
        std::function<bool(const sys::Command&)> matcher;  // optional custom match
        Result<sys::CommandResult> result = sys::CommandResult{0, 0, false, "", ""};
    };

    // Expects exactly `argv` next, answering with exit code / stdout / stderr.
    FakeCommandRunner& expect(std::vector<std::string> argv, int exit_code = 0, std::string out = "",
                              std::string err = "") {
        m_queue.push_back(
            {std::move(argv), nullptr, sys::CommandResult{exit_code, 0, false, std::move(out), std::move(err)}});
        return *this;
    }
    // Expects a call matching `matcher` next.
    FakeCommandRunner& expect_match(std::function<bool(const sys::Command&)> matcher, int exit_code = 0,
                                    std::string out = "", std::string err = "") {
        m_queue.push_back(
            {{}, std::move(matcher), sys::CommandResult{exit_code, 0, false, std::move(out), std::move(err)}});
        return *this;
    }
    // Expects `argv` next and fails to run it with `error`.
    FakeCommandRunner& expect_error(std::vector<std::string> argv, Error error) {
        m_queue.push_back({std::move(argv), nullptr, std::move(error)});
        return *this;
    }

    Result<sys::CommandResult> run(const sys::Command& cmd) override {
        m_calls.push_back(cmd);
        if (m_queue.empty()) {
            throw std::logic_error("unexpected command: " + sys::describe(cmd.argv));
        }
        Expectation e = std::move(m_queue.front());
        m_queue.pop_front();
        bool matches = e.matcher ? e.matcher(cmd) : (cmd.argv == e.argv);
        if (!matches) {
            throw std::logic_error("command mismatch: got " + sys::describe(cmd.argv) +
                                   (e.matcher ? std::string{} : ", expected " + sys::describe(e.argv)));
        }
        return e.result;
    }

    // Every command run so far, in order.
    const std::vector<sys::Command>& calls() const { return m_calls; }
    // True when every expectation was consumed.
    bool done() const { return m_queue.empty(); }

private:
    std::deque<Expectation> m_queue;
    std::vector<sys::Command> m_calls;
};

}  // namespace pgtwin::testing
