// test_main.cpp — main() of every OpenNDIS GoogleTest binary (library openndis_test_support).
//
// Installs RuntimeChecks, a GoogleTest listener that
//   - snapshots OpenNdisGetStats at OnTestStart and, at OnTestEnd, fails the test with the leak
//     report if a live-object count grew (OnTestEnd still attributes failures to the test, and
//     runs before the result printer's OnTestEnd because end events go in reverse order);
//   - at OnTestProgramEnd requires every live count to be 0, else prints the leak report and
//     makes main() return non-zero;
//   - routes verifier reports: to the innermost live VerifierCapture if any, else ADD_FAILURE
//     with the report's message (GoogleTest assertions are thread-safe on Linux).
// See openndis_test.hpp for the contract tests rely on.
#include "openndis_test.hpp"

#include <openndis/runtime.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <sstream>
#include <thread>
#include <utility>

namespace openndis::test {
namespace {

// One lock for the capture stack and every capture's records; reports are rare, so simple.
std::mutex g_mutex;
std::condition_variable g_reported;
std::vector<VerifierCapture*> g_captures; // innermost last

const char* or_empty(const char* s) { return s != nullptr ? s : ""; }

VOID verifier_sink(PVOID /*context*/, const OPENNDIS_VERIFIER_REPORT* report)
{
    VerifierRecord record;
    record.code = report->Code;
    record.name = or_empty(report->Name);
    record.spec_id = or_empty(report->SpecId);
    record.api = or_empty(report->Api);
    record.message = or_empty(report->Message);
    {
        std::lock_guard lock(g_mutex);
        if (!g_captures.empty()) {
            g_captures.back()->add_locked(std::move(record));
            g_reported.notify_all();
            return;
        }
    }
    ADD_FAILURE() << "verifier report: " << record.message;
}

struct Counter {
    const char* name;
    ULONGLONG OPENNDIS_STATS::*field;
};
// The live-object counts that must not grow (MemoryBytes follows MemoryBlocks;
// VerifierReports is a running total, handled by the sink).
constexpr Counter k_counters[] = {
    {"NblPools", &OPENNDIS_STATS::NblPools},       {"NbPools", &OPENNDIS_STATS::NbPools},
    {"Nbls", &OPENNDIS_STATS::Nbls},               {"Nbs", &OPENNDIS_STATS::Nbs},
    {"Mdls", &OPENNDIS_STATS::Mdls},               {"NblContexts", &OPENNDIS_STATS::NblContexts},
    {"MemoryBlocks", &OPENNDIS_STATS::MemoryBlocks}, {"SgLists", &OPENNDIS_STATS::SgLists},
    {"Timers", &OPENNDIS_STATS::Timers},           {"WorkItems", &OPENNDIS_STATS::WorkItems},
    {"QueuedDpcs", &OPENNDIS_STATS::QueuedDpcs},   {"RwLocks", &OPENNDIS_STATS::RwLocks},
};

// "Nbls 3 -> 5, Mdls 0 -> 1" for every counter above `before` ("Nbls 5, Mdls 1" when `before`
// is null); empty if none grew.
std::string growth(const OPENNDIS_STATS* before, const OPENNDIS_STATS& after)
{
    std::ostringstream out;
    for (const Counter& c : k_counters) {
        ULONGLONG was = before != nullptr ? before->*c.field : 0;
        if (after.*c.field > was) {
            out << (out.tellp() > 0 ? ", " : "") << c.name << ' ';
            if (before != nullptr) out << was << " -> ";
            out << after.*c.field;
        }
    }
    return out.str();
}

class RuntimeChecks final : public ::testing::EmptyTestEventListener {
public:
    bool leaked_at_exit() const { return _leaked_at_exit; }

    void OnTestProgramStart(const ::testing::UnitTest&) override
    {
        OpenNdisVerifierSetAction(OpenNdisVerifierCount);
        OpenNdisVerifierSetSink(&verifier_sink, nullptr, nullptr);
    }

    void OnTestStart(const ::testing::TestInfo&) override { _before = live_objects(); }

    void OnTestEnd(const ::testing::TestInfo&) override
    {
        OPENNDIS_STATS after = live_objects();
        // Runtime threads may still be returning objects the test already released.
        for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
             !growth(&_before, after).empty() && std::chrono::steady_clock::now() < deadline;
             after = live_objects()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        if (std::string grew = growth(&_before, after); !grew.empty()) {
            ADD_FAILURE() << "runtime objects leaked by this test: " << grew << "\n"
                          << leak_report();
        }
    }

    void OnTestProgramEnd(const ::testing::UnitTest&) override
    {
        OpenNdisVerifierSetSink(nullptr, nullptr, nullptr);
        std::string grew = growth(nullptr, live_objects());
        if (!grew.empty()) {
            _leaked_at_exit = true;
            std::fprintf(stderr, "\n[  LEAKED  ] runtime objects alive at exit: %s\n%s\n",
                         grew.c_str(), leak_report().c_str());
            std::fflush(stderr);
        }
    }

private:
    OPENNDIS_STATS _before{};
    bool _leaked_at_exit = false;
};

} // namespace

// ---- VerifierCapture ------------------------------------------------------------------------
VerifierCapture::VerifierCapture()
{
    std::lock_guard lock(g_mutex);
    g_captures.push_back(this);
}

VerifierCapture::~VerifierCapture()
{
    std::lock_guard lock(g_mutex);
    g_captures.erase(std::remove(g_captures.begin(), g_captures.end(), this), g_captures.end());
}

void VerifierCapture::add_locked(VerifierRecord record) { _records.push_back(std::move(record)); }

std::size_t VerifierCapture::size() const
{
    std::lock_guard lock(g_mutex);
    return _records.size();
}

std::size_t VerifierCapture::count(const char* spec_id) const
{
    std::lock_guard lock(g_mutex);
    return static_cast<std::size_t>(std::count_if(
        _records.begin(), _records.end(), [&](const VerifierRecord& r) { return r.spec_id == spec_id; }));
}

std::vector<std::string> VerifierCapture::messages() const
{
    std::lock_guard lock(g_mutex);
    std::vector<std::string> out;
    for (const VerifierRecord& r : _records) out.push_back(r.message);
    return out;
}

std::vector<std::string> VerifierCapture::spec_ids() const
{
    std::lock_guard lock(g_mutex);
    std::vector<std::string> out;
    for (const VerifierRecord& r : _records) out.push_back(r.spec_id);
    return out;
}

std::vector<VerifierRecord> VerifierCapture::records() const
{
    std::lock_guard lock(g_mutex);
    return _records;
}

void VerifierCapture::clear()
{
    std::lock_guard lock(g_mutex);
    _records.clear();
}

bool VerifierCapture::wait_for(std::size_t n, std::chrono::milliseconds timeout) const
{
    std::unique_lock lock(g_mutex);
    return g_reported.wait_for(lock, timeout, [&] { return _records.size() >= n; });
}

// ---- Helpers ----------------------------------------------------------------------------------
::testing::AssertionResult reported_exactly(const VerifierCapture& capture,
                                            const std::vector<std::string>& expected)
{
    std::vector<VerifierRecord> got = capture.records();
    std::vector<std::string> got_ids;
    for (const VerifierRecord& r : got) got_ids.push_back(r.spec_id);
    std::vector<std::string> want = expected;
    std::sort(got_ids.begin(), got_ids.end());
    std::sort(want.begin(), want.end());
    if (got_ids == want) return ::testing::AssertionSuccess();

    auto result = ::testing::AssertionFailure() << "expected verifier reports {";
    for (std::size_t i = 0; i < want.size(); ++i) result << (i ? ", " : "") << want[i];
    result << "}, got " << got.size() << (got.empty() ? "" : ":");
    for (const VerifierRecord& r : got) result << "\n  [" << r.spec_id << "] " << r.message;
    return result;
}

OPENNDIS_STATS live_objects()
{
    OPENNDIS_STATS s{};
    OpenNdisGetStats(&s);
    return s;
}

std::string leak_report()
{
    std::string text(4096, '\0');
    SIZE_T needed = OpenNdisLeakReport(text.data(), text.size());
    if (needed >= text.size()) {
        text.assign(needed + 1, '\0');
        needed = OpenNdisLeakReport(text.data(), text.size());
    }
    text.resize(std::min<std::size_t>(needed, text.size() - 1));
    return text;
}

} // namespace openndis::test

int main(int argc, char** argv)
{
    ::testing::InitGoogleTest(&argc, argv);
    auto* checks = new openndis::test::RuntimeChecks; // owned by GoogleTest
    ::testing::UnitTest::GetInstance()->listeners().Append(checks);
    int status = RUN_ALL_TESTS();
    if (status == 0 && checks->leaked_at_exit()) status = 1;
    return status;
}
