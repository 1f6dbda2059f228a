// test_host_control_internal.cpp — run-time control of a running stack through the host
// embedding API (ndis::host::stack, openndis/host.h): reset, power, pause/restart, unbind and
// rebind while pktgen traffic flows over null and over a loopback pair, from threads other than
// the one that started the stack; the [[schedule]] table (parser messages with FILE:LINE:COL,
// end-to-end runs, reproducible jitter); check-for-hang end to end with null's HangEvery.
//
// Accounting every traffic test ends with (pktgen.h): after the adapters are paused, every NBL
// pktgen sent came back exactly once (CompletedNbls == NblsSent, nothing outstanding, PS-14),
// the completions by status add up to the frames sent, and the only statuses are those the
// path allows: SUCCESS, PAUSED (ST-04), RESET_IN_PROGRESS (ST-16), LOW_POWER_STATE (ST-19) —
// and FAILURE on a loopback adapter whose peer is down (loopback.c: an unplugged cable).
// The harness fails a test on any verifier report: a miniport declaring NDIS 6.30+ that still
// held sends when its reset completed would be one (ST-16, reset_left_sends).
// Internal: it reads pktgen's counters (drivers/) and shortens the check-for-hang period.
#include "openndis_test.hpp"

#include "core/stack.hpp"
#include "host/schedule.hpp"
#include "protocol/pktgen/pktgen.h"

#include <openndis/host.h>
#include <openndis/host.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
namespace detail = ndis::host::detail;

bool wait_until(const std::function<bool()> &done, std::chrono::milliseconds timeout = 20s)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

PKTGEN_STATS stats(const char *adapter)
{
    PKTGEN_STATS s{};
    EXPECT_EQ(PktgenGetStats(adapter, &s), NDIS_STATUS_SUCCESS) << adapter;
    return s;
}

// PS-14, ST-04, ST-16, ST-19: every NBL back exactly once, statuses only those the path allows.
void expect_accounted(const PKTGEN_STATS &s, bool failure_allowed)
{
    SCOPED_TRACE(s.AdapterName);
    EXPECT_EQ(s.OutstandingNbls, 0u);
    EXPECT_EQ(s.CompletedNbls, s.NblsSent);
    EXPECT_EQ(s.CompletedFrames, s.FramesSent);
    EXPECT_EQ(s.CompletedSuccess + s.CompletedPaused + s.CompletedResetInProgress +
                  s.CompletedLowPowerState + s.CompletedFailure,
              s.CompletedFrames);
    EXPECT_EQ(s.CompletedInvalidLength, 0u);
    EXPECT_EQ(s.CompletedResources, 0u);
    EXPECT_EQ(s.CompletedSendAborted, 0u);
    EXPECT_EQ(s.CompletedOther, 0u);
    if (!failure_allowed) {
        EXPECT_EQ(s.CompletedFailure, 0u);
    }
    EXPECT_GT(s.CompletedSuccess, 0u);
}

// Pauses the adapters (and the bindings above them, ST-20): pktgen's pause waits for every send.
void quiesce(ndis::host::stack &s, std::initializer_list<const char *> adapters)
{
    for (const char *a : adapters) {
        EXPECT_TRUE(s.pause_adapter(a)) << s.last_error();
    }
}

std::string null_topology(const std::string &null_params)
{
    return R"(
[[driver]]
name = "null"
[[driver]]
name = "pktgen"
[driver.params]
Count = 0
NblsPerSend = 16
MaxOutstanding = 256
[[adapter]]
name = "n0"
driver = "null"
[adapter.params]
)" + null_params + R"(
[[binding]]
protocol = "pktgen"
adapter = "n0"
)";
}

constexpr const char *kLoopbackPair = R"(
[[driver]]
name = "loopback"
[[driver]]
name = "pktgen"
[driver.params]
Count = 0
NblsPerSend = 8
MaxOutstanding = 128
[[adapter]]
name = "l0"
driver = "loopback"
[adapter.params]
Pair = "p"
[[adapter]]
name = "l1"
driver = "loopback"
[adapter.params]
Pair = "p"
[[binding]]
protocol = "pktgen"
adapter = "l1"
[binding.params]
Transmit = 0
[[binding]]
protocol = "pktgen"
adapter = "l0"
)";

// ================================ control while traffic flows ====================================

class NullControl : public ::testing::TestWithParam<const char *> {};

// ST-14 … ST-17, ST-19, ST-20: every control operation, many times, from a thread that did not
// start the stack, while pktgen sends over null (inline, DPC-batched, pended reset).
TEST_P(NullControl, ST16_ST19_ST20_EveryOperationWhileTrafficFlows)
{
    ndis::host::stack s;
    ASSERT_TRUE(s.load_topology_string(null_topology(GetParam()), "null.toml")) << s.last_error();
    ASSERT_TRUE(s.start()) << s.last_error();
    ASSERT_TRUE(wait_until([] { return stats("n0").CompletedSuccess > 1000; }));
    std::atomic<int> failures{0};
    std::string first_error;
    std::thread controller([&] {
        auto check = [&](bool ok) {
            if (!ok && failures.fetch_add(1) == 0) {
                first_error = s.last_error();
            }
        };
        for (int i = 0; i < 10; ++i) {
            check(s.reset_adapter("n0"));
            check(s.pause_adapter("n0"));
            check(s.reset_adapter("n0")); // ST-08: resets are legal in Paused
            check(s.restart_adapter("n0"));
            check(s.pause_binding("pktgen", "n0"));
            check(s.restart_binding("pktgen", "n0"));
            check(s.power_cycle_adapter("n0"));
            std::this_thread::sleep_for(2ms);
        }
    });
    controller.join();
    EXPECT_EQ(failures.load(), 0) << first_error;
    const auto a = s.adapter("n0");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->resets, 20u);
    EXPECT_EQ(a->power, "D0");
    EXPECT_EQ(a->state, "Running");
    EXPECT_EQ(s.binding("pktgen", "n0")->state, "Running");
    // Traffic still flows after all of it.
    const std::uint64_t before = stats("n0").CompletedSuccess;
    EXPECT_TRUE(wait_until([before] { return stats("n0").CompletedSuccess > before + 1000; }));
    quiesce(s, {"n0"});
    expect_accounted(stats("n0"), false);
    const ndis::host::teardown_report r = s.stop();
    EXPECT_TRUE(r.clean()) << r.text();
}

INSTANTIATE_TEST_SUITE_P(Modes, NullControl,
                         ::testing::Values("CompletionMode = \"inline\"",
                                           "CompletionMode = \"dpc\"\nBatchSize = 4",
                                           "CompletionMode = \"dpc\"\nPendReset = 1"));

// The same over a loopback pair: operations on the sender and on the receiver.
TEST(HostControl, ST16_ST19_ST20_LoopbackPairWhileTrafficFlows)
{
    ndis::host::stack s;
    ASSERT_TRUE(s.load_topology_string(kLoopbackPair, "pair.toml")) << s.last_error();
    ASSERT_TRUE(s.start()) << s.last_error();
    ASSERT_TRUE(wait_until([] { return stats("l1").PktgenFramesReceived > 1000; }));
    std::atomic<int> failures{0};
    std::string first_error;
    std::thread controller([&] {
        auto check = [&](bool ok) {
            if (!ok && failures.fetch_add(1) == 0) {
                first_error = s.last_error();
            }
        };
        for (int i = 0; i < 5; ++i) {
            for (const char *a : {"l0", "l1"}) {
                check(s.reset_adapter(a));
                check(s.pause_adapter(a));
                check(s.restart_adapter(a));
                check(s.power_cycle_adapter(a));
            }
            check(s.pause_binding("pktgen", "l1"));
            check(s.restart_binding("pktgen", "l1"));
        }
    });
    controller.join();
    EXPECT_EQ(failures.load(), 0) << first_error;
    EXPECT_EQ(s.adapter("l0")->resets, 5u);
    EXPECT_EQ(s.adapter("l1")->resets, 5u);
    const std::uint64_t before = stats("l1").PktgenFramesReceived;
    EXPECT_TRUE(wait_until([before] { return stats("l1").PktgenFramesReceived > before + 1000; }));
    quiesce(s, {"l0", "l1"});
    const PKTGEN_STATS tx = stats("l0"), rx = stats("l1");
    expect_accounted(tx, true); // FAILURE: frames sent while l1 was paused or powered down
    EXPECT_EQ(rx.PatternErrors, 0u);
    EXPECT_LE(rx.PktgenFramesReceived, tx.CompletedSuccess);
    EXPECT_EQ(s.adapter("l1")->indicated, s.adapter("l1")->returned);
    const ndis::host::teardown_report r = s.stop();
    EXPECT_TRUE(r.clean()) << r.text();
}

// ST-19: in D3 null and loopback complete every send with NDIS_STATUS_LOW_POWER_STATE and
// loopback indicates nothing; back in D0 they work again.
TEST(HostControl, ST19_LowPowerStateRejectsSendsUntilD0)
{
    ndis::host::stack s;
    ASSERT_TRUE(s.load_topology_string(null_topology("CompletionMode = \"dpc\""), "null.toml"))
        << s.last_error();
    ASSERT_TRUE(s.start()) << s.last_error();
    ASSERT_TRUE(wait_until([] { return stats("n0").CompletedSuccess > 1000; }));
    ASSERT_TRUE(s.set_adapter_power("n0", NdisDeviceStateD3)) << s.last_error();
    EXPECT_EQ(s.adapter("n0")->power, "D3");
    ASSERT_TRUE(wait_until([] { return stats("n0").CompletedLowPowerState > 1000; }));
    const std::uint64_t success_in_d3 = stats("n0").CompletedSuccess;
    std::this_thread::sleep_for(20ms);
    EXPECT_EQ(stats("n0").CompletedSuccess, success_in_d3) << "nothing succeeds in D3";
    ASSERT_TRUE(s.set_adapter_power("n0", NdisDeviceStateD0)) << s.last_error();
    EXPECT_TRUE(wait_until([&] { return stats("n0").CompletedSuccess > success_in_d3 + 1000; }));
    EXPECT_FALSE(s.set_adapter_power("n0", NdisDeviceStateMaximum));
    EXPECT_NE(s.last_error().find("not a device power state"), std::string::npos)
        << s.last_error();
    quiesce(s, {"n0"});
    expect_accounted(stats("n0"), false);
    EXPECT_TRUE(s.stop().clean());
}

TEST(HostControl, ST19_LoopbackInD3SendsNothingAndIndicatesNothing)
{
    ndis::host::stack s;
    ASSERT_TRUE(s.load_topology_string(kLoopbackPair, "pair.toml")) << s.last_error();
    ASSERT_TRUE(s.start()) << s.last_error();
    ASSERT_TRUE(wait_until([] { return stats("l1").PktgenFramesReceived > 1000; }));
    // The receiver powered down: nothing is indicated on it; l0's frames find no peer.
    ASSERT_TRUE(s.set_adapter_power("l1", NdisDeviceStateD3)) << s.last_error();
    std::this_thread::sleep_for(5ms); // indications already under way finish
    const std::uint64_t indicated = s.adapter("l1")->indicated;
    ASSERT_TRUE(wait_until([] { return stats("l0").CompletedFailure > 1000; }));
    EXPECT_EQ(s.adapter("l1")->indicated, indicated);
    ASSERT_TRUE(s.set_adapter_power("l1", NdisDeviceStateD0)) << s.last_error();
    EXPECT_TRUE(wait_until([&] { return s.adapter("l1")->indicated > indicated + 1000; }));
    // The sender powered down: its own sends complete LOW_POWER_STATE.
    ASSERT_TRUE(s.set_adapter_power("l0", NdisDeviceStateD2)) << s.last_error();
    EXPECT_TRUE(wait_until([] { return stats("l0").CompletedLowPowerState > 1000; }));
    ASSERT_TRUE(s.set_adapter_power("l0", NdisDeviceStateD0)) << s.last_error();
    quiesce(s, {"l0", "l1"});
    expect_accounted(stats("l0"), true);
    EXPECT_TRUE(s.stop().clean());
}

// unbind: the binding is listed "Unbound" with its counters at the unbind; rebind opens it again
// with its [binding.params] and restarts it (the adapter runs), counting from zero.
TEST(HostControl, UnbindAndRebindWhileTrafficFlows)
{
    ndis::host::stack s;
    std::string t = null_topology("CompletionMode = \"dpc\"");
    t += "[binding.params]\nFrameSize = 100\n";
    ASSERT_TRUE(s.load_topology_string(t, "null.toml")) << s.last_error();
    ASSERT_TRUE(s.start()) << s.last_error();
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(wait_until([] { return stats("n0").CompletedSuccess > 500; }));
        ASSERT_TRUE(s.unbind("pktgen", "n0")) << s.last_error();
        const auto b = s.binding("pktgen", "n0");
        ASSERT_TRUE(b);
        EXPECT_EQ(b->state, "Unbound");
        EXPECT_GT(b->sent, 0u);
        EXPECT_EQ(b->sent, b->completed);
        const PKTGEN_STATS at_unbind = stats("n0");
        EXPECT_FALSE(at_unbind.Bound);
        expect_accounted(at_unbind, false);
        EXPECT_FALSE(s.unbind("pktgen", "n0"));
        EXPECT_NE(s.last_error().find("is unbound"), std::string::npos) << s.last_error();
        ASSERT_TRUE(s.rebind("pktgen", "n0")) << s.last_error();
        EXPECT_EQ(s.binding("pktgen", "n0")->state, "Running");
        EXPECT_EQ(stats("n0").FrameSize, 100u) << "[binding.params] again";
    }
    EXPECT_FALSE(s.rebind("pktgen", "n0"));
    EXPECT_NE(s.last_error().find("is bound"), std::string::npos) << s.last_error();
    // Rebinding onto a paused adapter leaves the binding paused; it runs with the adapter.
    ASSERT_TRUE(s.unbind("pktgen", "n0")) << s.last_error();
    ASSERT_TRUE(s.pause_adapter("n0")) << s.last_error();
    ASSERT_TRUE(s.rebind("pktgen", "n0")) << s.last_error();
    EXPECT_EQ(s.binding("pktgen", "n0")->state, "Paused");
    ASSERT_TRUE(s.restart_adapter("n0")) << s.last_error();
    EXPECT_EQ(s.binding("pktgen", "n0")->state, "Running");
    ASSERT_TRUE(wait_until([] { return stats("n0").CompletedSuccess > 500; }));
    quiesce(s, {"n0"});
    expect_accounted(stats("n0"), false);
    EXPECT_TRUE(s.stop().clean());
}

// Every failure names what is wrong and changes nothing.
TEST(HostControl, ErrorsNameWhatIsWrong)
{
    ndis::host::stack s;
    ASSERT_TRUE(s.load_topology_string(null_topology(""), "null.toml")) << s.last_error();
    EXPECT_FALSE(s.reset_adapter("n0"));
    EXPECT_EQ(s.last_error(), "the stack is not running");
    ASSERT_TRUE(s.start()) << s.last_error();
    auto fails_with = [&s](bool ok, const std::string &text) {
        EXPECT_FALSE(ok);
        EXPECT_NE(s.last_error().find(text), std::string::npos) << s.last_error();
    };
    fails_with(s.reset_adapter("nope"), "no adapter is named 'nope'");
    fails_with(s.power_cycle_adapter("nope"), "no adapter is named 'nope'");
    fails_with(s.unbind("pktgen", "nope"), "no binding of 'pktgen' to 'nope'");
    fails_with(s.rebind("other", "n0"), "no binding of 'other' to 'n0'");
    fails_with(s.pause_binding("other", "n0"), "no binding of 'other' to 'n0'");
    ASSERT_TRUE(s.pause_adapter("n0"));
    fails_with(s.restart_binding("pktgen", "n0"), "the adapter is not running");
    ASSERT_TRUE(s.restart_adapter("n0"));
    EXPECT_EQ(s.adapter("n0")->state, "Running");
    EXPECT_EQ(s.binding("pktgen", "n0")->state, "Running");
    EXPECT_EQ(s.adapter("n0")->resets, 0u);
    quiesce(s, {"n0"});
    EXPECT_TRUE(s.stop().clean());
    EXPECT_FALSE(s.unbind("pktgen", "n0"));
    EXPECT_EQ(s.last_error(), "the stack is not running");
}

// stop() from one thread while another keeps power-cycling: stop waits for the operation in
// progress; later operations fail "not running"; nothing is left behind.
TEST(HostControl, StopWaitsForAControlOperationInProgress)
{
    ndis::host::stack s;
    ASSERT_TRUE(s.load_topology_string(null_topology("CompletionMode = \"dpc\""), "null.toml"))
        << s.last_error();
    ASSERT_TRUE(s.start()) << s.last_error();
    std::atomic<bool> done{false};
    std::atomic<int> ok{0}, refused{0};
    std::thread a([&] {
        while (!done.load()) {
            (s.power_cycle_adapter("n0") ? ok : refused).fetch_add(1);
        }
    });
    std::thread b([&] {
        while (!done.load()) {
            (s.reset_adapter("n0") ? ok : refused).fetch_add(1);
            (void)s.adapters();
        }
    });
    ASSERT_TRUE(wait_until([&] { return ok.load() > 20; }));
    const ndis::host::teardown_report r = s.stop();
    EXPECT_TRUE(r.clean()) << r.text();
    ASSERT_TRUE(wait_until([&] { return refused.load() > 2; }));
    done.store(true);
    a.join();
    b.join();
    EXPECT_FALSE(s.running());
}

// ST-18: null's HangEvery makes MiniportCheckForHangEx answer TRUE; NDIS resets the adapter.
TEST(HostControl, ST18_CheckForHangResetsTheAdapterEndToEnd)
{
    ndis::core::set_check_for_hang_interval(10ms);
    ndis::host::stack s;
    ASSERT_TRUE(s.load_topology_string(null_topology("CompletionMode = \"dpc\"\nHangEvery = 3"),
                                       "null.toml"))
        << s.last_error();
    ASSERT_TRUE(s.start()) << s.last_error();
    EXPECT_TRUE(wait_until([&] { return s.adapter("n0")->resets >= 3; }));
    const auto a = s.adapter("n0");
    EXPECT_GE(a->hangs, 3u);
    EXPECT_LE(a->resets, a->hangs); // a reset per hang (one may still be running)
    quiesce(s, {"n0"});
    expect_accounted(stats("n0"), false);
    EXPECT_TRUE(s.stop().clean());
    ndis::core::set_check_for_hang_interval(0ms);
}

// ================================ the C API ======================================================

TEST(HostControl, CApiResetPowerCycleUnbindRebind)
{
    POPENNDIS_STACK s = nullptr;
    ASSERT_EQ(OpenNdisStackCreate(&s), NDIS_STATUS_SUCCESS);
    char err[512];
    const std::string t = null_topology("");
    ASSERT_EQ(OpenNdisStackLoadTopologyString(s, t.c_str(), "c.toml", err, sizeof err),
              NDIS_STATUS_SUCCESS)
        << err;
    ASSERT_EQ(OpenNdisStackStart(s), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(OpenNdisStackResetAdapter(s, "n0"), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(OpenNdisStackPowerCycleAdapter(s, "n0"), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(OpenNdisStackUnbind(s, "pktgen", "n0"), NDIS_STATUS_SUCCESS);
    OPENNDIS_BINDING_COUNTERS bc{};
    ASSERT_EQ(OpenNdisStackGetBindingCounters(s, "pktgen", "n0", &bc), NDIS_STATUS_SUCCESS);
    EXPECT_STREQ(bc.State, "Unbound");
    EXPECT_EQ(OpenNdisStackRebind(s, "pktgen", "n0"), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(OpenNdisStackResetAdapter(s, "zz"), NDIS_STATUS_FAILURE);
    OpenNdisStackGetLastError(s, err, sizeof err);
    EXPECT_STREQ(err, "no adapter is named 'zz'");
    EXPECT_EQ(OpenNdisStackUnbind(s, nullptr, "n0"), NDIS_STATUS_INVALID_PARAMETER);
    OPENNDIS_ADAPTER_COUNTERS ac{};
    ASSERT_EQ(OpenNdisStackGetAdapterCounters(s, "n0", &ac), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(ac.Resets, 1u);
    EXPECT_EQ(ac.Hangs, 0u);
    EXPECT_EQ(ac.PowerState, static_cast<ULONG>(NdisDeviceStateD0));
    EXPECT_STREQ(ac.State, "Running");
    EXPECT_EQ(OpenNdisStackPauseAdapter(s, "n0"), NDIS_STATUS_SUCCESS);
    OPENNDIS_TEARDOWN_REPORT r{};
    EXPECT_EQ(OpenNdisStackStop(s, &r), NDIS_STATUS_SUCCESS);
    EXPECT_TRUE(r.Clean);
    OpenNdisStackDestroy(s);
}

// ================================ the schedule ===================================================

TEST(HostSchedule, ParsesEntries)
{
    ndis::host::topology t;
    std::string e;
    ASSERT_TRUE(ndis::host::parse_topology(null_topology("") + R"(
[[schedule]]
action = "power-cycle"
adapter = "n0"
every_ms = 100
jitter_ms = 10
seed = 42
count = 3
[[schedule]]
action = "unbind_rebind"
adapter = "n0"
protocol = "pktgen"
at_ms = 250
)",
                                           "s.toml", t, e))
        << e;
    ASSERT_EQ(t.schedule.size(), 2u);
    const auto &a = t.schedule[0];
    EXPECT_EQ(a.action, "power-cycle");
    EXPECT_EQ(a.adapter, "n0");
    EXPECT_TRUE(a.protocol.empty());
    EXPECT_FALSE(a.at_ms);
    EXPECT_EQ(a.every_ms.value_or(0), 100u);
    EXPECT_EQ(a.jitter_ms, 10u);
    EXPECT_EQ(a.seed, 42u);
    EXPECT_EQ(a.count, 3u);
    EXPECT_EQ(a.where.line, 19u); // the [[schedule]] header
    const auto &b = t.schedule[1];
    EXPECT_EQ(b.protocol, "pktgen");
    EXPECT_EQ(b.at_ms.value_or(0), 250u);
    EXPECT_EQ(b.where_protocol.line, 29u);
    EXPECT_EQ(b.where_protocol.column, 12u);
}

TEST(HostSchedule, EveryMistakeNamesItsLineAndColumn)
{
    const std::string text = R"([[driver]]
name = "null"
[[driver]]
name = "pktgen"
[[adapter]]
name = "n0"
driver = "null"
[[binding]]
protocol = "pktgen"
adapter = "n0"
[[schedule]]
action = "explode"
adapter = "n0"
at_ms = 1
[[schedule]]
action = "reset"
adapter = "n9"
at_ms = 1
[[schedule]]
action = "reset"
adapter = "n0"
at_ms = 1
every_ms = 5
[[schedule]]
action = "reset"
adapter = "n0"
[[schedule]]
action = "unbind"
adapter = "n0"
every_ms = 10
[[schedule]]
action = "reset"
adapter = "n0"
protocol = "pktgen"
at_ms = 1
[[schedule]]
action = "pause"
adapter = "n0"
protocol = "other"
at_ms = 1
[[schedule]]
action = "reset"
adapter = "n0"
at_ms = -5
[[schedule]]
action = "reset"
adapter = "n0"
at_ms = 5
count = 3
[[schedule]]
action = "reset"
adapter = "n0"
every_ms = "often"
[[schedule]]
acton = "reset"
adapter = "n0"
at_ms = 1
)";
    ndis::host::topology t;
    std::string e;
    ASSERT_FALSE(ndis::host::parse_topology(text, "bad.toml", t, e));
    const std::vector<std::string> expected = {
        "bad.toml:12:10: [[schedule]]: unknown action 'explode' (expected pause, restart, "
        "pause_restart, reset, power_cycle, unbind, rebind, unbind_rebind)",
        "bad.toml:17:11: [[schedule]] reset: no [[adapter]] is named 'n9'",
        "bad.toml:23:12: [[schedule]]: reset of 'n0': both 'at_ms' and 'every_ms' (give one)",
        "bad.toml:24:1: [[schedule]]: reset of 'n0': neither 'at_ms' nor 'every_ms' (give one)",
        "bad.toml:28:10: [[schedule]]: unbind of adapter 'n0': a binding action needs "
        "'protocol'",
        "bad.toml:34:12: [[schedule]]: reset of adapter 'n0': 'protocol' does not apply (reset "
        "acts on the adapter)",
        "bad.toml:39:12: [[schedule]] pause: no [[binding]] of 'other' to 'n0'",
        "bad.toml:44:9: [[schedule]]: 'at_ms' = -5 is negative",
        "bad.toml:49:9: [[schedule]]: reset of 'n0': 'count' goes with 'every_ms' (an 'at_ms' "
        "entry runs once)",
        "bad.toml:53:12: [[schedule]]: 'every_ms' must be an integer, not a string",
        "bad.toml:54:1: [[schedule]]: missing key 'action'",
        "bad.toml:55:1: [[schedule]]: unknown key 'acton' (expected action, adapter, protocol, "
        "at_ms, every_ms, jitter_ms, seed, count)",
    };
    std::string want;
    for (const std::string &l : expected) {
        want += (want.empty() ? "" : "\n") + l;
    }
    EXPECT_EQ(e, want);
}

TEST(HostSchedule, CodeEntriesAreCheckedToo)
{
    ndis::host::stack s;
    ASSERT_TRUE(s.load_topology_string(null_topology(""), "null.toml")) << s.last_error();
    ndis::host::schedule_spec e;
    e.action = "reset";
    e.adapter = "n0";
    EXPECT_FALSE(s.add_schedule(e));
    EXPECT_NE(s.last_error().find("neither 'at_ms' nor 'every_ms'"), std::string::npos);
    e.at_ms = 10;
    e.adapter = "zz";
    EXPECT_FALSE(s.add_schedule(e));
    EXPECT_NE(s.last_error().find("no adapter is named 'zz'"), std::string::npos);
    e.adapter = "n0";
    e.action = "rebind";
    e.protocol = "nosuch";
    EXPECT_FALSE(s.add_schedule(e));
    EXPECT_NE(s.last_error().find("no [[binding]] of 'nosuch' to 'n0'"), std::string::npos)
        << s.last_error();
    e.protocol = "pktgen";
    EXPECT_TRUE(s.add_schedule(e)) << s.last_error();
}

// Without [[binding]]s every protocol binds to every adapter, so a schedule's binding is known
// only at start(): a missing one fails the start with its line.
TEST(HostSchedule, ImplicitBindingIsCheckedAtStart)
{
    ndis::host::stack s;
    ASSERT_TRUE(s.load_topology_string(R"([[driver]]
name = "null"
[[driver]]
name = "pktgen"
[driver.params]
Count = 100
[[adapter]]
name = "n0"
driver = "null"
[[schedule]]
action = "pause"
adapter = "n0"
protocol = "nosuch"
at_ms = 1
)",
                                       "implicit.toml"))
        << s.last_error();
    EXPECT_FALSE(s.start());
    EXPECT_NE(s.last_error().find("implicit.toml:13:12: schedule: pause: 'nosuch' did not bind "
                                  "to 'n0' (bound: pktgen -> n0)"),
              std::string::npos)
        << s.last_error();
    EXPECT_FALSE(s.running());
}

TEST(HostSchedule, JitterIsReproducibleFromTheSeed)
{
    detail::jitter_stream a(7), b(7), c(8);
    std::vector<std::uint64_t> xa, xb, xc;
    for (int i = 0; i < 32; ++i) {
        xa.push_back(a.next(100));
        xb.push_back(b.next(100));
        xc.push_back(c.next(100));
    }
    EXPECT_EQ(xa, xb);
    EXPECT_NE(xa, xc);
    for (std::uint64_t x : xa) {
        EXPECT_LE(x, 100u);
    }
    detail::jitter_stream z(0);
    EXPECT_EQ(z.next(0), 0u);
    EXPECT_EQ(detail::parse_schedule_action("Power-Cycle"), detail::schedule_action::power_cycle);
    EXPECT_FALSE(detail::parse_schedule_action("powercycle"));
}

// ST-14 … ST-20 end to end: a schedule over null and a loopback pair performs each entry the
// number of times it says, in time order, while traffic flows; a failing entry is counted with
// its error; stop() stops the scheduler first and the teardown is clean.
TEST(HostSchedule, ST16_ST19_ST20_ScheduleRunsEndToEnd)
{
    ndis::host::stack s;
    ASSERT_TRUE(s.load_topology_string(std::string(kLoopbackPair) + R"(
[[driver]]
name = "null"
[[adapter]]
name = "n0"
driver = "null"
[adapter.params]
CompletionMode = "dpc"
PendReset = 1
[[binding]]
protocol = "pktgen"
adapter = "n0"
[[schedule]]
action = "reset"
adapter = "n0"
every_ms = 20
jitter_ms = 5
seed = 3
count = 8
[[schedule]]
action = "pause_restart"
adapter = "n0"
every_ms = 30
count = 5
[[schedule]]
action = "power_cycle"
adapter = "l1"
every_ms = 40
count = 4
[[schedule]]
action = "unbind_rebind"
adapter = "l0"
protocol = "pktgen"
at_ms = 60
[[schedule]]
action = "rebind"
adapter = "n0"
protocol = "pktgen"
at_ms = 10
[[schedule]]
action = "reset"
adapter = "l0"
every_ms = 100000
)",
                                       "chaos.toml"))
        << s.last_error();
    ASSERT_TRUE(s.start()) << s.last_error();
    auto finished = [&s] {
        const auto r = s.schedule_results();
        return r.size() == 6 && r[0].runs == 8 && r[1].runs == 5 && r[2].runs == 4 &&
               r[3].runs == 1 && r[4].runs == 1;
    };
    ASSERT_TRUE(wait_until(finished));
    std::this_thread::sleep_for(30ms); // nothing more runs
    auto results = s.schedule_results();
    EXPECT_EQ(results[0].ok, 8u) << results[0].last_error;
    EXPECT_EQ(results[1].ok, 5u) << results[1].last_error;
    EXPECT_EQ(results[2].ok, 4u) << results[2].last_error;
    EXPECT_EQ(results[3].ok, 1u) << results[3].last_error;
    EXPECT_EQ(results[4].failed, 1u);
    EXPECT_NE(results[4].last_error.find("is bound (unbind it first)"), std::string::npos)
        << results[4].last_error;
    EXPECT_EQ(results[5].runs, 0u) << "due in 100 s";
    EXPECT_EQ(results[0].where.line, 40u); // its [[schedule]] header
    EXPECT_EQ(s.adapter("n0")->resets, 8u);
    EXPECT_EQ(s.adapter("l1")->power, "D0");
    EXPECT_EQ(s.binding("pktgen", "l0")->state, "Running");
    quiesce(s, {"n0", "l0", "l1"});
    expect_accounted(stats("n0"), false);
    expect_accounted(stats("l0"), true);
    const ndis::host::teardown_report r = s.stop();
    EXPECT_TRUE(r.clean()) << r.text();
    results = s.schedule_results(); // the values at stop
    ASSERT_EQ(results.size(), 6u);
    EXPECT_EQ(results[0].runs, 8u);
}

} // namespace
