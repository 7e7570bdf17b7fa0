// SPDX-License-Identifier: GPL-2.0-or-later
// libpq conninfo strings: quoting, escaping and the full string.

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <map>

#include "pgtwin/pg/client.hpp"

namespace pgtwin::pg {
namespace {

// What libpq itself makes of a conninfo string: keyword -> value (set ones only).
std::map<std::string, std::string> libpq_parse(const std::string& conninfo) {
    std::map<std::string, std::string> out;
    char* err = nullptr;
    PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
    if (opts == nullptr) {
        ADD_FAILURE() << "libpq rejected: " << conninfo << ": " << (err != nullptr ? err : "");
        PQfreemem(err);
        return out;
    }
    for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
        if (o->val != nullptr) {
            out[o->keyword] = o->val;
        }
    }
    PQconninfoFree(opts);
    return out;
}

TEST(Conninfo, QuotesAndEscapes) {
    EXPECT_EQ(conninfo_quote("abc"), "'abc'");
    EXPECT_EQ(conninfo_quote(""), "''");
    EXPECT_EQ(conninfo_quote("a b"), "'a b'");
    EXPECT_EQ(conninfo_quote("it's"), R"('it\'s')");
    EXPECT_EQ(conninfo_quote(R"(c:\x)"), R"('c:\\x')");
}

TEST(Conninfo, BuildsFullString) {
    ConnParams p;
    p.host = "/run/postgresql";
    p.port = 5433;
    p.user = "postgres";
    p.application_name = "psql1";
    EXPECT_EQ(conninfo_string(p, 5),
              "host='/run/postgresql' port='5433' user='postgres' dbname='postgres' "
              "application_name='psql1' connect_timeout='5'");
}

TEST(Conninfo, AddsPassfileAndReplicationOnlyWhenSet) {
    ConnParams p;
    p.host = "10.0.0.2";
    p.user = "rep";
    p.passfile = "/var/lib/pgsql/.pg pass";
    p.replication = "true";
    std::string s = conninfo_string(p, 3);
    EXPECT_NE(s.find(" passfile='/var/lib/pgsql/.pg pass'"), std::string::npos) << s;
    EXPECT_NE(s.find(" replication='true'"), std::string::npos) << s;
    EXPECT_EQ(s.find("password"), std::string::npos) << s;
}

TEST(Conninfo, HostileValuesCannotAddKeywords) {
    ConnParams p;
    p.host = "h' sslmode='disable";
    std::string s = conninfo_string(p, 5);
    EXPECT_EQ(s.rfind("host='h\\' sslmode=\\'disable' ", 0), 0U) << s;
    auto parsed = libpq_parse(s);
    EXPECT_EQ(parsed["host"], p.host);
    EXPECT_EQ(parsed.count("sslmode"), 0U);
}

TEST(Conninfo, LibpqReadsBackEveryValue) {
    ConnParams p;
    p.host = "/tmp/a b";
    p.port = 6543;
    p.user = R"(us\er's)";
    p.dbname = "";
    p.application_name = "x=y";
    p.passfile = "/p'f";
    p.replication = "database";
    auto parsed = libpq_parse(conninfo_string(p, 7));
    EXPECT_EQ(parsed["host"], p.host);
    EXPECT_EQ(parsed["port"], "6543");
    EXPECT_EQ(parsed["user"], p.user);
    EXPECT_EQ(parsed["dbname"], "");
    EXPECT_EQ(parsed["application_name"], p.application_name);
    EXPECT_EQ(parsed["passfile"], p.passfile);
    EXPECT_EQ(parsed["replication"], "database");
    EXPECT_EQ(parsed["connect_timeout"], "7");
}

}  // namespace
}  // namespace pgtwin::pg
