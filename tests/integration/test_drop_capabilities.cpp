// test_drop_capabilities.cpp — once the interfaces are open, every thread of the process gives
// up its Linux capabilities (OpenNdisDropCapabilities, what `ndisctl run` does), traffic keeps
// flowing through the TAP interface the stack created, and a stack that needs the privileges
// again fails plainly. Its own binary: the process cannot get the capabilities back. Needs root.
#include "openndis_test.hpp"

#include "common/it_support.hpp"

#include <openndis/host.h>
#include <openndis/host.hpp>

#include <dirent.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

// Each thread of this process: its id and its CapEff and CapPrm masks.
struct thread_caps {
    std::string tid;
    unsigned long long effective = 0, permitted = 0;
};

std::vector<thread_caps> all_thread_caps()
{
    std::vector<thread_caps> out;
    DIR *d = opendir("/proc/self/task");
    if (d == nullptr) {
        return out;
    }
    while (const dirent *e = readdir(d)) {
        if (e->d_name[0] == '.') {
            continue;
        }
        thread_caps t;
        t.tid = e->d_name;
        const std::string path = "/proc/self/task/" + t.tid + "/status";
        if (FILE *f = std::fopen(path.c_str(), "r")) {
            char line[256];
            while (std::fgets(line, sizeof line, f) != nullptr) {
                if (std::strncmp(line, "CapEff:", 7) == 0) {
                    t.effective = std::strtoull(line + 7, nullptr, 16);
                } else if (std::strncmp(line, "CapPrm:", 7) == 0) {
                    t.permitted = std::strtoull(line + 7, nullptr, 16);
                }
            }
            std::fclose(f);
            out.push_back(t);
        }
    }
    closedir(d);
    return out;
}

std::string tap_topology(const std::string &ifname)
{
    return "[[driver]]\nname = \"tap\"\n[[driver]]\nname = \"pktgen\"\n[driver.params]\n"
           "DurationMs = 600000\nRatePps = 2000\n[[adapter]]\nname = \"t0\"\ndriver = \"tap\"\n"
           "[adapter.params]\nifname = \"" +
           ifname + "\"\n";
}

} // namespace

TEST(Privileges, EveryThreadDropsItsCapabilitiesAndTrafficContinues)
{
    if (!it::is_root()) {
        GTEST_SKIP() << "needs root (CAP_NET_ADMIN to create the TAP interface)";
    }
#if defined(__SANITIZE_THREAD__)
    // ThreadSanitizer's own background thread blocks every signal, so it can never be asked to
    // drop its capabilities, and OpenNdisDropCapabilities rightly answers FAILURE.
    GTEST_SKIP() << "under ThreadSanitizer its runtime thread cannot be reached by the signal";
#endif
    ndis::host::stack s;
    ASSERT_TRUE(s.load_topology_string(tap_topology(it::unique_name("ndcap")), "caps.toml"))
        << s.last_error();
    ASSERT_TRUE(s.start()) << s.last_error();
    const auto before = all_thread_caps();
    ASSERT_GT(before.size(), 2u) << "the runtime and the driver have threads of their own";
    ASSERT_NE(before.front().effective, 0u) << "root starts with capabilities";

    ASSERT_EQ(OpenNdisDropCapabilities(), NDIS_STATUS_SUCCESS);
    for (const thread_caps &t : all_thread_caps()) {
        EXPECT_EQ(t.effective, 0u) << "thread " << t.tid;
        EXPECT_EQ(t.permitted, 0u) << "thread " << t.tid;
    }

    // The open TAP fd needs no privilege: pktgen's frames still go out and complete.
    const std::uint64_t sent = s.adapter("t0")->completed;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (s.adapter("t0")->completed < sent + 100 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
    }
    EXPECT_GE(s.adapter("t0")->completed, sent + 100);

    const ndis::host::teardown_report r = s.stop();
    EXPECT_TRUE(r.clean()) << r.text();

    // Without CAP_NET_ADMIN no TAP interface can be made any more: the start fails (the driver
    // says why on its log), and nothing is left behind.
    ndis::host::stack again;
    ASSERT_TRUE(again.load_topology_string(tap_topology(it::unique_name("ndcap")), "again.toml"))
        << again.last_error();
    EXPECT_FALSE(again.start());
    EXPECT_NE(again.last_error().find("t0"), std::string::npos) << again.last_error();
}
