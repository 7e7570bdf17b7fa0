// SPDX-License-Identifier: GPL-2.0-or-later
// The supervised clone job: state file, pid + start-time liveness, the
// --progress parser, monitor's decision rows, pg_basebackup's argv, the
// clone_max_rate parameter, and detaching (own session, ready signal, kill).

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "pgtwin/agent/clone_job.hpp"
#include "pgtwin/agent/status.hpp"
#include "pgtwin/ocf/params.hpp"
#include "pgtwin/sys/detach.hpp"
#include "pgtwin/sys/process.hpp"

namespace pgtwin::agent {

// Unit tests run the job's body inside start (no detached process): the
// agent tests that clone see pg_basebackup on their FakeCommandRunner.
const bool g_inline_clone_job = [] {
    set_clone_job_launcher([](Context& ctx) {
        (void)run_clone_job(ctx, {});
        return ok();
    });
    return true;
}();

namespace {

using ocf::Status;

TEST(CloneJobState, RoundTripsThroughJson) {
    CloneJobState s;
    s.pid = 4242;
    s.start_time = 123456789ULL;
    s.phase = kJobStarting;
    s.source = "psql1";
    s.done_kb = 2048;
    s.total_kb = 4096;
    s.rate_kbs = 512.5;
    s.error = "pg_basebackup: error: connection lost";
    auto back = parse_clone_state(format_clone_state(s));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->pid, 4242);
    EXPECT_EQ(back->start_time, 123456789ULL);
    EXPECT_EQ(back->phase, kJobStarting);
    EXPECT_EQ(back->source, "psql1");
    EXPECT_EQ(back->done_kb, 2048);
    EXPECT_EQ(back->total_kb, 4096);
    EXPECT_DOUBLE_EQ(back->rate_kbs, 512.5);
    EXPECT_EQ(back->error, s.error);
}

TEST(CloneJobState, RejectsTextWithoutPidOrPhase) {
    EXPECT_FALSE(parse_clone_state(""));
    EXPECT_FALSE(parse_clone_state("not json"));
    EXPECT_FALSE(parse_clone_state("[1,2]"));
    EXPECT_FALSE(parse_clone_state(R"({"phase":"cloning"})"));
    EXPECT_FALSE(parse_clone_state(R"({"pid":"12","phase":"cloning"})"));
    EXPECT_FALSE(parse_clone_state(R"({"pid":12})"));
    auto minimal = parse_clone_state(R"({"pid":12,"phase":"cloning"})");
    ASSERT_TRUE(minimal);
    EXPECT_EQ(minimal->start_time, 0ULL);
}

TEST(CloneJobLiveness, ParsesStartTimeAfterTheLastParenthesis) {
    // comm may hold spaces and ')': field 22 counts from after the last ')'.
    std::string stat = "4242 (pg (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
    EXPECT_EQ(sys::parse_stat_start_time(stat), 987654ULL);
    EXPECT_FALSE(sys::parse_stat_start_time("4242 (x) S 1 2"));
    EXPECT_FALSE(sys::parse_stat_start_time("garbage"));
}

TEST(CloneJobLiveness, NeedsTheSamePidAndStartTime) {
    CloneJobState s;
    s.pid = 4242;
    s.start_time = 1000;
    s.phase = kJobCloning;
    EXPECT_TRUE(clone_job_alive(s, [](long) { return std::optional<unsigned long long>(1000); }));
    // The pid was reused by another process: a different start time.
    EXPECT_FALSE(clone_job_alive(s, [](long) { return std::optional<unsigned long long>(2000); }));
    EXPECT_FALSE(clone_job_alive(s, [](long) { return std::optional<unsigned long long>(); }));
    // A job that recorded a final phase is over, whatever its pid does.
    for (const char* phase : {kJobDone, kJobFailed, kJobStopped}) {
        s.phase = phase;
        EXPECT_FALSE(clone_job_alive(s, [](long) { return std::optional<unsigned long long>(1000); })) << phase;
    }
    s.phase = kJobCloning;
    s.pid = 1;
    EXPECT_FALSE(clone_job_alive(s, [](long) { return std::optional<unsigned long long>(1000); }));
}

TEST(CloneJobLiveness, ReadsThisProcessFromProc) {
    auto mine = sys::process_start_time(::getpid());
    ASSERT_TRUE(mine);
    CloneJobState s;
    s.pid = ::getpid();
    s.start_time = *mine;
    auto probe = [](long pid) { return sys::process_start_time(static_cast<pid_t>(pid)); };
    EXPECT_TRUE(clone_job_alive(s, probe));
    s.start_time = *mine + 1;
    EXPECT_FALSE(clone_job_alive(s, probe));
}

TEST(CloneProgressParser, ReadsDoneAndTotal) {
    auto p = parse_progress_line("   12345/67890 kB (18%), 0/1 tablespace");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->done_kb, 12345);
    EXPECT_EQ(p->total_kb, 67890);
    p = parse_progress_line("67890/67890 kB (100%), 1/1 tablespace (...ata/base/16384/2619)");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->done_kb, 67890);
    for (const char* other : {"pg_basebackup: error: could not connect", "waiting for checkpoint", "", "12/ab kB (1%)",
                              "x/1 kB (1%)", "1/2 MB (50%)"}) {
        EXPECT_FALSE(parse_progress_line(other)) << other;
    }
}

TEST(CloneProgressParser, JoinsChunksAndKeepsTheLastMessage) {
    ProgressReader r;
    EXPECT_FALSE(r.feed("  100/1000 k"));
    auto p = r.feed("B (10%), 0/1 tablespace\r  200/1000 kB (20%), 0/1 tablespace\r  3");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->done_kb, 200);
    p = r.feed("00/1000 kB (30%), 0/1 tablespace\npg_basebackup: error: connection to server lost\n");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->done_kb, 300);
    EXPECT_EQ(r.last_message(), "pg_basebackup: error: connection to server lost");
}

TEST(CloneArgv, StreamsWalThroughTheSlotWithProgressAndAnOptionalRate) {
    std::vector<std::string> base{"-D", "/d",   "-d", "host=a",   "-X", "stream",
                                  "-c", "fast", "-S", "pgtwin_b", "-w", "--progress"};
    EXPECT_EQ(basebackup_args("/d", "host=a", "pgtwin_b", ""), base);
    auto limited = base;
    limited.push_back("--max-rate=512k");
    EXPECT_EQ(basebackup_args("/d", "host=a", "pgtwin_b", "512k"), limited);
}

CloneJobState job(const char* phase, std::string error = "") {
    CloneJobState s;
    s.pid = 4242;
    s.phase = phase;
    s.error = std::move(error);
    return s;
}

TEST(CloneMonitorDecision, Rows) {
    // A live job: running, unpromoted (probe or not).
    for (bool probe : {false, true}) {
        auto o = decide_clone_monitor({.job = job(kJobCloning), .alive = true, .clone_marker = true, .probe = probe});
        ASSERT_TRUE(o);
        EXPECT_EQ(o->status, Status::Success);
    }
    // A failed job: rc 1 with its last error.
    auto failed = decide_clone_monitor(
        {.job = job(kJobFailed, "pg_basebackup: error: boom"), .alive = false, .clone_marker = false, .probe = false});
    ASSERT_TRUE(failed);
    EXPECT_EQ(failed->status, Status::ErrGeneric);
    EXPECT_NE(failed->reason.find("boom"), std::string::npos);
    // A job that vanished mid-way (SIGKILL): rc 1.
    for (const char* phase : {kJobCloning, kJobStarting}) {
        auto died = decide_clone_monitor({.job = job(phase), .alive = false, .clone_marker = true, .probe = false});
        ASSERT_TRUE(died) << phase;
        EXPECT_EQ(died->status, Status::ErrGeneric);
        EXPECT_NE(died->reason.find("died"), std::string::npos);
    }
    // A vanished job's state without the marker is a leftover: no decision.
    EXPECT_FALSE(
        decide_clone_monitor({.job = job(kJobCloning), .alive = false, .clone_marker = false, .probe = false}));
    // The marker without a job (no state at all): rc 1.
    auto orphan = decide_clone_monitor({.job = std::nullopt, .alive = false, .clone_marker = true, .probe = false});
    ASSERT_TRUE(orphan);
    EXPECT_EQ(orphan->status, Status::ErrGeneric);
    // A probe with no live job leaves it to the usual checks (marker: 7).
    EXPECT_FALSE(decide_clone_monitor({.job = job(kJobCloning), .alive = false, .clone_marker = true, .probe = true}));
    EXPECT_FALSE(decide_clone_monitor({.job = job(kJobFailed), .alive = false, .clone_marker = false, .probe = true}));
    // Finished or stopped jobs, or none at all, decide nothing.
    EXPECT_FALSE(decide_clone_monitor({.job = job(kJobDone), .alive = false, .clone_marker = false, .probe = false}));
    // Stopped with the marker left: the marker rule applies.
    EXPECT_EQ(
        decide_clone_monitor({.job = job(kJobStopped), .alive = false, .clone_marker = true, .probe = false})->status,
        Status::ErrGeneric);
    EXPECT_FALSE(
        decide_clone_monitor({.job = job(kJobStopped), .alive = false, .clone_marker = false, .probe = false}));
    EXPECT_FALSE(decide_clone_monitor({.job = std::nullopt, .alive = false, .clone_marker = false, .probe = false}));
}

TEST(CloneJobStatus, ShowsTheJobInJsonTextAndTheNextLine) {
    StatusFacts f;
    f.resource = "pgsql";
    f.local.node = "psql2";
    f.local.role = "standby";
    f.local.in_progress = "clone";
    f.local.clone_job = CloneJobFacts{kJobCloning, 4242, true, 10 * 1024 * 1024, 40 * 1024 * 1024, 1024 * 1024, ""};
    auto j = status_json(f)["local"]["clone_job"];
    EXPECT_EQ(j["phase"], "cloning");
    EXPECT_EQ(j["pid"], 4242);
    EXPECT_EQ(j["alive"], true);
    EXPECT_EQ(j["done_bytes"], 10 * 1024 * 1024);
    EXPECT_EQ(j["total_bytes"], 40 * 1024 * 1024);
    EXPECT_EQ(j["rate_bytes_per_second"], 1024 * 1024);
    EXPECT_TRUE(j["error"].is_null());
    EXPECT_EQ(next_step(f), "clone job running (cloning): not promotable until it streams");
    EXPECT_NE(status_text(f).find("clone job: cloning 10.0 MB of 40.0 MB"), std::string::npos) << status_text(f);
    f.local.clone_job.reset();
    EXPECT_TRUE(status_json(f)["local"]["clone_job"].is_null());
}

TEST(CloneMaxRate, AcceptsWhatPgBasebackupAccepts) {
    for (const char* good : {"32", "32k", "1024k", "100M", "1024M", "1048576"}) {
        auto c = ocf::parse_config({{"OCF_RESKEY_pgdata", "/d"}, {"OCF_RESKEY_clone_max_rate", good}}, "psql1");
        ASSERT_TRUE(c.ok()) << good << ": " << c.error().message;
        EXPECT_EQ(c->clone_max_rate, good);
    }
    for (const char* bad : {"31", "31k", "1025M", "1048577", "10G", "1.5M", "k", "M", "-32k", "32 k", "32K"}) {
        auto c = ocf::parse_config({{"OCF_RESKEY_pgdata", "/d"}, {"OCF_RESKEY_clone_max_rate", bad}}, "psql1");
        ASSERT_FALSE(c.ok()) << bad << " was accepted";
        EXPECT_EQ(c.error().kind, ErrorKind::InvalidConfig);
        EXPECT_EQ(c.error().message.rfind("clone_max_rate: ", 0), 0U) << c.error().message;
    }
    auto unset = ocf::parse_config({{"OCF_RESKEY_pgdata", "/d"}}, "psql1");
    ASSERT_TRUE(unset.ok());
    EXPECT_EQ(unset->clone_max_rate, "");
}

// A detached job leads its own session (Pacemaker's kill of the start action
// does not reach it), is ready only once it says so, and dies with its group.
TEST(DetachedJob, RunsInItsOwnSessionUntilItsGroupIsKilled) {
    char tmpl[] = "/tmp/pgtwin-detach-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    sys::DetachedCommand cmd;
    cmd.argv = {"/bin/sh", "-c", "echo started; printf r >&3; exec 3>&-; exec sleep 60"};
    cmd.env = {"PATH=/usr/bin:/bin"};
    cmd.log_path = std::string(tmpl) + "/job.log";
    auto pid = sys::start_detached(cmd, Millis{10000});
    ASSERT_TRUE(pid.ok()) << pid.error().message;
    EXPECT_EQ(::getsid(*pid), *pid);
    EXPECT_EQ(::getpgid(*pid), *pid);
    EXPECT_TRUE(sys::process_start_time(*pid));
    EXPECT_TRUE(sys::signal_group(*pid, SIGKILL));
    for (int i = 0; i < 200 && sys::process_alive(*pid); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_FALSE(sys::process_alive(*pid));
    std::filesystem::remove_all(tmpl);
}

TEST(DetachedJob, AJobThatNeverSignalsReadyIsAnError) {
    sys::DetachedCommand cmd;
    cmd.argv = {"/bin/sh", "-c", "exit 3"};
    cmd.log_path = "/dev/null";
    EXPECT_FALSE(sys::start_detached(cmd, Millis{10000}).ok());
}

}  // namespace
}  // namespace pgtwin::agent
