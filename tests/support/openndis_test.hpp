// openndis_test.hpp — what every OpenNDIS GoogleTest binary gets from tests/support.
//
// Abstract
//   test_main.cpp provides main(). Around every test it checks the runtime's live-object
//   counters (OpenNdisGetStats): a test after which more NBL/NB pools, NBLs, NBs, MDLs, NBL
//   contexts, memory blocks or SG lists are alive than before it fails with the leak report, and
//   the binary exits non-zero if anything is still alive at the end (STYLE.md principle 6).
//   It also installs a verifier sink (action OpenNdisVerifierCount): a verifier report fails the
//   running test with the report's message, unless a VerifierCapture is alive, in which case the
//   report is collected for the test to check. Reports may arrive on any thread.
//
// Usage
//     #include "openndis_test.hpp"
//
//     TEST(Pool, DoubleFreeIsReported) {            // SPEC POOL-08
//         openndis::test::VerifierCapture cap;
//         ... free the NBL twice ...
//         EXPECT_VERIFIER_REPORTS(cap, "POOL-08");   // exactly one report, POOL-08
//     }
//     TEST(Pool, CleanPath) {
//         openndis::test::VerifierCapture cap;
//         ...
//         EXPECT_VERIFIER_REPORTS(cap);              // no report at all
//     }
//
// Notes
//   - Objects created in SetUpTestSuite and freed in TearDownTestSuite are not per-test leaks,
//     but must be gone by the end of the program. Do not keep runtime objects in statics.
//   - A test that replaces the verifier sink or action must restore them before it ends.
//   - When a test's counts grew, the check polls for up to 1 s first, so objects freed by
//     runtime threads (deferred completions, DPCs) just after the test body are not leaks.
#ifndef OPENNDIS_TESTS_SUPPORT_OPENNDIS_TEST_HPP
#define OPENNDIS_TESTS_SUPPORT_OPENNDIS_TEST_HPP

#include <openndis/runtime.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace openndis::test {

// One verifier report as received by the sink (copied: the runtime's strings are transient).
struct VerifierRecord {
    unsigned long code = 0;
    std::string name;    // e.g. "nbl_double_free"
    std::string spec_id; // e.g. "POOL-08"
    std::string api;     // e.g. "NdisFreeNetBufferList"
    std::string message; // the whole one-line message
};

// RAII: while alive, verifier reports are collected here instead of failing the test. Captures
// nest; the innermost (most recently created) one receives the reports. Thread-safe.
class VerifierCapture {
public:
    VerifierCapture();
    ~VerifierCapture();
    VerifierCapture(const VerifierCapture&) = delete;
    VerifierCapture& operator=(const VerifierCapture&) = delete;

    std::size_t size() const;
    std::size_t count(const char* spec_id) const;
    bool has(const char* spec_id) const { return count(spec_id) != 0; }
    std::vector<std::string> messages() const;
    std::vector<std::string> spec_ids() const; // in arrival order
    std::vector<VerifierRecord> records() const;
    void clear();
    // Waits until at least n reports were collected (for reports made by runtime threads).
    bool wait_for(std::size_t n,
                  std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

    // Called by the sink in test_main.cpp (under the support library's lock).
    void add_locked(VerifierRecord record);

private:
    std::vector<VerifierRecord> _records;
};

// Success iff the collected SPEC IDs are exactly `expected` as a multiset (order ignored,
// repetitions count). On failure the message lists what was expected and every report received.
::testing::AssertionResult reported_exactly(const VerifierCapture& capture,
                                            const std::vector<std::string>& expected);

// The runtime's live-object counters right now, and its leak report as a string.
OPENNDIS_STATS live_objects();
std::string leak_report();

} // namespace openndis::test

// EXPECT_VERIFIER_REPORTS(capture, "SPEC-ID", ...): exactly these SPEC IDs were reported (none if
// the list is empty). ASSERT_ variant stops the test.
#define EXPECT_VERIFIER_REPORTS(capture, ...) \
    EXPECT_TRUE(::openndis::test::reported_exactly((capture), std::vector<std::string>{__VA_ARGS__}))
#define ASSERT_VERIFIER_REPORTS(capture, ...) \
    ASSERT_TRUE(::openndis::test::reported_exactly((capture), std::vector<std::string>{__VA_ARGS__}))

#endif // OPENNDIS_TESTS_SUPPORT_OPENNDIS_TEST_HPP
