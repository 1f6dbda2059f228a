// test_ping_responder_internal.cpp — Linux pings the `responder` protocol through real interfaces:
//
//   1. veth: one end in a namespace this test creates (192.0.2.2/24, 2001:db8::2/64 nodad), the
//      other end driven by the `afpacket` miniport with `responder` bound (192.0.2.1/24,
//      2001:db8::1/64): `ping -c 20` and `ping -6 -c 20` from the namespace get 20 replies each.
//   2. tap: the TAP interface the `tap` miniport creates is moved into a namespace and given
//      192.0.2.2/24 and 2001:db8::2/64; the same two pings get 20 replies each.
//   3. capture bound to the afpacket adapter beside responder while the namespace pings: the
//      pcap file (read back with libpcap) holds every echo request, byte-valid.
//
// ARP, ICMP echo, IPv6 neighbour discovery and ICMPv6 echo are all answered by responder: the
// namespace's kernel resolves 192.0.2.1 / 2001:db8::1 through it first. Every test creates and
// removes its own namespace and interfaces (RAII, on failure too), uses only 192.0.2.0/24 and
// 2001:db8::/32, and skips when not root. Each ends with the stack's teardown report clean and
// responder's counters consistent (every reply completed, PS-16; nothing left, PS-22).
#include "openndis_test.hpp"

#include "common/it_support.hpp"
#include "protocol/capture/capture.h"
#include "protocol/responder/responder.h"

#include <openndis/host.hpp>

#include <pcap/pcap.h>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

namespace {

// Runs a command, returns its exit status and output (stdout and stderr).
int run_output(const std::string &command, std::string &output)
{
    output.clear();
    FILE *p = popen((command + " 2>&1").c_str(), "r");
    if (p == nullptr) {
        return -1;
    }
    std::array<char, 512> buf{};
    while (fgets(buf.data(), static_cast<int>(buf.size()), p) != nullptr) {
        output += buf.data();
    }
    const int rc = pclose(p);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// "20 packets transmitted, 20 received, …" → received; -1 when ping printed no summary.
int ping_replies(const std::string &ns, const std::string &args, std::string &output)
{
    run_output("ip netns exec " + ns + " ping " + args, output);
    // (no std::regex: GCC 12 warns inside <regex> under the sanitizer presets' -Werror)
    const std::string marker = " packets transmitted, ";
    const std::size_t at = output.find(marker);
    if (at == std::string::npos) {
        return -1;
    }
    const char *number = output.c_str() + at + marker.size();
    char *end = nullptr;
    const long received = std::strtol(number, &end, 10);
    return end != number && std::strncmp(end, " received", 9) == 0 ? static_cast<int>(received)
                                                                   : -1;
}

// A veth pair: `a` in the root namespace (where the stack runs, IPv6 and forwarding off so that
// the root kernel stays quiet), `b` in `ns` with 192.0.2.2/24 and 2001:db8::2/64 (nodad), up.
class AddressedVeth {
public:
    AddressedVeth(std::string a_, std::string b_, const it::Netns &n)
        : a(std::move(a_)), b(std::move(b_)), ns(n.name)
    {
        it::run("ip link del " + a, true);
        const std::string in_ns = "ip netns exec " + ns + " ";
        ok_ = it::run("ip link add " + a + " type veth peer name " + b) &&
              it::run("ip link set " + b + " netns " + ns) &&
              it::run("sysctl -qw net.ipv6.conf." + a + ".disable_ipv6=1") &&
              it::run("sysctl -qw net.ipv4.conf." + a + ".forwarding=0") &&
              it::run("ip link set " + a + " up") &&
              it::run(in_ns + "ip addr add 192.0.2.2/24 dev " + b) &&
              it::run(in_ns + "ip addr add 2001:db8::2/64 dev " + b + " nodad") &&
              it::run(in_ns + "ip link set " + b + " up");
    }
    ~AddressedVeth() { it::run("ip link del " + a, true); }
    AddressedVeth(const AddressedVeth &) = delete;
    AddressedVeth &operator=(const AddressedVeth &) = delete;
    const std::string a, b, ns;
    bool ok() const noexcept { return ok_; }

private:
    bool ok_ = false;
};

const ndis::host::param_list kResponderParams{{"ipv4", "192.0.2.1/24"},
                                              {"ipv6", "2001:db8::1/64"}};

class PingResponder : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (!it::is_root()) {
            GTEST_SKIP() << "needs root (CAP_NET_ADMIN for namespaces, veth and TAP "
                            "interfaces, CAP_NET_RAW for AF_PACKET)";
        }
        std::string out;
        if (run_output("command -v ping", out) != 0) {
            GTEST_SKIP() << "needs ping (Debian package iputils-ping)";
        }
        ns_ = std::make_unique<it::Netns>(it::unique_name("ondrns"));
        ASSERT_TRUE(ns_->ok()) << "ip netns add failed";
    }

    void TearDown() override
    {
        stop(); // before the interfaces and the namespace go (members in reverse order)
    }

    void stop()
    {
        if (stack_ && stack_->running()) {
            const ndis::host::teardown_report r = stack_->stop();
            EXPECT_TRUE(r.clean()) << r.text();
        }
    }

    // 20 IPv4 and 20 IPv6 echo requests from the namespace, 20 replies each; then responder's
    // counters on `adapter` agree.
    void ping_both(const std::string &adapter)
    {
        std::string out;
        EXPECT_EQ(ping_replies(ns_->name, "-c 20 -i 0.05 -W 2 192.0.2.1", out), 20) << out;
        EXPECT_EQ(ping_replies(ns_->name, "-6 -c 20 -i 0.05 -W 2 2001:db8::1", out), 20) << out;
        RESPONDER_STATS s{};
        ASSERT_EQ(ResponderGetStats(adapter.c_str(), &s), NDIS_STATUS_SUCCESS);
        EXPECT_EQ(s.EchoReplies, 20u);
        EXPECT_EQ(s.Echo6Replies, 20u);
        EXPECT_GE(s.ArpReplies, 1u) << "the namespace resolved 192.0.2.1 through responder";
        EXPECT_GE(s.NeighborAdvertisements, 1u) << "and 2001:db8::1";
        EXPECT_EQ(s.Malformed, 0u);
        EXPECT_EQ(s.Dropped, 0u);
        EXPECT_EQ(s.SendsFailed, 0u);
        EXPECT_EQ(s.RepliesSent, s.ArpReplies + s.EchoReplies + s.NeighborAdvertisements +
                                     s.Echo6Replies);
    }

    std::unique_ptr<it::Netns> ns_;
    std::unique_ptr<AddressedVeth> veth_;
    std::unique_ptr<ndis::host::stack> stack_;
};

// 1. afpacket on a veth end; Linux pings through it, IPv4 and IPv6.
TEST_F(PingResponder, AfpacketVethAnswersPing)
{
    veth_ = std::make_unique<AddressedVeth>(it::unique_name("ondra"), it::unique_name("ondrb"),
                                            *ns_);
    ASSERT_TRUE(veth_->ok()) << "creating the veth pair failed";
    stack_ = std::make_unique<ndis::host::stack>();
    ASSERT_TRUE(stack_->add_driver("afpacket"));
    ASSERT_TRUE(stack_->add_driver("responder"));
    ASSERT_TRUE(stack_->add_adapter("a0", "afpacket", {{"ifname", veth_->a}}));
    ASSERT_TRUE(stack_->add_binding("responder", "a0", kResponderParams));
    ASSERT_TRUE(stack_->start()) << stack_->last_error();
    ping_both("a0");
    const auto b = stack_->binding("responder", "a0");
    ASSERT_TRUE(b.has_value());
    stop();
    EXPECT_EQ(b->sends_outstanding, 0);
}

// 2. tap: the TAP interface is moved into the namespace and addressed there.
TEST_F(PingResponder, TapAnswersPing)
{
    const std::string tap = it::unique_name("ondrt");
    it::run("ip link del " + tap, true);
    stack_ = std::make_unique<ndis::host::stack>();
    ASSERT_TRUE(stack_->add_driver("tap"));
    ASSERT_TRUE(stack_->add_driver("responder"));
    ASSERT_TRUE(stack_->add_adapter("t0", "tap", {{"ifname", tap}}));
    ASSERT_TRUE(stack_->add_binding("responder", "t0", kResponderParams));
    ASSERT_TRUE(stack_->start()) << stack_->last_error();
    const std::string in_ns = "ip netns exec " + ns_->name + " ";
    ASSERT_TRUE(it::run("ip link set " + tap + " netns " + ns_->name));
    ASSERT_TRUE(it::run(in_ns + "ip addr add 192.0.2.2/24 dev " + tap));
    ASSERT_TRUE(it::run(in_ns + "ip addr add 2001:db8::2/64 dev " + tap + " nodad"));
    ASSERT_TRUE(it::run(in_ns + "ip link set " + tap + " up"));
    ping_both("t0");
    stop(); // closes the TAP fd: the interface disappears from the namespace
    std::string out;
    EXPECT_NE(run_output(in_ns + "ip link show " + tap, out), 0) << out;
}

// 3. capture beside responder on the afpacket adapter: the file holds the echo requests.
TEST_F(PingResponder, CaptureRecordsPingRequests)
{
    veth_ = std::make_unique<AddressedVeth>(it::unique_name("ondra"), it::unique_name("ondrb"),
                                            *ns_);
    ASSERT_TRUE(veth_->ok()) << "creating the veth pair failed";
    const std::string path = "/tmp/openndis_ping_" + std::to_string(getpid()) + ".pcap";
    struct Remove {
        std::string path;
        ~Remove() { std::remove(path.c_str()); }
    } remove{path};
    stack_ = std::make_unique<ndis::host::stack>();
    ASSERT_TRUE(stack_->add_driver("afpacket"));
    ASSERT_TRUE(stack_->add_driver("capture"));
    ASSERT_TRUE(stack_->add_driver("responder"));
    ASSERT_TRUE(stack_->add_adapter("a0", "afpacket", {{"ifname", veth_->a}}));
    ASSERT_TRUE(stack_->add_binding("capture", "a0", {{"path", path}}));
    ASSERT_TRUE(stack_->add_binding("responder", "a0", kResponderParams));
    ASSERT_TRUE(stack_->start()) << stack_->last_error();
    std::string out;
    ASSERT_EQ(ping_replies(ns_->name, "-c 5 -i 0.05 -W 2 -s 100 192.0.2.1", out), 5) << out;
    CAPTURE_STATS cs{};
    ASSERT_EQ(CaptureGetStats("a0", &cs), NDIS_STATUS_SUCCESS);
    EXPECT_GE(cs.FramesWritten, 6u); // an ARP request and 5 echo requests at least
    EXPECT_EQ(cs.Unreadable, 0u);
    stop(); // pause flushes, unbind closes the file

    char err[PCAP_ERRBUF_SIZE] = {};
    pcap_t *p = pcap_open_offline(path.c_str(), err);
    ASSERT_NE(p, nullptr) << err;
    EXPECT_EQ(pcap_datalink(p), DLT_EN10MB);
    const it::Bytes peer_mac = it::mac_of(veth_->b, ns_->name);
    int requests = 0, arp_requests = 0;
    struct pcap_pkthdr *h = nullptr;
    const u_char *d = nullptr;
    while (pcap_next_ex(p, &h, &d) == 1) {
        if (h->caplen >= 42 && d[12] == 0x08 && d[13] == 0x06 && d[21] == 1 &&
            d[38] == 192 && d[39] == 0 && d[40] == 2 && d[41] == 1) {
            ++arp_requests;
        }
        // IPv4, ICMP, 192.0.2.2 → 192.0.2.1, echo request with 100 bytes of data
        if (h->caplen >= 34 + 8 + 100 && d[12] == 0x08 && d[13] == 0x00 && d[23] == 1 &&
            d[26] == 192 && d[27] == 0 && d[28] == 2 && d[29] == 2 && d[30] == 192 &&
            d[31] == 0 && d[32] == 2 && d[33] == 1 && d[34] == 8) {
            EXPECT_EQ(h->len, h->caplen);
            EXPECT_EQ(it::Bytes(d + 6, d + 12), peer_mac) << "from the namespace's end";
            ++requests;
        }
    }
    pcap_close(p);
    EXPECT_EQ(requests, 5);
    EXPECT_GE(arp_requests, 1);
}

} // namespace
