// test_faulty_internal.cpp — the faulty miniport decorator (core/faulty) around the capture
// miniport, and the watchdog (core/watchdog) catching what it provokes (SPEC MS-06 … MS-08,
// MS-11, PS-14, PS-15, ST-05, ST-21, VER-06).
//
// Each test builds a Stack (stack_fixture.hpp): the adapter is initialized, decorated while
// Paused, then restarted and bound. The fixture's tear-down checks the drivers' invariants:
// every NBL completed once to its originator with its NB list, MDLs and data intact (PS-14,
// MS-07), *_DISPATCH_LEVEL flags telling the truth (IRQL-02, IRQL-04).
#include "common/stack_fixture.hpp"
#include "openndis_test.hpp"

#include "core/faulty.hpp"
#include "core/watchdog.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <thread>

using namespace ft;
namespace core = ndis::core;
namespace wd = ndis::core::watchdog;
using openndis::test::VerifierCapture;
using namespace std::chrono_literals;

namespace {

// A Stack with one decorated capture adapter and `protocols` inject protocols bound to it.
struct Decorated {
    explicit Decorated(const core::fault_config &cfg, unsigned protocols = 1,
                       const std::function<void(CaptureMiniport &)> &configure = {})
    {
        mp = &s.miniport("capture", configure);
        a = s.adapter(*mp, "eth0", {}, false);
        std::string e;
        ok = a != nullptr && core::faulty_attach(Stack::core(a), cfg, &e);
        EXPECT_TRUE(ok) << e;
        if (!ok) {
            return;
        }
        EXPECT_EQ(core::adapter_restart(Stack::core(a)), NDIS_STATUS_SUCCESS);
        for (unsigned i = 0; i < protocols; ++i) {
            InjectProtocol &p = s.protocol("inject" + std::to_string(i));
            bindings.push_back(s.bind(p, a));
            ok = ok && bindings.back() != nullptr;
        }
    }
    core::fault_stats stats()
    {
        core::fault_stats st;
        EXPECT_TRUE(core::faulty_stats(Stack::core(a), st));
        return st;
    }

    Stack s;
    CaptureMiniport *mp = nullptr;
    CaptureAdapter *a = nullptr;
    std::vector<InjectBinding *> bindings;
    bool ok = false;
};

bool allowed_completion_status(NDIS_STATUS s)
{
    return s == NDIS_STATUS_SUCCESS ||
           std::find(core::kFaultStatuses.begin(), core::kFaultStatuses.end(), s) !=
               core::kFaultStatuses.end();
}

// Statuses in send order of one run with `seed` (single sender, inline-completing miniport).
std::vector<NDIS_STATUS> run_statuses(std::uint64_t seed)
{
    core::fault_config cfg;
    cfg.seed = seed;
    cfg.fail_fraction = 0.4;
    cfg.split = true;
    cfg.reorder = true;
    Decorated d(cfg);
    if (!d.ok) {
        return {};
    }
    InjectBinding *b = d.bindings[0];
    std::vector<Tag> order;
    for (int i = 0; i < 30; ++i) {
        auto t = b->send({.nbls = 4});
        order.insert(order.end(), t.begin(), t.end());
    }
    EXPECT_TRUE(b->wait_completed(order.size()));
    const auto st = b->completion_status();
    std::vector<NDIS_STATUS> out;
    for (Tag t : order) {
        out.push_back(st.at(t));
    }
    return out;
}

// Limits for watchdog tests: short, with what is not under test out of the way.
wd::limits quick_limits()
{
    wd::limits l;
    l.send_timeout = 10s;
    l.hang_timeout = 10s;
    l.oid_timeout = 10s;
    l.operation_timeout = 10s;
    l.period = 10ms;
    return l;
}

// Runs the watchdog for a scope, restoring the default limits after.
struct WatchdogOn {
    explicit WatchdogOn(const wd::limits &l)
    {
        EXPECT_TRUE(wd::configure(l));
        wd::start();
    }
    ~WatchdogOn()
    {
        wd::stop();
        wd::configure(wd::limits{});
    }
};

} // namespace

// MS-08, MS-06: with fail_fraction the protocol sees only the statuses MS-08 allows a miniport
// send completion, each NBL exactly once; "before" failures never reach the inner miniport.
TEST(Faulty, MS08_FailFractionGivesOnlyAllowedStatusesExactlyOnce)
{
    core::fault_config cfg;
    cfg.seed = 11;
    cfg.fail_fraction = 0.5;
    cfg.fail_mode = core::fault_fail_mode::before;
    Decorated d(cfg);
    ASSERT_TRUE(d.ok);
    InjectBinding *b = d.bindings[0];
    std::size_t sent = 0;
    for (unsigned i = 0; i < 100; ++i) {
        sent += b->send({.nbls = 1 + i % 5}).size();
    }
    ASSERT_TRUE(b->wait_completed(sent));
    std::set<NDIS_STATUS> seen;
    std::size_t failed = 0;
    for (const auto &[tag, status] : b->completion_status()) {
        EXPECT_TRUE(allowed_completion_status(status)) << std::hex << status;
        seen.insert(status);
        failed += status != NDIS_STATUS_SUCCESS;
    }
    for (const auto &[tag, n] : b->completion_counts()) {
        EXPECT_EQ(n, 1) << "tag " << tag; // MS-06
    }
    EXPECT_GE(seen.size(), 6u); // SUCCESS and most of the seven failures at 50 %
    const core::fault_stats st = d.stats();
    std::uint64_t counted = 0;
    for (auto f : st.failed) {
        counted += f;
    }
    EXPECT_EQ(counted, failed);
    EXPECT_EQ(st.sent, sent);
    EXPECT_EQ(st.completed, sent);
    EXPECT_EQ(d.a->captured_count(), sent - failed); // "before": the miniport never saw them
}

// MS-08: "after" overrides the inner miniport's SUCCESS with the chosen statuses only.
TEST(Faulty, MS08_FailAfterOverridesTheInnerStatusWithChosenStatuses)
{
    core::fault_config cfg;
    cfg.fail_fraction = 1.0;
    cfg.fail_mode = core::fault_fail_mode::after;
    cfg.fail_statuses = {NDIS_STATUS_RESOURCES, NDIS_STATUS_LOW_POWER_STATE};
    Decorated d(cfg);
    ASSERT_TRUE(d.ok);
    InjectBinding *b = d.bindings[0];
    auto tags = b->send({.nbls = 40});
    ASSERT_TRUE(b->wait_completed(tags.size()));
    std::set<NDIS_STATUS> seen;
    for (const auto &[tag, status] : b->completion_status()) {
        seen.insert(status);
    }
    EXPECT_EQ(seen, (std::set<NDIS_STATUS>{NDIS_STATUS_RESOURCES, NDIS_STATUS_LOW_POWER_STATE}));
    EXPECT_EQ(d.a->captured_count(), tags.size()); // all went through the miniport
}

// Reproducible: the same seed gives the same statuses in the same order; another seed does not.
TEST(Faulty, SameSeedSameStatusSequence)
{
    const auto a = run_statuses(42);
    const auto b = run_statuses(42);
    const auto c = run_statuses(43);
    ASSERT_EQ(a.size(), 120u);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
    EXPECT_GT(std::count(a.begin(), a.end(), NDIS_STATUS_SUCCESS), 30);
}

// MS-07, MS-11, MS-12, PS-14: delayed, reordered, merged and split completions of two bindings'
// sends from two threads: every NBL back exactly once to its own binding, NB lists intact (the
// fixture checks), and the wire order per binding unchanged (the decorator reorders completions,
// never sends).
TEST(Faulty, MS07_DelayReorderMergeSplitKeepExactlyOnceAndWireOrder)
{
    core::fault_config cfg;
    cfg.seed = 3;
    cfg.delay_us_max = 300;
    cfg.reorder = true;
    cfg.merge = true;
    cfg.split = true;
    Decorated d(cfg, 2);
    ASSERT_TRUE(d.ok);
    std::vector<std::vector<Tag>> sent(2);
    std::vector<std::thread> senders;
    for (int k = 0; k < 2; ++k) {
        senders.emplace_back([&, k] {
            for (unsigned i = 0; i < 200; ++i) {
                auto t = d.bindings[k]->send({.nbls = 1 + i % 4, .nbs = 1 + i % 2});
                sent[k].insert(sent[k].end(), t.begin(), t.end());
            }
        });
    }
    for (auto &t : senders) {
        t.join();
    }
    for (int k = 0; k < 2; ++k) {
        InjectBinding *b = d.bindings[k];
        ASSERT_TRUE(b->wait_completed(sent[k].size()));
        for (const auto &[tag, n] : b->completion_counts()) {
            EXPECT_EQ(n, 1);
        }
        EXPECT_EQ(b->completion_counts().size(), sent[k].size());
        for (const auto &[tag, status] : b->completion_status()) {
            EXPECT_EQ(status, NDIS_STATUS_SUCCESS);
        }
        std::vector<Tag> wire;
        for (const CapturedNbl &c : d.a->captured()) {
            if (std::find(sent[k].begin(), sent[k].end(), c.tag) != sent[k].end()) {
                wire.push_back(c.tag);
            }
        }
        EXPECT_EQ(wire, sent[k]); // MS-12 / PS-10
    }
    const core::fault_stats st = d.stats();
    EXPECT_GT(st.delayed, 0u);
    EXPECT_GT(st.reordered, 0u);
    EXPECT_GT(st.merged, 0u);
    EXPECT_GT(st.split, 0u);
    EXPECT_EQ(st.completed, sent[0].size() + sent[1].size());
}

// PS-15: inline_fraction NBLs come back inside the send call, without reaching the miniport;
// the others wait for the (manual) miniport. Exactly once either way.
TEST(Faulty, PS15_InlineFractionCompletesInsideTheSendCall)
{
    core::fault_config cfg;
    cfg.seed = 5;
    cfg.inline_fraction = 0.5;
    Decorated d(cfg);
    ASSERT_TRUE(d.ok);
    SendPolicy manual;
    manual.completer = Completer::Manual;
    d.a->set_policy(manual);
    InjectBinding *b = d.bindings[0];
    std::vector<Tag> tags;
    for (int i = 0; i < 20; ++i) {
        auto t = b->send({.nbls = 3});
        tags.insert(tags.end(), t.begin(), t.end());
    }
    std::size_t inside = 0;
    for (const ProtocolCompletion &c : b->completions()) {
        EXPECT_TRUE(c.inside_send);
        inside += c.tags.size();
    }
    EXPECT_GT(inside, 0u);
    EXPECT_EQ(inside + d.a->pending_count(), tags.size());
    EXPECT_EQ(d.stats().inlined, inside);
    d.a->complete_pending(CaptureAdapter::From::Thread);
    ASSERT_TRUE(b->wait_completed(tags.size()));
    for (const auto &[tag, n] : b->completion_counts()) {
        EXPECT_EQ(n, 1);
    }
}

// ST-05, ST-09: pended pause and restart finish (after their delay); the pause only once every
// held completion was delivered; the inner miniport's own pended pause/restart are taken by the
// decorator without a report (ST-11).
TEST(Faulty, ST05_PendedPauseAndRestartFinish)
{
    core::fault_config cfg;
    cfg.pend_pause_ms = 60;
    cfg.pend_restart_ms = 40;
    cfg.delay_us_max = 5000;
    Decorated d(cfg, 1, [](CaptureMiniport &m) {
        m.pause_mode = Pend::FromThread;
        m.restart_mode = Pend::FromThread;
    });
    ASSERT_TRUE(d.ok);
    VerifierCapture cap;
    InjectBinding *b = d.bindings[0];
    std::size_t sent = 0;
    for (int i = 0; i < 20; ++i) {
        sent += b->send({.nbls = 4}).size();
    }
    core::adapter *ca = Stack::core(d.a);
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_EQ(core::adapter_pause(ca), NDIS_STATUS_SUCCESS);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 60ms);
    EXPECT_EQ(ca->state.load(), core::adapter_state::paused);
    EXPECT_EQ(ca->sends_outstanding.load(), 0);
    EXPECT_EQ(b->completed_count(), sent); // nothing held past the pause (ST-05)
    const auto t1 = std::chrono::steady_clock::now();
    ASSERT_EQ(core::adapter_restart(ca), NDIS_STATUS_SUCCESS);
    EXPECT_GE(std::chrono::steady_clock::now() - t1, 40ms);
    EXPECT_EQ(ca->state.load(), core::adapter_state::running);
    ASSERT_EQ(core::binding_restart(Stack::core(b)), NDIS_STATUS_SUCCESS);
    const auto more = b->send({.nbls = 2});
    EXPECT_TRUE(b->wait_completed(sent + more.size()));
    const core::fault_stats st = d.stats();
    EXPECT_EQ(st.pended_pauses, 1u);
    EXPECT_EQ(st.pended_restarts, 2u); // the first restart (bring-up) and this one
    EXPECT_VERIFIER_REPORTS(cap);
}

// VER-06 (NdisTimedDataSend): a completion the decorator drops is reported once by the watchdog,
// naming the adapter, its driver, the binding's protocol and the NBL; releasing it late lets the
// stack tear down clean.
TEST(Watchdog, VER06_DroppedCompletionReportedOnceNamingAdapterBindingNbl)
{
    core::fault_config cfg;
    cfg.drop_after = 3;
    Decorated d(cfg);
    ASSERT_TRUE(d.ok);
    InjectBinding *b = d.bindings[0];
    VerifierCapture cap;
    wd::limits l = quick_limits();
    l.send_timeout = 100ms;
    {
        WatchdogOn on(l);
        const auto tags = b->send({.nbls = 5});
        ASSERT_TRUE(b->wait_completed(4));
        ASSERT_TRUE(cap.wait_for(1, 3s));
        std::this_thread::sleep_for(150ms); // several more periods: still one report
        const core::fault_stats st = d.stats();
        ASSERT_EQ(st.dropped, 1u);
        ASSERT_EQ(st.dropped_nbls.size(), 1u);
        EXPECT_VERIFIER_REPORTS(cap, "VER-06");
        const std::string m = cap.messages().at(0);
        std::ostringstream nbl;
        nbl << static_cast<const void *>(st.dropped_nbls[0]);
        EXPECT_NE(m.find("adapter 'eth0'"), std::string::npos) << m;
        EXPECT_NE(m.find("driver 'capture'"), std::string::npos) << m;
        EXPECT_NE(m.find("protocol 'inject0'"), std::string::npos) << m;
        EXPECT_NE(m.find(nbl.str()), std::string::npos) << m;
        EXPECT_NE(m.find("1 NBL(s)"), std::string::npos) << m;
        EXPECT_NE(m.find("NdisTimedDataSend"), std::string::npos) << m;
        EXPECT_EQ(core::faulty_release_dropped(Stack::core(d.a)), 1u);
        EXPECT_TRUE(b->wait_completed(tags.size()));
    }
}

// ST-21 (0x7C/0x25): a pause the miniport pends longer than the operation limit is reported once,
// while it is still pending.
TEST(Watchdog, ST21_SlowPendedPauseReported)
{
    core::fault_config cfg;
    cfg.pend_pause_ms = 400;
    Decorated d(cfg);
    ASSERT_TRUE(d.ok);
    VerifierCapture cap;
    wd::limits l = quick_limits();
    l.operation_timeout = 100ms;
    WatchdogOn on(l);
    ASSERT_EQ(core::adapter_pause(Stack::core(d.a)), NDIS_STATUS_SUCCESS);
    EXPECT_VERIFIER_REPORTS(cap, "ST-21");
    const auto m = cap.messages();
    ASSERT_FALSE(m.empty());
    EXPECT_NE(m[0].find("pause of adapter 'eth0'"), std::string::npos) << m[0];
    EXPECT_NE(m[0].find("NdisMPauseComplete"), std::string::npos) << m[0];
    ASSERT_EQ(core::adapter_restart(Stack::core(d.a)), NDIS_STATUS_SUCCESS);
}

namespace {
MINIPORT_OID_REQUEST *g_capture_oid = nullptr;
std::atomic<bool> g_slow_oid{false};

NDIS_STATUS SlowOid(NDIS_HANDLE context, PNDIS_OID_REQUEST request)
{
    if (!g_slow_oid.load()) {
        return g_capture_oid(context, request);
    }
    auto *ad = static_cast<CaptureAdapter *>(context);
    NDIS_HANDLE h = ad->handle;
    ad->driver->helpers.run(
        [h, request] { NdisMOidRequestComplete(h, request, NDIS_STATUS_SUCCESS); }, 300ms);
    return NDIS_STATUS_PENDING;
}
} // namespace

// VER-06 (NdisTimedOidComplete): an OID request pended longer than the limit is reported once,
// naming the adapter, the protocol and the OID. (Here through the decorator too: OIDs pass.)
TEST(Watchdog, VER06_SlowOidReported)
{
    core::fault_config cfg;
    Decorated d(cfg, 1, [](CaptureMiniport &m) {
        m.tweak = [](NDIS_MINIPORT_DRIVER_CHARACTERISTICS &c) {
            g_capture_oid = c.OidRequestHandler;
            c.OidRequestHandler = &SlowOid;
        };
    });
    ASSERT_TRUE(d.ok);
    VerifierCapture cap;
    wd::limits l = quick_limits();
    l.oid_timeout = 100ms;
    WatchdogOn on(l);
    g_slow_oid = true;
    ULONG filter = NDIS_PACKET_TYPE_DIRECTED;
    const OidResult r = d.bindings[0]->set(OID_GEN_CURRENT_PACKET_FILTER, &filter, sizeof filter);
    g_slow_oid = false;
    EXPECT_TRUE(r.pended);
    EXPECT_EQ(r.status, NDIS_STATUS_SUCCESS);
    EXPECT_VERIFIER_REPORTS(cap, "VER-06");
    const auto m = cap.messages();
    ASSERT_FALSE(m.empty());
    EXPECT_NE(m[0].find("adapter 'eth0'"), std::string::npos) << m[0];
    EXPECT_NE(m[0].find("protocol 'inject0'"), std::string::npos) << m[0];
    EXPECT_NE(m[0].find("0x0001010e"), std::string::npos) << m[0]; // OID_GEN_CURRENT_PACKET_FILTER
}

// VER-06 (NdisTimedDataHang): sends outstanding and no completion at all for the hang limit.
TEST(Watchdog, VER06_HangReportedWhenNothingCompletes)
{
    Stack s;
    CaptureMiniport &mp = s.miniport("capture");
    CaptureAdapter *a = s.adapter(mp, "eth0");
    InjectBinding *b = s.bind(s.protocol("inject"), a);
    ASSERT_NE(b, nullptr);
    SendPolicy manual;
    manual.completer = Completer::Manual;
    a->set_policy(manual);
    VerifierCapture cap;
    wd::limits l = quick_limits();
    l.hang_timeout = 100ms;
    {
        WatchdogOn on(l);
        b->send({.nbls = 2});
        ASSERT_TRUE(cap.wait_for(1, 3s));
        std::this_thread::sleep_for(100ms);
        EXPECT_VERIFIER_REPORTS(cap, "VER-06");
        EXPECT_NE(cap.messages()[0].find("NdisTimedDataHang"), std::string::npos);
        EXPECT_NE(cap.messages()[0].find("2 send(s) outstanding"), std::string::npos);
    }
    a->complete_pending(CaptureAdapter::From::Caller);
    EXPECT_TRUE(b->wait_completed(2));
}

// A healthy stack under traffic (delays well under the limits, pause and restart) makes no
// watchdog report even with short limits.
TEST(Watchdog, HealthyTrafficMakesNoReport)
{
    core::fault_config cfg;
    cfg.delay_us_max = 1000;
    cfg.reorder = true;
    cfg.pend_pause_ms = 5;
    Decorated d(cfg, 2);
    ASSERT_TRUE(d.ok);
    VerifierCapture cap;
    wd::limits l;
    l.send_timeout = 300ms;
    l.hang_timeout = 300ms;
    l.oid_timeout = 300ms;
    l.operation_timeout = 300ms;
    l.period = 5ms;
    WatchdogOn on(l);
    std::atomic<bool> stop{false};
    std::vector<std::thread> senders;
    for (int k = 0; k < 2; ++k) {
        senders.emplace_back([&, k] {
            while (!stop.load()) {
                d.bindings[k]->send({.nbls = 4});
                std::this_thread::sleep_for(200us);
            }
        });
    }
    std::this_thread::sleep_for(400ms);
    stop = true;
    for (auto &t : senders) {
        t.join();
    }
    for (InjectBinding *b : d.bindings) {
        EXPECT_TRUE(b->wait_completed(b->sent_count()));
    }
    ULONG filter = NDIS_PACKET_TYPE_DIRECTED;
    EXPECT_EQ(d.bindings[0]->set(OID_GEN_CURRENT_PACKET_FILTER, &filter, sizeof filter).status,
              NDIS_STATUS_SUCCESS);
    ASSERT_EQ(core::adapter_pause(Stack::core(d.a)), NDIS_STATUS_SUCCESS);
    ASSERT_EQ(core::adapter_restart(Stack::core(d.a)), NDIS_STATUS_SUCCESS);
    std::this_thread::sleep_for(50ms);
    EXPECT_VERIFIER_REPORTS(cap);
}

// The configuration is checked: a fraction out of range or a status MS-08 does not allow.
TEST(Faulty, BadConfigurationRefused)
{
    core::fault_config c;
    c.fail_fraction = 1.5;
    EXPECT_NE(core::fault_validate(c).find("fail_fraction"), std::string::npos);
    c = {};
    c.fail_statuses = {NDIS_STATUS_PENDING};
    EXPECT_NE(core::fault_validate(c).find("MS-08"), std::string::npos);
    c = {};
    EXPECT_EQ(core::fault_validate(c), "");
    EXPECT_EQ(core::fault_status_index("ndis_status_resources"), 1);
    EXPECT_EQ(core::fault_status_index("SUCCESS"), -1);
}

// ST-21 (0x7C/0x25): a reset the miniport pends past the operation limit is reported once,
// naming the adapter and the missing NdisMResetComplete; the reset still completes.
TEST(Watchdog, ST21_SlowPendedResetReported)
{
    core::fault_config cfg;
    cfg.pend_reset_ms = 400;
    Decorated d(cfg);
    ASSERT_TRUE(d.ok);
    VerifierCapture cap;
    wd::limits l = quick_limits();
    l.operation_timeout = 100ms;
    WatchdogOn on(l);
    EXPECT_EQ(core::adapter_reset(Stack::core(d.a)), NDIS_STATUS_SUCCESS);
    EXPECT_VERIFIER_REPORTS(cap, "ST-21");
    const auto m = cap.messages();
    ASSERT_FALSE(m.empty());
    EXPECT_NE(m[0].find("reset of adapter 'eth0'"), std::string::npos) << m[0];
    EXPECT_NE(m[0].find("NdisMResetComplete"), std::string::npos) << m[0];
}

namespace {
MINIPORT_HALT *g_capture_halt = nullptr;
VOID SlowHalt(NDIS_HANDLE context, NDIS_HALT_ACTION action)
{
    std::this_thread::sleep_for(300ms);
    g_capture_halt(context, action);
}
} // namespace

// ST-21 (0x7C/0x25 sub-code 0x22): a MiniportHaltEx that does not return within the operation
// limit is reported, naming the adapter.
TEST(Watchdog, ST21_SlowHaltReported)
{
    Stack s;
    CaptureMiniport &mp = s.miniport("capture", [](CaptureMiniport &m) {
        m.tweak = [](NDIS_MINIPORT_DRIVER_CHARACTERISTICS &c) {
            g_capture_halt = c.HaltHandlerEx;
            c.HaltHandlerEx = SlowHalt;
        };
    });
    CaptureAdapter *a = s.adapter(mp, "eth0");
    ASSERT_NE(a, nullptr);
    VerifierCapture cap;
    wd::limits l = quick_limits();
    l.operation_timeout = 100ms;
    WatchdogOn on(l);
    s.teardown(); // pause, then the slow halt
    EXPECT_VERIFIER_REPORTS(cap, "ST-21");
    const auto m = cap.messages();
    ASSERT_FALSE(m.empty());
    EXPECT_NE(m[0].find("halt of adapter 'eth0'"), std::string::npos) << m[0];
    EXPECT_NE(m[0].find("sub-code 0x22"), std::string::npos) << m[0];
}

// ST-21, VER-06: a pause held up by sends the miniport keeps is reported naming the protocol,
// the adapter and the NBLs still outstanding.
TEST(Watchdog, ST21_SlowPauseNamesTheOutstandingNbls)
{
    Stack s;
    CaptureMiniport &mp = s.miniport("capture");
    InjectProtocol &p = s.protocol("inject");
    CaptureAdapter *a = s.adapter(mp, "eth0");
    ASSERT_NE(a, nullptr);
    InjectBinding *b = s.bind(p, a);
    ASSERT_NE(b, nullptr);
    SendPolicy manual;
    manual.completer = Completer::Manual;
    a->set_policy(manual);
    b->send({.nbls = 3});
    ASSERT_TRUE(a->wait_pending(3));
    const PNET_BUFFER_LIST held = a->captured().front().nbl;
    VerifierCapture cap;
    wd::limits l = quick_limits();
    l.operation_timeout = 100ms;
    WatchdogOn on(l);
    std::thread pauser([&] { core::binding_pause(Stack::core(b)); });
    ASSERT_TRUE(cap.wait_for(1, std::chrono::seconds(3)));
    a->complete_pending(CaptureAdapter::From::Thread);
    pauser.join();
    EXPECT_VERIFIER_REPORTS(cap, "ST-21");
    const auto m = cap.messages();
    ASSERT_FALSE(m.empty());
    EXPECT_NE(m[0].find("binding of protocol 'inject'"), std::string::npos) << m[0];
    EXPECT_NE(m[0].find("adapter 'eth0'"), std::string::npos) << m[0];
    char pointer[32];
    std::snprintf(pointer, sizeof pointer, "%p", static_cast<void *>(held));
    EXPECT_NE(m[0].find(std::string("NBLs outstanding: ")), std::string::npos) << m[0];
    EXPECT_NE(m[0].find(pointer), std::string::npos) << m[0];
}
