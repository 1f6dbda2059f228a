// it_support.hpp — what the integration tests share: network namespaces and
// veth pairs made and removed by RAII, raw AF_PACKET sockets opened inside a
// namespace, and `itproto`, a test protocol driver (against <ndis.h>) that
// sends frames of any NB/MDL shape and records completions, receives and status
// indications.
//
// Abstract
//   Netns          `ip netns add` in the constructor, `ip netns del` in the
//   destructor. VethPair       a veth pair: `a` in the root namespace (where
//   the OpenNDIS stack runs), `b`
//                  moved into a Netns; both up, IPv6 off on both (no router
//                  solicitations or MLD reports in the captures). The
//                  destructor deletes `a` (and with it `b`).
//   RawSocket      an AF_PACKET/ETH_P_ALL socket bound to an interface, opened
//   on a helper
//                  thread that joined the namespace with setns (the socket
//                  keeps that namespace); send() and receive frames with a
//                  timeout and an EtherType filter.
//   ItProto        the protocol registered as built-in driver "itproto" through
//                  ndis::host::stack::add_driver(name, &ItProtoDriverEntry).
//                  One global instance (g_itproto); it binds to every 802.3
//                  adapter offered, sets the packet filter it is told (default
//                  DIRECTED | BROADCAST), returns every received NBL at once
//                  after copying its frames, and keeps every status indication.
//   Every helper fails (gtest ADD_FAILURE / a false return) with a message that
//   says what failed. Only 192.0.2.0/24 and 2001:db8::/32 would be used for
//   addresses; these tests use none (raw Ethernet frames, EtherType 0x88B6).
#pragma once

#include <ndis.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace it
{

using Bytes = std::vector<std::uint8_t>;
using namespace std::chrono_literals;

constexpr std::uint16_t kTestEtherType = 0x88B6; // IEEE local experimental EtherType 2

bool is_root();
// Runs a shell command; true when it exits 0. The command and its output go to
// stderr on failure unless quiet (for clean-ups of what may not exist).
bool run(const std::string &command, bool quiet = false);
// A name unique to this process: prefix + pid (at most 15 characters for
// interfaces).
std::string unique_name(const std::string &prefix);

class Netns
{
public:
    explicit Netns(std::string name);
    ~Netns();
    Netns(const Netns &) = delete;
    Netns &operator=(const Netns &) = delete;
    const std::string name;
    bool ok() const noexcept { return ok_; }

private:
    bool ok_ = false;
};

class VethPair
{
public:
    // a: root namespace, b: inside ns.
    VethPair(std::string a, std::string b, const Netns &ns);
    ~VethPair();
    VethPair(const VethPair &) = delete;
    VethPair &operator=(const VethPair &) = delete;
    const std::string a, b;
    const std::string ns;
    bool ok() const noexcept { return ok_; }
    // `ip link set b up|down` inside the namespace.
    bool set_b_up(bool up);

private:
    bool ok_ = false;
};

// The MAC of an interface in the calling thread's namespace (or in ns when not
// empty).
Bytes mac_of(const std::string &ifname, const std::string &ns = {});

class RawSocket
{
public:
    // ns empty: the calling thread's namespace.
    RawSocket(const std::string &ifname, const std::string &ns = {});
    ~RawSocket();
    RawSocket(const RawSocket &) = delete;
    RawSocket &operator=(const RawSocket &) = delete;
    bool ok() const noexcept { return fd_ >= 0; }
    bool send(const Bytes &frame);
    // Incoming frames (not PACKET_OUTGOING) with EtherType `ether_type`, until
    // `count` were seen or `timeout` passed without a new one.
    std::vector<Bytes> receive(std::size_t count, std::chrono::milliseconds timeout = 2000ms,
                               std::uint16_t ether_type = kTestEtherType);
    int fd() const noexcept { return fd_; }

private:
    int fd_ = -1;
    int ifindex_ = 0;
};

// ---- itproto
// -------------------------------------------------------------------------------------

// One NBL to send: its NBs, each given as the MDL pieces of its frame.
struct NblSpec {
    std::vector<std::vector<Bytes>> nbs; // nbs[i] = the MDL pieces of frame i
};

struct Completion {
    std::uint64_t id = 0;
    NDIS_STATUS status = NDIS_STATUS_FAILURE;
};

struct LinkEvent {
    NDIS_MEDIA_CONNECT_STATE state = MediaConnectStateUnknown;
};

class ItProto
{
public:
    // ---- control (test thread) ----
    bool bound() const;
    ULONG packet_filter_to_set = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST;
    // Sends the NBLs in one NdisSendNetBufferLists call; returns their ids (in
    // chain order). Each NB gets `lead` bytes of junk in front of its data in its
    // first MDL (DataOffset = CurrentMdlOffset = lead) so that the miniport must
    // honour CurrentMdlOffset.
    std::vector<std::uint64_t> send(const std::vector<NblSpec> &nbls, ULONG lead = 3);
    bool wait_completed(std::size_t n, std::chrono::milliseconds timeout = 5000ms);
    std::map<std::uint64_t, NDIS_STATUS> completions();
    std::size_t completion_count();
    std::size_t double_completions();
    // Frames received (copied out of the NBLs, in order) whose EtherType is
    // `ether_type`.
    std::vector<Bytes> received(std::uint16_t ether_type = kTestEtherType);
    bool wait_received(std::size_t n, std::chrono::milliseconds timeout = 5000ms,
                       std::uint16_t ether_type = kTestEtherType);
    std::size_t receive_calls();
    std::vector<LinkEvent> link_events();
    bool wait_link(NDIS_MEDIA_CONNECT_STATE state, std::chrono::milliseconds timeout = 5000ms);
    // A synchronous OID set/query on the binding; returns the status.
    NDIS_STATUS oid(NDIS_REQUEST_TYPE type, NDIS_OID oid, void *buffer, ULONG length);
    UCHAR bound_mac[6] = {};
    ULONG bound_mtu = 0;
    NDIS_MEDIA_CONNECT_STATE bound_connect_state = MediaConnectStateUnknown;
    void reset(); // forgets everything recorded (between tests)

    // ---- driver side ----
    NDIS_HANDLE protocol_handle = nullptr;
    NDIS_HANDLE binding_handle = nullptr;
    NDIS_HANDLE nbl_pool = nullptr, nb_pool = nullptr;
    mutable std::mutex lock;
    std::condition_variable cv;
    std::map<std::uint64_t, NDIS_STATUS> completed_;
    std::size_t double_ = 0;
    std::vector<Bytes> received_;
    std::size_t receive_calls_ = 0;
    std::vector<LinkEvent> links_;
    std::uint64_t next_id_ = 1;
    NDIS_STATUS oid_status_ = NDIS_STATUS_PENDING;
    bool oid_done_ = false;
};

extern ItProto g_itproto;

// DRIVER_INITIALIZE of itproto (registered Name "itproto").
NTSTATUS ItProtoDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);

// A test frame: destination, source, EtherType 0x88B6, then `length - 14` bytes
// of a pattern seeded by `seed` (length >= 14).
Bytes make_frame(const Bytes &dst, const Bytes &src, std::size_t length, std::uint32_t seed);
// Cuts a frame into `pieces` MDL pieces of nearly equal size (at least 1 byte
// each).
std::vector<Bytes> split(const Bytes &frame, std::size_t pieces);
// The frame as it must appear on the wire: zero-padded to 60 bytes (MS-13).
Bytes padded(const Bytes &frame);
std::string hex(const Bytes &b, std::size_t max = 64);

} // namespace it
