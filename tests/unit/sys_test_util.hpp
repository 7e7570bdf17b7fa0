// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Helpers for the sys-layer tests that use the real file system and processes.

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace pgtwin::testing {

// A fresh directory under TMPDIR (or /tmp), removed with its contents at scope exit.
class TempDir {
public:
    TempDir() {
        std::string base = std::filesystem::temp_directory_path().string() + "/pgtwin-test.XXXXXX";
        std::vector<char> buf(base.begin(), base.end());
        buf.push_back('\0');
        if (::mkdtemp(buf.data()) != nullptr) m_path = buf.data();
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ec;
        if (!m_path.empty()) std::filesystem::remove_all(m_path, ec);
    }
    const std::string& path() const { return m_path; }
    std::string operator/(const std::string& leaf) const { return m_path + "/" + leaf; }

private:
    std::string m_path;
};

// Polls `condition` until it holds or a generous bound passes; the bound only
// keeps a broken test from hanging, it is not a timing assertion.
inline bool eventually(const std::function<bool()>& condition, int max_polls = 3000) {
    for (int i = 0; i < max_polls; ++i) {
        if (condition()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return condition();
}

}  // namespace pgtwin::testing
