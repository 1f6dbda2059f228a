// it_support.cpp — see it_support.hpp.
#include "it_support.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <functional>
#include <thread>

namespace it
{

bool is_root()
{
    return geteuid() == 0;
}

bool run(const std::string &command, bool quiet)
{
    const std::string full = command + " 2>&1";
    FILE *p = popen(full.c_str(), "r");
    if (p == nullptr) {
        ADD_FAILURE() << "popen failed: " << command;
        return false;
    }
    std::string output;
    std::array<char, 256> buf{};
    while (fgets(buf.data(), static_cast<int>(buf.size()), p) != nullptr) {
        output += buf.data();
    }
    const int rc = pclose(p);
    if (rc != 0 && !quiet) {
        std::fprintf(stderr, "[it] '%s' failed (%d): %s\n", command.c_str(), rc, output.c_str());
        return false;
    }
    return true;
}

std::string unique_name(const std::string &prefix)
{
    return prefix + std::to_string(getpid() % 100000);
}

Netns::Netns(std::string n) : name(std::move(n))
{
    run("ip netns del " + name, true); // a leftover of a crashed run
    ok_ = run("ip netns add " + name);
}

Netns::~Netns()
{
    if (ok_) {
        run("ip netns del " + name);
    }
}

VethPair::VethPair(std::string a_, std::string b_, const Netns &n)
    : a(std::move(a_)), b(std::move(b_)), ns(n.name)
{
    run("ip link del " + a, true);
    ok_ = run("ip link add " + a + " type veth peer name " + b) &&
          run("ip link set " + b + " netns " + ns) &&
          run("sysctl -qw net.ipv6.conf." + a + ".disable_ipv6=1") &&
          run("ip netns exec " + ns + " sysctl -qw net.ipv6.conf." + b + ".disable_ipv6=1") &&
          run("ip link set " + a + " up") &&
          run("ip netns exec " + ns + " ip link set " + b + " up");
}

VethPair::~VethPair()
{
    // Deleting one end deletes the pair (the other end is in ns, which the Netns
    // removes too).
    run("ip link del " + a);
}

bool VethPair::set_b_up(bool up)
{
    return run("ip netns exec " + ns + " ip link set " + b + (up ? " up" : " down"));
}

namespace
{

// Runs fn on a thread that joined the network namespace ns (the calling thread
// when ns is empty); false when it could not join.
bool in_netns(const std::string &ns, const std::function<void()> &fn)
{
    if (ns.empty()) {
        fn();
        return true;
    }
    bool joined = false;
    std::thread t([&] {
        const std::string path = "/var/run/netns/" + ns;
        const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            return;
        }
        // This thread only: its namespace dies with it, what it opened stays in ns.
        if (setns(fd, CLONE_NEWNET) == 0) {
            joined = true;
            fn();
        }
        close(fd);
    });
    t.join();
    if (!joined) {
        ADD_FAILURE() << "cannot join network namespace " << ns;
    }
    return joined;
}

} // namespace

Bytes mac_of(const std::string &ifname, const std::string &ns)
{
    Bytes mac;
    in_netns(ns, [&] {
        ifreq ifr{};
        std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
        const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && ioctl(fd, SIOCGIFHWADDR, &ifr) == 0) {
            mac.assign(reinterpret_cast<const std::uint8_t *>(ifr.ifr_hwaddr.sa_data),
                       reinterpret_cast<const std::uint8_t *>(ifr.ifr_hwaddr.sa_data) + 6);
        }
        if (fd >= 0) {
            close(fd);
        }
    });
    return mac;
}

RawSocket::RawSocket(const std::string &ifname, const std::string &ns)
{
    in_netns(ns, [&] {
        ifindex_ = static_cast<int>(if_nametoindex(ifname.c_str()));
        if (ifindex_ == 0) {
            return;
        }
        const int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
        if (fd < 0) {
            return;
        }
        const int big = 16 << 20;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
        sockaddr_ll sll{};
        sll.sll_family = AF_PACKET;
        sll.sll_protocol = htons(ETH_P_ALL);
        sll.sll_ifindex = ifindex_;
        if (bind(fd, reinterpret_cast<sockaddr *>(&sll), sizeof sll) != 0) {
            close(fd);
            return;
        }
        fd_ = fd;
    });
    if (fd_ < 0) {
        ADD_FAILURE() << "cannot open a raw socket on " << ifname << " (netns '" << ns << "')";
    }
}

RawSocket::~RawSocket()
{
    if (fd_ >= 0) {
        close(fd_);
    }
}

bool RawSocket::send(const Bytes &frame)
{
    return ::send(fd_, frame.data(), frame.size(), 0) == static_cast<ssize_t>(frame.size());
}

std::vector<Bytes> RawSocket::receive(std::size_t count, std::chrono::milliseconds timeout,
                                      std::uint16_t ether_type)
{
    std::vector<Bytes> out;
    std::vector<std::uint8_t> buf(65536);
    while (out.size() < count) {
        pollfd p{fd_, POLLIN, 0};
        if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
            break;
        }
        sockaddr_ll from{};
        socklen_t len = sizeof from;
        const ssize_t n =
            recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr *>(&from), &len);
        if (n < 14 || from.sll_pkttype == PACKET_OUTGOING) {
            continue;
        }
        if (((buf[12] << 8) | buf[13]) != ether_type) {
            continue;
        }
        out.emplace_back(buf.begin(), buf.begin() + n);
    }
    return out;
}

// ---- frames
// ----------------------------------------------------------------------------------------

Bytes make_frame(const Bytes &dst, const Bytes &src, std::size_t length, std::uint32_t seed)
{
    Bytes f(length);
    for (std::size_t i = 0; i < 6; ++i) {
        f[i] = dst[i];
        f[6 + i] = src[i];
    }
    f[12] = static_cast<std::uint8_t>(kTestEtherType >> 8);
    f[13] = static_cast<std::uint8_t>(kTestEtherType & 0xFF);
    for (std::size_t i = 14; i < length; ++i) {
        f[i] = static_cast<std::uint8_t>((i * 131u + seed * 7919u + (seed >> 8)) & 0xFF);
    }
    return f;
}

std::vector<Bytes> split(const Bytes &frame, std::size_t pieces)
{
    pieces = std::max<std::size_t>(1, std::min(pieces, frame.size()));
    std::vector<Bytes> out;
    std::size_t at = 0;
    for (std::size_t i = 0; i < pieces; ++i) {
        const std::size_t take = (frame.size() - at) / (pieces - i);
        out.emplace_back(frame.begin() + static_cast<std::ptrdiff_t>(at),
                         frame.begin() + static_cast<std::ptrdiff_t>(at + take));
        at += take;
    }
    return out;
}

Bytes padded(const Bytes &frame)
{
    Bytes p = frame;
    if (p.size() < 60) {
        p.resize(60, 0);
    }
    return p;
}

std::string hex(const Bytes &b, std::size_t max)
{
    std::string s;
    char tmp[4];
    for (std::size_t i = 0; i < b.size() && i < max; ++i) {
        std::snprintf(tmp, sizeof tmp, "%02x", b[i]);
        s += tmp;
    }
    if (b.size() > max) {
        s += "…";
    }
    return s + " (" + std::to_string(b.size()) + " bytes)";
}

// ---- itproto
// ---------------------------------------------------------------------------------------

ItProto g_itproto;

namespace
{

constexpr ULONG kTag = 'otTI';

// What one sent NBL owns (ProtocolReserved[0]).
struct SendContext {
    std::uint64_t id = 0;
    std::vector<Bytes> storage;
    std::vector<PMDL> mdls;
    std::vector<PNET_BUFFER> nbs;
};

void free_sent(PNET_BUFFER_LIST nbl)
{
    auto *ctx = static_cast<SendContext *>(nbl->ProtocolReserved[0]);
    NET_BUFFER_LIST_FIRST_NB(nbl) = nullptr;
    for (PNET_BUFFER nb : ctx->nbs) {
        NET_BUFFER_NEXT_NB(nb) = nullptr;
        NdisFreeNetBuffer(nb);
    }
    for (PMDL m : ctx->mdls) {
        NdisFreeMdl(m);
    }
    NdisFreeNetBufferList(nbl);
    delete ctx;
}

NDIS_STATUS it_bind(NDIS_HANDLE, NDIS_HANDLE bind_context, PNDIS_BIND_PARAMETERS bp)
{
    ItProto &p = g_itproto;
    if (p.binding_handle != nullptr) {
        return NDIS_STATUS_NOT_ACCEPTED; // one binding at a time in these tests
    }
    NDIS_MEDIUM media[] = {NdisMedium802_3};
    UINT selected = 0;
    NDIS_OPEN_PARAMETERS op{};
    op.Header.Type = NDIS_OBJECT_TYPE_OPEN_PARAMETERS;
    op.Header.Revision = NDIS_OPEN_PARAMETERS_REVISION_1;
    op.Header.Size = NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1;
    op.AdapterName = bp->AdapterName;
    op.MediumArray = media;
    op.MediumArraySize = 1;
    op.SelectedMediumIndex = &selected;
    NDIS_HANDLE handle = nullptr;
    const NDIS_STATUS s = NdisOpenAdapterEx(p.protocol_handle, &p, &op, bind_context, &handle);
    if (s != NDIS_STATUS_SUCCESS) {
        return s;
    }
    std::memcpy(p.bound_mac, bp->CurrentMacAddress, 6);
    p.bound_mtu = bp->MtuSize;
    p.bound_connect_state = bp->MediaConnectState;
    NET_BUFFER_LIST_POOL_PARAMETERS lp{};
    lp.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    lp.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    lp.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    lp.fAllocateNetBuffer = FALSE;
    lp.PoolTag = kTag;
    p.nbl_pool = NdisAllocateNetBufferListPool(p.protocol_handle, &lp);
    NET_BUFFER_POOL_PARAMETERS np{};
    np.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    np.Header.Revision = NET_BUFFER_POOL_PARAMETERS_REVISION_1;
    np.Header.Size = NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1;
    np.PoolTag = kTag;
    p.nb_pool = NdisAllocateNetBufferPool(p.protocol_handle, &np);
    {
        std::lock_guard<std::mutex> g(p.lock);
        p.binding_handle = handle;
    }
    ULONG filter = p.packet_filter_to_set;
    const NDIS_STATUS fs =
        p.oid(NdisRequestSetInformation, OID_GEN_CURRENT_PACKET_FILTER, &filter, sizeof filter);
    if (fs != NDIS_STATUS_SUCCESS) {
        std::fprintf(stderr, "[itproto] setting the packet filter failed: 0x%08x\n",
                     static_cast<unsigned>(fs));
    }
    return NDIS_STATUS_SUCCESS;
}

NDIS_STATUS it_unbind(NDIS_HANDLE, NDIS_HANDLE)
{
    ItProto &p = g_itproto;
    NDIS_HANDLE h;
    {
        std::lock_guard<std::mutex> g(p.lock);
        h = p.binding_handle;
        p.binding_handle = nullptr;
    }
    NdisCloseAdapterEx(h);
    NdisFreeNetBufferListPool(p.nbl_pool);
    NdisFreeNetBufferPool(p.nb_pool);
    p.nbl_pool = p.nb_pool = nullptr;
    return NDIS_STATUS_SUCCESS;
}

void it_open_complete(NDIS_HANDLE, NDIS_STATUS) {}
void it_close_complete(NDIS_HANDLE) {}
NDIS_STATUS it_pnp(NDIS_HANDLE, PNET_PNP_EVENT_NOTIFICATION)
{
    return NDIS_STATUS_SUCCESS;
}

void it_oid_complete(NDIS_HANDLE, PNDIS_OID_REQUEST, NDIS_STATUS status)
{
    ItProto &p = g_itproto;
    std::lock_guard<std::mutex> g(p.lock);
    p.oid_status_ = status;
    p.oid_done_ = true;
    p.cv.notify_all();
}

void it_status(NDIS_HANDLE, PNDIS_STATUS_INDICATION si)
{
    ItProto &p = g_itproto;
    if (si->StatusCode == NDIS_STATUS_LINK_STATE && si->StatusBuffer != nullptr &&
        si->StatusBufferSize >= sizeof(NDIS_LINK_STATE)) {
        const auto *ls = static_cast<const NDIS_LINK_STATE *>(si->StatusBuffer);
        std::lock_guard<std::mutex> g(p.lock);
        p.links_.push_back({ls->MediaConnectState});
        p.cv.notify_all();
    }
}

void it_receive(NDIS_HANDLE, PNET_BUFFER_LIST nbls, NDIS_PORT_NUMBER, ULONG, ULONG flags)
{
    ItProto &p = g_itproto;
    std::vector<Bytes> frames;
    for (PNET_BUFFER_LIST n = nbls; n != nullptr; n = NET_BUFFER_LIST_NEXT_NBL(n)) {
        for (PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(n); nb != nullptr;
             nb = NET_BUFFER_NEXT_NB(nb)) {
            const ULONG len = NET_BUFFER_DATA_LENGTH(nb);
            Bytes f(len);
            auto *data = static_cast<std::uint8_t *>(NdisGetDataBuffer(nb, len, f.data(), 1, 0));
            if (data != nullptr && data != f.data()) {
                std::memcpy(f.data(), data, len);
            }
            frames.push_back(std::move(f));
        }
    }
    {
        std::lock_guard<std::mutex> g(p.lock);
        ++p.receive_calls_;
        for (auto &f : frames) {
            p.received_.push_back(std::move(f));
        }
        p.cv.notify_all();
    }
    if (!NDIS_TEST_RECEIVE_CANNOT_PEND(flags)) {
        NdisReturnNetBufferLists(
            p.binding_handle, nbls,
            NDIS_TEST_RECEIVE_AT_DISPATCH_LEVEL(flags) ? NDIS_RETURN_FLAGS_DISPATCH_LEVEL : 0);
    }
}

void it_send_complete(NDIS_HANDLE, PNET_BUFFER_LIST nbls, ULONG)
{
    ItProto &p = g_itproto;
    for (PNET_BUFFER_LIST n = nbls, next; n != nullptr; n = next) {
        next = NET_BUFFER_LIST_NEXT_NBL(n);
        NET_BUFFER_LIST_NEXT_NBL(n) = nullptr;
        const std::uint64_t id = static_cast<SendContext *>(n->ProtocolReserved[0])->id;
        const NDIS_STATUS status = NET_BUFFER_LIST_STATUS(n);
        free_sent(n);
        std::lock_guard<std::mutex> g(p.lock);
        if (!p.completed_.emplace(id, status).second) {
            ++p.double_;
        }
        p.cv.notify_all();
    }
}

void it_unload(PDRIVER_OBJECT)
{
    NdisDeregisterProtocolDriver(g_itproto.protocol_handle);
    g_itproto.protocol_handle = nullptr;
}

} // namespace

NTSTATUS ItProtoDriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING)
{
    NDIS_PROTOCOL_DRIVER_CHARACTERISTICS pc{};
    pc.Header.Type = NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS;
    pc.Header.Revision = NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
    pc.Header.Size = NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
    pc.MajorNdisVersion = NDIS_PROTOCOL_MAJOR_VERSION;
    pc.MinorNdisVersion = NDIS_PROTOCOL_MINOR_VERSION;
    NDIS_STRING name = NDIS_STRING_CONST("itproto");
    pc.Name = name;
    pc.BindAdapterHandlerEx = it_bind;
    pc.UnbindAdapterHandlerEx = it_unbind;
    pc.OpenAdapterCompleteHandlerEx = it_open_complete;
    pc.CloseAdapterCompleteHandlerEx = it_close_complete;
    pc.NetPnPEventHandler = it_pnp;
    pc.OidRequestCompleteHandler = it_oid_complete;
    pc.StatusHandlerEx = it_status;
    pc.ReceiveNetBufferListsHandler = it_receive;
    pc.SendNetBufferListsCompleteHandler = it_send_complete;
    driver->DriverUnload = it_unload;
    return NdisRegisterProtocolDriver(nullptr, &pc, &g_itproto.protocol_handle);
}

bool ItProto::bound() const
{
    std::lock_guard<std::mutex> g(lock);
    return binding_handle != nullptr;
}

std::vector<std::uint64_t> ItProto::send(const std::vector<NblSpec> &nbls, ULONG lead)
{
    std::vector<std::uint64_t> ids;
    PNET_BUFFER_LIST head = nullptr, tail = nullptr;
    for (const NblSpec &spec : nbls) {
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(nbl_pool, 0, 0);
        if (nbl == nullptr) {
            ADD_FAILURE() << "NdisAllocateNetBufferList failed";
            break;
        }
        auto *ctx = new SendContext;
        {
            std::lock_guard<std::mutex> g(lock);
            ctx->id = next_id_++;
        }
        nbl->ProtocolReserved[0] = ctx;
        nbl->SourceHandle = binding_handle;
        PNET_BUFFER last_nb = nullptr;
        for (const auto &pieces : spec.nbs) {
            PMDL first = nullptr, prev = nullptr;
            ULONG length = 0;
            for (std::size_t i = 0; i < pieces.size(); ++i) {
                Bytes store;
                if (i == 0) {
                    store.assign(lead, 0xEE); // junk the miniport must skip
                }
                store.insert(store.end(), pieces[i].begin(), pieces[i].end());
                length += static_cast<ULONG>(pieces[i].size());
                ctx->storage.push_back(std::move(store));
                Bytes &s = ctx->storage.back();
                PMDL m = NdisAllocateMdl(binding_handle, s.data(), static_cast<UINT>(s.size()));
                ctx->mdls.push_back(m);
                if (prev != nullptr) {
                    NDIS_MDL_LINKAGE(prev) = m;
                } else {
                    first = m;
                }
                prev = m;
            }
            PNET_BUFFER nb = NdisAllocateNetBuffer(nb_pool, first, lead, length);
            ctx->nbs.push_back(nb);
            if (last_nb == nullptr) {
                NET_BUFFER_LIST_FIRST_NB(nbl) = nb;
            } else {
                NET_BUFFER_NEXT_NB(last_nb) = nb;
            }
            last_nb = nb;
        }
        ids.push_back(ctx->id);
        if (tail == nullptr) {
            head = nbl;
        } else {
            NET_BUFFER_LIST_NEXT_NBL(tail) = nbl;
        }
        tail = nbl;
    }
    if (head != nullptr) {
        NdisSendNetBufferLists(binding_handle, head, NDIS_DEFAULT_PORT_NUMBER, 0);
    }
    return ids;
}

bool ItProto::wait_completed(std::size_t n, std::chrono::milliseconds timeout)
{
    std::unique_lock<std::mutex> g(lock);
    return cv.wait_for(g, timeout, [&] { return completed_.size() >= n; });
}

std::map<std::uint64_t, NDIS_STATUS> ItProto::completions()
{
    std::lock_guard<std::mutex> g(lock);
    return completed_;
}

std::size_t ItProto::completion_count()
{
    std::lock_guard<std::mutex> g(lock);
    return completed_.size();
}

std::size_t ItProto::double_completions()
{
    std::lock_guard<std::mutex> g(lock);
    return double_;
}

std::vector<Bytes> ItProto::received(std::uint16_t ether_type)
{
    std::lock_guard<std::mutex> g(lock);
    std::vector<Bytes> out;
    for (const Bytes &f : received_) {
        if (f.size() >= 14 && ((f[12] << 8) | f[13]) == ether_type) {
            out.push_back(f);
        }
    }
    return out;
}

bool ItProto::wait_received(std::size_t n, std::chrono::milliseconds timeout,
                            std::uint16_t ether_type)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (received(ether_type).size() < n) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

std::size_t ItProto::receive_calls()
{
    std::lock_guard<std::mutex> g(lock);
    return receive_calls_;
}

std::vector<LinkEvent> ItProto::link_events()
{
    std::lock_guard<std::mutex> g(lock);
    return links_;
}

bool ItProto::wait_link(NDIS_MEDIA_CONNECT_STATE state, std::chrono::milliseconds timeout)
{
    std::unique_lock<std::mutex> g(lock);
    return cv.wait_for(g, timeout, [&] { return !links_.empty() && links_.back().state == state; });
}

NDIS_STATUS ItProto::oid(NDIS_REQUEST_TYPE type, NDIS_OID oid, void *buffer, ULONG length)
{
    NDIS_OID_REQUEST r{};
    r.Header.Type = NDIS_OBJECT_TYPE_OID_REQUEST;
    r.Header.Revision = NDIS_OID_REQUEST_REVISION_1;
    r.Header.Size = NDIS_SIZEOF_OID_REQUEST_REVISION_1;
    r.RequestType = type;
    r.PortNumber = NDIS_DEFAULT_PORT_NUMBER;
    r.DATA.SET_INFORMATION.Oid = oid; // QUERY_INFORMATION has the same layout
    r.DATA.SET_INFORMATION.InformationBuffer = buffer;
    r.DATA.SET_INFORMATION.InformationBufferLength = length;
    {
        std::lock_guard<std::mutex> g(lock);
        oid_done_ = false;
    }
    NDIS_STATUS s = NdisOidRequest(binding_handle, &r);
    if (s == NDIS_STATUS_PENDING) {
        std::unique_lock<std::mutex> g(lock);
        cv.wait_for(g, 5s, [&] { return oid_done_; });
        s = oid_done_ ? oid_status_ : NDIS_STATUS_FAILURE;
    }
    return s;
}

void ItProto::reset()
{
    std::lock_guard<std::mutex> g(lock);
    completed_.clear();
    double_ = 0;
    received_.clear();
    receive_calls_ = 0;
    links_.clear();
    packet_filter_to_set = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST;
}

} // namespace it
