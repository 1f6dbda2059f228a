// test_receive_path_internal.cpp — the receive path end to end: a capture miniport indicates,
// inject protocols receive and return (SPEC PS-20, PS-23, PS-24, MS-18 … MS-20, ST-08,
// IRQL-02/IRQL-04 on RECEIVE/RETURN flags).
#include "common/stack_fixture.hpp"
#include "openndis_test.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

using namespace ft;
namespace core = ndis::core;
using openndis::test::VerifierCapture;

namespace {

std::multiset<Tag> as_set(const std::vector<Tag> &v)
{
    return {v.begin(), v.end()};
}

// A capture adapter with `k` inject protocols bound to it (one binding each), all running.
struct ReceiveStack {
    explicit ReceiveStack(unsigned k, ReceiveMode mode = ReceiveMode::Hold)
    {
        mp = &s.miniport("capture");
        a = s.adapter(*mp, "eth0");
        for (unsigned i = 0; i < k; ++i) {
            InjectProtocol &p = s.protocol("inject" + std::to_string(i),
                                           [mode](InjectProtocol &q) { q.default_receive_mode = mode; });
            InjectBinding *b = s.bind(p, a);
            // NDIS gives a binding only what its packet filter accepts (LB-05); these tests
            // are about ownership, not filtering: every binding takes everything.
            if (b != nullptr) {
                ULONG filter = NDIS_PACKET_TYPE_PROMISCUOUS;
                EXPECT_EQ(b->set(OID_GEN_CURRENT_PACKET_FILTER, &filter, sizeof filter).status,
                          NDIS_STATUS_SUCCESS);
            }
            bindings.push_back(b);
        }
    }
    Stack s;
    CaptureMiniport *mp = nullptr;
    CaptureAdapter *a = nullptr;
    std::vector<InjectBinding *> bindings;
};

} // namespace

// ================================ indications reach every binding and come back ==================

// MS-18: an indication reaches every running binding, with every NBL, in order; MS-19/MS-20:
// without NDIS_RECEIVE_FLAGS_RESOURCES each NBL goes back to MiniportReturnNetBufferLists once,
// only after every binding returned it — bindings returning in any order, one NBL or several
// per NdisReturnNetBufferLists call, interleaved with each other.
class ReceiveFanOut : public ::testing::TestWithParam<unsigned> {};

TEST_P(ReceiveFanOut, MS18_MS20_EveryBindingReceivesAndReturnsInAnyOrder)
{
    const unsigned k = GetParam();
    ReceiveStack rs(k);
    ASSERT_NE(rs.a, nullptr);
    for (InjectBinding *b : rs.bindings) {
        ASSERT_NE(b, nullptr);
    }
    const unsigned n = 7;
    CaptureAdapter::Rx rx;
    rx.nbls = n;
    rx.shape = {.nbs = 2, .mdls = 3};
    const std::vector<Tag> tags = rs.a->indicate(rx);
    ASSERT_EQ(tags.size(), n);

    // Every binding got one indication with every NBL, in the miniport's order.
    std::vector<std::vector<PNET_BUFFER_LIST>> held;
    for (InjectBinding *b : rs.bindings) {
        const auto r = b->receives();
        ASSERT_EQ(r.size(), 1u);
        EXPECT_EQ(r[0].tags, tags);
        EXPECT_EQ(r[0].count, n);
        EXPECT_EQ(r[0].flags & NDIS_RECEIVE_FLAGS_RESOURCES, 0u);
        EXPECT_EQ(r[0].irql, PASSIVE_LEVEL);
        held.push_back(b->take_held());
        ASSERT_EQ(held.back().size(), n);
    }
    // Different bindings never share an NBL they could each return (ownership is per binding).
    if (k > 1) {
        std::set<PNET_BUFFER_LIST> distinct;
        for (const auto &h : held) {
            distinct.insert(h.begin(), h.end());
        }
        EXPECT_EQ(distinct.size(), static_cast<std::size_t>(k) * n);
    }
    EXPECT_TRUE(rs.a->returns().empty());
    EXPECT_EQ(rs.a->rx_outstanding(), n);

    // Return every (binding, NBL) pair in a scrambled order, 1 … 3 NBLs of one binding per call.
    struct Item {
        unsigned binding;
        unsigned index;
    };
    std::vector<Item> order;
    for (unsigned i = 0; i < n; ++i) {
        for (unsigned j = 0; j < k; ++j) {
            order.push_back({j, i});
        }
    }
    std::uint64_t x = 0x9E3779B97F4A7C15ULL ^ k;
    for (std::size_t i = order.size(); i > 1; --i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        std::swap(order[i - 1], order[x % i]);
    }
    std::map<unsigned, unsigned> returned_by; // NBL index -> bindings that returned it
    std::size_t pos = 0;
    std::size_t calls = 0;
    while (pos < order.size()) {
        const unsigned j = order[pos].binding;
        std::vector<PNET_BUFFER_LIST> batch;
        std::vector<unsigned> idx;
        while (pos < order.size() && order[pos].binding == j && batch.size() < 3) {
            batch.push_back(held[j][order[pos].index]);
            idx.push_back(order[pos].index);
            ++pos;
        }
        rs.bindings[j]->return_nbls(batch);
        ++calls;
        for (unsigned i : idx) {
            returned_by[i] += 1;
        }
        // The miniport has exactly the NBLs every binding has returned, each once.
        std::vector<Tag> want;
        for (const auto &[i, count] : returned_by) {
            if (count == k) {
                want.push_back(tags[i]);
            }
        }
        ASSERT_EQ(as_set(rs.a->returned_tags()), as_set(want)) << "after return call " << calls;
    }
    EXPECT_EQ(as_set(rs.a->returned_tags()), as_set(tags));
    EXPECT_EQ(rs.a->rx_outstanding(), 0u);
    for (const MiniportReturn &r : rs.a->returns()) {
        EXPECT_EQ(r.flags & NDIS_RETURN_FLAGS_DISPATCH_LEVEL, 0u);
    }
}

INSTANTIATE_TEST_SUITE_P(Bindings, ReceiveFanOut, ::testing::Values(1u, 2u, 3u),
                         [](const ::testing::TestParamInfo<unsigned> &i) {
                             return std::to_string(i.param) + "bindings";
                         });

// MS-18 with protocols that return at once, inside their receive handler: everything comes back.
TEST(ReceivePath, MS18_ReturnedInsideTheReceiveHandler)
{
    ReceiveStack rs(3, ReceiveMode::ReturnNow);
    CaptureAdapter::Rx rx;
    rx.nbls = 5;
    std::vector<Tag> all;
    for (int i = 0; i < 4; ++i) {
        const auto t = rs.a->indicate(rx);
        all.insert(all.end(), t.begin(), t.end());
    }
    for (InjectBinding *b : rs.bindings) {
        EXPECT_EQ(b->received_tags(), all);
    }
    EXPECT_EQ(rs.a->returned_tags(), all);
    EXPECT_EQ(rs.a->rx_outstanding(), 0u);
}

// PS-24: one NdisReturnNetBufferLists call may mix NBLs of several indications.
TEST(ReceivePath, PS24_ReturnMixingSeveralIndications)
{
    ReceiveStack rs(2);
    CaptureAdapter::Rx rx;
    rx.nbls = 3;
    const auto t1 = rs.a->indicate(rx);
    const auto t2 = rs.a->indicate(rx);
    const auto t3 = rs.a->indicate(rx);
    std::vector<Tag> all = t1;
    all.insert(all.end(), t2.begin(), t2.end());
    all.insert(all.end(), t3.begin(), t3.end());
    for (InjectBinding *b : rs.bindings) {
        auto held = b->take_held();
        ASSERT_EQ(held.size(), 9u);
        std::reverse(held.begin(), held.end());
        b->return_nbls(held);
    }
    EXPECT_EQ(as_set(rs.a->returned_tags()), as_set(all));
    EXPECT_EQ(rs.a->rx_outstanding(), 0u);
}

// ================================ NDIS_RECEIVE_FLAGS_RESOURCES ===================================

// PS-23, MS-19: with NDIS_RECEIVE_FLAGS_RESOURCES every binding sees the miniport's own chain
// for the duration of the call only; the chain is intact when the indicate call returns and
// MiniportReturnNetBufferLists is never called for it.
TEST(ReceivePath, PS23_MS19_ResourcesFlagNoReturnChainIntact)
{
    ReceiveStack rs(2);
    CaptureAdapter::Rx rx;
    rx.nbls = 4;
    rx.shape = {.nbs = 3};
    rx.flags = NDIS_RECEIVE_FLAGS_RESOURCES;
    const auto tags = rs.a->indicate(rx);
    ASSERT_EQ(tags.size(), 4u);
    EXPECT_TRUE(rs.a->last_resources_intact.load());
    const auto r0 = rs.bindings[0]->receives();
    const auto r1 = rs.bindings[1]->receives();
    ASSERT_EQ(r0.size(), 1u);
    ASSERT_EQ(r1.size(), 1u);
    EXPECT_EQ(r0[0].tags, tags);
    EXPECT_EQ(r1[0].tags, tags);
    EXPECT_NE(r0[0].flags & NDIS_RECEIVE_FLAGS_RESOURCES, 0u);
    EXPECT_NE(r1[0].flags & NDIS_RECEIVE_FLAGS_RESOURCES, 0u);
    EXPECT_EQ(r0[0].nbls, r1[0].nbls); // the same chain, in turn
    EXPECT_EQ(rs.bindings[0]->held_count(), 0u);
    EXPECT_TRUE(rs.a->returns().empty());
    EXPECT_EQ(rs.a->rx_outstanding(), 0u);
    EXPECT_EQ(Stack::core(rs.a)->receives_outstanding.load(), 0);
    // The adapter pauses at once: nothing is outstanding.
    EXPECT_EQ(core::adapter_pause(Stack::core(rs.a)), NDIS_STATUS_SUCCESS);
}

// ================================ paused bindings and adapters ===================================

// PS-20: a paused binding gets no indications; the running one gets them, and they come back.
TEST(ReceivePath, PS20_PausedBindingGetsNothing)
{
    ReceiveStack rs(2, ReceiveMode::ReturnNow);
    InjectBinding *running = rs.bindings[0];
    InjectBinding *paused = rs.bindings[1];
    ASSERT_EQ(core::binding_pause(Stack::core(paused)), NDIS_STATUS_SUCCESS);
    CaptureAdapter::Rx rx;
    rx.nbls = 3;
    const auto t1 = rs.a->indicate(rx);
    EXPECT_EQ(running->received_tags(), t1);
    EXPECT_TRUE(paused->receives().empty());
    EXPECT_EQ(rs.a->returned_tags(), t1);

    // Restarted, it receives again.
    ASSERT_EQ(core::binding_restart(Stack::core(paused)), NDIS_STATUS_SUCCESS);
    const auto t2 = rs.a->indicate(rx);
    EXPECT_EQ(paused->received_tags(), t2);
    EXPECT_EQ(as_set(rs.a->returned_tags()),
              as_set([&] { auto v = t1; v.insert(v.end(), t2.begin(), t2.end()); return v; }()));
}

// PS-20: once NetEventPause has completed, no indication reaches the binding — including one the
// miniport started before the pause (the runtime must either finish delivering it before the
// pause completes, or not deliver it to a binding that is no longer running). Otherwise an
// unbind right after the pause frees the binding while an indication is about to call it.
TEST(ReceivePath, PS20_NoIndicationReachesABindingAfterItsPauseCompleted)
{
    ReceiveStack rs(2, ReceiveMode::ReturnNow);
    InjectBinding *b0 = rs.bindings[0];
    InjectBinding *b1 = rs.bindings[1];
    std::atomic<bool> in_hook{false}, release{false}, pause_done{false};
    std::atomic<int> late{0};
    b0->receive_hook = [&](PNET_BUFFER_LIST, ULONG) {
        in_hook = true;
        while (!release.load()) {
            std::this_thread::sleep_for(1ms);
        }
    };
    b1->receive_hook = [&](PNET_BUFFER_LIST, ULONG) {
        if (pause_done.load()) {
            late.fetch_add(1);
        }
    };
    CaptureAdapter::Rx rx;
    rx.nbls = 1;
    std::thread indicator([&] { rs.a->indicate(rx); });
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!in_hook.load() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
    }
    EXPECT_TRUE(in_hook.load());
    std::thread pauser([&] {
        core::binding_pause(Stack::core(b1));
        pause_done = true;
    });
    std::this_thread::sleep_for(200ms);
    release = true;
    indicator.join();
    pauser.join();
    EXPECT_EQ(late.load(), 0) << "ProtocolReceiveNetBufferLists was called on a binding after its "
                                 "NetEventPause had completed";
    EXPECT_EQ(rs.a->returned_tags().size(), 1u);
    b0->receive_hook = nullptr;
    b1->receive_hook = nullptr;
}

// A binding whose protocol holds receives: its pause (PS-19/PS-20 side) does not wait for them,
// but the adapter's pause does (ST-05: every indicated NBL returned).
TEST(ReceivePath, ST05_AdapterPauseWaitsForHeldReceives)
{
    ReceiveStack rs(1);
    CaptureAdapter::Rx rx;
    rx.nbls = 2;
    const auto tags = rs.a->indicate(rx);
    InjectBinding *b = rs.bindings[0];
    ASSERT_EQ(b->held_count(), 2u);
    std::atomic<bool> done{false};
    std::thread pauser([&] {
        core::adapter_pause(Stack::core(rs.a));
        done = true;
    });
    std::this_thread::sleep_for(100ms);
    EXPECT_FALSE(done.load()) << "the adapter paused with receives outstanding";
    b->return_nbls(b->take_held());
    pauser.join();
    EXPECT_TRUE(done.load());
    EXPECT_EQ(as_set(rs.a->returned_tags()), as_set(tags));
    EXPECT_EQ(Stack::core(rs.a)->state.load(), core::adapter_state::paused);
}

// ST-08: a miniport indicating while its adapter is paused is reported; nothing reaches the
// protocols and the NBLs are handed back (MiniportReturnNetBufferLists, or with RESOURCES the
// indicate call simply returns them).
TEST(ReceivePath, ST08_ReceiveWhileAdapterPausedReportedAndReturned)
{
    ReceiveStack rs(2);
    ASSERT_EQ(core::adapter_pause(Stack::core(rs.a)), NDIS_STATUS_SUCCESS);
    CaptureAdapter::Rx rx;
    rx.nbls = 2;
    std::vector<Tag> tags;
    {
        VerifierCapture cap;
        tags = rs.a->indicate(rx);
        EXPECT_VERIFIER_REPORTS(cap, "ST-08");
    }
    EXPECT_EQ(rs.a->returned_tags(), tags);
    EXPECT_EQ(rs.a->rx_outstanding(), 0u);
    rx.flags = NDIS_RECEIVE_FLAGS_RESOURCES;
    {
        VerifierCapture cap;
        rs.a->indicate(rx);
        EXPECT_VERIFIER_REPORTS(cap, "ST-08");
    }
    EXPECT_TRUE(rs.a->last_resources_intact.load());
    EXPECT_EQ(rs.a->returns().size(), 1u); // no MiniportReturn for the RESOURCES ones
    for (InjectBinding *b : rs.bindings) {
        EXPECT_TRUE(b->receives().empty());
    }
}

// ================================ IRQL flags =====================================================

// IRQL-04: indicated at DISPATCH (and the miniport says so), the protocols are called at
// DISPATCH with NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL; a return made inside the handler at DISPATCH
// reaches MiniportReturnNetBufferLists with NDIS_RETURN_FLAGS_DISPATCH_LEVEL; one made later at
// PASSIVE without it.
TEST(ReceivePath, IRQL04_ReceiveAndReturnFlagsTellTheTruth)
{
    ReceiveStack rs(2);
    rs.bindings[0]->receive_mode = ReceiveMode::ReturnNow;
    CaptureAdapter::Rx rx;
    rx.nbls = 3;
    rx.at_dispatch = true;
    const auto tags = rs.a->indicate(rx);
    for (InjectBinding *b : rs.bindings) {
        const auto r = b->receives();
        ASSERT_EQ(r.size(), 1u);
        EXPECT_EQ(r[0].irql, DISPATCH_LEVEL);
        EXPECT_NE(r[0].flags & NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL, 0u);
    }
    EXPECT_TRUE(rs.a->returns().empty()); // binding 1 still holds them
    rs.bindings[1]->return_nbls(rs.bindings[1]->take_held(), 0);
    const auto ret = rs.a->returns();
    ASSERT_FALSE(ret.empty());
    for (const MiniportReturn &r : ret) {
        EXPECT_EQ(r.irql, PASSIVE_LEVEL);
        EXPECT_EQ(r.flags & NDIS_RETURN_FLAGS_DISPATCH_LEVEL, 0u);
    }
    EXPECT_EQ(as_set(rs.a->returned_tags()), as_set(tags));

    // Single binding returning inside the handler at DISPATCH.
    ASSERT_EQ(core::binding_pause(Stack::core(rs.bindings[1])), NDIS_STATUS_SUCCESS);
    const auto t2 = rs.a->indicate(rx);
    const auto ret2 = rs.a->returns();
    ASSERT_GT(ret2.size(), ret.size());
    EXPECT_EQ(ret2.back().irql, DISPATCH_LEVEL);
    EXPECT_NE(ret2.back().flags & NDIS_RETURN_FLAGS_DISPATCH_LEVEL, 0u);
    EXPECT_EQ(ret2.back().tags, t2);
}

// IRQL-02: a miniport that claims DISPATCH_LEVEL at PASSIVE is reported; the protocols are
// called without the flag.
TEST(ReceivePath, IRQL02_ReceiveDispatchFlagAtPassiveReported)
{
    ReceiveStack rs(1, ReceiveMode::ReturnNow);
    CaptureAdapter::Rx rx;
    rx.nbls = 1;
    rx.flags = NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL;
    {
        VerifierCapture cap;
        rs.a->indicate(rx);
        EXPECT_VERIFIER_REPORTS(cap, "IRQL-02");
    }
    const auto r = rs.bindings[0]->receives();
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].flags & NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL, 0u);
    EXPECT_EQ(rs.a->returned_tags().size(), 1u);
}

// ================================ verifier ========================================================

// MS-18: indicated NBLs must carry the adapter's handle as SourceHandle, and
// NumberOfNetBufferLists must count the chain: both reported; the NBLs are still delivered and
// come back.
TEST(ReceivePath, MS18_BadSourceHandleAndCountReported)
{
    ReceiveStack rs(1, ReceiveMode::ReturnNow);
    CaptureAdapter::Rx rx;
    rx.nbls = 2;
    rx.source_override = rs.bindings[0]->handle;
    std::vector<Tag> t1;
    {
        VerifierCapture cap;
        t1 = rs.a->indicate(rx);
        EXPECT_VERIFIER_REPORTS(cap, "MS-18", "MS-18");
    }
    rx.source_override = nullptr;
    rx.count_override = 5;
    std::vector<Tag> t2;
    {
        VerifierCapture cap;
        t2 = rs.a->indicate(rx);
        EXPECT_VERIFIER_REPORTS(cap, "MS-18");
    }
    EXPECT_EQ(rs.bindings[0]->received_tags().size(), 4u);
    EXPECT_EQ(rs.a->returned_tags().size(), 4u);
}

// PS-24: "every NBL must belong to that binding" — a binding returning an NBL that was
// indicated to another binding is reported and the return ignored; the rightful holder's own
// return then hands it back to the miniport once.
TEST(ReceivePath, PS24_ReturnOfAnotherBindingsNblReported)
{
    VerifierCapture cap; // outlives the stack: tear-down reports belong to this scenario
    bool reported = false;
    {
        ReceiveStack rs(2);
        CaptureAdapter::Rx rx;
        rx.nbls = 1;
        const auto tags = rs.a->indicate(rx);
        auto held0 = rs.bindings[0]->take_held();
        auto held1 = rs.bindings[1]->take_held();
        ASSERT_EQ(held0.size(), 1u);
        ASSERT_EQ(held1.size(), 1u);
        ASSERT_NE(held0[0], held1[0]);
        rs.bindings[1]->return_nbls(held0); // binding 1 returns binding 0's NBL
        reported = cap.has("PS-24");
        EXPECT_TRUE(reported) << "binding 1 returned an NBL indicated to binding 0: not reported";
        EXPECT_TRUE(rs.a->returns().empty()) << "the miniport got the NBL back while binding 0 "
                                                "and binding 1 still hold it";
        if (reported) {
            rs.bindings[0]->return_nbls(held0);
            EXPECT_TRUE(rs.a->returns().empty());
            rs.bindings[1]->return_nbls(held1);
            EXPECT_EQ(rs.a->returned_tags(), tags);
        } else {
            // The runtime took it: returning binding 1's own copy now hands the original back
            // to the miniport while binding 0 still holds it; binding 0 must not touch it
            // again (it was freed), so it is dropped here and its binding stays unbalanced.
            rs.bindings[1]->return_nbls(held1);
            EXPECT_TRUE(rs.a->returns().empty())
                << "MiniportReturnNetBufferLists got an NBL binding 0 still holds";
            rs.s.check_invariants = false;
        }
    }
    if (reported) {
        for (const auto &r : cap.records()) {
            EXPECT_EQ(r.spec_id, "PS-24") << r.message;
        }
    }
}
