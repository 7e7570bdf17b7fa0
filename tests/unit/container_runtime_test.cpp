// SPDX-License-Identifier: GPL-2.0-or-later
// podman/docker detection, argv builders and `inspect` parsing.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "pgtwin/backend/container_runtime.hpp"

namespace pgtwin::backend {
namespace {

namespace fs = std::filesystem;
using Argv = std::vector<std::string>;

std::string read_data(const std::string& name) {
    std::ifstream in(std::string(PGTWIN_TEST_DATA_DIR) + "/" + name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// A temp directory with fake executables in bin1/ and bin2/.
class ContainerRuntimeDetect : public ::testing::Test {
protected:
    void SetUp() override {
        m_root = fs::temp_directory_path() /
                 ("pgtwin-rt-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(m_root / "bin1");
        fs::create_directories(m_root / "bin2");
    }
    void TearDown() override { fs::remove_all(m_root); }
    void add(const std::string& dir, const std::string& name, bool exec = true) {
        fs::path p = m_root / dir / name;
        std::ofstream(p) << "#!/bin/sh\n";
        fs::permissions(p, exec ? fs::perms::owner_all : fs::perms::owner_read, fs::perm_options::replace);
    }
    std::string path() const { return (m_root / "bin1").string() + ":" + (m_root / "bin2").string(); }
    fs::path m_root;
};

TEST_F(ContainerRuntimeDetect, AutoPrefersPodmanOverDocker) {
    add("bin1", "docker");
    add("bin2", "podman");
    auto k = detect_runtime(ocf::ContainerRuntime::Auto, path());
    ASSERT_TRUE(k.ok());
    EXPECT_EQ(*k, RuntimeKind::Podman);
}

TEST_F(ContainerRuntimeDetect, AutoFallsBackToDocker) {
    add("bin2", "docker");
    add("bin1", "podman", /*exec=*/false);  // not executable: ignored
    auto k = detect_runtime(ocf::ContainerRuntime::Auto, path());
    ASSERT_TRUE(k.ok());
    EXPECT_EQ(*k, RuntimeKind::Docker);
}

TEST_F(ContainerRuntimeDetect, ExplicitDockerIsHonoured) {
    add("bin1", "podman");
    add("bin1", "docker");
    auto k = detect_runtime(ocf::ContainerRuntime::Docker, path());
    ASSERT_TRUE(k.ok());
    EXPECT_EQ(*k, RuntimeKind::Docker);
}

TEST_F(ContainerRuntimeDetect, NoneFoundIsNotInstalled) {
    auto k = detect_runtime(ocf::ContainerRuntime::Auto, path());
    ASSERT_FALSE(k.ok());
    EXPECT_EQ(k.error().kind, ErrorKind::NotInstalled);
    EXPECT_EQ(k.error().message, "no container runtime found (podman or docker)");
    auto p = detect_runtime(ocf::ContainerRuntime::Podman, path());
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.error().kind, ErrorKind::NotInstalled);
    EXPECT_NE(p.error().message.find("podman"), std::string::npos);
}

TEST(ContainerInspect, ParsesRealPodmanRunningOutput) {
    auto st = parse_inspect(read_data("podman-inspect-running.json"));
    ASSERT_TRUE(st.ok()) << st.error().message;
    EXPECT_TRUE(st->exists);
    EXPECT_TRUE(st->running);
    EXPECT_EQ(st->status, "running");
    EXPECT_EQ(st->pid, 20988);
    EXPECT_EQ(st->started_at, "2026-11-26T19:54:34.796113028Z");
}

TEST(ContainerInspect, ParsesRealPodmanExitedOutput) {
    auto st = parse_inspect(read_data("podman-inspect-exited.json"));
    ASSERT_TRUE(st.ok()) << st.error().message;
    EXPECT_TRUE(st->exists);
    EXPECT_FALSE(st->running);
    EXPECT_EQ(st->status, "exited");
    EXPECT_EQ(st->pid, 0);
}

TEST(ContainerInspect, EmptyArrayMeansNoContainerAndGarbageIsAnError) {
    auto none = parse_inspect("[]\n");
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->exists);
    EXPECT_FALSE(parse_inspect("Error: something").ok());
    EXPECT_FALSE(parse_inspect("[{\"Name\":\"x\"}]").ok());
    EXPECT_FALSE(parse_inspect("[{\"State\":{\"Running\":\"yes\"}}]").ok());
}

TEST(ContainerInspect, RecognisesMissingContainerMessagesOfBothRuntimes) {
    EXPECT_TRUE(is_no_such_container("Error: inspecting object: no such container pgtwin-postgres-psql1\n"));
    EXPECT_TRUE(is_no_such_container("Error: No such container: pgtwin-postgres-psql1\n"));
    EXPECT_FALSE(is_no_such_container(
        "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"));
}

TEST(ContainerRuntimeArgv, SimpleCommandsForPodmanAndDocker) {
    ContainerRuntime podman(RuntimeKind::Podman, {{"CONTAINERS_CONF", "/x/containers.conf"}});
    ContainerRuntime docker(RuntimeKind::Docker);
    EXPECT_EQ(podman.inspect("c1", Millis{10000}).argv, (Argv{"podman", "inspect", "--type", "container", "c1"}));
    EXPECT_EQ(docker.inspect("c1", Millis{10000}).argv, (Argv{"docker", "inspect", "--type", "container", "c1"}));
    EXPECT_EQ(podman.image_present("img:1", Millis{1}).argv, (Argv{"podman", "image", "exists", "img:1"}));
    EXPECT_EQ(docker.image_present("img:1", Millis{1}).argv,
              (Argv{"docker", "image", "inspect", "--format", "{{.Id}}", "img:1"}));
    EXPECT_EQ(podman.stop("c1", 25, Millis{1}).argv, (Argv{"podman", "stop", "-t", "25", "c1"}));
    EXPECT_EQ(docker.remove("c1", Millis{1}).argv, (Argv{"docker", "rm", "-f", "c1"}));
    EXPECT_EQ(docker.logs_tail("c1", 20, Millis{1}).argv, (Argv{"docker", "logs", "--tail", "20", "c1"}));
    EXPECT_EQ(podman.pull("img:1", Millis{1}).argv, (Argv{"podman", "pull", "img:1"}));
    auto cmd = podman.inspect("c1", Millis{1234});
    EXPECT_EQ(cmd.timeout, Millis{1234});
    EXPECT_EQ(cmd.env.at("CONTAINERS_CONF"), "/x/containers.conf");
    EXPECT_FALSE(cmd.run_as_user.has_value());
}

TEST(ContainerRuntimeArgv, RunAndExecKeepAFixedOrder) {
    RunSpec spec;
    spec.detach = true;
    spec.name = "c1";
    spec.hostname = "psql1";
    spec.user = "999:999";
    spec.mounts = {{"/d", "/var/lib/postgresql/data", false}, {"/c", "/etc/postgresql", true}};
    spec.env = {{"PGPASSFILE", "/p"}};
    spec.extra_options = {"--memory", "1g"};
    spec.image = "img";
    spec.cmd = {"postgres", "-p", "5432"};
    Argv expected{"run",          "-d",
                  "--name",       "c1",
                  "--hostname",   "psql1",
                  "--network",    "host",
                  "--user",       "999:999",
                  "-v",           "/d:/var/lib/postgresql/data:Z",
                  "-v",           "/c:/etc/postgresql:ro,Z",
                  "-e",           "PGPASSFILE=/p",
                  "--memory",     "1g",
                  "--entrypoint", "postgres",
                  "img",          "-p",
                  "5432"};
    for (RuntimeKind k : {RuntimeKind::Podman, RuntimeKind::Docker}) {
        ContainerRuntime rt(k);
        Argv want = expected;
        want.insert(want.begin(), traits_for(k).binary);
        EXPECT_EQ(rt.run(spec, Millis{1}).argv, want);
        EXPECT_EQ(
            rt.exec("c1", "999:999", {{"PGPASSFILE", "/p"}}, {"pg_ctl", "status"}, Millis{1}).argv,
            (Argv{traits_for(k).binary, "exec", "-u", "999:999", "-e", "PGPASSFILE=/p", "c1", "pg_ctl", "status"}));
    }
}

TEST(ContainerRuntimeHelpers, UserIdsWordsAndLines) {
    auto a = parse_numeric_user("999");
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->spec(), "999:999");
    EXPECT_EQ(parse_numeric_user("70:71")->spec(), "70:71");
    EXPECT_FALSE(parse_numeric_user("postgres").has_value());
    EXPECT_FALSE(parse_numeric_user("999:pg").has_value());
    auto id = parse_id_output("uid=999(postgres) gid=998(postgres) groups=998(postgres),101(ssl-cert)\n");
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(id->spec(), "999:998");
    EXPECT_FALSE(parse_id_output("id: 'nobody2': no such user").has_value());
    EXPECT_EQ(split_words("  --memory 1g\t--cpus=2 "), (Argv{"--memory", "1g", "--cpus=2"}));
    EXPECT_EQ(tool_program(Tool::PgBasebackup), std::string("pg_basebackup"));
}

}  // namespace
}  // namespace pgtwin::backend
