// test_responder_capture_internal.cpp — the `responder` and `capture` built-in protocols over a
// `loopback` pair, brought up by the host (ndis::host::stack).
//
//   responder ── lo0 ═══ lo1 ── peer        peer: a small protocol of this file that sends
//   (capture) ──┘                                 hand-built frames and records every frame
//                                                 it receives (copied, NBLs returned at once)
//
// What is checked
//   - ARP request, ICMP echo, IPv6 neighbour solicitation (to the solicited-node address and
//     from the unspecified address) and ICMPv6 echo each get exactly the reply they should,
//     compared byte by byte with a reply this file builds itself; IPv4, ICMP and ICMPv6
//     checksums are verified independently here (one's-complement sum over the received frame);
//   - the four requests in one NdisSendNetBufferLists call get four replies; a request split
//     over many MDLs is answered like a contiguous one;
//   - with NDIS_RECEIVE_FLAGS_RESOURCES on every indication (loopback with few receive buffers)
//     the replies are still right (responder copies before the miniport takes its NBLs back,
//     PS-23);
//   - malformed, truncated and foreign frames get no reply and are counted (malformed / ignored)
//     exactly; nothing leaks (the harness checks NBLs, pools and memory after every test);
//   - every reply came back to responder's ProtocolSendNetBufferListsComplete (PS-13, PS-16):
//     SendsCompleted == RepliesSent, nothing outstanding after the stack stops (PS-19, PS-22);
//   - a bad ipv4 / ipv6 parameter fails the bind (start fails) with a DbgPrint naming it;
//   - capture writes every frame lo0 receives to a pcap file, which is read back with
//     pcap_open_offline and compared frame by frame (LINKTYPE_ETHERNET, lengths, bytes,
//     timestamps in order); a frame split over MDLs is gathered; a path that cannot be opened
//     fails the bind with a DbgPrint naming the path and the reason.
#include "openndis_test.hpp"

#include "kernel/debug.hpp"
#include "protocol/capture/capture.h"
#include "protocol/responder/responder.h"

#include <openndis/host.hpp>

#include <ndis.h>

#include <pcap/pcap.h>

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;
using Mac = std::array<std::uint8_t, 6>;
using Ip4 = std::array<std::uint8_t, 4>;
using Ip6 = std::array<std::uint8_t, 16>;

constexpr Ip4 kResponderIp4{192, 0, 2, 1};
constexpr Ip4 kPeerIp4{192, 0, 2, 2};
constexpr Ip6 kResponderIp6{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
constexpr Ip6 kPeerIp6{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
constexpr Ip6 kSolicitedNode{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 1};
constexpr Ip6 kAllNodes{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
constexpr Ip6 kUnspecified{};
constexpr Mac kBroadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
constexpr Mac kSolicitedNodeMac{0x33, 0x33, 0xff, 0, 0, 1};
constexpr Mac kAllNodesMac{0x33, 0x33, 0, 0, 0, 1};

// ==== the peer protocol ==========================================================================
// One binding at a time. Sends frames from its own memory (one NBL per frame, the frame cut
// into MDLs of at most `mdl_bytes`), records received frames, waits for its sends at pause.

struct Peer {
    NDIS_HANDLE protocol = nullptr;
    NDIS_HANDLE binding = nullptr;
    NDIS_HANDLE pool = nullptr;
    Mac mac{};
    NDIS_EVENT open_close;
    std::atomic<int> outstanding{0};
    std::atomic<int> completed{0};
    std::atomic<int> failed{0};
    std::mutex lock;
    std::vector<Bytes> received;

    std::vector<Bytes> take()
    {
        std::lock_guard<std::mutex> g(lock);
        std::vector<Bytes> out;
        out.swap(received);
        return out;
    }
};
Peer *g_peer = nullptr;
NDIS_STRING g_peer_name = NDIS_STRING_CONST("resp_peer");
constexpr ULONG kPeerTag = 'reeP';

void peer_free_sent(PNET_BUFFER_LIST nbl)
{
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    PMDL mdl = NET_BUFFER_FIRST_MDL(nb);
    while (mdl != nullptr) {
        PMDL next = NDIS_MDL_LINKAGE(mdl);
        NdisFreeMdl(mdl);
        mdl = next;
    }
    NdisFreeMemoryWithTagPriority(g_peer->protocol, nbl->ProtocolReserved[0], kPeerTag);
    NdisFreeNetBufferList(nbl);
}

// One NBL per frame; all in one NdisSendNetBufferLists call.
void peer_send(const std::vector<Bytes> &frames, ULONG mdl_bytes = 0xFFFFFFFF)
{
    PNET_BUFFER_LIST head = nullptr, *link = &head;
    for (const Bytes &frame : frames) {
        auto *data = static_cast<std::uint8_t *>(NdisAllocateMemoryWithTagPriority(
            g_peer->protocol, static_cast<UINT>(frame.size()), kPeerTag, NormalPoolPriority));
        ASSERT_NE(data, nullptr);
        std::memcpy(data, frame.data(), frame.size());
        PMDL first = nullptr, *mlink = &first;
        for (std::size_t off = 0; off < frame.size(); off += mdl_bytes) {
            const ULONG n = static_cast<ULONG>(std::min<std::size_t>(mdl_bytes, frame.size() - off));
            PMDL mdl = NdisAllocateMdl(g_peer->binding, data + off, n);
            ASSERT_NE(mdl, nullptr);
            *mlink = mdl;
            mlink = &NDIS_MDL_LINKAGE(mdl);
        }
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferAndNetBufferList(
            g_peer->pool, 0, 0, first, 0, static_cast<ULONG>(frame.size()));
        ASSERT_NE(nbl, nullptr);
        nbl->ProtocolReserved[0] = data;
        nbl->SourceHandle = g_peer->binding; // PS-08
        *link = nbl;
        link = &NET_BUFFER_LIST_NEXT_NBL(nbl);
    }
    g_peer->outstanding += static_cast<int>(frames.size());
    NdisSendNetBufferLists(g_peer->binding, head, NDIS_DEFAULT_PORT_NUMBER, 0);
}

VOID PeerSendComplete(NDIS_HANDLE, PNET_BUFFER_LIST chain, ULONG)
{
    while (chain != nullptr) {
        PNET_BUFFER_LIST next = NET_BUFFER_LIST_NEXT_NBL(chain);
        NET_BUFFER_LIST_NEXT_NBL(chain) = nullptr;
        if (NET_BUFFER_LIST_STATUS(chain) != NDIS_STATUS_SUCCESS) {
            ++g_peer->failed;
        }
        peer_free_sent(chain);
        ++g_peer->completed;
        --g_peer->outstanding;
        chain = next;
    }
}

VOID PeerReceive(NDIS_HANDLE, PNET_BUFFER_LIST chain, NDIS_PORT_NUMBER, ULONG, ULONG flags)
{
    for (PNET_BUFFER_LIST nbl = chain; nbl != nullptr; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl)) {
        for (PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl); nb != nullptr;
             nb = NET_BUFFER_NEXT_NB(nb)) {
            Bytes frame(NET_BUFFER_DATA_LENGTH(nb));
            auto *p = static_cast<std::uint8_t *>(
                NdisGetDataBuffer(nb, static_cast<ULONG>(frame.size()), frame.data(), 1, 0));
            if (p != nullptr && p != frame.data()) {
                std::memcpy(frame.data(), p, frame.size());
            }
            std::lock_guard<std::mutex> g(g_peer->lock);
            g_peer->received.push_back(std::move(frame));
        }
    }
    if (!NDIS_TEST_RECEIVE_CANNOT_PEND(flags)) {
        NdisReturnNetBufferLists(g_peer->binding, chain,
                                 NDIS_TEST_RECEIVE_AT_DISPATCH_LEVEL(flags)
                                     ? NDIS_RETURN_FLAGS_DISPATCH_LEVEL
                                     : 0);
    }
}

VOID PeerOpenComplete(NDIS_HANDLE, NDIS_STATUS) { NdisSetEvent(&g_peer->open_close); }
VOID PeerCloseComplete(NDIS_HANDLE) { NdisSetEvent(&g_peer->open_close); }
std::atomic<bool> g_peer_oid_done{false};
VOID PeerOidComplete(NDIS_HANDLE, PNDIS_OID_REQUEST, NDIS_STATUS) { g_peer_oid_done = true; }
VOID PeerStatus(NDIS_HANDLE, PNDIS_STATUS_INDICATION) {}

NDIS_STATUS PeerPnP(NDIS_HANDLE context, PNET_PNP_EVENT_NOTIFICATION event)
{
    if (context != nullptr && event->NetPnPEvent.NetEvent == NetEventPause) {
        while (g_peer->outstanding.load() != 0) { // PS-19: our sends first
            NdisMSleep(1000);
        }
    }
    return NDIS_STATUS_SUCCESS;
}

NDIS_STATUS PeerBind(NDIS_HANDLE, NDIS_HANDLE bind_context, PNDIS_BIND_PARAMETERS params)
{
    NDIS_MEDIUM medium = NdisMedium802_3;
    UINT selected = 0;
    NDIS_OPEN_PARAMETERS open{};
    open.Header.Type = NDIS_OBJECT_TYPE_OPEN_PARAMETERS;
    open.Header.Revision = NDIS_OPEN_PARAMETERS_REVISION_1;
    open.Header.Size = NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1;
    open.AdapterName = params->AdapterName;
    open.MediumArray = &medium;
    open.MediumArraySize = 1;
    open.SelectedMediumIndex = &selected;
    std::memcpy(g_peer->mac.data(), params->CurrentMacAddress, 6);
    NdisResetEvent(&g_peer->open_close);
    NDIS_STATUS status =
        NdisOpenAdapterEx(g_peer->protocol, g_peer, &open, bind_context, &g_peer->binding);
    if (status == NDIS_STATUS_PENDING) {
        NdisWaitEvent(&g_peer->open_close, 0);
        status = NDIS_STATUS_SUCCESS;
    }
    if (status != NDIS_STATUS_SUCCESS) {
        return status;
    }
    // The peer sees every frame on its side (a binding with packet filter 0 receives nothing).
    static ULONG filter = NDIS_PACKET_TYPE_PROMISCUOUS;
    static NDIS_OID_REQUEST request{};
    request = NDIS_OID_REQUEST{};
    request.Header.Type = NDIS_OBJECT_TYPE_OID_REQUEST;
    request.Header.Revision = NDIS_OID_REQUEST_REVISION_1;
    request.Header.Size = NDIS_SIZEOF_OID_REQUEST_REVISION_1;
    request.RequestType = NdisRequestSetInformation;
    request.DATA.SET_INFORMATION.Oid = OID_GEN_CURRENT_PACKET_FILTER;
    request.DATA.SET_INFORMATION.InformationBuffer = &filter;
    request.DATA.SET_INFORMATION.InformationBufferLength = sizeof filter;
    g_peer_oid_done = false;
    if (NdisOidRequest(g_peer->binding, &request) == NDIS_STATUS_PENDING) {
        while (!g_peer_oid_done.load()) {
            NdisMSleep(1000);
        }
    }
    NET_BUFFER_LIST_POOL_PARAMETERS pool{};
    pool.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    pool.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    pool.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    pool.ProtocolId = NDIS_PROTOCOL_ID_DEFAULT;
    pool.fAllocateNetBuffer = TRUE; // kind (b): NBL + NB, MDLs ours
    pool.DataSize = 0;
    pool.PoolTag = 'lPeP';
    g_peer->pool = NdisAllocateNetBufferListPool(g_peer->binding, &pool);
    return g_peer->pool != nullptr ? NDIS_STATUS_SUCCESS : NDIS_STATUS_RESOURCES;
}

NDIS_STATUS PeerUnbind(NDIS_HANDLE, NDIS_HANDLE)
{
    if (g_peer->pool != nullptr) {
        NdisFreeNetBufferListPool(g_peer->pool);
        g_peer->pool = nullptr;
    }
    NdisResetEvent(&g_peer->open_close);
    if (NdisCloseAdapterEx(g_peer->binding) == NDIS_STATUS_PENDING) {
        NdisWaitEvent(&g_peer->open_close, 0);
    }
    g_peer->binding = nullptr;
    return NDIS_STATUS_SUCCESS;
}

VOID PeerUnload(PDRIVER_OBJECT)
{
    NdisDeregisterProtocolDriver(g_peer->protocol);
    g_peer->protocol = nullptr;
}

NTSTATUS PeerDriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING)
{
    NDIS_PROTOCOL_DRIVER_CHARACTERISTICS pc{};
    pc.Header.Type = NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS;
    pc.Header.Revision = NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
    pc.Header.Size = NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
    pc.MajorNdisVersion = NDIS_PROTOCOL_MAJOR_VERSION;
    pc.MinorNdisVersion = NDIS_PROTOCOL_MINOR_VERSION;
    pc.Name = g_peer_name;
    pc.BindAdapterHandlerEx = PeerBind;
    pc.UnbindAdapterHandlerEx = PeerUnbind;
    pc.OpenAdapterCompleteHandlerEx = PeerOpenComplete;
    pc.CloseAdapterCompleteHandlerEx = PeerCloseComplete;
    pc.NetPnPEventHandler = PeerPnP;
    pc.OidRequestCompleteHandler = PeerOidComplete;
    pc.StatusHandlerEx = PeerStatus;
    pc.ReceiveNetBufferListsHandler = PeerReceive;
    pc.SendNetBufferListsCompleteHandler = PeerSendComplete;
    const NDIS_STATUS status = NdisRegisterProtocolDriver(nullptr, &pc, &g_peer->protocol);
    if (status == NDIS_STATUS_SUCCESS) {
        driver->DriverUnload = PeerUnload;
    }
    return status;
}

// ==== frames, built and checked here (independently of the drivers) ==============================

void put16(Bytes &b, std::size_t at, unsigned v)
{
    b[at] = static_cast<std::uint8_t>(v >> 8);
    b[at + 1] = static_cast<std::uint8_t>(v);
}
template <std::size_t N> void put(Bytes &b, std::size_t at, const std::array<std::uint8_t, N> &a)
{
    std::copy(a.begin(), a.end(), b.begin() + static_cast<std::ptrdiff_t>(at));
}

// RFC 1071: the 16-bit one's-complement of the one's-complement sum.
std::uint32_t sum16(const std::uint8_t *p, std::size_t n, std::uint32_t acc = 0)
{
    for (std::size_t i = 0; i < n; ++i) {
        acc += (i % 2 == 0) ? (p[i] << 8) : p[i];
    }
    return acc;
}
std::uint16_t fold(std::uint32_t acc)
{
    while (acc >> 16) {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    return static_cast<std::uint16_t>(acc);
}
std::uint32_t pseudo6(const std::uint8_t *src, const std::uint8_t *dst, std::uint32_t len)
{
    return sum16(src, 16, sum16(dst, 16, (len >> 16) + (len & 0xffff) + 58));
}
// Fills the checksums of an Ethernet frame holding IPv4 (header + ICMP) or IPv6 + ICMPv6.
void fill_checksums(Bytes &f)
{
    if (f[12] == 0x08 && f[13] == 0x00) {
        const std::size_t ihl = (f[14] & 0x0f) * 4u;
        const std::size_t total = (f[16] << 8) | f[17];
        put16(f, 24, 0);
        put16(f, 24, static_cast<std::uint16_t>(~fold(sum16(&f[14], ihl))));
        put16(f, 14 + ihl + 2, 0);
        put16(f, 14 + ihl + 2,
              static_cast<std::uint16_t>(~fold(sum16(&f[14 + ihl], total - ihl))));
    } else {
        const std::uint32_t len = (f[18] << 8) | f[19];
        put16(f, 56, 0);
        put16(f, 56, static_cast<std::uint16_t>(~fold(sum16(&f[54], len, pseudo6(&f[22], &f[38], len)))));
    }
}
// The checksums of a received frame are right (the sum over each checked part is 0xffff).
void expect_checksums_valid(const Bytes &f)
{
    ASSERT_GE(f.size(), 34u);
    if (f[12] == 0x08 && f[13] == 0x00) {
        const std::size_t ihl = (f[14] & 0x0f) * 4u;
        const std::size_t total = (f[16] << 8) | f[17];
        ASSERT_LE(14 + total, f.size());
        EXPECT_EQ(fold(sum16(&f[14], ihl)), 0xffff) << "IPv4 header checksum";
        EXPECT_EQ(fold(sum16(&f[14 + ihl], total - ihl)), 0xffff) << "ICMP checksum";
    } else {
        ASSERT_GE(f.size(), 58u);
        const std::uint32_t len = (f[18] << 8) | f[19];
        ASSERT_LE(54 + len, f.size());
        EXPECT_EQ(fold(sum16(&f[54], len, pseudo6(&f[22], &f[38], len))), 0xffff)
            << "ICMPv6 checksum";
    }
}

Bytes ethernet(const Mac &dst, const Mac &src, unsigned type, std::size_t payload)
{
    Bytes f(14 + payload);
    put(f, 0, dst);
    put(f, 6, src);
    put16(f, 12, type);
    return f;
}

Bytes arp(unsigned op, const Mac &eth_dst, const Mac &sha, const Ip4 &spa, const Mac &tha,
          const Ip4 &tpa)
{
    Bytes f = ethernet(eth_dst, sha, 0x0806, 28);
    put16(f, 14, 1);
    put16(f, 16, 0x0800);
    f[18] = 6;
    f[19] = 4;
    put16(f, 20, op);
    put(f, 22, sha);
    put(f, 28, spa);
    put(f, 32, tha);
    put(f, 38, tpa);
    return f;
}

Bytes payload_pattern(std::size_t n, unsigned seed)
{
    Bytes p(n);
    for (std::size_t i = 0; i < n; ++i) {
        p[i] = static_cast<std::uint8_t>(i * 7 + seed);
    }
    return p;
}

// ICMP echo (type 8 request, 0 reply) with identifier 0x1234 and the given sequence.
Bytes icmp4(unsigned type, const Mac &dst_mac, const Mac &src_mac, const Ip4 &src, const Ip4 &dst,
            unsigned ttl, unsigned id, unsigned seq, const Bytes &data)
{
    Bytes f = ethernet(dst_mac, src_mac, 0x0800, 20 + 8 + data.size());
    f[14] = 0x45;
    put16(f, 16, static_cast<unsigned>(20 + 8 + data.size()));
    put16(f, 18, id);
    f[22] = static_cast<std::uint8_t>(ttl);
    f[23] = 1;
    put(f, 26, src);
    put(f, 30, dst);
    f[34] = static_cast<std::uint8_t>(type);
    put16(f, 38, 0x1234);
    put16(f, 40, seq);
    std::copy(data.begin(), data.end(), f.begin() + 42);
    fill_checksums(f);
    return f;
}

Bytes ipv6(const Mac &dst_mac, const Mac &src_mac, const Ip6 &src, const Ip6 &dst, unsigned hop,
           const Bytes &icmp)
{
    Bytes f = ethernet(dst_mac, src_mac, 0x86dd, 40 + icmp.size());
    f[14] = 0x60;
    put16(f, 18, static_cast<unsigned>(icmp.size()));
    f[20] = 58;
    f[21] = static_cast<std::uint8_t>(hop);
    put(f, 22, src);
    put(f, 38, dst);
    std::copy(icmp.begin(), icmp.end(), f.begin() + 54);
    fill_checksums(f);
    return f;
}

Bytes ns_message(const Ip6 &target, const Mac *slla)
{
    Bytes m(24 + (slla != nullptr ? 8 : 0));
    m[0] = 135;
    std::copy(target.begin(), target.end(), m.begin() + 8);
    if (slla != nullptr) {
        m[24] = 1;
        m[25] = 1;
        std::copy(slla->begin(), slla->end(), m.begin() + 26);
    }
    return m;
}

Bytes na_message(std::uint8_t flags, const Ip6 &target, const Mac &tlla)
{
    Bytes m(32);
    m[0] = 136;
    m[4] = flags;
    std::copy(target.begin(), target.end(), m.begin() + 8);
    m[24] = 2;
    m[25] = 1;
    std::copy(tlla.begin(), tlla.end(), m.begin() + 26);
    return m;
}

Bytes echo6_message(unsigned type, unsigned seq, const Bytes &data)
{
    Bytes m(8 + data.size());
    m[0] = static_cast<std::uint8_t>(type);
    m[4] = 0x56;
    m[5] = 0x78;
    put16(m, 6, seq);
    std::copy(data.begin(), data.end(), m.begin() + 8);
    return m;
}

// What arrives at the peer: the frame, zero-padded to 60 bytes by the loopback miniport (MS-13).
Bytes on_wire(Bytes f)
{
    if (f.size() < 60) {
        f.resize(60, 0);
    }
    return f;
}

std::string hex(const Bytes &b)
{
    std::string s;
    char buf[4];
    for (std::size_t i = 0; i < b.size(); ++i) {
        std::snprintf(buf, sizeof buf, "%02x", b[i]);
        s += buf;
        s += (i % 16 == 15) ? '\n' : ' ';
    }
    return s;
}

bool wait_for(const std::function<bool()> &done, std::chrono::milliseconds timeout = 5s)
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

// DbgPrint text, collected while alive.
class DebugLog {
public:
    DebugLog() { ndis::kernel::set_debug_sink(&DebugLog::sink, this, &old_, &old_context_); }
    ~DebugLog() { ndis::kernel::set_debug_sink(old_, old_context_); }
    std::string text()
    {
        std::lock_guard<std::mutex> g(lock_);
        return text_;
    }

private:
    static void sink(void *context, std::string_view text)
    {
        auto *self = static_cast<DebugLog *>(context);
        std::lock_guard<std::mutex> g(self->lock_);
        self->text_.append(text);
    }
    std::mutex lock_;
    std::string text_;
    ndis::kernel::debug_sink old_ = nullptr;
    void *old_context_ = nullptr;
};

// ==== the stack ===================================================================================

struct StackOptions {
    bool responder = true;
    bool capture = false;
    std::string capture_path;
    ndis::host::param_list responder_params{{"ipv4", "192.0.2.1/24"}, {"ipv6", "2001:db8::1/64"}};
    ndis::host::param_list lo0_params{{"Pair", "resp"}};
};

class ResponderStack : public ::testing::Test {
protected:
    void SetUp() override { g_peer = &peer_; NdisInitializeEvent(&peer_.open_close); }
    void TearDown() override
    {
        stop();
        g_peer = nullptr;
    }

    // Builds and starts the stack; false (with the host's error in error_) when start fails.
    bool start(const StackOptions &o = {})
    {
        EXPECT_TRUE(stack_.add_driver("loopback"));
        if (o.responder) {
            EXPECT_TRUE(stack_.add_driver("responder"));
        }
        if (o.capture) {
            EXPECT_TRUE(stack_.add_driver("capture"));
        }
        EXPECT_TRUE(stack_.add_driver("resp_peer", &PeerDriverEntry));
        EXPECT_TRUE(stack_.add_adapter("lo0", "loopback", o.lo0_params));
        EXPECT_TRUE(stack_.add_adapter("lo1", "loopback", {{"Pair", "resp"}}));
        if (o.capture) {
            // PROMISCUOUS | NO_LOCAL: the frames on the wire, without NDIS's loopback of the
            // responder's own replies (LB-04, LB-06).
            EXPECT_TRUE(stack_.add_binding(
                "capture", "lo0",
                {{"path", o.capture_path},
                 {"filter", static_cast<std::int64_t>(NDIS_PACKET_TYPE_PROMISCUOUS |
                                                      NDIS_PACKET_TYPE_NO_LOCAL)}}));
        }
        if (o.responder) {
            EXPECT_TRUE(stack_.add_binding("responder", "lo0", o.responder_params));
        }
        EXPECT_TRUE(stack_.add_binding("resp_peer", "lo1"));
        started_ = stack_.start();
        error_ = stack_.last_error();
        if (started_ && o.responder) {
            RESPONDER_STATS s{};
            EXPECT_EQ(ResponderGetStats("lo0", &s), NDIS_STATUS_SUCCESS);
            std::memcpy(responder_mac_.data(), s.MacAddress, 6);
        }
        return started_;
    }

    void stop()
    {
        if (started_) {
            started_ = false;
            const ndis::host::teardown_report r = stack_.stop();
            EXPECT_TRUE(r.clean()) << r.text();
        }
    }

    RESPONDER_STATS stats()
    {
        RESPONDER_STATS s{};
        EXPECT_EQ(ResponderGetStats("lo0", &s), NDIS_STATUS_SUCCESS);
        return s;
    }

    // Sends the frames and waits for `replies` frames at the peer (and a little more, to see
    // that nothing else comes).
    std::vector<Bytes> exchange(const std::vector<Bytes> &frames, std::size_t replies,
                                ULONG mdl_bytes = 0xFFFFFFFF)
    {
        peer_send(frames, mdl_bytes);
        EXPECT_TRUE(wait_for([&] { return peer_.outstanding.load() == 0; }));
        wait_for([&] {
            std::lock_guard<std::mutex> g(peer_.lock);
            return peer_.received.size() >= replies;
        });
        std::this_thread::sleep_for(20ms);
        return peer_.take();
    }

    Peer peer_;
    ndis::host::stack stack_;
    bool started_ = false;
    std::string error_;
    Mac responder_mac_{};
};

// The replies responder must send, built here.
Bytes expected_arp_reply(const Mac &responder, const Mac &peer)
{
    return arp(2, peer, responder, kResponderIp4, peer, kPeerIp4);
}
Bytes expected_echo_reply(const Mac &responder, const Mac &peer, unsigned id, unsigned seq,
                          const Bytes &data)
{
    return icmp4(0, peer, responder, kResponderIp4, kPeerIp4, 64, id, seq, data);
}
Bytes expected_na(const Mac &responder, const Mac &to_mac, const Ip6 &to, std::uint8_t flags)
{
    return ipv6(to_mac, responder, kResponderIp6, to, 255, na_message(flags, kResponderIp6, responder));
}
Bytes expected_echo6_reply(const Mac &responder, const Mac &peer, unsigned seq, const Bytes &data)
{
    return ipv6(peer, responder, kResponderIp6, kPeerIp6, 64, echo6_message(129, seq, data));
}

void expect_frame(const Bytes &got, const Bytes &want, const char *what)
{
    EXPECT_EQ(got, on_wire(want)) << what << "\n got:\n" << hex(got) << "\nwant:\n" << hex(on_wire(want));
}

// ==== responder ==================================================================================

// PS-08, PS-13, PS-16: the four requests in one send; four replies, byte-exact, checksums
// verified independently; every reply completed back to responder.
TEST_F(ResponderStack, AnswersArpEchoNeighborSolicitationAndEcho6)
{
    ASSERT_TRUE(start()) << error_;
    const Mac peer = peer_.mac;
    const Mac me = responder_mac_;
    ASSERT_NE(me, Mac{});
    const Bytes data4 = payload_pattern(56, 3), data6 = payload_pattern(100, 9);
    const std::vector<Bytes> requests = {
        arp(1, kBroadcast, peer, kPeerIp4, Mac{}, kResponderIp4),
        icmp4(8, me, peer, kPeerIp4, kResponderIp4, 64, 0x4242, 7, data4),
        ipv6(kSolicitedNodeMac, peer, kPeerIp6, kSolicitedNode, 255, ns_message(kResponderIp6, &peer)),
        ipv6(me, peer, kPeerIp6, kResponderIp6, 64, echo6_message(128, 11, data6)),
    };
    const std::vector<Bytes> replies = exchange(requests, 4);
    ASSERT_EQ(replies.size(), 4u);
    expect_frame(replies[0], expected_arp_reply(me, peer), "ARP reply");
    expect_frame(replies[1], expected_echo_reply(me, peer, 0x4242, 7, data4), "ICMP echo reply");
    expect_frame(replies[2], expected_na(me, peer, kPeerIp6, 0x60), "neighbour advertisement");
    expect_frame(replies[3], expected_echo6_reply(me, peer, 11, data6), "ICMPv6 echo reply");
    for (std::size_t i = 1; i < replies.size(); ++i) {
        expect_checksums_valid(replies[i]);
    }
    EXPECT_EQ(replies[2][21], 255) << "NA hop limit";

    const RESPONDER_STATS s = stats();
    EXPECT_TRUE(s.Bound);
    EXPECT_TRUE(s.Running);
    EXPECT_EQ(s.FramesReceived, 4u);
    EXPECT_EQ(s.ArpReplies, 1u);
    EXPECT_EQ(s.EchoReplies, 1u);
    EXPECT_EQ(s.NeighborAdvertisements, 1u);
    EXPECT_EQ(s.Echo6Replies, 1u);
    EXPECT_EQ(s.Ignored + s.Malformed + s.Dropped, 0u);
    EXPECT_EQ(s.RepliesSent, 4u);
    EXPECT_TRUE(wait_for([&] { return stats().SendsCompleted == 4; }));
    EXPECT_EQ(stats().SendsFailed, 0u);
    EXPECT_EQ(stats().OutstandingSends, 0u);
    EXPECT_EQ(std::memcmp(s.Ipv4Address, kResponderIp4.data(), 4), 0);
    EXPECT_EQ(s.Ipv4PrefixLength, 24u);
    EXPECT_EQ(std::memcmp(s.Ipv6Address, kResponderIp6.data(), 16), 0);
    EXPECT_EQ(s.Ipv6PrefixLength, 64u);

    // PS-19, PS-22: pause waits for the replies in flight; the summary at unbind.
    DebugLog log;
    stop();
    EXPECT_NE(log.text().find("responder lo0: received 4 frames; answered 1 ARP, 1 ICMP echo, 1 "
                              "neighbour solicitations, 1 ICMPv6 echo; ignored 0, malformed 0, "
                              "dropped 0; 4 replies completed (0 failed)"),
              std::string::npos)
        << log.text();
    EXPECT_EQ(peer_.failed.load(), 0);
}

// A unicast NS (neighbour unreachability detection) goes back to the frame's source when it has
// no source link-layer option; DAD (from ::) is answered to all-nodes without Solicited.
TEST_F(ResponderStack, NeighborSolicitationVariants)
{
    ASSERT_TRUE(start()) << error_;
    const Mac peer = peer_.mac, me = responder_mac_;
    const std::vector<Bytes> replies = exchange(
        {
            ipv6(me, peer, kPeerIp6, kResponderIp6, 255, ns_message(kResponderIp6, nullptr)),
            ipv6(kSolicitedNodeMac, peer, kUnspecified, kSolicitedNode, 255,
                 ns_message(kResponderIp6, nullptr)),
        },
        2);
    ASSERT_EQ(replies.size(), 2u);
    expect_frame(replies[0], expected_na(me, peer, kPeerIp6, 0x60), "NA to a unicast NS");
    expect_frame(replies[1], ipv6(kAllNodesMac, me, kResponderIp6, kAllNodes, 255,
                                  na_message(0x20, kResponderIp6, me)),
                 "NA to DAD");
    EXPECT_EQ(stats().NeighborAdvertisements, 2u);
}

// Requests cut into 3-byte MDLs (the headers too) are gathered and answered exactly.
TEST_F(ResponderStack, RequestsSplitOverManyMdls)
{
    ASSERT_TRUE(start()) << error_;
    const Mac peer = peer_.mac, me = responder_mac_;
    const Bytes data4 = payload_pattern(1000, 1), data6 = payload_pattern(1200, 2);
    const std::vector<Bytes> replies = exchange(
        {
            arp(1, kBroadcast, peer, kPeerIp4, Mac{}, kResponderIp4),
            icmp4(8, me, peer, kPeerIp4, kResponderIp4, 64, 1, 1, data4),
            ipv6(me, peer, kPeerIp6, kResponderIp6, 64, echo6_message(128, 2, data6)),
        },
        3, 3);
    ASSERT_EQ(replies.size(), 3u);
    expect_frame(replies[0], expected_arp_reply(me, peer), "ARP reply");
    expect_frame(replies[1], expected_echo_reply(me, peer, 1, 1, data4), "ICMP echo reply");
    expect_frame(replies[2], expected_echo6_reply(me, peer, 2, data6), "ICMPv6 echo reply");
}

// IPv4 options are not echoed: the reply has a 20-byte header and the same ICMP message.
TEST_F(ResponderStack, EchoWithIpOptionsGetsPlainHeader)
{
    ASSERT_TRUE(start()) << error_;
    const Mac peer = peer_.mac, me = responder_mac_;
    const Bytes data = payload_pattern(32, 5);
    Bytes plain = icmp4(8, me, peer, kPeerIp4, kResponderIp4, 64, 9, 9, data);
    Bytes with_options(plain.size() + 4);
    std::copy(plain.begin(), plain.begin() + 34, with_options.begin());
    with_options[34] = 1; // NOP ×4 (one 32-bit word of options)
    with_options[35] = 1;
    with_options[36] = 1;
    with_options[37] = 1;
    std::copy(plain.begin() + 34, plain.end(), with_options.begin() + 38);
    with_options[14] = 0x46;
    put16(with_options, 16, static_cast<unsigned>(24 + 8 + data.size()));
    fill_checksums(with_options);
    const std::vector<Bytes> replies = exchange({with_options}, 1);
    ASSERT_EQ(replies.size(), 1u);
    expect_frame(replies[0], expected_echo_reply(me, peer, 9, 9, data), "echo reply");
}

// PS-23: lo0 indicates with NDIS_RECEIVE_FLAGS_RESOURCES every time (ReceiveLowWater equal to
// ReceiveBuffers): responder copies what it answers and leaves the NBLs alone.
TEST_F(ResponderStack, AnswersResourcesIndications)
{
    StackOptions o;
    o.lo0_params = {{"Pair", "resp"}, {"ReceiveBuffers", 8}, {"ReceiveLowWater", 8}};
    ASSERT_TRUE(start(o)) << error_;
    const Mac peer = peer_.mac, me = responder_mac_;
    const Bytes data = payload_pattern(64, 4);
    std::vector<Bytes> requests;
    for (unsigned seq = 0; seq < 20; ++seq) {
        requests.push_back(icmp4(8, me, peer, kPeerIp4, kResponderIp4, 64, 5, seq, data));
    }
    std::vector<Bytes> replies;
    for (const Bytes &request : requests) { // one per call: lo0 has 8 receive NBLs
        for (Bytes &r : exchange({request}, 1)) {
            replies.push_back(std::move(r));
        }
    }
    ASSERT_EQ(replies.size(), 20u);
    for (unsigned seq = 0; seq < 20; ++seq) {
        expect_frame(replies[seq], expected_echo_reply(me, peer, 5, seq, data), "echo reply");
    }
    const RESPONDER_STATS s = stats();
    EXPECT_EQ(s.EchoReplies, 20u);
    EXPECT_GT(s.ResourcesIndications, 0u);
}

// Malformed and foreign frames get no reply, each is counted exactly once, and nothing leaks
// (the harness's leak check after the test; the stack's teardown report is clean).
TEST_F(ResponderStack, IgnoresMalformedAndForeignFrames)
{
    ASSERT_TRUE(start()) << error_;
    const Mac peer = peer_.mac, me = responder_mac_;
    const Bytes data = payload_pattern(40, 6);
    const Bytes echo = icmp4(8, me, peer, kPeerIp4, kResponderIp4, 64, 1, 1, data);
    const Bytes ns = ipv6(kSolicitedNodeMac, peer, kPeerIp6, kSolicitedNode, 255,
                          ns_message(kResponderIp6, &peer));
    const Bytes echo6 = ipv6(me, peer, kPeerIp6, kResponderIp6, 64, echo6_message(128, 1, data));

    std::vector<Bytes> malformed;
    {
        Bytes f = echo; // IPv4 header checksum
        f[24] ^= 0x01;
        malformed.push_back(f);
        f = echo; // total length beyond the frame
        put16(f, 16, 1400);
        put16(f, 24, 0);
        put16(f, 24, static_cast<std::uint16_t>(~fold(sum16(&f[14], 20))));
        malformed.push_back(f);
        f = echo; // IHL 4
        f[14] = 0x44;
        put16(f, 24, 0);
        put16(f, 24, static_cast<std::uint16_t>(~fold(sum16(&f[14], 16))));
        malformed.push_back(f);
        f = echo; // ICMP checksum
        f[50] ^= 0xff;
        malformed.push_back(f);
        f = echo; // cut inside the ICMP header: total length 26 (6 bytes of ICMP)
        f.resize(14 + 26);
        put16(f, 16, 26);
        put16(f, 24, 0);
        put16(f, 24, static_cast<std::uint16_t>(~fold(sum16(&f[14], 20))));
        f.resize(60, 0);
        malformed.push_back(f);
        f = echo6; // payload length beyond the frame
        put16(f, 18, 2000);
        malformed.push_back(f);
        f = echo6; // ICMPv6 checksum
        f[60] ^= 0x10;
        malformed.push_back(f);
        f = ipv6(kSolicitedNodeMac, peer, kPeerIp6, kSolicitedNode, 64,
                 ns_message(kResponderIp6, &peer)); // NS with hop limit 64
        malformed.push_back(f);
        Bytes m = ns_message(kResponderIp6, &peer); // an option of length 0
        m[25] = 0;
        malformed.push_back(ipv6(kSolicitedNodeMac, peer, kPeerIp6, kSolicitedNode, 255, m));
        m = ns_message(kResponderIp6, &peer); // an option longer than the message
        m[25] = 3;
        malformed.push_back(ipv6(kSolicitedNodeMac, peer, kPeerIp6, kSolicitedNode, 255, m));
        malformed.push_back(ipv6(kSolicitedNodeMac, peer, kUnspecified, kSolicitedNode, 255,
                                 ns_message(kResponderIp6, &peer))); // DAD with a source option
        f = arp(1, kBroadcast, peer, kPeerIp4, Mac{}, kResponderIp4); // ARP hlen 7
        f[18] = 7;
        malformed.push_back(f);
    }
    std::vector<Bytes> ignored = {
        arp(1, kBroadcast, peer, kPeerIp4, Mac{}, Ip4{192, 0, 2, 99}),            // not our IP
        arp(2, me, peer, kPeerIp4, me, kResponderIp4),                           // a reply
        icmp4(8, me, peer, kPeerIp4, Ip4{192, 0, 2, 99}, 64, 1, 1, data),        // not our IP
        icmp4(0, me, peer, kPeerIp4, kResponderIp4, 64, 1, 1, data),             // echo reply
        icmp4(8, Mac{2, 0, 0, 0, 0, 9}, peer, kPeerIp4, kResponderIp4, 64, 1, 1, data), // MAC
        ipv6(me, peer, kPeerIp6, kResponderIp6, 64, echo6_message(129, 1, data)), // reply
        ipv6(kSolicitedNodeMac, peer, kPeerIp6, kSolicitedNode, 255,
             ns_message(kPeerIp6, &peer)), // NS for another target
        ethernet(me, peer, 0x88b5, 50),    // another EtherType
        Bytes(10, 0),                      // a runt (padded with zeros to 60 on the way)
    };
    {
        Bytes f = echo; // a fragment (MF set)
        put16(f, 20, 0x2000);
        put16(f, 24, 0);
        put16(f, 24, static_cast<std::uint16_t>(~fold(sum16(&f[14], 20))));
        ignored.push_back(f);
    }
    std::vector<Bytes> all = malformed;
    all.insert(all.end(), ignored.begin(), ignored.end());
    all.push_back(echo); // one good request last: the path still works after the bad ones

    const std::vector<Bytes> replies = exchange(all, 1);
    ASSERT_EQ(replies.size(), 1u) << "only the good echo is answered";
    expect_frame(replies[0], expected_echo_reply(me, peer, 1, 1, data), "echo reply");
    const RESPONDER_STATS s = stats();
    // LB-05: the runtime delivers only what the responder's packet filter accepts — its own MAC,
    // broadcast, and the multicast addresses it subscribed to; other frames never reach it.
    auto accepted = [&me](const Bytes &f) {
        if (f.size() < 6) {
            return false;
        }
        const Mac dest{f[0], f[1], f[2], f[3], f[4], f[5]};
        const Mac all_nodes{0x33, 0x33, 0, 0, 0, 1};
        return dest == me || dest == kBroadcast || dest == kSolicitedNodeMac || dest == all_nodes;
    };
    EXPECT_EQ(s.FramesReceived,
              static_cast<std::size_t>(std::count_if(all.begin(), all.end(), accepted)));
    EXPECT_EQ(s.Malformed, malformed.size());
    EXPECT_EQ(s.Ignored,
              static_cast<std::size_t>(std::count_if(ignored.begin(), ignored.end(), accepted)));
    EXPECT_EQ(s.EchoReplies, 1u);
    EXPECT_EQ(s.ArpReplies + s.NeighborAdvertisements + s.Echo6Replies + s.Dropped, 0u);
}

// Only IPv4 configured: IPv6 requests are ignored, ARP still answered.
TEST_F(ResponderStack, Ipv4OnlyIgnoresIpv6)
{
    StackOptions o;
    o.responder_params = {{"ipv4", "192.0.2.1"}};
    ASSERT_TRUE(start(o)) << error_;
    const Mac peer = peer_.mac, me = responder_mac_;
    const std::vector<Bytes> replies = exchange(
        {ipv6(kSolicitedNodeMac, peer, kPeerIp6, kSolicitedNode, 255, ns_message(kResponderIp6, &peer)),
         arp(1, kBroadcast, peer, kPeerIp4, Mac{}, kResponderIp4)},
        1);
    ASSERT_EQ(replies.size(), 1u);
    expect_frame(replies[0], expected_arp_reply(me, peer), "ARP reply");
    // Without IPv6 the responder subscribes to no solicited-node group, so the runtime's
    // multicast filter (LB-05) keeps the NS from it: nothing to ignore.
    EXPECT_EQ(stats().FramesReceived, 1u);
    EXPECT_EQ(stats().Ignored, 0u);
    EXPECT_EQ(stats().Ipv4PrefixLength, 32u);
    EXPECT_FALSE(stats().HasIpv6);
}

// A bad address fails the bind, so the host does not start; the DbgPrint names it.
TEST_F(ResponderStack, BadAddressFailsBind)
{
    for (const char *bad : {"192.0.2.300/24", "192.0.2.1/33", "2001:db8::1::2", "2001:db8:::1",
                            "hello", "192.0.2"}) {
        SCOPED_TRACE(bad);
        DebugLog log;
        ndis::host::stack s;
        ASSERT_TRUE(s.add_driver("loopback"));
        ASSERT_TRUE(s.add_driver("responder"));
        ASSERT_TRUE(s.add_adapter("lo0", "loopback", {{"Pair", "bad"}}));
        const bool v6 = std::strchr(bad, ':') != nullptr;
        ASSERT_TRUE(s.add_binding("responder", "lo0", {{v6 ? "ipv6" : "ipv4", bad}}));
        EXPECT_FALSE(s.start());
        EXPECT_NE(log.text().find(std::string("\"") + bad + "\""), std::string::npos) << log.text();
        const ndis::host::teardown_report r = s.stop();
        EXPECT_TRUE(r.left_behind.empty()) << r.text();
    }
}

// ST-01 (control.cpp): a protocol that opens its adapter and then fails ProtocolBindAdapterEx
// without closing it is reported, and the runtime closes the binding for it (nothing leaks);
// responder and capture close before failing (BadAddressFailsBind, CaptureFilterNamesAndBadPath:
// no report there).
NDIS_HANDLE g_leaky_protocol = nullptr;
NDIS_HANDLE g_leaky_binding = nullptr;
NDIS_STRING g_leaky_name = NDIS_STRING_CONST("leaky_bind");
NDIS_STATUS LeakyBind(NDIS_HANDLE, NDIS_HANDLE bind_context, PNDIS_BIND_PARAMETERS params)
{
    NDIS_MEDIUM medium = NdisMedium802_3;
    UINT selected = 0;
    NDIS_OPEN_PARAMETERS open{};
    open.Header.Type = NDIS_OBJECT_TYPE_OPEN_PARAMETERS;
    open.Header.Revision = NDIS_OPEN_PARAMETERS_REVISION_1;
    open.Header.Size = NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1;
    open.AdapterName = params->AdapterName;
    open.MediumArray = &medium;
    open.MediumArraySize = 1;
    open.SelectedMediumIndex = &selected;
    if (NdisOpenAdapterEx(g_leaky_protocol, nullptr, &open, bind_context, &g_leaky_binding) !=
        NDIS_STATUS_SUCCESS) {
        return NDIS_STATUS_FAILURE;
    }
    return NDIS_STATUS_RESOURCES; // and no NdisCloseAdapterEx
}
NDIS_STATUS LeakyUnbind(NDIS_HANDLE, NDIS_HANDLE) { return NDIS_STATUS_SUCCESS; }
NDIS_STATUS LeakyPnP(NDIS_HANDLE, PNET_PNP_EVENT_NOTIFICATION) { return NDIS_STATUS_SUCCESS; }
VOID LeakyUnload(PDRIVER_OBJECT) { NdisDeregisterProtocolDriver(g_leaky_protocol); }
NTSTATUS LeakyDriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING)
{
    NDIS_PROTOCOL_DRIVER_CHARACTERISTICS pc{};
    pc.Header.Type = NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS;
    pc.Header.Revision = NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
    pc.Header.Size = NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
    pc.MajorNdisVersion = NDIS_PROTOCOL_MAJOR_VERSION;
    pc.MinorNdisVersion = NDIS_PROTOCOL_MINOR_VERSION;
    pc.Name = g_leaky_name;
    pc.BindAdapterHandlerEx = LeakyBind;
    pc.UnbindAdapterHandlerEx = LeakyUnbind;
    pc.OpenAdapterCompleteHandlerEx = PeerOpenComplete;
    pc.CloseAdapterCompleteHandlerEx = PeerCloseComplete;
    pc.NetPnPEventHandler = LeakyPnP;
    pc.OidRequestCompleteHandler = PeerOidComplete;
    pc.StatusHandlerEx = PeerStatus;
    pc.ReceiveNetBufferListsHandler = PeerReceive;
    pc.SendNetBufferListsCompleteHandler = PeerSendComplete;
    const NDIS_STATUS status = NdisRegisterProtocolDriver(nullptr, &pc, &g_leaky_protocol);
    if (status == NDIS_STATUS_SUCCESS) {
        driver->DriverUnload = LeakyUnload;
    }
    return status;
}

TEST(FailedBind, LeftOpenIsReportedAndClosedByTheRuntime)
{
    openndis::test::VerifierCapture cap;
    {
        ndis::host::stack s;
        ASSERT_TRUE(s.add_driver("loopback"));
        ASSERT_TRUE(s.add_driver("leaky_bind", &LeakyDriverEntry));
        ASSERT_TRUE(s.add_adapter("lo0", "loopback", {{"Pair", "leaky"}}));
        ASSERT_TRUE(s.add_binding("leaky_bind", "lo0"));
        EXPECT_FALSE(s.start());
        const ndis::host::teardown_report r = s.stop();
        EXPECT_TRUE(r.left_behind.empty()) << r.text();
    }
    EXPECT_VERIFIER_REPORTS(cap, "ST-01");
}

// ==== capture ====================================================================================

std::string temp_path(const char *stem)
{
    return "/tmp/openndis_" + std::string(stem) + "_" + std::to_string(::getpid()) + ".pcap";
}

// capture on lo0 (with responder beside it): every frame lo0 receives is in the pcap file, in
// order, byte-exact (as padded by the loopback), LINKTYPE_ETHERNET, snapshot length 65535; a frame
// split over MDLs is gathered.
TEST_F(ResponderStack, CaptureWritesEveryReceivedFrame)
{
    StackOptions o;
    o.capture = true;
    o.capture_path = temp_path("capture");
    ASSERT_TRUE(start(o)) << error_;
    const Mac peer = peer_.mac, me = responder_mac_;
    std::vector<Bytes> frames = {
        arp(1, kBroadcast, peer, kPeerIp4, Mac{}, kResponderIp4),
        icmp4(8, me, peer, kPeerIp4, kResponderIp4, 64, 3, 3, payload_pattern(1400, 8)),
        ethernet(Mac{2, 0, 0, 0, 0, 7}, peer, 0x88b5, 20), // not for responder: captured anyway
        ipv6(me, peer, kPeerIp6, kResponderIp6, 64, echo6_message(128, 4, payload_pattern(10, 1))),
    };
    exchange(frames, 3);
    std::vector<Bytes> split = {icmp4(8, me, peer, kPeerIp4, kResponderIp4, 64, 3, 4,
                                      payload_pattern(300, 2))};
    exchange(split, 1, 7);
    frames.push_back(split[0]);

    CAPTURE_STATS cs{};
    ASSERT_EQ(CaptureGetStats("lo0", &cs), NDIS_STATUS_SUCCESS);
    EXPECT_TRUE(cs.Bound);
    EXPECT_EQ(cs.FramesReceived, frames.size());
    EXPECT_EQ(cs.FramesWritten, frames.size());
    EXPECT_EQ(cs.PacketFilter,
              static_cast<ULONG>(NDIS_PACKET_TYPE_PROMISCUOUS | NDIS_PACKET_TYPE_NO_LOCAL));
    EXPECT_EQ(cs.FilterStatus, NDIS_STATUS_SUCCESS);
    EXPECT_EQ(cs.Flushes, 0u);
    ASSERT_TRUE(stack_.pause_binding("capture", "lo0")); // pause flushes
    ASSERT_EQ(CaptureGetStats("lo0", &cs), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(cs.Flushes, 1u);
    ASSERT_TRUE(stack_.restart_binding("capture", "lo0"));
    DebugLog log;
    stop(); // unbind closes the file
    EXPECT_NE(log.text().find("capture lo0: wrote 5 of 5 frames"), std::string::npos) << log.text();

    char err[PCAP_ERRBUF_SIZE] = {};
    pcap_t *p = pcap_open_offline(o.capture_path.c_str(), err);
    ASSERT_NE(p, nullptr) << err;
    EXPECT_EQ(pcap_datalink(p), DLT_EN10MB);
    EXPECT_EQ(pcap_snapshot(p), 65535);
    std::vector<Bytes> read;
    struct pcap_pkthdr *h = nullptr;
    const u_char *bytes = nullptr;
    long long last_us = 0;
    const long long now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    while (pcap_next_ex(p, &h, &bytes) == 1) {
        EXPECT_EQ(h->caplen, h->len);
        read.emplace_back(bytes, bytes + h->caplen);
        const long long us = static_cast<long long>(h->ts.tv_sec) * 1000000 + h->ts.tv_usec;
        EXPECT_GE(us, last_us) << "timestamps in order";
        EXPECT_LE(us, now_us);
        EXPECT_GT(us, now_us - 60'000'000) << "a timestamp of now (Unix epoch)";
        last_us = us;
    }
    pcap_close(p);
    std::remove(o.capture_path.c_str());
    ASSERT_EQ(read.size(), frames.size());
    for (std::size_t i = 0; i < frames.size(); ++i) {
        EXPECT_EQ(read[i], on_wire(frames[i])) << "frame " << i;
    }
}

// The filter parameter as names; a path that cannot be opened fails the bind, and the DbgPrint
// names the path and why.
TEST_F(ResponderStack, CaptureFilterNamesAndBadPath)
{
    {
        // filter from [driver.params]: a key missing from the binding's parameters
        const std::string path = temp_path("filter");
        ASSERT_TRUE(stack_.add_driver("capture", "", {{"filter", "directed|Broadcast, multicast"}}));
        ASSERT_TRUE(stack_.add_driver("loopback"));
        ASSERT_TRUE(stack_.add_driver("resp_peer", &PeerDriverEntry));
        ASSERT_TRUE(stack_.add_adapter("lo0", "loopback", {{"Pair", "resp"}}));
        ASSERT_TRUE(stack_.add_adapter("lo1", "loopback", {{"Pair", "resp"}}));
        ASSERT_TRUE(stack_.add_binding("capture", "lo0", {{"path", path}}));
        ASSERT_TRUE(stack_.add_binding("resp_peer", "lo1"));
        started_ = stack_.start();
        ASSERT_TRUE(started_) << stack_.last_error();
        CAPTURE_STATS cs{};
        ASSERT_EQ(CaptureGetStats("lo0", &cs), NDIS_STATUS_SUCCESS);
        EXPECT_EQ(cs.PacketFilter, static_cast<ULONG>(NDIS_PACKET_TYPE_DIRECTED |
                                                      NDIS_PACKET_TYPE_BROADCAST |
                                                      NDIS_PACKET_TYPE_MULTICAST));
        stop();
        std::remove(path.c_str());
    }
    {
        DebugLog log;
        ndis::host::stack s;
        ASSERT_TRUE(s.add_driver("loopback"));
        ASSERT_TRUE(s.add_driver("capture"));
        ASSERT_TRUE(s.add_adapter("lo0", "loopback", {{"Pair", "badpath"}}));
        const std::string bad = "/nonexistent-openndis-dir/x.pcap";
        ASSERT_TRUE(s.add_binding("capture", "lo0", {{"path", bad}}));
        EXPECT_FALSE(s.start());
        const std::string text = log.text();
        EXPECT_NE(text.find(bad), std::string::npos) << text;
        EXPECT_NE(text.find("No such file or directory"), std::string::npos) << text;
        const ndis::host::teardown_report r = s.stop();
        EXPECT_TRUE(r.left_behind.empty()) << r.text();
    }
    {
        DebugLog log;
        ndis::host::stack s;
        ASSERT_TRUE(s.add_driver("loopback"));
        ASSERT_TRUE(s.add_driver("capture"));
        ASSERT_TRUE(s.add_adapter("lo0", "loopback", {{"Pair", "badfilter"}}));
        ASSERT_TRUE(s.add_binding("capture", "lo0",
                                  {{"path", temp_path("never")}, {"filter", "promiscuous|bogus"}}));
        EXPECT_FALSE(s.start());
        EXPECT_NE(log.text().find("bogus"), std::string::npos) << log.text();
        s.stop();
    }
}

} // namespace
