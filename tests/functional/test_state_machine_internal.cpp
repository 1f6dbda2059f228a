// test_state_machine_internal.cpp — the adapter state machine of SPEC §15.9, pause and restart
// order across the stack, reset, check-for-hang, low power, shutdown and cancel, through the core
// control API with the capture miniport and inject protocols (SPEC ST-01 … ST-23, PS-19, PS-22,
// CAN-01 … CAN-12).
#include "common/stack_fixture.hpp"
#include "openndis_test.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace ft;
using namespace std::chrono_literals;
namespace core = ndis::core;
using openndis::test::VerifierCapture;

namespace {

class StateMachine : public ::testing::Test {
protected:
    void SetUp() override
    {
        mp = &s.miniport("capture");
        p = &s.protocol("inject");
        a = s.adapter(*mp, "eth0");
        ASSERT_NE(a, nullptr);
        b = s.bind(*p, a);
        ASSERT_NE(b, nullptr);
    }
    core::adapter *ca() { return Stack::core(a); }
    core::binding *cb() { return Stack::core(b); }

    Stack s;
    CaptureMiniport *mp = nullptr;
    InjectProtocol *p = nullptr;
    CaptureAdapter *a = nullptr;
    InjectBinding *b = nullptr;
};

std::vector<NDIS_STATUS> status_codes(InjectBinding *b)
{
    std::vector<NDIS_STATUS> out;
    for (const StatusRecord &r : b->statuses()) {
        out.push_back(r.code);
    }
    return out;
}

// A global, ordered log of the control calls drivers saw (ST-20).
std::mutex g_log_lock;
std::vector<std::string> g_log;
PROTOCOL_NET_PNP_EVENT *g_inner_pnp = nullptr;
MINIPORT_PAUSE *g_inner_pause = nullptr;
MINIPORT_RESTART *g_inner_restart = nullptr;

void log_event(std::string e)
{
    std::lock_guard<std::mutex> g(g_log_lock);
    g_log.push_back(std::move(e));
}

NDIS_STATUS LoggingPnp(NDIS_HANDLE ctx, PNET_PNP_EVENT_NOTIFICATION n)
{
    if (ctx != nullptr && n->NetPnPEvent.NetEvent == NetEventPause) {
        log_event("protocol:pause");
    } else if (ctx != nullptr && n->NetPnPEvent.NetEvent == NetEventRestart) {
        log_event("protocol:restart");
    }
    return g_inner_pnp(ctx, n);
}
NDIS_STATUS LoggingPause(NDIS_HANDLE ctx, PNDIS_MINIPORT_PAUSE_PARAMETERS pp)
{
    log_event("miniport:pause");
    return g_inner_pause(ctx, pp);
}
NDIS_STATUS LoggingRestart(NDIS_HANDLE ctx, PNDIS_MINIPORT_RESTART_PARAMETERS rp)
{
    log_event("miniport:restart");
    return g_inner_restart(ctx, rp);
}

} // namespace

// ================================ §15.9 transitions ==============================================

// ST-01, ST-09, ST-11, §15.9: only the table's transitions happen; an illegal request is refused
// with NDIS_STATUS_INVALID_STATE, reported, and changes nothing.
TEST_F(StateMachine, ST01_IllegalTransitionsAreRefusedAndReported)
{
    ASSERT_EQ(ca()->state.load(), core::adapter_state::running);
    {
        VerifierCapture cap;
        EXPECT_EQ(core::adapter_restart(ca()), NDIS_STATUS_INVALID_STATE); // Running → restart
        EXPECT_VERIFIER_REPORTS(cap, "ST-01");
    }
    EXPECT_EQ(ca()->state.load(), core::adapter_state::running);
    ASSERT_EQ(core::adapter_pause(ca()), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(ca()->state.load(), core::adapter_state::paused);
    {
        VerifierCapture cap;
        EXPECT_EQ(core::adapter_pause(ca()), NDIS_STATUS_INVALID_STATE); // Paused → pause
        EXPECT_VERIFIER_REPORTS(cap, "ST-01");
    }
    {
        VerifierCapture cap;
        // Halt with a binding still open is refused (it must be unbound first).
        EXPECT_EQ(core::adapter_halt(ca()), NDIS_STATUS_INVALID_STATE);
        EXPECT_VERIFIER_REPORTS(cap, "ST-01");
    }
    EXPECT_EQ(a->halted.load(), false);
    EXPECT_EQ(core::adapter_restart(ca()), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(ca()->state.load(), core::adapter_state::running);
    {
        VerifierCapture cap;
        NdisMPauseComplete(a->handle); // ST-11: nothing pending
        NdisMRestartComplete(a->handle, NDIS_STATUS_SUCCESS);
        EXPECT_VERIFIER_REPORTS(cap, "ST-11", "ST-11");
    }
}

// ST-20: the stack pauses top-down (every binding before the miniport) and restarts bottom-up
// (the miniport before any binding).
TEST(StackOrder, ST20_PauseTopDownRestartBottomUp)
{
    {
        std::lock_guard<std::mutex> g(g_log_lock);
        g_log.clear();
    }
    Stack s;
    CaptureMiniport &mp = s.miniport("capture", [](CaptureMiniport &m) {
        m.tweak = [](NDIS_MINIPORT_DRIVER_CHARACTERISTICS &c) {
            g_inner_pause = c.PauseHandler;
            g_inner_restart = c.RestartHandler;
            c.PauseHandler = LoggingPause;
            c.RestartHandler = LoggingRestart;
        };
    });
    auto wrap = [](InjectProtocol &p) {
        p.tweak = [](NDIS_PROTOCOL_DRIVER_CHARACTERISTICS &c) {
            g_inner_pnp = c.NetPnPEventHandler;
            c.NetPnPEventHandler = LoggingPnp;
        };
    };
    InjectProtocol &p1 = s.protocol("p1", wrap);
    InjectProtocol &p2 = s.protocol("p2", wrap);
    CaptureAdapter *a = s.adapter(mp, "eth0");
    ASSERT_NE(a, nullptr);
    ASSERT_NE(s.bind(p1, a), nullptr);
    ASSERT_NE(s.bind(p2, a), nullptr);
    {
        std::lock_guard<std::mutex> g(g_log_lock);
        g_log.clear();
    }
    ASSERT_EQ(core::adapter_pause(Stack::core(a)), NDIS_STATUS_SUCCESS);
    ASSERT_EQ(core::adapter_restart(Stack::core(a)), NDIS_STATUS_SUCCESS);
    for (core::binding *b : Stack::core(a)->bindings) {
        ASSERT_EQ(core::binding_restart(b), NDIS_STATUS_SUCCESS);
    }
    std::lock_guard<std::mutex> g(g_log_lock);
    const std::vector<std::string> want = {"protocol:pause",   "protocol:pause",
                                           "miniport:pause",   "miniport:restart",
                                           "protocol:restart", "protocol:restart"};
    EXPECT_EQ(g_log, want);
}

// ST-04, ST-05, PS-19: while a pause waits for the miniport's outstanding sends, new sends are
// completed at once with NDIS_STATUS_PAUSED, and the pause finishes only after the held sends
// came back.
TEST_F(StateMachine, ST04_ST05_PauseWaitsForOutstandingSendsAndRejectsNewOnes)
{
    SendPolicy manual;
    manual.completer = Completer::Manual;
    a->set_policy(manual);
    const auto held = b->send({.nbls = 4});
    ASSERT_TRUE(a->wait_pending(4));
    std::atomic<bool> paused{false};
    std::thread pauser([&] {
        EXPECT_EQ(core::binding_pause(cb()), NDIS_STATUS_SUCCESS);
        paused = true;
    });
    while (cb()->state.load() != core::binding_state::pausing) {
        std::this_thread::sleep_for(1ms);
    }
    const auto rejected = b->send({.nbls = 2});
    EXPECT_EQ(b->completion_status().at(rejected[0]), NDIS_STATUS_PAUSED);
    EXPECT_EQ(b->completion_status().at(rejected[1]), NDIS_STATUS_PAUSED);
    std::this_thread::sleep_for(50ms);
    EXPECT_FALSE(paused.load()) << "ST-05: the pause must wait for the 4 held sends";
    a->complete_pending(CaptureAdapter::From::Thread);
    pauser.join();
    EXPECT_TRUE(paused.load());
    EXPECT_EQ(cb()->state.load(), core::binding_state::paused);
    for (Tag t : held) {
        EXPECT_EQ(b->completion_status().at(t), NDIS_STATUS_SUCCESS);
    }
}

// PS-22: an unbind while sends are outstanding is reported (0x7C/0x27) and waits for them; every
// NBL still comes back to the protocol before the binding is gone.
TEST_F(StateMachine, PS22_UnbindWaitsForOutstandingSends)
{
    SendPolicy manual;
    manual.completer = Completer::Manual;
    a->set_policy(manual);
    const auto held = b->send({.nbls = 3});
    ASSERT_TRUE(a->wait_pending(3));
    // The unbind pauses first, and a pause cannot finish while sends are held: complete them
    // from another thread a little later.
    std::thread completer([&] {
        std::this_thread::sleep_for(50ms);
        a->complete_pending(CaptureAdapter::From::Thread);
    });
    EXPECT_EQ(core::unbind(cb()), NDIS_STATUS_SUCCESS);
    completer.join();
    EXPECT_TRUE(b->unbound.load());
    EXPECT_EQ(b->completed_count(), 3u);
    for (Tag t : held) {
        EXPECT_EQ(b->completion_counts().at(t), 1);
    }
}

// ================================ reset ==========================================================

// ST-14, ST-15, ST-17: a reset runs MiniportResetEx at DISPATCH_LEVEL, indicates RESET_START and
// RESET_END (with the reset's status) to the protocols, and leaves the adapter state alone.
TEST_F(StateMachine, ST14_ST15_ST17_ResetIndicatesStartAndEndAndKeepsState)
{
    EXPECT_EQ(core::adapter_reset(ca()), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(a->reset_calls.load(), 1);
    EXPECT_EQ(a->reset_irql.load(), DISPATCH_LEVEL);
    EXPECT_EQ(ca()->state.load(), core::adapter_state::running);
    const auto codes = status_codes(b);
    EXPECT_EQ(codes, (std::vector<NDIS_STATUS>{NDIS_STATUS_RESET_START, NDIS_STATUS_RESET_END}));
    // Also from Paused (ST-08: resets are allowed there) — the state stays Paused.
    ASSERT_EQ(core::adapter_pause(ca()), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(core::adapter_reset(ca()), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(ca()->state.load(), core::adapter_state::paused);
    EXPECT_EQ(ca()->resets.load(), 2u);
}

// ST-15, ST-16, §16 point 2: a pended reset completes through NdisMResetComplete; sends held by
// the miniport come back with RESET_IN_PROGRESS before it completes; sends made while the reset
// runs are completed by the runtime with RESET_IN_PROGRESS; afterwards sends work again.
TEST_F(StateMachine, ST15_ST16_PendedResetFlushesAndRejectsSends)
{
    SendPolicy manual;
    manual.completer = Completer::Manual;
    a->set_policy(manual);
    mp->reset_mode.store(Pend::FromThread);
    const auto held = b->send({.nbls = 3});
    ASSERT_TRUE(a->wait_pending(3));
    NDIS_STATUS reset_status = NDIS_STATUS_PENDING;
    std::thread resetter([&] { reset_status = core::adapter_reset(ca()); });
    while (!ca()->resetting.load() && reset_status == NDIS_STATUS_PENDING) {
        std::this_thread::sleep_for(100us);
    }
    const auto during = b->send({.nbls = 2});
    resetter.join();
    EXPECT_EQ(reset_status, NDIS_STATUS_SUCCESS);
    for (Tag t : held) {
        EXPECT_EQ(b->completion_status().at(t), NDIS_STATUS_RESET_IN_PROGRESS) << "ST-16";
    }
    for (Tag t : during) {
        EXPECT_EQ(b->completion_status().at(t), NDIS_STATUS_RESET_IN_PROGRESS);
    }
    a->set_policy(SendPolicy{});
    const auto after = b->send({.nbls = 1});
    EXPECT_EQ(b->completion_status().at(after[0]), NDIS_STATUS_SUCCESS);
}

// ST-16: a miniport of NDIS 6.30 or later that still holds sends when its reset completes is
// reported; the sends still come back exactly once afterwards.
TEST(Reset, ST16_NdisSixThirtyMiniportMustNotHoldSendsAcrossAReset)
{
    Stack s;
    CaptureMiniport &mp = s.miniport("capture", [](CaptureMiniport &m) {
        m.tweak = [](NDIS_MINIPORT_DRIVER_CHARACTERISTICS &c) { c.MinorNdisVersion = 30; };
    });
    InjectProtocol &p = s.protocol("inject");
    CaptureAdapter *a = s.adapter(mp, "eth0");
    ASSERT_NE(a, nullptr);
    InjectBinding *b = s.bind(p, a);
    ASSERT_NE(b, nullptr);
    SendPolicy manual;
    manual.completer = Completer::Manual;
    a->set_policy(manual);
    mp.reset_flushes.store(false);
    core::set_control_timeout(300ms); // how long the runtime gives held sends (the fixture restores it)
    b->send({.nbls = 2});
    ASSERT_TRUE(a->wait_pending(2));
    {
        VerifierCapture cap;
        EXPECT_EQ(core::adapter_reset(Stack::core(a)), NDIS_STATUS_SUCCESS);
        EXPECT_VERIFIER_REPORTS(cap, "ST-16");
    }
    a->complete_pending(CaptureAdapter::From::Caller);
    EXPECT_EQ(b->completed_count(), 2u);
}

// ST-15: an addressing reset makes the runtime set the packet filter again (the union of the
// bindings' filters), by OID, before RESET_END.
TEST_F(StateMachine, ST15_AddressingResetReplaysThePacketFilter)
{
    ULONG filter = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST;
    ASSERT_EQ(b->set(OID_GEN_CURRENT_PACKET_FILTER, &filter, sizeof filter).status,
              NDIS_STATUS_SUCCESS);
    const std::size_t before = a->oids().size();
    mp->reset_addressing.store(true);
    EXPECT_EQ(core::adapter_reset(ca()), NDIS_STATUS_SUCCESS);
    const auto oids = a->oids();
    ASSERT_EQ(oids.size(), before + 1);
    EXPECT_EQ(oids.back().oid, static_cast<NDIS_OID>(OID_GEN_CURRENT_PACKET_FILTER));
    EXPECT_EQ(oids.back().type, NdisRequestSetInformation);
    EXPECT_EQ(a->packet_filter(), filter);
}

// ST-17: NdisMResetComplete without a pending reset is reported (0x7C/0x0F) and ignored; a
// miniport without MiniportResetEx cannot be reset.
TEST_F(StateMachine, ST17_UnexpectedResetCompleteIsReported)
{
    VerifierCapture cap;
    NdisMResetComplete(a->handle, NDIS_STATUS_SUCCESS, FALSE);
    EXPECT_VERIFIER_REPORTS(cap, "ST-17");
    EXPECT_TRUE(status_codes(b).empty());
}

TEST(Reset, ST15_NoResetHandlerMeansNotSupported)
{
    Stack s;
    CaptureMiniport &mp = s.miniport("capture", [](CaptureMiniport &m) {
        m.tweak = [](NDIS_MINIPORT_DRIVER_CHARACTERISTICS &c) { c.ResetHandlerEx = nullptr; };
    });
    CaptureAdapter *a = s.adapter(mp, "eth0");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(core::adapter_reset(Stack::core(a)), NDIS_STATUS_NOT_SUPPORTED);
    EXPECT_EQ(a->reset_calls.load(), 0);
}

// ================================ check-for-hang =================================================

// ST-18: MiniportCheckForHangEx is called on its period at DISPATCH_LEVEL; FALSE changes nothing,
// TRUE triggers a reset (RESET_START / RESET_END reach the protocol).
TEST(CheckForHang, ST18_HangTriggersReset)
{
    core::set_check_for_hang_interval(20ms);
    Stack s;
    CaptureMiniport &mp =
        s.miniport("capture", [](CaptureMiniport &m) { m.register_check_for_hang = true; });
    InjectProtocol &p = s.protocol("inject");
    CaptureAdapter *a = s.adapter(mp, "eth0");
    ASSERT_NE(a, nullptr);
    InjectBinding *b = s.bind(p, a);
    ASSERT_NE(b, nullptr);
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (a->check_for_hang_calls.load() < 3 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(5ms);
    }
    EXPECT_GE(a->check_for_hang_calls.load(), 3);
    EXPECT_EQ(a->check_for_hang_irql.load(), DISPATCH_LEVEL);
    EXPECT_EQ(a->reset_calls.load(), 0);
    mp.hang_answer.store(true);
    while (a->reset_calls.load() < 1 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(5ms);
    }
    mp.hang_answer.store(false);
    EXPECT_GE(a->reset_calls.load(), 1);
    EXPECT_GE(Stack::core(a)->hangs.load(), 1u);
    // The reset runs on a worker: wait for its RESET_END before looking.
    while (std::ranges::count(status_codes(b), NDIS_STATUS_RESET_END) < 1 &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(5ms);
    }
    const auto codes = status_codes(b);
    EXPECT_GE(std::ranges::count(codes, NDIS_STATUS_RESET_START), 1);
    EXPECT_GE(std::ranges::count(codes, NDIS_STATUS_RESET_END), 1);
    s.teardown();
    core::set_check_for_hang_interval(0ms);
}

// ================================ power and shutdown =============================================

// ST-19: after OID_PNP_SET_POWER D3 the miniport completes every send with
// NDIS_STATUS_LOW_POWER_STATE; back in D0 sends succeed. The runtime drives D0 → D3 → D0.
TEST_F(StateMachine, ST19_LowPowerRejectsSendsUntilD0)
{
    ASSERT_EQ(core::adapter_set_power(ca(), NdisDeviceStateD3), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(ca()->power.load(), NdisDeviceStateD3);
    EXPECT_EQ(a->power.load(), NdisDeviceStateD3);
    const auto low = b->send({.nbls = 3});
    for (Tag t : low) {
        EXPECT_EQ(b->completion_status().at(t), NDIS_STATUS_LOW_POWER_STATE);
    }
    ASSERT_EQ(core::adapter_set_power(ca(), NdisDeviceStateD0), NDIS_STATUS_SUCCESS);
    const auto ok = b->send({.nbls = 2});
    for (Tag t : ok) {
        EXPECT_EQ(b->completion_status().at(t), NDIS_STATUS_SUCCESS);
    }
    EXPECT_EQ(a->power.load(), NdisDeviceStateD0);
}

// ST-07: no power request while the adapter is Pausing or Restarting (here: refused while a
// pended pause is in progress).
TEST(Power, ST07_NoPowerRequestWhilePausing)
{
    Stack s;
    CaptureMiniport &mp = s.miniport("capture");
    CaptureAdapter *a = s.adapter(mp, "eth0");
    ASSERT_NE(a, nullptr);
    mp.pause_mode.store(Pend::FromThread);
    std::thread pauser([&] { EXPECT_EQ(core::adapter_pause(Stack::core(a)), NDIS_STATUS_SUCCESS); });
    while (Stack::core(a)->state.load() != core::adapter_state::pausing) {
        std::this_thread::sleep_for(100us);
    }
    // The control lock serialises: the power request waits for the pause, then runs in Paused.
    EXPECT_EQ(core::adapter_set_power(Stack::core(a), NdisDeviceStateD3), NDIS_STATUS_SUCCESS);
    pauser.join();
    EXPECT_EQ(Stack::core(a)->state.load(), core::adapter_state::paused);
    EXPECT_EQ(core::adapter_set_power(Stack::core(a), NdisDeviceStateD0), NDIS_STATUS_SUCCESS);
}

// ST-23: shutdown is reachable from Running (and Paused …), calls MiniportShutdownEx, and is
// terminal: sends complete PAUSED, restart and pause are refused; only teardown's halt follows.
TEST_F(StateMachine, ST23_ShutdownIsTerminal)
{
    ASSERT_EQ(core::adapter_shutdown(ca()), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(a->shutdown_calls.load(), 1);
    EXPECT_EQ(ca()->state.load(), core::adapter_state::shutdown);
    const auto t = b->send({.nbls = 1});
    EXPECT_EQ(b->completion_status().at(t[0]), NDIS_STATUS_PAUSED);
    VerifierCapture cap;
    EXPECT_EQ(core::adapter_restart(ca()), NDIS_STATUS_INVALID_STATE);
    EXPECT_EQ(core::adapter_shutdown(ca()), NDIS_STATUS_INVALID_STATE);
    EXPECT_VERIFIER_REPORTS(cap, "ST-01", "ST-01");
}

// ================================ cancel =========================================================

// CAN-01: partial cancel ids differ from call to call.
TEST(Cancel, CAN01_PartialCancelIdsDiffer)
{
    const UCHAR x = NdisGeneratePartialCancelId();
    const UCHAR y = NdisGeneratePartialCancelId();
    EXPECT_NE(x, y);
}

// CAN-02, CAN-05, CAN-06, CAN-12: NBLs tagged with a cancel id and still queued in the miniport
// come back with NDIS_STATUS_SEND_ABORTED (0xC023000C, not the legacy 0xC001000C); the others
// complete normally later; each exactly once.
TEST_F(StateMachine, CAN02_CAN05_CAN12_CancelAbortsQueuedMatches)
{
    static_assert(NDIS_STATUS_SEND_ABORTED == static_cast<NDIS_STATUS>(0xC023000CL));
    SendPolicy manual;
    manual.completer = Completer::Manual;
    a->set_policy(manual);
    const PVOID id = reinterpret_cast<PVOID>(
        (static_cast<ULONG_PTR>(NdisGeneratePartialCancelId()) << 56) | 0x42);
    std::vector<Tag> tags;
    PNET_BUFFER_LIST chain = b->build({.nbls = 6}, &tags);
    int i = 0;
    for (PNET_BUFFER_LIST n = chain; n != nullptr; n = n->Next, ++i) {
        if (i % 2 == 0) {
            NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(n, id);
        }
    }
    b->send_chain(chain);
    ASSERT_TRUE(a->wait_pending(6));
    NdisCancelSendNetBufferLists(b->handle, id);
    EXPECT_EQ(a->cancel_calls.load(), 1);
    EXPECT_EQ(a->cancelled.load(), 3);
    a->complete_pending(CaptureAdapter::From::Caller);
    const auto st = b->completion_status();
    for (std::size_t k = 0; k < tags.size(); ++k) {
        EXPECT_EQ(st.at(tags[k]), k % 2 == 0 ? NDIS_STATUS_SEND_ABORTED : NDIS_STATUS_SUCCESS)
            << k;
        EXPECT_EQ(b->completion_counts().at(tags[k]), 1);
    }
}

// CAN-03: the cancel goes to the miniport of the binding it names, not to other adapters.
TEST(Cancel, CAN03_CancelReachesOnlyTheBindingsAdapter)
{
    Stack s;
    CaptureMiniport &mp = s.miniport("capture");
    InjectProtocol &p = s.protocol("inject");
    CaptureAdapter *a0 = s.adapter(mp, "eth0");
    CaptureAdapter *a1 = s.adapter(mp, "eth1");
    ASSERT_NE(a0, nullptr);
    ASSERT_NE(a1, nullptr);
    InjectBinding *b0 = s.bind(p, a0);
    ASSERT_NE(b0, nullptr);
    ASSERT_NE(s.bind(p, a1), nullptr);
    NdisCancelSendNetBufferLists(b0->handle, reinterpret_cast<PVOID>(7));
    EXPECT_EQ(a0->cancel_calls.load(), 1);
    EXPECT_EQ(a1->cancel_calls.load(), 0);
}

// CAN-04, §16 point 1: a miniport without MiniportCancelSend registers fine and a cancel is a
// no-op: the NBLs complete normally.
TEST(Cancel, CAN04_NoCancelHandlerMeansNoEffect)
{
    Stack s;
    CaptureMiniport &mp = s.miniport("capture", [](CaptureMiniport &m) {
        m.tweak = [](NDIS_MINIPORT_DRIVER_CHARACTERISTICS &c) { c.CancelSendHandler = nullptr; };
    });
    InjectProtocol &p = s.protocol("inject");
    CaptureAdapter *a = s.adapter(mp, "eth0");
    ASSERT_NE(a, nullptr);
    InjectBinding *b = s.bind(p, a);
    ASSERT_NE(b, nullptr);
    SendPolicy manual;
    manual.completer = Completer::Manual;
    a->set_policy(manual);
    std::vector<Tag> tags;
    PNET_BUFFER_LIST chain = b->build({.nbls = 2}, &tags);
    for (PNET_BUFFER_LIST n = chain; n != nullptr; n = n->Next) {
        NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(n, reinterpret_cast<PVOID>(9));
    }
    b->send_chain(chain);
    ASSERT_TRUE(a->wait_pending(2));
    NdisCancelSendNetBufferLists(b->handle, reinterpret_cast<PVOID>(9));
    EXPECT_EQ(a->cancel_calls.load(), 0);
    a->complete_pending(CaptureAdapter::From::Caller);
    EXPECT_EQ(b->completion_status().at(tags[0]), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(b->completion_status().at(tags[1]), NDIS_STATUS_SUCCESS);
}

// CAN-11: cancels racing normal completions from another thread never complete an NBL twice
// (the verifier would report it) nor lose one.
TEST_F(StateMachine, CAN11_CancelRacingCompletionCompletesEachNblOnce)
{
    SendPolicy manual;
    manual.completer = Completer::Manual;
    a->set_policy(manual);
    const PVOID id = reinterpret_cast<PVOID>(0x1234);
    constexpr int kRounds = 200;
    std::atomic<bool> stop{false};
    std::thread completer([&] {
        while (!stop.load()) {
            a->complete_pending(CaptureAdapter::From::Thread);
            std::this_thread::yield();
        }
    });
    std::size_t sent = 0;
    for (int r = 0; r < kRounds; ++r) {
        PNET_BUFFER_LIST chain = b->build({.nbls = 4});
        for (PNET_BUFFER_LIST n = chain; n != nullptr; n = n->Next) {
            NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(n, id);
        }
        b->send_chain(chain);
        sent += 4;
        NdisCancelSendNetBufferLists(b->handle, id);
    }
    stop = true;
    completer.join();
    a->complete_pending(CaptureAdapter::From::Caller);
    ASSERT_TRUE(b->wait_completed(sent));
    std::size_t aborted = 0;
    for (const auto &[tag, count] : b->completion_counts()) {
        EXPECT_EQ(count, 1) << tag;
    }
    for (const auto &[tag, status] : b->completion_status()) {
        EXPECT_TRUE(status == NDIS_STATUS_SUCCESS || status == NDIS_STATUS_SEND_ABORTED);
        aborted += status == NDIS_STATUS_SEND_ABORTED ? 1 : 0;
    }
    EXPECT_EQ(b->completion_counts().size(), sent);
    EXPECT_EQ(static_cast<std::size_t>(a->cancelled.load()), aborted);
}
