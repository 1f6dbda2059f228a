// test_afpacket.cpp — the `afpacket` miniport on one end of a veth pair whose
// other end is in a network namespace the test creates: frames of every NB/MDL
// shape go out byte-exact and padded (MS-10, MS-12, MS-13), oversized frames
// complete INVALID_LENGTH (MS-08, MS-09), frames from the peer are indicated
// through the packet filter and all come back (MS-18, MS-19, ST-05), link
// changes of the peer are indicated (NDIS_STATUS_LINK_STATE), an unknown
// interface fails MiniportInitializeEx.
//
// The OpenNDIS stack runs in this process in the root namespace on veth end
// `a`; a raw AF_PACKET socket in the peer namespace on end `b` captures and
// injects. Needs root.
#include "openndis_test.hpp"

#include "common/it_support.hpp"

#include <openndis/host.hpp>

#include <memory>
#include <thread>

namespace
{

using namespace std::chrono_literals;
using it::Bytes;
using it::g_itproto;

const Bytes kBroadcast{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};

Bytes src_mac(std::uint32_t index)
{
    return {0x02,
            0x00,
            0x5E,
            static_cast<std::uint8_t>(index >> 16),
            static_cast<std::uint8_t>(index >> 8),
            static_cast<std::uint8_t>(index)};
}

class Afpacket : public ::testing::Test
{
protected:
    void SetUp() override
    {
        if (!it::is_root()) {
            GTEST_SKIP() << "needs root (CAP_NET_ADMIN for namespaces and veth pairs, "
                            "CAP_NET_RAW for AF_PACKET)";
        }
        ns_ = std::make_unique<it::Netns>(it::unique_name("ondns"));
        ASSERT_TRUE(ns_->ok()) << "ip netns add failed";
        veth_ =
            std::make_unique<it::VethPair>(it::unique_name("onda"), it::unique_name("ondb"), *ns_);
        ASSERT_TRUE(veth_->ok()) << "creating the veth pair failed";
        g_itproto.reset();
    }

    void TearDown() override
    {
        if (stack_ && stack_->running()) {
            const ndis::host::teardown_report r = stack_->stop();
            EXPECT_TRUE(r.clean()) << r.text();
            const auto a = stack_->adapter("a0");
            if (a) {
                EXPECT_EQ(a->sends_outstanding, 0);
                EXPECT_EQ(a->receives_outstanding, 0);
                EXPECT_EQ(a->indicated, a->returned) << "receive NBLs not returned";
                EXPECT_EQ(a->sent, a->completed) << "sends not completed";
            }
        }
        stack_.reset();
        veth_.reset();
        ns_.reset();
    }

    bool start(ndis::host::param_list extra = {}, const std::string &ifname = {})
    {
        stack_ = std::make_unique<ndis::host::stack>();
        ndis::host::param_list params{{"ifname", ifname.empty() ? veth_->a : ifname}};
        for (auto &p : extra) {
            params.push_back(p);
        }
        if (!stack_->add_driver("afpacket") ||
            !stack_->add_driver("itproto", &it::ItProtoDriverEntry) ||
            !stack_->add_adapter("a0", "afpacket", params) || !stack_->start()) {
            last_error_ = stack_->last_error();
            return false;
        }
        return g_itproto.bound();
    }

    std::unique_ptr<it::Netns> ns_;
    std::unique_ptr<it::VethPair> veth_;
    std::unique_ptr<ndis::host::stack> stack_;
    std::string last_error_;
};

// MS-10, MS-12, MS-13: every NBL of 1..8 NBs of 1..8 MDLs (CurrentMdlOffset !=
// 0), frames of 14 .. MTU + 14 bytes, completes SUCCESS exactly once, and the
// peer sees every frame in order, byte-exact, the short ones zero-padded to 60
// bytes.
TEST_F(Afpacket, TxShapesArriveInOrderByteExactAndPadded)
{
    it::RawSocket capture(veth_->b, ns_->name);
    ASSERT_TRUE(capture.ok());
    ASSERT_TRUE(start()) << last_error_;
    EXPECT_EQ(g_itproto.bound_mtu, 1500u);
    EXPECT_EQ(Bytes(g_itproto.bound_mac, g_itproto.bound_mac + 6), it::mac_of(veth_->a));

    const std::size_t sizes[] = {14, 15, 42, 59, 60, 61, 64, 100, 512, 1000, 1499, 1513, 1514};
    std::vector<Bytes> expected;
    std::vector<it::NblSpec> all;
    std::uint32_t k = 0;
    for (unsigned nbs = 1; nbs <= 8; ++nbs) {
        for (unsigned mdls = 1; mdls <= 8; ++mdls) {
            it::NblSpec spec;
            for (unsigned i = 0; i < nbs; ++i, ++k) {
                const Bytes frame =
                    it::make_frame(kBroadcast, src_mac(k), sizes[k % std::size(sizes)], k);
                spec.nbs.push_back(it::split(frame, mdls));
                expected.push_back(it::padded(frame));
            }
            all.push_back(std::move(spec));
        }
    }
    std::size_t sent = 0;
    for (std::size_t at = 0; at < all.size(); at += 8) {
        std::vector<it::NblSpec> call(all.begin() + static_cast<std::ptrdiff_t>(at),
                                      all.begin() + static_cast<std::ptrdiff_t>(at + 8));
        sent += g_itproto.send(call, static_cast<ULONG>(at % 5)).size();
    }
    ASSERT_EQ(sent, all.size());
    ASSERT_TRUE(g_itproto.wait_completed(sent)) << g_itproto.completion_count() << " of " << sent;
    for (const auto &[id, status] : g_itproto.completions()) {
        EXPECT_EQ(status, NDIS_STATUS_SUCCESS) << "NBL " << id;
    }
    EXPECT_EQ(g_itproto.double_completions(), 0u); // MS-06

    const std::vector<Bytes> got = capture.receive(expected.size(), 3000ms);
    ASSERT_EQ(got.size(), expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(got[i], expected[i]) << "frame " << i << ": got " << it::hex(got[i])
                                       << ", expected " << it::hex(expected[i]);
    }
}

// MS-08, MS-09: an NBL with a frame longer than MTU + 14 completes
// INVALID_LENGTH and none of its frames goes out, not even the good ones;
// MS-10: the others complete SUCCESS, each NBL exactly once, and MTU + 14
// itself is fine.
TEST_F(Afpacket, OversizedFrameCompletesInvalidLengthAndSendsNothingOfItsNbl)
{
    it::RawSocket capture(veth_->b, ns_->name);
    ASSERT_TRUE(capture.ok());
    ASSERT_TRUE(start()) << last_error_;

    const Bytes big = it::make_frame(kBroadcast, src_mac(1), 1515, 1);
    const Bytes good1 = it::make_frame(kBroadcast, src_mac(2), 100, 2);
    const Bytes good2 = it::make_frame(kBroadcast, src_mac(3), 100, 3);
    const Bytes ok = it::make_frame(kBroadcast, src_mac(4), 100, 4);
    const Bytes max = it::make_frame(kBroadcast, src_mac(5), 1514, 5);
    std::vector<it::NblSpec> nbls(4);
    nbls[0].nbs = {it::split(big, 3)};
    nbls[1].nbs = {it::split(good1, 1), it::split(big, 2), it::split(good2, 2)};
    nbls[2].nbs = {it::split(ok, 2)};
    nbls[3].nbs = {it::split(max, 4)};
    const std::vector<std::uint64_t> ids = g_itproto.send(nbls);
    ASSERT_EQ(ids.size(), 4u);
    ASSERT_TRUE(g_itproto.wait_completed(4));
    auto c = g_itproto.completions();
    EXPECT_EQ(c[ids[0]], NDIS_STATUS_INVALID_LENGTH);
    EXPECT_EQ(c[ids[1]], NDIS_STATUS_INVALID_LENGTH);
    EXPECT_EQ(c[ids[2]], NDIS_STATUS_SUCCESS);
    EXPECT_EQ(c[ids[3]], NDIS_STATUS_SUCCESS);
    EXPECT_EQ(g_itproto.double_completions(), 0u);

    const std::vector<Bytes> got = capture.receive(3, 1000ms);
    ASSERT_EQ(got.size(), 2u) << "only the two good NBLs' frames may go out";
    EXPECT_EQ(got[0], ok);
    EXPECT_EQ(got[1], max);
}

// MS-18, MS-19, ST-05: frames the peer sends are indicated (broadcast, and
// directed to the interface's MAC), frames for another unicast MAC are filtered
// out until PROMISCUOUS is set (which turns PACKET_MR_PROMISC on), and every
// indicated NBL comes back (checked at teardown: indicated == returned, nothing
// leaked).
TEST_F(Afpacket, ReceivesThroughPacketFilterAndGetsEveryNblBack)
{
    ASSERT_TRUE(start()) << last_error_;
    it::RawSocket inject(veth_->b, ns_->name);
    ASSERT_TRUE(inject.ok());
    const Bytes own = it::mac_of(veth_->a);
    const Bytes other{0x02, 0x99, 0x00, 0x00, 0x00, 0x01};
    const Bytes peer = it::mac_of(veth_->b, ns_->name);

    std::vector<Bytes> expected;
    for (std::uint32_t i = 0; i < 200; ++i) {
        const std::size_t len = 14 + (i * 37) % 1501;
        const Bytes dst = i % 3 == 0 ? own : i % 3 == 1 ? kBroadcast : other;
        const Bytes f = it::make_frame(dst, peer, len, 1000 + i);
        ASSERT_TRUE(inject.send(f));
        if (dst != other) {
            expected.push_back(f);
        }
    }
    ASSERT_TRUE(g_itproto.wait_received(expected.size()))
        << g_itproto.received().size() << " of " << expected.size();
    std::this_thread::sleep_for(100ms); // nothing else may come
    std::vector<Bytes> got = g_itproto.received();
    ASSERT_EQ(got.size(), expected.size()) << "frames for another MAC passed the filter";
    for (std::size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(got[i], expected[i]) << "frame " << i;
    }
    EXPECT_LE(g_itproto.receive_calls(),
              expected.size()); // batched per ring block

    ULONG filter =
        NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST | NDIS_PACKET_TYPE_PROMISCUOUS;
    ASSERT_EQ(g_itproto.oid(NdisRequestSetInformation, OID_GEN_CURRENT_PACKET_FILTER, &filter,
                            sizeof filter),
              NDIS_STATUS_SUCCESS);
    const Bytes stray = it::make_frame(other, peer, 80, 77);
    ASSERT_TRUE(inject.send(stray));
    ASSERT_TRUE(g_itproto.wait_received(expected.size() + 1)) << "promiscuous frame not seen";
    EXPECT_EQ(g_itproto.received().back(), stray);
}

// Link state: the peer going down takes the carrier of `a` away; the adapter
// indicates NDIS_STATUS_LINK_STATE Disconnected, and Connected when the peer
// comes back.
TEST_F(Afpacket, PeerLinkDownAndUpAreIndicated)
{
    ASSERT_TRUE(start()) << last_error_;
    EXPECT_EQ(g_itproto.bound_connect_state, MediaConnectStateConnected);
    ASSERT_TRUE(veth_->set_b_up(false));
    EXPECT_TRUE(g_itproto.wait_link(MediaConnectStateDisconnected))
        << "no NDIS_STATUS_LINK_STATE Disconnected";
    ASSERT_TRUE(veth_->set_b_up(true));
    EXPECT_TRUE(g_itproto.wait_link(MediaConnectStateConnected))
        << "no NDIS_STATUS_LINK_STATE Connected";
}

// Pause and restart (ST-04, ST-05, ST-08): frames arriving while paused are not
// indicated; after restart sending and receiving work again.
TEST_F(Afpacket, PauseRestartKeepsWorking)
{
    ASSERT_TRUE(start({{"qdisc_bypass", 1}})) << last_error_;
    it::RawSocket peer(veth_->b, ns_->name);
    ASSERT_TRUE(peer.ok());
    const Bytes src = it::mac_of(veth_->b, ns_->name);
    ASSERT_TRUE(stack_->pause_adapter("a0"));
    ASSERT_TRUE(peer.send(it::make_frame(kBroadcast, src, 64, 1)));
    std::this_thread::sleep_for(50ms);
    ASSERT_TRUE(stack_->restart_adapter("a0"));
    const Bytes after = it::make_frame(kBroadcast, src, 64, 2);
    ASSERT_TRUE(peer.send(after));
    ASSERT_TRUE(g_itproto.wait_received(1));
    std::this_thread::sleep_for(50ms);
    ASSERT_EQ(g_itproto.received().size(), 1u) << "a frame from the paused time was indicated";
    EXPECT_EQ(g_itproto.received()[0], after);

    const Bytes out = it::make_frame(kBroadcast, src_mac(9), 30, 9);
    it::NblSpec spec;
    spec.nbs = {it::split(out, 2)};
    g_itproto.send({spec});
    ASSERT_TRUE(g_itproto.wait_completed(1));
    const auto got = peer.receive(1);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0], it::padded(out));
}

// No such interface: MiniportInitializeEx fails (the DbgPrint names the
// interface), so the stack does not start.
TEST_F(Afpacket, UnknownInterfaceFailsInitialize)
{
    EXPECT_FALSE(start({}, "ondnosuch0"));
}

} // namespace

// The shape sweep with the built-in pktgen over afpacket: for each shape (NBs per NBL,
// MDLs per NB, frame size from pktgen's minimum to the MTU) the peer receives every frame, in
// sequence order, byte-exact by pktgen's documented layout (pktgen.h) and zero-padded to 60
// bytes when shorter (MS-10, MS-12, MS-13).
TEST_F(Afpacket, PktgenShapesArriveInOrderByteExactAndPadded)
{
    struct shape {
        unsigned nbs, mdls, size;
    };
    const shape shapes[] = {{1, 1, 28}, {1, 8, 60}, {3, 2, 61}, {8, 1, 100},
                            {2, 8, 512}, {8, 8, 1514}, {5, 3, 59}, {1, 1, 1514}};
    for (const shape &sh : shapes) {
        SCOPED_TRACE("NbsPerNbl " + std::to_string(sh.nbs) + ", MdlsPerNb " +
                     std::to_string(sh.mdls) + ", FrameSize " + std::to_string(sh.size));
        it::RawSocket capture(veth_->b, ns_->name);
        ASSERT_TRUE(capture.ok());
        const unsigned count = 4 * sh.nbs * 3; // 4 sends of 3 NBLs
        ndis::host::stack s;
        ASSERT_TRUE(s.add_driver("afpacket"));
        ASSERT_TRUE(s.add_driver("pktgen", std::string_view{},
                                 {{"Count", count},
                                  {"NblsPerSend", 3},
                                  {"NbsPerNbl", sh.nbs},
                                  {"MdlsPerNb", sh.mdls},
                                  {"FrameSize", sh.size}}))
            << s.last_error();
        ASSERT_TRUE(s.add_adapter("a0", "afpacket", {{"ifname", veth_->a}}));
        ASSERT_TRUE(s.start()) << s.last_error();
        const std::vector<Bytes> got = capture.receive(count, 3000ms, 0x88B5);
        const ndis::host::teardown_report r = s.stop();
        EXPECT_TRUE(r.clean()) << r.text();
        ASSERT_EQ(got.size(), count);
        const Bytes mac = it::mac_of(veth_->a);
        for (unsigned i = 0; i < count; ++i) {
            const Bytes &f = got[i];
            ASSERT_EQ(f.size(), std::max<std::size_t>(sh.size, 60)) << "frame " << i;
            Bytes want(f.size(), 0);
            std::fill(want.begin(), want.begin() + 6, 0xFF);
            std::copy(mac.begin(), mac.end(), want.begin() + 6);
            want[12] = 0x88;
            want[13] = 0xB5;
            want[14] = 'P';
            want[15] = 'K';
            want[16] = 'T';
            want[17] = 'G';
            for (int b = 0; b < 8; ++b) {
                want[18 + b] = static_cast<std::uint8_t>(std::uint64_t{i} >> (56 - 8 * b));
            }
            want[26] = static_cast<std::uint8_t>(sh.size >> 8);
            want[27] = static_cast<std::uint8_t>(sh.size);
            for (unsigned o = 28; o < sh.size; ++o) {
                want[o] = static_cast<std::uint8_t>(o * 31 + 7);
            }
            ASSERT_EQ(f, want) << "frame " << i << ": " << it::hex(f);
        }
    }
}
