// test_send_path_internal.cpp — the send path end to end through the core stack: an inject
// protocol sends, a capture miniport completes (SPEC §3 PS-07 … PS-19, §4 MS-03 … MS-11,
// §13 IRQL-02 … IRQL-04, §7 PORT-07).
//
// Every test runs on a Stack (stack_fixture.hpp), whose tear-down also checks the invariants
// the drivers count on every call: each NBL completed exactly once to its originator with its
// NB list, MDLs and data intact (PS-14, MS-07), and every *_DISPATCH_LEVEL flag the runtime
// passed matching the IRQL (IRQL-02, IRQL-04).
#include "common/stack_fixture.hpp"
#include "openndis_test.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <thread>

using namespace ft;
namespace core = ndis::core;
using openndis::test::VerifierCapture;

namespace {

std::vector<Tag> captured_tags(CaptureAdapter *a)
{
    std::vector<Tag> out;
    for (const CapturedNbl &c : a->captured()) {
        out.push_back(c.tag);
    }
    return out;
}

std::vector<Tag> concat(const std::vector<std::vector<Tag>> &parts)
{
    std::vector<Tag> out;
    for (const auto &p : parts) {
        out.insert(out.end(), p.begin(), p.end());
    }
    return out;
}

// One capture miniport, one adapter, one inject protocol bound to it, all running.
class SendPath : public ::testing::Test {
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
    void manual()
    {
        SendPolicy pol;
        pol.completer = Completer::Manual;
        a->set_policy(pol);
    }

    Stack s;
    CaptureMiniport *mp = nullptr;
    InjectProtocol *p = nullptr;
    CaptureAdapter *a = nullptr;
    InjectBinding *b = nullptr;
};

} // namespace

// ================================ order and exactly-once =========================================

// PS-10: the chain reaches the miniport in the order given, send after send (FIFO per binding).
TEST_F(SendPath, PS10_WireOrderPreservedAcrossSends)
{
    std::vector<Tag> sent;
    for (unsigned i = 0; i < 40; ++i) {
        auto t = b->send({.nbls = 1 + i % 7, .nbs = 1 + i % 3});
        sent.insert(sent.end(), t.begin(), t.end());
    }
    EXPECT_EQ(captured_tags(a), sent);
    EXPECT_EQ(a->send_calls(), 40u); // one MiniportSendNetBufferLists per NdisSendNetBufferLists
    EXPECT_EQ(b->completed_tags(), sent);
}

// PS-10 with two bindings sending concurrently from two threads: each binding's NBLs reach the
// miniport in its own order, whatever the interleaving.
TEST_F(SendPath, PS10_WireOrderPreservedPerBindingUnderConcurrency)
{
    InjectProtocol &p2 = s.protocol("inject2");
    InjectBinding *b2 = s.bind(p2, a);
    ASSERT_NE(b2, nullptr);
    std::vector<Tag> sent1, sent2;
    std::thread t1([&] {
        for (unsigned i = 0; i < 200; ++i) {
            auto t = b->send({.nbls = 1 + i % 5});
            sent1.insert(sent1.end(), t.begin(), t.end());
        }
    });
    std::thread t2([&] {
        for (unsigned i = 0; i < 200; ++i) {
            auto t = b2->send({.nbls = 1 + i % 4});
            sent2.insert(sent2.end(), t.begin(), t.end());
        }
    });
    t1.join();
    t2.join();
    const auto wire = captured_tags(a);
    EXPECT_EQ(wire.size(), sent1.size() + sent2.size());
    EXPECT_EQ(tags_of(wire, b->id), sent1);
    EXPECT_EQ(tags_of(wire, b2->id), sent2);
    EXPECT_EQ(b->completed_tags(), sent1);
    EXPECT_EQ(b2->completed_tags(), sent2);
}

// PS-14: every NBL comes back exactly once, to its binding, with its NB list and MDLs in their
// original form (checked by the inject protocol on every completion) and Status set; for every
// combination of 1 … 256 NBLs per call, 1 … 8 NBs per NBL and 1 … 8 MDLs per NB, completed
// inline, from a thread and from a DPC.
struct ShapeCase {
    unsigned nbls, nbs, mdls;
    Completer completer;
};

class SendShapes : public ::testing::TestWithParam<ShapeCase> {};

TEST_P(SendShapes, PS14_ExactlyOnceWithNbListAndMdlsIntact)
{
    const ShapeCase c = GetParam();
    Stack s;
    CaptureMiniport &mp = s.miniport("capture");
    InjectProtocol &p = s.protocol("inject");
    CaptureAdapter *a = s.adapter(mp, "eth0");
    ASSERT_NE(a, nullptr);
    InjectBinding *b = s.bind(p, a);
    ASSERT_NE(b, nullptr);
    SendPolicy pol;
    pol.completer = c.completer;
    pol.grouping = c.completer == Completer::Dpc ? Grouping::Merged : Grouping::PerSend;
    a->set_policy(pol);

    const Shape shape{.nbls = c.nbls, .nbs = c.nbs, .mdls = c.mdls, .mdl_bytes = 16 + 8 * (c.mdls % 3)};
    std::vector<Tag> sent;
    for (int i = 0; i < 3; ++i) {
        auto t = b->send(shape);
        ASSERT_EQ(t.size(), c.nbls);
        sent.insert(sent.end(), t.begin(), t.end());
    }
    ASSERT_TRUE(b->wait_completed(sent.size()));
    EXPECT_EQ(b->completed_count(), sent.size());
    const auto counts = b->completion_counts();
    const auto status = b->completion_status();
    for (Tag t : sent) {
        ASSERT_EQ(counts.count(t), 1u) << "tag " << t << " never completed";
        EXPECT_EQ(counts.at(t), 1) << "tag " << t;
        EXPECT_EQ(status.at(t), NDIS_STATUS_SUCCESS);
    }
    // The miniport saw each NBL once, with all its NBs, in the order sent (PS-10).
    const auto cap = a->captured();
    ASSERT_EQ(cap.size(), sent.size());
    for (std::size_t i = 0; i < cap.size(); ++i) {
        EXPECT_EQ(cap[i].tag, sent[i]);
        EXPECT_EQ(cap[i].nbs, c.nbs);
        EXPECT_EQ(cap[i].source, b->handle);
    }
    // Completions arrive in the order the miniport made them: inline and per-send they are
    // the sends' own order.
    if (c.completer != Completer::Dpc) {
        EXPECT_EQ(b->completed_tags(), sent);
    }
    EXPECT_EQ(p.damaged.load(), 0) << p.first_damage();
}

static std::vector<ShapeCase> shape_cases()
{
    std::vector<ShapeCase> out;
    const Completer completers[] = {Completer::Inline, Completer::Thread, Completer::Dpc};
    unsigned k = 0;
    for (unsigned nbls : {1u, 2u, 17u, 256u}) {
        for (unsigned nbs : {1u, 3u, 8u}) {
            for (unsigned mdls : {1u, 2u, 8u}) {
                out.push_back({nbls, nbs, mdls, completers[k++ % 3]});
            }
        }
    }
    return out;
}

static std::string shape_name(const ::testing::TestParamInfo<ShapeCase> &info)
{
    const char *how[] = {"Inline", "Manual", "Thread", "Dpc"};
    return std::to_string(info.param.nbls) + "nbl_" + std::to_string(info.param.nbs) + "nb_" +
           std::to_string(info.param.mdls) + "mdl_" + how[static_cast<int>(info.param.completer)];
}

INSTANTIATE_TEST_SUITE_P(Shapes, SendShapes, ::testing::ValuesIn(shape_cases()), shape_name);

// ================================ merged, split, reordered completions ===========================

// PS-13, MS-07: the miniport merges the NBLs of three sends into one completion call; the
// protocol gets one call with all of them, in the miniport's order.
TEST_F(SendPath, PS13_MS07_CompletionsOfSeveralSendsMerged)
{
    manual();
    const auto t1 = b->send({.nbls = 4});
    const auto t2 = b->send({.nbls = 4, .nbs = 2});
    const auto t3 = b->send({.nbls = 4, .mdls = 3});
    ASSERT_EQ(a->pending_count(), 12u);
    EXPECT_EQ(b->completed_count(), 0u); // MS-03: nothing comes back by itself
    a->complete_pending(CaptureAdapter::From::Caller, Grouping::Merged);
    const auto calls = b->completions();
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].tags, concat({t1, t2, t3}));
    EXPECT_FALSE(calls[0].inside_send);
}

// MS-07: one send's chain completed one NBL per call.
TEST_F(SendPath, MS07_CompletionSplitIntoSingleNbls)
{
    manual();
    const auto tags = b->send({.nbls = 8, .nbs = 2, .mdls = 2});
    a->complete_pending(CaptureAdapter::From::Caller, Grouping::Single);
    const auto calls = b->completions();
    ASSERT_EQ(calls.size(), 8u);
    for (std::size_t i = 0; i < calls.size(); ++i) {
        ASSERT_EQ(calls[i].tags.size(), 1u);
        EXPECT_EQ(calls[i].tags[0], tags[i]);
    }
}

// PS-13: completion "in any order" — reversed, merged and per send.
TEST_F(SendPath, PS13_CompletionInReverseOrder)
{
    manual();
    const auto t1 = b->send({.nbls = 3});
    const auto t2 = b->send({.nbls = 5});
    a->complete_pending(CaptureAdapter::From::Caller, Grouping::Merged, /*reverse=*/true);
    auto all = concat({t1, t2});
    std::reverse(all.begin(), all.end());
    ASSERT_EQ(b->completions().size(), 1u);
    EXPECT_EQ(b->completed_tags(), all);

    const auto t3 = b->send({.nbls = 2});
    const auto t4 = b->send({.nbls = 3});
    a->complete_pending(CaptureAdapter::From::Caller, Grouping::PerSend, /*reverse=*/true);
    auto calls = b->completions();
    ASSERT_EQ(calls.size(), 3u);
    EXPECT_EQ(calls[1].tags, std::vector<Tag>(t4.rbegin(), t4.rend()));
    EXPECT_EQ(calls[2].tags, std::vector<Tag>(t3.rbegin(), t3.rend()));
}

// MS-07: part of one send's chain now, the rest (together with another send) later.
TEST_F(SendPath, MS07_PartOfAChainNowTheRestLater)
{
    manual();
    const auto t1 = b->send({.nbls = 6});
    const auto t2 = b->send({.nbls = 2});
    auto held = a->take_pending();
    ASSERT_EQ(held.size(), 8u);
    a->complete_chain({held[1], held[4]}, 0);
    EXPECT_EQ(b->completed_tags(), (std::vector<Tag>{t1[1], t1[4]}));
    a->complete_chain({held[0], held[2], held[3], held[5], held[6], held[7]}, 0);
    EXPECT_EQ(b->completed_tags(),
              (std::vector<Tag>{t1[1], t1[4], t1[0], t1[2], t1[3], t1[5], t2[0], t2[1]}));
    EXPECT_EQ(b->completions().size(), 2u);
}

// MS-11: one completion chain mixing the NBLs of three bindings (three protocols on one
// adapter), interleaved in runs, lands on each binding in the miniport's order, exactly once.
TEST_F(SendPath, MS11_MixedCompletionChainDemultiplexedInOrder)
{
    InjectProtocol &p2 = s.protocol("inject2");
    InjectProtocol &p3 = s.protocol("inject3");
    InjectBinding *b2 = s.bind(p2, a);
    InjectBinding *b3 = s.bind(p3, a);
    ASSERT_NE(b2, nullptr);
    ASSERT_NE(b3, nullptr);
    manual();
    const auto s1 = concat({b->send({.nbls = 3}), b->send({.nbls = 2})});
    const auto s2 = concat({b2->send({.nbls = 4, .nbs = 2})});
    const auto s3 = concat({b3->send({.nbls = 1}), b3->send({.nbls = 3, .mdls = 4})});
    auto held = a->take_pending(); // b: 0..4, b2: 5..8, b3: 9..12
    ASSERT_EQ(held.size(), 13u);
    // Runs: b b | b2 | b3 b3 | b | b2 b2 | b3 | b b | b2 | b3
    const std::vector<PNET_BUFFER_LIST> chain = {held[0], held[1], held[5], held[9],  held[10],
                                                 held[2], held[6], held[7], held[11], held[3],
                                                 held[4], held[8], held[12]};
    a->complete_chain(chain, 0);
    EXPECT_EQ(a->completions().size(), 1u);
    EXPECT_EQ(b->completed_tags(), s1);
    EXPECT_EQ(b2->completed_tags(), s2);
    EXPECT_EQ(b3->completed_tags(), s3);
    // Each run is delivered as it comes, never reordered or merged with a later run.
    EXPECT_EQ(b->completions().size(), 3u);
    EXPECT_EQ(b2->completions().size(), 3u);
    EXPECT_EQ(b3->completions().size(), 3u);
}

// MS-11: the same with two protocols on the adapter, one of them bound twice: demultiplexing
// goes by SourceHandle (the binding), not by protocol — the two bindings of one protocol each
// get only their own NBLs, on their own ProtocolBindingContext.
TEST_F(SendPath, MS11_TwoBindingsOfOneProtocolDemultiplexedBySourceHandle)
{
    InjectBinding *bb = s.bind(*p, a); // the same protocol, a second binding to eth0
    InjectProtocol &p2 = s.protocol("inject2");
    InjectBinding *b2 = s.bind(p2, a);
    ASSERT_NE(bb, nullptr);
    ASSERT_NE(b2, nullptr);
    ASSERT_NE(bb->handle, b->handle);
    manual();
    const auto s1 = b->send({.nbls = 3});
    const auto s2 = bb->send({.nbls = 3});
    const auto s3 = b2->send({.nbls = 2});
    auto held = a->take_pending(); // b: 0..2, bb: 3..5, b2: 6..7
    ASSERT_EQ(held.size(), 8u);
    a->complete_chain({held[3], held[0], held[6], held[4], held[1], held[7], held[5], held[2]}, 0);
    EXPECT_EQ(b->completed_tags(), s1);
    EXPECT_EQ(bb->completed_tags(), s2);
    EXPECT_EQ(b2->completed_tags(), s3);
    EXPECT_EQ(b->completions().size(), 3u);
    EXPECT_EQ(bb->completions().size(), 3u);
    EXPECT_EQ(b2->completions().size(), 2u);
}

// ================================ where completions come from ====================================

// PS-15: a miniport may complete inside MiniportSendNetBufferLists, so the protocol's completion
// handler runs before NdisSendNetBufferLists returns, on the sending thread.
TEST_F(SendPath, PS15_CompletionInsideTheSendCall)
{
    const auto tags = b->send({.nbls = 5, .nbs = 2});
    const auto calls = b->completions();
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_TRUE(calls[0].inside_send);
    EXPECT_EQ(calls[0].thread, std::this_thread::get_id());
    EXPECT_EQ(calls[0].tags, tags);
    EXPECT_EQ(calls[0].flags & NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL, 0u);
    EXPECT_EQ(calls[0].irql, PASSIVE_LEVEL);
}

// The same at DISPATCH_LEVEL: the sender raised (and says so), the miniport completes inline
// with the flag it was given, the protocol is called at DISPATCH with the flag (IRQL-04).
TEST_F(SendPath, PS15_CompletionInsideTheSendCallAtDispatch)
{
    KIRQL old;
    NDIS_RAISE_IRQL_TO_DISPATCH(&old);
    const auto tags = b->send({.nbls = 3}, 0, NDIS_SEND_FLAGS_DISPATCH_LEVEL);
    NDIS_LOWER_IRQL(old, DISPATCH_LEVEL);
    const auto calls = b->completions();
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_TRUE(calls[0].inside_send);
    EXPECT_EQ(calls[0].irql, DISPATCH_LEVEL);
    EXPECT_NE(calls[0].flags & NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL, 0u);
    const auto cap = a->captured();
    ASSERT_EQ(cap.size(), 3u);
    EXPECT_EQ(cap[0].irql, DISPATCH_LEVEL);
    EXPECT_NE(cap[0].send_flags & NDIS_SEND_FLAGS_DISPATCH_LEVEL, 0u);
}

// Completion from another thread (at PASSIVE): no DISPATCH flag, not inside the send call.
TEST_F(SendPath, CompletionFromAnotherThread)
{
    SendPolicy pol;
    pol.completer = Completer::Thread;
    a->set_policy(pol);
    std::vector<Tag> sent;
    for (int i = 0; i < 10; ++i) {
        auto t = b->send({.nbls = 3});
        sent.insert(sent.end(), t.begin(), t.end());
    }
    ASSERT_TRUE(b->wait_completed(sent.size()));
    EXPECT_EQ(b->completed_tags(), sent);
    for (const ProtocolCompletion &c : b->completions()) {
        EXPECT_NE(c.thread, std::this_thread::get_id());
        EXPECT_FALSE(c.inside_send);
        EXPECT_EQ(c.irql, PASSIVE_LEVEL);
        EXPECT_EQ(c.flags & NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL, 0u);
    }
}

// IRQL-04: completed from a DPC (DISPATCH_LEVEL, and the miniport says so): the protocol is
// called at DISPATCH with NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL.
TEST_F(SendPath, IRQL04_CompletionFromDpcCarriesDispatchFlag)
{
    SendPolicy pol;
    pol.completer = Completer::Dpc;
    pol.grouping = Grouping::Merged;
    a->set_policy(pol);
    std::vector<Tag> sent;
    for (int i = 0; i < 20; ++i) {
        auto t = b->send({.nbls = 2});
        sent.insert(sent.end(), t.begin(), t.end());
    }
    ASSERT_TRUE(b->wait_completed(sent.size()));
    auto got = b->completed_tags();
    std::sort(got.begin(), got.end());
    auto want = sent;
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want);
    for (const ProtocolCompletion &c : b->completions()) {
        EXPECT_EQ(c.irql, DISPATCH_LEVEL);
        EXPECT_NE(c.flags & NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL, 0u);
        EXPECT_NE(c.thread, std::this_thread::get_id());
    }
    for (const MiniportCompletion &c : a->completions()) {
        EXPECT_EQ(c.irql, DISPATCH_LEVEL);
    }
}

// IRQL-02/IRQL-04: a miniport at DISPATCH that leaves the flag clear ("unsure") is allowed; the
// runtime still calls up at DISPATCH and says so.
TEST_F(SendPath, IRQL04_DispatchFlagSetWhenMiniportOmitsIt)
{
    manual();
    b->send({.nbls = 4});
    a->complete_pending(CaptureAdapter::From::Dpc, Grouping::Merged, false, NDIS_STATUS_SUCCESS,
                        FlagMode::NeverDispatch);
    ASSERT_TRUE(b->wait_completed(4));
    const auto mc = a->completions();
    ASSERT_EQ(mc.size(), 1u);
    EXPECT_EQ(mc[0].flags, 0u);
    EXPECT_EQ(mc[0].irql, DISPATCH_LEVEL);
    const auto pc = b->completions();
    ASSERT_EQ(pc.size(), 1u);
    EXPECT_EQ(pc[0].irql, DISPATCH_LEVEL);
    EXPECT_NE(pc[0].flags & NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL, 0u);
}

// IRQL-02: a miniport that claims DISPATCH_LEVEL while at PASSIVE is reported; the protocol is
// called without the flag, at PASSIVE; the NBLs still come back.
TEST_F(SendPath, IRQL02_MiniportDispatchFlagAtPassiveReported)
{
    manual();
    const auto tags = b->send({.nbls = 2});
    {
        VerifierCapture cap;
        a->complete_pending(CaptureAdapter::From::Caller, Grouping::Merged, false,
                            NDIS_STATUS_SUCCESS, FlagMode::AlwaysDispatch);
        EXPECT_VERIFIER_REPORTS(cap, "IRQL-02");
    }
    const auto pc = b->completions();
    ASSERT_EQ(pc.size(), 1u);
    EXPECT_EQ(pc[0].tags, tags);
    EXPECT_EQ(pc[0].irql, PASSIVE_LEVEL);
    EXPECT_EQ(pc[0].flags & NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL, 0u);
}

// IRQL-02: the send flags given to the miniport tell the truth: no DISPATCH flag at PASSIVE,
// the flag at DISPATCH whether or not the sender set it.
TEST_F(SendPath, IRQL02_SendFlagsToMiniportTellTheTruth)
{
    b->send({.nbls = 1});
    KIRQL old;
    NDIS_RAISE_IRQL_TO_DISPATCH(&old);
    b->send({.nbls = 1}, 0, NDIS_SEND_FLAGS_DISPATCH_LEVEL);
    b->send({.nbls = 1}, 0, 0); // at DISPATCH, sender unsure
    NDIS_LOWER_IRQL(old, DISPATCH_LEVEL);
    const auto cap = a->captured();
    ASSERT_EQ(cap.size(), 3u);
    EXPECT_EQ(cap[0].irql, PASSIVE_LEVEL);
    EXPECT_EQ(cap[0].send_flags & NDIS_SEND_FLAGS_DISPATCH_LEVEL, 0u);
    for (int i : {1, 2}) {
        EXPECT_EQ(cap[i].irql, DISPATCH_LEVEL);
        EXPECT_NE(cap[i].send_flags & NDIS_SEND_FLAGS_DISPATCH_LEVEL, 0u) << "send " << i;
    }
    EXPECT_EQ(mp->flag_lies.load(), 0);
}

// IRQL-02: a protocol that claims DISPATCH_LEVEL at PASSIVE is reported; the miniport gets the
// send without the flag (at PASSIVE) and the NBL completes normally.
TEST_F(SendPath, IRQL02_CallerDispatchFlagAtPassiveReported)
{
    std::vector<Tag> tags;
    {
        VerifierCapture cap;
        tags = b->send({.nbls = 2}, 0, NDIS_SEND_FLAGS_DISPATCH_LEVEL);
        EXPECT_VERIFIER_REPORTS(cap, "IRQL-02");
    }
    const auto cap = a->captured();
    ASSERT_EQ(cap.size(), 2u);
    EXPECT_EQ(cap[0].send_flags & NDIS_SEND_FLAGS_DISPATCH_LEVEL, 0u);
    EXPECT_EQ(cap[0].irql, PASSIVE_LEVEL);
    EXPECT_EQ(b->completed_tags(), tags);
}

// ================================ what passes through ============================================

// PORT-07, PS-18: the port number reaches MiniportSendNetBufferLists unchanged (0, the default
// port, and a non-default number: the runtime has no port allocation yet, see SPEC §16 point 9);
// PS-17: CHECK_FOR_LOOPBACK and SINGLE_QUEUE pass through too.
TEST_F(SendPath, PORT07_PS18_PortNumberAndSendFlagsPassedThrough)
{
    b->send({.nbls = 2}, NDIS_DEFAULT_PORT_NUMBER, 0);
    b->send({.nbls = 1}, 3, NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK);
    b->send({.nbls = 1}, 0, NDIS_SEND_FLAGS_SINGLE_QUEUE | NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK);
    const auto cap = a->captured();
    ASSERT_EQ(cap.size(), 4u);
    EXPECT_EQ(cap[0].port, 0u);
    EXPECT_EQ(cap[1].port, 0u);
    EXPECT_EQ(cap[0].send_flags, 0u);
    EXPECT_EQ(cap[2].port, 3u);
    EXPECT_EQ(cap[2].send_flags, static_cast<ULONG>(NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK));
    EXPECT_EQ(cap[3].port, 0u);
    EXPECT_EQ(cap[3].send_flags, static_cast<ULONG>(NDIS_SEND_FLAGS_SINGLE_QUEUE |
                                                    NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK));
}

// PS-12: NetBufferListInfo set before the send reaches the miniport unchanged, every slot.
TEST_F(SendPath, PS12_NetBufferListInfoUnchangedAtMiniport)
{
    std::vector<Tag> tags;
    PNET_BUFFER_LIST chain = b->build({.nbls = 3}, &tags);
    std::vector<std::array<PVOID, MaxNetBufferListInfo>> want;
    ULONG_PTR v = 0x1000;
    for (PNET_BUFFER_LIST n = chain; n != nullptr; n = n->Next) {
        std::array<PVOID, MaxNetBufferListInfo> info{};
        for (int i = 0; i < MaxNetBufferListInfo; ++i) {
            info[i] = reinterpret_cast<PVOID>(v++);
            n->NetBufferListInfo[i] = info[i];
        }
        NET_BUFFER_LIST_INFO(n, Ieee8021QNetBufferListInfo) = reinterpret_cast<PVOID>(0x5003);
        info[Ieee8021QNetBufferListInfo] = reinterpret_cast<PVOID>(0x5003);
        want.push_back(info);
    }
    b->send_chain(chain);
    const auto cap = a->captured();
    ASSERT_EQ(cap.size(), 3u);
    for (std::size_t i = 0; i < cap.size(); ++i) {
        EXPECT_EQ(cap[i].info, want[i]) << "NBL " << i;
    }
    EXPECT_EQ(b->completed_tags(), tags);
}

// MS-08: every allowed completion status reaches the protocol as the miniport set it.
TEST_F(SendPath, MS08_AllowedCompletionStatusesReachTheProtocol)
{
    manual();
    const NDIS_STATUS statuses[] = {NDIS_STATUS_SUCCESS,          NDIS_STATUS_INVALID_LENGTH,
                                    NDIS_STATUS_RESOURCES,        NDIS_STATUS_PAUSED,
                                    NDIS_STATUS_SEND_ABORTED,     NDIS_STATUS_RESET_IN_PROGRESS,
                                    NDIS_STATUS_FAILURE,          NDIS_STATUS_LOW_POWER_STATE};
    std::map<Tag, NDIS_STATUS> want;
    for (NDIS_STATUS st : statuses) {
        const auto t = b->send({.nbls = 2});
        a->complete_pending(CaptureAdapter::From::Caller, Grouping::Merged, false, st);
        for (Tag tag : t) {
            want[tag] = st;
        }
    }
    EXPECT_EQ(b->completion_status(), want);
}

// ================================ paused bindings (ST-04, PS-06, PS-19) ==========================

// ST-04, PS-19, PS-06: a binding that is not running (freshly opened, or paused) completes every
// send with NDIS_STATUS_PAUSED inside NdisSendNetBufferLists; the miniport sees nothing.
TEST_F(SendPath, ST04_PS19_SendOnPausedBindingCompletesPausedInsideTheCall)
{
    InjectProtocol &p2 = s.protocol("inject2");
    InjectBinding *b2 = s.bind(p2, a, {}, /*restart=*/false); // PS-06: Paused after the open
    ASSERT_NE(b2, nullptr);
    ASSERT_EQ(Stack::core(b2)->state.load(), core::binding_state::paused);
    const auto t1 = b2->send({.nbls = 3});
    auto calls = b2->completions();
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_TRUE(calls[0].inside_send);
    EXPECT_EQ(calls[0].tags, t1);
    for (NDIS_STATUS st : calls[0].status) {
        EXPECT_EQ(st, NDIS_STATUS_PAUSED);
    }
    EXPECT_EQ(a->captured_count(), 0u);

    // Restarted, it sends.
    ASSERT_EQ(core::binding_restart(Stack::core(b2)), NDIS_STATUS_SUCCESS);
    const auto t2 = b2->send({.nbls = 2});
    EXPECT_EQ(a->captured_count(), 2u);
    EXPECT_EQ(b2->completion_status().at(t2[0]), NDIS_STATUS_SUCCESS);

    // Paused again (PS-19), it does not.
    ASSERT_EQ(core::binding_pause(Stack::core(b2)), NDIS_STATUS_SUCCESS);
    const auto t3 = b2->send({.nbls = 1});
    EXPECT_EQ(a->captured_count(), 2u);
    calls = b2->completions();
    EXPECT_TRUE(calls.back().inside_send);
    EXPECT_EQ(b2->completion_status().at(t3[0]), NDIS_STATUS_PAUSED);
    // The other binding on the adapter is unaffected.
    const auto t4 = b->send({.nbls = 1});
    EXPECT_EQ(b->completion_status().at(t4[0]), NDIS_STATUS_SUCCESS);
}

// PS-19: a pause finishes only after every outstanding send has been completed; sends made
// while it is pausing are completed with NDIS_STATUS_PAUSED at once.
TEST_F(SendPath, PS19_PauseWaitsForOutstandingSends)
{
    manual();
    const auto held = b->send({.nbls = 4});
    ASSERT_EQ(a->pending_count(), 4u);
    std::atomic<bool> paused{false};
    std::thread pauser([&] {
        core::binding_pause(Stack::core(b));
        paused = true;
    });
    std::this_thread::sleep_for(100ms);
    EXPECT_FALSE(paused.load()) << "the pause finished with sends outstanding";
    EXPECT_EQ(Stack::core(b)->state.load(), core::binding_state::pausing);
    const auto late = b->send({.nbls = 2});
    EXPECT_EQ(b->completion_status().at(late[0]), NDIS_STATUS_PAUSED);
    EXPECT_EQ(a->pending_count(), 4u);
    a->complete_pending(CaptureAdapter::From::Thread);
    pauser.join();
    EXPECT_TRUE(paused.load());
    EXPECT_EQ(Stack::core(b)->state.load(), core::binding_state::paused);
    EXPECT_EQ(b->completion_status().at(held[3]), NDIS_STATUS_SUCCESS);
    const auto pnp = b->pnp_events();
    ASSERT_FALSE(pnp.empty());
    EXPECT_EQ(pnp.back(), NetEventPause);
}

// PS-19: "the pause finishes only after every outstanding send has been completed" — also a
// send made while the binding is pausing, which the runtime completes itself with
// NDIS_STATUS_PAUSED: the pause must not finish while that completion is still on its way to
// (or inside) the protocol, or an unbind right after the pause could free the binding under it.
TEST_F(SendPath, PS19_PauseWaitsForAPausedCompletionStillBeingDelivered)
{
    manual();
    b->send({.nbls = 1}); // keeps the pause draining until the test completes it
    std::atomic<bool> in_hook{false}, release{false}, paused{false};
    b->send_complete_hook = [&](PNET_BUFFER_LIST chain, ULONG) {
        if (chain->Status == NDIS_STATUS_PAUSED) {
            in_hook = true;
            while (!release.load()) {
                std::this_thread::sleep_for(1ms);
            }
        }
    };
    std::thread pauser([&] {
        core::binding_pause(Stack::core(b));
        paused = true;
    });
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (Stack::core(b)->state.load() != core::binding_state::pausing &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
    }
    std::thread sender([&] { b->send({.nbls = 1}); }); // completed PAUSED inside the call
    while (!in_hook.load() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
    }
    EXPECT_TRUE(in_hook.load());
    a->complete_pending(CaptureAdapter::From::Caller); // the only send the miniport holds
    std::this_thread::sleep_for(200ms);
    const bool finished_early = paused.load();
    release = true;
    sender.join();
    pauser.join();
    EXPECT_FALSE(finished_early) << "NetEventPause finished while the NDIS_STATUS_PAUSED "
                                    "completion of a send made during the pause was still being "
                                    "delivered to the protocol";
    b->send_complete_hook = nullptr;
}

// ================================ verifier: misuse reported, nothing lost ========================

// PS-14: an NBL sent again while its first send is outstanding is reported; the second send is
// dropped (the first still owns it), the rest of that chain goes through, and the NBL is
// completed once.
TEST_F(SendPath, PS14_DoubleSendReportedAndNothingLost)
{
    manual();
    b->keep_completed = true;
    std::vector<Tag> tx, ty;
    PNET_BUFFER_LIST x = b->build({.nbls = 1}, &tx);
    b->send_chain(x);
    PNET_BUFFER_LIST y = b->build({.nbls = 1}, &ty);
    {
        VerifierCapture cap;
        x->Next = nullptr; // (the test driver keeps held NBLs unlinked)
        y->Next = x;       // chain [y, x]: x is still with the miniport
        b->send_chain(y);
        EXPECT_VERIFIER_REPORTS(cap, "PS-14");
    }
    b->uncount_sent(1);
    EXPECT_EQ(captured_tags(a), (std::vector<Tag>{tx[0], ty[0]}));
    a->complete_pending(CaptureAdapter::From::Caller);
    const auto counts = b->completion_counts();
    EXPECT_EQ(counts.at(tx[0]), 1);
    EXPECT_EQ(counts.at(ty[0]), 1);
    for (PNET_BUFFER_LIST n : b->take_kept()) {
        b->free_nbl(n);
    }
}

// MS-06: a completion of an NBL that is not outstanding — completed twice, or never sent — is
// reported and ignored; the protocol sees each NBL once.
TEST_F(SendPath, MS06_DoubleCompletionReportedAndIgnored)
{
    manual();
    b->keep_completed = true; // the protocol keeps them, so the bad completions touch live NBLs
    const auto tags = b->send({.nbls = 2});
    auto held = a->take_pending();
    ASSERT_EQ(held.size(), 2u);
    a->complete_chain(held, 0);
    ASSERT_EQ(b->completed_count(), 2u);
    {
        VerifierCapture cap;
        a->complete_chain({held[0]}, 0, NDIS_STATUS_SUCCESS, /*keep_status=*/true);
        EXPECT_VERIFIER_REPORTS(cap, "MS-06");
    }
    std::vector<Tag> never;
    PNET_BUFFER_LIST fresh = b->build({.nbls = 1}, &never);
    {
        VerifierCapture cap;
        a->complete_chain({fresh}, 0);
        EXPECT_VERIFIER_REPORTS(cap, "MS-06");
    }
    EXPECT_EQ(b->completed_count(), 2u);
    EXPECT_EQ(b->completion_counts().at(tags[0]), 1);
    EXPECT_EQ(b->completion_counts().count(never[0]), 0u);
    b->free_nbl(fresh);
    for (PNET_BUFFER_LIST n : b->take_kept()) {
        b->free_nbl(n);
    }
}

// PS-08: an NBL whose SourceHandle names another binding is reported; it never reaches the
// miniport and comes back (inside the call) to the binding it was sent on, with
// NDIS_STATUS_FAILURE; the rest of the chain goes through in order.
TEST_F(SendPath, PS08_SourceHandleMismatchReported)
{
    InjectProtocol &p2 = s.protocol("inject2");
    InjectBinding *b2 = s.bind(p2, a);
    ASSERT_NE(b2, nullptr);
    std::vector<Tag> ta, tx;
    PNET_BUFFER_LIST chain = b->build({.nbls = 2}, &ta);
    PNET_BUFFER_LIST x = b2->build({.nbls = 1}, &tx); // SourceHandle = b2
    x->Next = chain->Next;
    chain->Next = x; // [a0, x, a1]
    {
        VerifierCapture cap;
        b->send_chain(chain);
        EXPECT_VERIFIER_REPORTS(cap, "PS-08");
    }
    EXPECT_EQ(captured_tags(a), ta);
    const auto status = b->completion_status();
    EXPECT_EQ(status.at(tx[0]), NDIS_STATUS_FAILURE);
    EXPECT_EQ(status.at(ta[0]), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(status.at(ta[1]), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(b->completion_counts().at(tx[0]), 1);
    EXPECT_EQ(b2->completed_count(), 0u);
    for (const ProtocolCompletion &c : b->completions()) {
        if (std::find(c.tags.begin(), c.tags.end(), tx[0]) != c.tags.end()) {
            EXPECT_TRUE(c.inside_send);
        }
    }
    // It came back to the binding it was sent on, not its builder: expected here.
    EXPECT_EQ(p->wrong_binding.exchange(0), 1);
}

// PS-09: an NBL not allocated from an NDIS pool is reported and dropped (it stays with the
// caller); the pool NBLs around it go through in order.
TEST_F(SendPath, PS09_NonPoolNblReportedOthersGoThrough)
{
    struct alignas(64) Fake {
        unsigned char pad[64];
        NET_BUFFER_LIST nbl;
    };
    auto fake = std::make_unique<Fake>();
    std::memset(fake.get(), 0, sizeof(Fake));
    fake->nbl.SourceHandle = b->handle;
    std::vector<Tag> ta;
    PNET_BUFFER_LIST chain = b->build({.nbls = 2}, &ta);
    fake->nbl.Next = chain->Next;
    chain->Next = &fake->nbl;
    {
        VerifierCapture cap;
        b->send_chain(chain);
        EXPECT_VERIFIER_REPORTS(cap, "PS-09");
    }
    b->uncount_sent(1);
    EXPECT_EQ(captured_tags(a), ta);
    EXPECT_EQ(b->completed_tags(), ta);
}

// MS-08: a completion status a miniport may not use is reported; the NBL still reaches the
// protocol, once, with that status.
TEST_F(SendPath, MS08_BadCompletionStatusReportedNothingLost)
{
    manual();
    const auto tags = b->send({.nbls = 2});
    {
        VerifierCapture cap;
        a->complete_pending(CaptureAdapter::From::Caller, Grouping::Merged, false,
                            NDIS_STATUS_PENDING);
        EXPECT_VERIFIER_REPORTS(cap, "MS-08", "MS-08");
    }
    EXPECT_EQ(b->completed_tags(), tags);
    EXPECT_EQ(b->completion_status().at(tags[0]), NDIS_STATUS_PENDING);
}

// MS-06: "no completion of an NBL never sent to this miniport" — an adapter completing an NBL
// that was sent to another adapter is reported. (Left unreported, the per-adapter outstanding
// counts go wrong: the first adapter's pause waits for a send that will never complete, the
// second one's pause no longer waits for its real sends.)
TEST(SendPathAdapters, MS06_CompletionOnAnotherAdapterReported)
{
    VerifierCapture cap; // outlives the stack: the tear-down may report the damage too
    {
        Stack s;
        CaptureMiniport &mp = s.miniport("capture");
        InjectProtocol &p = s.protocol("inject");
        CaptureAdapter *a1 = s.adapter(mp, "eth0");
        CaptureAdapter *a2 = s.adapter(mp, "eth1");
        ASSERT_NE(a1, nullptr);
        ASSERT_NE(a2, nullptr);
        InjectBinding *b1 = s.bind(p, a1);
        ASSERT_NE(b1, nullptr);
        SendPolicy pol;
        pol.completer = Completer::Manual;
        a1->set_policy(pol);
        b1->keep_completed = true;
        b1->send({.nbls = 1});
        auto held = a1->take_pending();
        ASSERT_EQ(held.size(), 1u);
        a2->complete_chain(held, 0); // the wrong adapter
        EXPECT_TRUE(cap.has("MS-06")) << "completion through adapter eth1 of an NBL sent to eth0 "
                                         "was not reported";
        const auto *c1 = Stack::core(a1);
        const auto *c2 = Stack::core(a2);
        EXPECT_EQ(c1->sends_outstanding.load(), 1) << "eth0 still holds the NBL";
        EXPECT_EQ(c2->sends_outstanding.load(), 0)
            << "eth1 now counts fewer sends than it holds: its pause would not wait for them";
        if (b1->completed_count() == 0) {
            a1->complete_chain(held, 0); // the right one, if the wrong one was refused
        }
        for (PNET_BUFFER_LIST n : b1->take_kept()) {
            b1->free_nbl(n);
        }
        core::set_control_timeout(500ms); // the damaged count makes eth0's pause time out
        s.check_invariants = false;
    }
    for (const auto &r : cap.records()) {
        EXPECT_TRUE(r.spec_id == "MS-06") << "[" << r.spec_id << "] " << r.message;
    }
}

// ================================ multi-threaded =================================================

// PS-14, MS-11, MS-15 under concurrency: two threads send ~10^5 NBLs through three bindings on
// two adapters (two protocols on the first adapter, the first protocol on both; one binding is
// shared by both threads), some at DISPATCH_LEVEL; the miniport completes everything from DPCs,
// merged across sends. Every NBL comes back exactly once, to its originator, intact, SUCCESS.
TEST(SendPathStress, TwoThreadsThreeBindingsTwoAdaptersCompletedFromDpcs)
{
    std::size_t total = 100000;
    if (const char *env = std::getenv("OPENNDIS_FUNCTIONAL_STRESS_NBLS")) {
        total = std::strtoull(env, nullptr, 10);
    }
    Stack s;
    CaptureMiniport &mp = s.miniport("capture");
    InjectProtocol &p1 = s.protocol("inject1");
    InjectProtocol &p2 = s.protocol("inject2");
    CaptureAdapter *a1 = s.adapter(mp, "eth0");
    CaptureAdapter *a2 = s.adapter(mp, "eth1");
    ASSERT_NE(a1, nullptr);
    ASSERT_NE(a2, nullptr);
    SendPolicy pol;
    pol.completer = Completer::Dpc;
    pol.grouping = Grouping::Merged;
    a1->set_policy(pol);
    a2->set_policy(pol);
    InjectBinding *b11 = s.bind(p1, a1);
    InjectBinding *b21 = s.bind(p2, a1);
    InjectBinding *b12 = s.bind(p1, a2);
    ASSERT_NE(b11, nullptr);
    ASSERT_NE(b21, nullptr);
    ASSERT_NE(b12, nullptr);

    std::atomic<std::int64_t> budget{static_cast<std::int64_t>(total)};
    using Sent = std::map<InjectBinding *, std::vector<Tag>>;
    auto worker = [&](std::vector<InjectBinding *> mine, unsigned seed, Sent *out) {
        for (unsigned i = 0;; ++i) {
            const unsigned want = 1 + (seed * 7 + i * 13) % 8;
            const std::int64_t left = budget.fetch_sub(want);
            if (left <= 0) {
                return;
            }
            const unsigned n = static_cast<unsigned>(std::min<std::int64_t>(want, left));
            InjectBinding *b = mine[i % mine.size()];
            // Keep the outstanding work bounded (the DPCs keep up; this only caps memory).
            while (b->sent_count() - b->completed_count() > 4096) {
                std::this_thread::yield();
            }
            const Shape shape{.nbls = n, .nbs = 1 + i % 2, .mdls = 1 + i % 3};
            std::vector<Tag> tags;
            if (i % 4 == 0) {
                KIRQL old;
                NDIS_RAISE_IRQL_TO_DISPATCH(&old);
                tags = b->send(shape, 0, NDIS_SEND_FLAGS_DISPATCH_LEVEL);
                NDIS_LOWER_IRQL(old, DISPATCH_LEVEL);
            } else {
                tags = b->send(shape);
            }
            auto &v = (*out)[b];
            v.insert(v.end(), tags.begin(), tags.end());
        }
    };
    Sent sent1, sent2;
    std::thread t1(worker, std::vector<InjectBinding *>{b11, b12}, 1u, &sent1);
    std::thread t2(worker, std::vector<InjectBinding *>{b21, b12}, 2u, &sent2);
    t1.join();
    t2.join();

    std::size_t all = 0;
    for (InjectBinding *b : {b11, b21, b12}) {
        std::vector<Tag> tags = sent1[b];
        tags.insert(tags.end(), sent2[b].begin(), sent2[b].end());
        all += tags.size();
        ASSERT_TRUE(b->wait_completed(tags.size(), 60s))
            << "binding " << b->id << ": " << b->completed_count() << " of " << tags.size();
        const auto counts = b->completion_counts();
        const auto status = b->completion_status();
        EXPECT_EQ(counts.size(), tags.size());
        std::size_t bad = 0;
        for (Tag t : tags) {
            auto it = counts.find(t);
            if (it == counts.end() || it->second != 1 || status.at(t) != NDIS_STATUS_SUCCESS) {
                ++bad;
            }
        }
        EXPECT_EQ(bad, 0u) << "binding " << b->id;
        for (const ProtocolCompletion &c : b->completions()) {
            EXPECT_EQ(c.irql, DISPATCH_LEVEL);
            if (HasFailure()) {
                break;
            }
        }
    }
    EXPECT_EQ(all, total);
    EXPECT_EQ(a1->captured_count() + a2->captured_count(), total);
    EXPECT_EQ(p1.wrong_binding.load() + p2.wrong_binding.load(), 0);
    EXPECT_EQ(p1.damaged.load() + p2.damaged.load(), 0) << p1.first_damage() << p2.first_damage();
}
