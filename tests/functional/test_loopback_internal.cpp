// test_loopback_internal.cpp — what NDIS does between protocols and the miniport for receive
// filtering and loopback (SPEC §6; core/loopback.hpp):
//   * software loopback of sends over two bindings of one adapter (LB-01 … LB-07, LB-10), on a
//     miniport with and without NDIS_MAC_OPTION_NO_LOOPBACK, table-driven;
//   * per-binding receive filtering of real indications (LB-05);
//   * packet filters and multicast lists merged for the miniport (OR / union,
//     NDIS_STATUS_MULTICAST_FULL).
// The Stack fixture's tear-down checks every NBL completed exactly once to its originator,
// intact (PS-14), and the harness fails the test on anything leaked.
#include "common/stack_fixture.hpp"
#include "openndis_test.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <vector>

using namespace ft;
namespace core = ndis::core;

namespace {

using Mac = std::array<UCHAR, 6>;

constexpr ULONG D = NDIS_PACKET_TYPE_DIRECTED;
constexpr ULONG M = NDIS_PACKET_TYPE_MULTICAST;
constexpr ULONG AM = NDIS_PACKET_TYPE_ALL_MULTICAST;
constexpr ULONG B = NDIS_PACKET_TYPE_BROADCAST;
constexpr ULONG P = NDIS_PACKET_TYPE_PROMISCUOUS;
constexpr ULONG AL = NDIS_PACKET_TYPE_ALL_LOCAL;
constexpr ULONG NL = NDIS_PACKET_TYPE_NO_LOCAL;
constexpr ULONG CHECK = NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK;

const Mac kOther = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
const Mac kBroadcast = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
const Mac kGroupIn = {0x01, 0x00, 0x5E, 0x00, 0x00, 0x01};
const Mac kGroupOut = {0x01, 0x00, 0x5E, 0x00, 0x00, 0x02};

enum class Dest { Station, Other, Broadcast, GroupIn, GroupOut };

Mac mac_for(Dest d, CaptureAdapter *a)
{
    switch (d) {
    case Dest::Station: {
        Mac m;
        std::memcpy(m.data(), a->current_mac, 6);
        return m;
    }
    case Dest::Other:
        return kOther;
    case Dest::Broadcast:
        return kBroadcast;
    case Dest::GroupIn:
        return kGroupIn;
    case Dest::GroupOut:
        return kGroupOut;
    }
    return kOther;
}

std::vector<UCHAR> bytes_of(PNET_BUFFER nb)
{
    std::vector<UCHAR> out(nb->DataLength);
    const void *p = NdisGetDataBuffer(nb, nb->DataLength, out.data(), 1, 0);
    if (p != nullptr && p != out.data()) {
        std::memcpy(out.data(), p, out.size());
    }
    return out;
}

ULONG set_filter(InjectBinding *b, ULONG filter)
{
    return static_cast<ULONG>(b->set(OID_GEN_CURRENT_PACKET_FILTER, &filter, sizeof filter).status);
}

NDIS_STATUS set_multicast(InjectBinding *b, const std::vector<Mac> &list)
{
    std::vector<UCHAR> buf;
    for (const Mac &m : list) {
        buf.insert(buf.end(), m.begin(), m.end());
    }
    return b->set(OID_802_3_MULTICAST_LIST, buf.empty() ? nullptr : buf.data(),
                  static_cast<ULONG>(buf.size()))
        .status;
}

std::set<Mac> as_macs(const std::vector<UCHAR> &bytes)
{
    std::set<Mac> out;
    for (std::size_t i = 0; i + 6 <= bytes.size(); i += 6) {
        Mac m;
        std::memcpy(m.data(), bytes.data() + i, 6);
        out.insert(m);
    }
    return out;
}

// What a binding saw of loopback indications (recorded in its receive hook).
struct Looped {
    Tag tag = 0;
    ULONG nbl_flags = 0;
    ULONG receive_flags = 0;
    NDIS_HANDLE source = nullptr;
    std::vector<std::vector<UCHAR>> frames;
};

struct Recorder {
    std::mutex lock;
    std::vector<Looped> seen;
    void attach(InjectBinding *b)
    {
        b->receive_hook = [this](PNET_BUFFER_LIST chain, ULONG flags) {
            std::lock_guard<std::mutex> g(lock);
            for (PNET_BUFFER_LIST n = chain; n != nullptr; n = n->Next) {
                Looped l;
                l.tag = read_tag(n);
                l.nbl_flags = n->NblFlags;
                l.receive_flags = flags;
                l.source = n->SourceHandle;
                for (PNET_BUFFER nb = n->FirstNetBuffer; nb != nullptr; nb = nb->Next) {
                    l.frames.push_back(bytes_of(nb));
                }
                seen.push_back(std::move(l));
            }
        };
    }
    std::vector<Looped> of(Tag tag)
    {
        std::lock_guard<std::mutex> g(lock);
        std::vector<Looped> out;
        for (const Looped &l : seen) {
            if (l.tag == tag) {
                out.push_back(l);
            }
        }
        return out;
    }
};

// One capture adapter (MacOptions as given), two inject protocols bound to it, both running,
// each with multicast list {kGroupIn}.
struct TwoBindings {
    explicit TwoBindings(bool no_loopback)
    {
        mp = &s.miniport("capture", [no_loopback](CaptureMiniport &m) {
            ULONG o = NDIS_MAC_OPTION_COPY_LOOKAHEAD_DATA | NDIS_MAC_OPTION_TRANSFERS_NOT_PEND;
            if (no_loopback) {
                o |= NDIS_MAC_OPTION_NO_LOOPBACK;
            }
            m.mac_options = o;
        });
        a = s.adapter(*mp, "eth0");
        b0 = s.bind(s.protocol("sender"), a);
        b1 = s.bind(s.protocol("other"), a);
    }
    Stack s;
    CaptureMiniport *mp = nullptr;
    CaptureAdapter *a = nullptr;
    InjectBinding *b0 = nullptr;
    InjectBinding *b1 = nullptr;
};

struct Row {
    const char *name; // cites the SPEC IDs it checks
    bool no_loopback; // the miniport sets NDIS_MAC_OPTION_NO_LOOPBACK (NDIS loops back)
    ULONG sender_filter;
    ULONG other_filter;
    Dest dest;
    ULONG send_flags;
    bool sender_gets;
    bool other_gets;
};

class Loopback : public ::testing::TestWithParam<Row> {};

// LB-01 … LB-07, LB-10 (see each row's name): exactly the expected bindings get one copy of the
// frame, flagged IS_LOOPBACK_PACKET, with the same bytes, through ProtocolReceiveNetBufferLists;
// the original goes to the miniport untouched and completes to the sender exactly once.
TEST_P(Loopback, ExpectedReceivers)
{
    const Row &row = GetParam();
    TwoBindings t(row.no_loopback);
    ASSERT_NE(t.a, nullptr);
    ASSERT_NE(t.b0, nullptr);
    ASSERT_NE(t.b1, nullptr);
    ASSERT_EQ(set_multicast(t.b0, {kGroupIn}), NDIS_STATUS_SUCCESS);
    ASSERT_EQ(set_multicast(t.b1, {kGroupIn}), NDIS_STATUS_SUCCESS);
    ASSERT_EQ(set_filter(t.b0, row.sender_filter), static_cast<ULONG>(NDIS_STATUS_SUCCESS));
    ASSERT_EQ(set_filter(t.b1, row.other_filter), static_cast<ULONG>(NDIS_STATUS_SUCCESS));
    Recorder r0, r1;
    r0.attach(t.b0);
    r1.attach(t.b1);

    std::vector<Tag> built; // the tag the sender's send record keeps (completions are by it)
    PNET_BUFFER_LIST nbl = t.b0->build({.nbls = 1, .nbs = 1, .mdls = 2, .mdl_bytes = 40}, &built);
    ASSERT_NE(nbl, nullptr);
    const Tag tag = stamp_destination(nbl, mac_for(row.dest, t.a), 0x4C42);
    const std::vector<UCHAR> sent = bytes_of(nbl->FirstNetBuffer);
    t.b0->send_chain(nbl, 0, row.send_flags);
    ASSERT_TRUE(t.b0->wait_completed(1));

    // The original: to the miniport once, back to the sender once, successfully.
    const auto captured = t.a->captured();
    ASSERT_EQ(captured.size(), 1u);
    EXPECT_EQ(captured[0].tag, tag);
    EXPECT_EQ(captured[0].nbl, nbl);
    EXPECT_EQ(captured[0].send_flags & CHECK, row.send_flags & CHECK);
    EXPECT_EQ(t.b0->completion_counts()[built[0]], 1);
    EXPECT_EQ(t.b0->completion_status()[built[0]], NDIS_STATUS_SUCCESS);

    // Who got it.
    struct Who {
        InjectBinding *b;
        Recorder *r;
        bool expected;
        const char *name;
    };
    for (const Who &w : {Who{t.b0, &r0, row.sender_gets, "sender"},
                         Who{t.b1, &r1, row.other_gets, "other binding"}}) {
        const std::vector<Tag> received = w.b->received_tags();
        const auto got = std::count(received.begin(), received.end(), tag);
        EXPECT_EQ(got, w.expected ? 1 : 0) << row.name << ": " << w.name;
        const auto looped = w.r->of(tag);
        ASSERT_EQ(looped.size(), w.expected ? 1u : 0u) << row.name << ": " << w.name;
        if (w.expected) {
            // LB-07: flagged as loopback, indicated through the normal receive handler; the
            // runtime's copy (RESOURCES: the runtime frees it when the call returns), from the
            // adapter, with the sender's bytes.
            EXPECT_NE(looped[0].nbl_flags & NDIS_NBL_FLAGS_IS_LOOPBACK_PACKET, 0u);
            EXPECT_NE(looped[0].receive_flags & NDIS_RECEIVE_FLAGS_RESOURCES, 0u);
            EXPECT_EQ(looped[0].source, t.a->handle);
            ASSERT_EQ(looped[0].frames.size(), 1u);
            EXPECT_EQ(looped[0].frames[0], sent);
        }
    }
    // Nothing the miniport indicated: nothing to return to it.
    EXPECT_TRUE(t.a->returns().empty());
}

// clang-format off
INSTANTIATE_TEST_SUITE_P(LB, Loopback, ::testing::Values(
    // ---- the miniport sets NDIS_MAC_OPTION_NO_LOOPBACK: NDIS loops back -----------------------
    Row{"LB01_LB10_NoFlagNoPromiscuousNobody",        true, D | B, D | B, Dest::Station,   0,     false, false},
    Row{"LB02_LB06_FlagDirectedToStationBoth",        true, D | B, D | B, Dest::Station,   CHECK, true,  true},
    Row{"LB02_LB05_FlagDirectedToOtherMacNobody",     true, D | B, D | B, Dest::Other,     CHECK, false, false},
    Row{"LB02_LB05_FlagBroadcastBoth",                true, D | B, D | B, Dest::Broadcast, CHECK, true,  true},
    Row{"LB02_LB05_FlagMulticastInListBoth",          true, D | M, D | M, Dest::GroupIn,   CHECK, true,  true},
    Row{"LB02_LB05_FlagMulticastNotInListNobody",     true, D | M, D | M, Dest::GroupOut,  CHECK, false, false},
    Row{"LB02_LB05_FlagAllMulticastBoth",             true, AM,    AM,    Dest::GroupOut,  CHECK, true,  true},
    Row{"LB03_SenderFilterRejectsOtherStillGets",     true, D,     D | B, Dest::Broadcast, CHECK, false, true},
    Row{"LB03_OtherFilterRejectsSenderStillGets",     true, D | B, D,     Dest::Broadcast, CHECK, true,  false},
    Row{"LB06_OtherNoLocalGetsNothing",               true, D | B, D | B | NL, Dest::Broadcast, CHECK, true, false},
    Row{"LB06_SenderNoLocalStillGetsItsCheckedSend",  true, D | B | NL, D | B, Dest::Broadcast, CHECK, true, true},
    Row{"LB06_OtherFilterZeroGetsNothing",            true, D | B, 0,     Dest::Broadcast, CHECK, true,  false},
    Row{"LB04_OtherPromiscuousGetsAllSenderNot",      true, D | B, P,     Dest::Other,     0,     false, true},
    Row{"LB04_LB01_PromiscuousOtherStationSenderNot", true, D | B, P,     Dest::Station,   0,     false, true},
    Row{"LB04_PromiscuousMulticastOutOfList",         true, D | M, P,     Dest::GroupOut,  0,     false, true},
    Row{"LB04_PromiscuousWithNoLocalNoLoopback",      true, D | B, P | NL, Dest::Broadcast, 0,    false, false},
    Row{"LB04_SenderPromiscuousOtherGetsBroadcast",   true, P,     D | B, Dest::Broadcast, 0,     false, true},
    Row{"LB04_LB05_SenderPromiscuousOtherRejects",    true, P,     D | B, Dest::Other,     0,     false, false},
    Row{"LB02_SenderPromiscuousWithFlagGetsAll",      true, P,     D | B, Dest::Other,     CHECK, true,  false},
    Row{"LB04_OtherAllLocalGetsAll",                  true, D | B, AL,    Dest::Other,     0,     false, true},
    Row{"LB04_NoFlagMulticastInListNobody",           true, D | M, D | M, Dest::GroupIn,   0,     false, false},
    // ---- no NDIS_MAC_OPTION_NO_LOOPBACK: the miniport loops back itself; NDIS does not ---------
    Row{"LB04_HwLoopbackFlagBroadcastNotByNdis",      false, D | B, D | B, Dest::Broadcast, CHECK, false, false},
    Row{"LB04_HwLoopbackFlagStationNotByNdis",        false, D | B, D | B, Dest::Station,   CHECK, false, false},
    Row{"LB04_HwLoopbackPromiscuousNotByNdis",        false, D | B, P,     Dest::Other,     0,     false, false}
), [](const ::testing::TestParamInfo<Row> &info) { return std::string(info.param.name); });
// clang-format on

// LB-02: "every NB whose data matches" — a multi-NB NBL comes back with only the NBs the
// binding's filter accepts, in order; the sender's NBL goes to the miniport with all of them.
TEST(LoopbackNbs, LB02_OnlyMatchingNbsComeBack)
{
    TwoBindings t(true);
    ASSERT_NE(t.b1, nullptr);
    ASSERT_EQ(set_filter(t.b0, D), static_cast<ULONG>(NDIS_STATUS_SUCCESS));
    ASSERT_EQ(set_filter(t.b1, B), static_cast<ULONG>(NDIS_STATUS_SUCCESS));
    Recorder r0, r1;
    r0.attach(t.b0);
    r1.attach(t.b1);
    std::vector<Tag> built;
    PNET_BUFFER_LIST nbl = t.b0->build({.nbls = 1, .nbs = 3, .mdls = 1, .mdl_bytes = 64}, &built);
    ASSERT_NE(nbl, nullptr);
    const Mac dests[3] = {mac_for(Dest::Station, t.a), kBroadcast, kOther};
    std::vector<std::vector<UCHAR>> frames;
    unsigned i = 0;
    for (PNET_BUFFER nb = nbl->FirstNetBuffer; nb != nullptr; nb = nb->Next, ++i) {
        auto *p = static_cast<UCHAR *>(NdisGetDataBuffer(nb, 6, nullptr, 1, 0));
        ASSERT_NE(p, nullptr);
        std::memcpy(p, dests[i].data(), 6);
        frames.push_back(bytes_of(nb));
    }
    const Tag tag = read_tag(nbl);
    t.b0->send_chain(nbl, 0, CHECK);
    ASSERT_TRUE(t.b0->wait_completed(1));
    ASSERT_EQ(t.a->captured().size(), 1u);
    EXPECT_EQ(t.a->captured()[0].nbs, 3u);
    const auto to_sender = r0.of(tag); // first NB: directed to the station
    ASSERT_EQ(to_sender.size(), 1u);
    ASSERT_EQ(to_sender[0].frames.size(), 1u);
    EXPECT_EQ(to_sender[0].frames[0], frames[0]);
    bool other_got_broadcast = false; // the copy's first NB is the broadcast one (other tag)
    for (const Looped &l : r1.seen) {
        if (l.frames.size() == 1 && l.frames[0] == frames[1]) {
            other_got_broadcast = true;
        }
        EXPECT_NE(l.nbl_flags & NDIS_NBL_FLAGS_IS_LOOPBACK_PACKET, 0u);
    }
    EXPECT_EQ(r1.seen.size(), 1u);
    EXPECT_TRUE(other_got_broadcast);
    EXPECT_EQ(t.b0->completion_counts()[built[0]], 1);
}

// LB-01 / LB-10 with many sends in flight and the miniport completing later: loopback happens
// inside the send call, the originals keep going and complete once each; nothing leaks.
TEST(LoopbackNbs, LB07_ChainsOfSendsCompleteOnceEach)
{
    TwoBindings t(true);
    ASSERT_NE(t.b1, nullptr);
    ASSERT_EQ(set_filter(t.b0, D | B), static_cast<ULONG>(NDIS_STATUS_SUCCESS));
    ASSERT_EQ(set_filter(t.b1, P), static_cast<ULONG>(NDIS_STATUS_SUCCESS));
    SendPolicy pol;
    pol.completer = Completer::Manual;
    t.a->set_policy(pol);
    PNET_BUFFER_LIST chain = nullptr;
    std::vector<Tag> tags, built;
    for (unsigned i = 0; i < 8; ++i) {
        PNET_BUFFER_LIST n = t.b0->build({.nbls = 1, .nbs = 2}, &built);
        ASSERT_NE(n, nullptr);
        tags.push_back(stamp_destination(n, i % 2 == 0 ? kBroadcast : kOther,
                                         static_cast<std::uint16_t>(i)));
        n->Next = chain;
        chain = n;
    }
    std::reverse(tags.begin(), tags.end());
    t.b0->send_chain(chain, 0, 0);
    // Promiscuous other binding: every NBL, both NBs each; the sender (no flag): nothing.
    EXPECT_EQ(t.b1->received_tags(), tags);
    EXPECT_TRUE(t.b0->received_tags().empty());
    ASSERT_TRUE(t.a->wait_pending(8));
    EXPECT_EQ(t.b0->completed_count(), 0u);
    t.a->complete_pending(CaptureAdapter::From::Thread);
    ASSERT_TRUE(t.b0->wait_completed(8));
    ASSERT_EQ(built.size(), 8u);
    for (Tag tag : built) {
        EXPECT_EQ(t.b0->completion_counts()[tag], 1);
    }
}

// ================================ receive filtering (LB-05) =======================================

class ReceiveFilter : public ::testing::TestWithParam<ULONG> {};

// LB-05 on real indications: five bindings with different filters get exactly the NBLs of one
// mixed indication their filter accepts, in the miniport's order; every NBL goes back to the
// miniport exactly once (MS-19, MS-20), including those nobody accepted.
TEST_P(ReceiveFilter, LB05_EachBindingGetsExactlyItsFrames)
{
    const ULONG rx_flags = GetParam();
    Stack s;
    CaptureMiniport &mp = s.miniport("capture");
    CaptureAdapter *a = s.adapter(mp, "eth0");
    ASSERT_NE(a, nullptr);
    const std::vector<ULONG> filters = {D, B | M, P, 0, AM, D | NL};
    std::vector<InjectBinding *> bs;
    for (std::size_t i = 0; i < filters.size(); ++i) {
        InjectBinding *b = s.bind(s.protocol("p" + std::to_string(i)), a);
        ASSERT_NE(b, nullptr);
        ASSERT_EQ(set_filter(b, filters[i]), static_cast<ULONG>(NDIS_STATUS_SUCCESS));
        bs.push_back(b);
    }
    ASSERT_EQ(set_multicast(bs[1], {kGroupIn}), NDIS_STATUS_SUCCESS);
    CaptureAdapter::Rx rx;
    rx.nbls = 6;
    rx.flags = rx_flags;
    rx.shape = {.nbs = 1, .mdls = 1, .mdl_bytes = 60};
    rx.dests = {mac_for(Dest::Station, a), kOther, kBroadcast, kGroupIn, kGroupOut,
                mac_for(Dest::Station, a)};
    const std::vector<Tag> t = a->indicate(rx);
    ASSERT_EQ(t.size(), 6u);
    const std::vector<std::vector<Tag>> want = {
        {t[0], t[5]},                     // DIRECTED
        {t[2], t[3]},                     // BROADCAST | MULTICAST {kGroupIn}
        {t[0], t[1], t[2], t[3], t[4], t[5]}, // PROMISCUOUS
        {},                               // 0
        {t[3], t[4]},                     // ALL_MULTICAST
        {t[0], t[5]},                     // DIRECTED | NO_LOCAL (NO_LOCAL only concerns loopback)
    };
    for (std::size_t i = 0; i < bs.size(); ++i) {
        EXPECT_EQ(bs[i]->received_tags(), want[i]) << "binding " << i << " filter 0x" << std::hex
                                                    << filters[i];
        for (const ProtocolReceive &r : bs[i]->receives()) {
            EXPECT_EQ(r.count, r.tags.size());
            EXPECT_EQ(r.flags & NDIS_RECEIVE_FLAGS_RESOURCES, rx_flags & NDIS_RECEIVE_FLAGS_RESOURCES);
        }
        EXPECT_EQ(Stack::core(bs[i])->receives_outstanding.load(), 0);
    }
    if ((rx_flags & NDIS_RECEIVE_FLAGS_RESOURCES) != 0) {
        EXPECT_TRUE(a->last_resources_intact.load()); // relinked per binding, then restored
        EXPECT_TRUE(a->returns().empty());
    } else {
        ASSERT_TRUE(a->wait_returned(6));
        std::multiset<Tag> back;
        for (Tag x : a->returned_tags()) {
            back.insert(x);
        }
        EXPECT_EQ(back, std::multiset<Tag>(t.begin(), t.end()));
        EXPECT_EQ(a->rx_outstanding(), 0u);
    }
}

INSTANTIATE_TEST_SUITE_P(LB05, ReceiveFilter,
                         ::testing::Values(0u, static_cast<ULONG>(NDIS_RECEIVE_FLAGS_RESOURCES)),
                         [](const ::testing::TestParamInfo<ULONG> &info) {
                             return info.param != 0 ? std::string("Resources")
                                                    : std::string("Owned");
                         });

// A binding whose filter was never set (0) gets nothing; an indication nobody accepts goes
// straight back to the miniport inside the call.
TEST(ReceiveFilterZero, LB05_NoFilterNoFramesReturnedAtOnce)
{
    Stack s;
    CaptureMiniport &mp = s.miniport("capture");
    CaptureAdapter *a = s.adapter(mp, "eth0");
    InjectBinding *b = s.bind(s.protocol("p"), a);
    ASSERT_NE(b, nullptr);
    CaptureAdapter::Rx rx;
    rx.nbls = 3;
    rx.dests = {kBroadcast};
    const auto t = a->indicate(rx);
    ASSERT_EQ(t.size(), 3u);
    EXPECT_TRUE(b->receives().empty());
    EXPECT_EQ(a->returned_tags(), t); // returned before NdisMIndicateReceiveNetBufferLists returned
}

// ================================ merging for the miniport =========================================

const Mac G1 = {0x01, 0x00, 0x5E, 0x00, 0x01, 0x01};
const Mac G2 = {0x01, 0x00, 0x5E, 0x00, 0x01, 0x02};
const Mac G3 = {0x01, 0x00, 0x5E, 0x00, 0x01, 0x03};
const Mac G4 = {0x01, 0x00, 0x5E, 0x00, 0x01, 0x04};
const Mac G5 = {0x01, 0x00, 0x5E, 0x00, 0x01, 0x05};

std::set<Mac> query_multicast(InjectBinding *b)
{
    std::vector<UCHAR> buf(6 * 64);
    const OidResult r = b->query(OID_802_3_MULTICAST_LIST, buf.data(), static_cast<ULONG>(buf.size()));
    EXPECT_EQ(r.status, NDIS_STATUS_SUCCESS);
    buf.resize(r.bytes);
    return as_macs(buf);
}

class Merge : public ::testing::TestWithParam<bool> {}; // OIDs pended by the miniport or not

// The miniport gets the OR of the bindings' packet filters (without NO_LOCAL, which is NDIS's)
// and the union of their multicast lists; each binding keeps (and queries) its own.
TEST_P(Merge, FiltersOrAndMulticastUnion)
{
    Stack s;
    CaptureMiniport &mp = s.miniport("capture", [](CaptureMiniport &m) { m.max_multicast = 4; });
    CaptureAdapter *a = s.adapter(mp, "eth0");
    InjectBinding *b0 = s.bind(s.protocol("p0"), a);
    InjectBinding *b1 = s.bind(s.protocol("p1"), a);
    ASSERT_NE(b1, nullptr);
    mp.oid_pended = GetParam();

    ULONG f = D;
    OidResult r = b0->set(OID_GEN_CURRENT_PACKET_FILTER, &f, sizeof f);
    EXPECT_EQ(r.status, NDIS_STATUS_SUCCESS);
    EXPECT_EQ(r.pended, GetParam());
    EXPECT_EQ(r.bytes, sizeof f);
    EXPECT_EQ(a->packet_filter(), D);
    f = B | NL;
    EXPECT_EQ(b1->set(OID_GEN_CURRENT_PACKET_FILTER, &f, sizeof f).status, NDIS_STATUS_SUCCESS);
    EXPECT_EQ(a->packet_filter(), D | B) << "OR of both, NO_LOCAL stays with NDIS";
    EXPECT_EQ(Stack::core(b0)->packet_filter.load(), D);
    EXPECT_EQ(Stack::core(b1)->packet_filter.load(), B | NL);
    f = M;
    EXPECT_EQ(b0->set(OID_GEN_CURRENT_PACKET_FILTER, &f, sizeof f).status, NDIS_STATUS_SUCCESS);
    EXPECT_EQ(a->packet_filter(), M | B) << "b0's D is gone, b1's B stays";
    // A filter the miniport refuses changes nothing for the binding.
    f = NDIS_PACKET_TYPE_SMT;
    EXPECT_EQ(b0->set(OID_GEN_CURRENT_PACKET_FILTER, &f, sizeof f).status,
              NDIS_STATUS_NOT_SUPPORTED);
    EXPECT_EQ(Stack::core(b0)->packet_filter.load(), M);

    ASSERT_EQ(set_multicast(b0, {G1, G2}), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(as_macs(a->multicast_list()), (std::set<Mac>{G1, G2}));
    ASSERT_EQ(set_multicast(b1, {G2, G3}), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(a->multicast_list().size(), 3u * 6) << "the union, without duplicates";
    EXPECT_EQ(as_macs(a->multicast_list()), (std::set<Mac>{G1, G2, G3}));
    EXPECT_EQ(query_multicast(b0), (std::set<Mac>{G1, G2})) << "each binding its own list";
    EXPECT_EQ(query_multicast(b1), (std::set<Mac>{G2, G3}));

    // MULTICAST_FULL: the union would exceed MaxMulticastListSize (4); nothing changes.
    r = [&] {
        std::vector<UCHAR> buf;
        for (const Mac &m : {G3, G4, G5}) {
            buf.insert(buf.end(), m.begin(), m.end());
        }
        return b1->set(OID_802_3_MULTICAST_LIST, buf.data(), static_cast<ULONG>(buf.size()));
    }();
    EXPECT_EQ(r.status, NDIS_STATUS_MULTICAST_FULL);
    EXPECT_EQ(r.bytes, 0u);
    EXPECT_EQ(as_macs(a->multicast_list()), (std::set<Mac>{G1, G2, G3}));
    EXPECT_EQ(query_multicast(b1), (std::set<Mac>{G2, G3}));
    ASSERT_EQ(set_multicast(b1, {G3, G4}), NDIS_STATUS_SUCCESS); // union of 4 fits
    EXPECT_EQ(as_macs(a->multicast_list()), (std::set<Mac>{G1, G2, G3, G4}));
    ASSERT_EQ(set_multicast(b0, {}), NDIS_STATUS_SUCCESS); // b0 leaves its groups
    EXPECT_EQ(as_macs(a->multicast_list()), (std::set<Mac>{G3, G4}));
    EXPECT_TRUE(query_multicast(b0).empty());

    // A list that is no whole number of addresses: INVALID_LENGTH, BytesNeeded rounded up.
    UCHAR seven[7] = {};
    r = b0->set(OID_802_3_MULTICAST_LIST, seven, sizeof seven);
    EXPECT_EQ(r.status, NDIS_STATUS_INVALID_LENGTH);
    EXPECT_EQ(r.needed, 12u);
    // A query buffer too small for the binding's list.
    UCHAR small[6];
    r = b1->query(OID_802_3_MULTICAST_LIST, small, sizeof small);
    EXPECT_EQ(r.status, NDIS_STATUS_BUFFER_TOO_SHORT);
    EXPECT_EQ(r.needed, 12u);
    mp.oid_pended = false;
}

INSTANTIATE_TEST_SUITE_P(Oids, Merge, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool> &info) {
                             return info.param ? std::string("Pended") : std::string("Sync");
                         });

// A binding that closes no longer counts: its PROMISCUOUS filter stops forcing loopback for the
// others (LB-04), and its list and filter are forgotten by the runtime.
TEST(MergeClose, LB04_ClosedBindingNoLongerForcesLoopback)
{
    Stack s;
    CaptureMiniport &mp = s.miniport("capture");
    CaptureAdapter *a = s.adapter(mp, "eth0");
    InjectBinding *b0 = s.bind(s.protocol("p0"), a);
    InjectBinding *b1 = s.bind(s.protocol("p1"), a);
    InjectBinding *b2 = s.bind(s.protocol("p2"), a);
    ASSERT_NE(b2, nullptr);
    ASSERT_EQ(set_filter(b0, D | B), static_cast<ULONG>(NDIS_STATUS_SUCCESS));
    ASSERT_EQ(set_filter(b1, D | B), static_cast<ULONG>(NDIS_STATUS_SUCCESS));
    ASSERT_EQ(set_filter(b2, P), static_cast<ULONG>(NDIS_STATUS_SUCCESS));
    core::adapter *ca = Stack::core(a);
    EXPECT_EQ(ca->filter.local_all.load(), 1u);
    PNET_BUFFER_LIST n = b0->build({.nbls = 1});
    const Tag bcast = stamp_destination(n, kBroadcast, 1);
    b0->send_chain(n);
    ASSERT_TRUE(b0->wait_completed(1));
    EXPECT_EQ(b1->received_tags(), std::vector<Tag>{bcast}) << "looped back because of b2";
    ASSERT_EQ(core::unbind(Stack::core(b2)), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(ca->filter.local_all.load(), 0u);
    PNET_BUFFER_LIST m = b0->build({.nbls = 1});
    stamp_destination(m, kBroadcast, 2);
    b0->send_chain(m);
    ASSERT_TRUE(b0->wait_completed(2));
    EXPECT_EQ(b1->received_tags().size(), 1u) << "no loopback once b2 is gone";
}

} // namespace
