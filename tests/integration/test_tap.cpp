// test_tap.cpp — the `tap` miniport: it creates a TAP interface with the
// asked-for name, MAC and flags; frames the stack sends appear on it byte-exact
// and padded (MS-10, MS-13); oversized frames complete INVALID_LENGTH (MS-08);
// frames Linux sends out of it are indicated through the packet filter
// (driver_mac is the adapter's own address, not the Linux side's) and come back
// (MS-18, ST-05); the interface is gone after the stack stops.
//
// The TAP interface lives in the root namespace of this process (the stack's),
// under a name unique to the process; closing the fd at halt removes it. Needs
// root.
#include "openndis_test.hpp"

#include "common/it_support.hpp"

#include <openndis/host.hpp>

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <thread>

namespace
{

using namespace std::chrono_literals;
using it::Bytes;
using it::g_itproto;

const Bytes kBroadcast{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
const Bytes kLinuxMac{0x02, 0x00, 0x00, 0x00, 0xAA, 0x01};
const Bytes kDriverMac{0x02, 0x00, 0x00, 0x00, 0xAA, 0x02};

short if_flags(const std::string &name)
{
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    short flags = 0;
    if (fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
        flags = ifr.ifr_flags;
    }
    if (fd >= 0) {
        close(fd);
    }
    return flags;
}

class Tap : public ::testing::Test
{
protected:
    void SetUp() override
    {
        if (!it::is_root()) {
            GTEST_SKIP() << "needs root (CAP_NET_ADMIN to create TAP interfaces, CAP_NET_RAW "
                            "for the raw socket)";
        }
        ifname_ = it::unique_name("ondtap");
        it::run("ip link del " + ifname_, true); // a leftover of a crashed run
        g_itproto.reset();
    }

    void TearDown() override
    {
        if (stack_ && stack_->running()) {
            const ndis::host::teardown_report r = stack_->stop();
            EXPECT_TRUE(r.clean()) << r.text();
            const auto a = stack_->adapter("t0");
            if (a) {
                EXPECT_EQ(a->indicated, a->returned) << "receive NBLs not returned";
                EXPECT_EQ(a->sent, a->completed) << "sends not completed";
            }
        }
        stack_.reset();
        if (!ifname_.empty()) {
            // Halt closed the fd: the (non-persistent) interface is gone.
            EXPECT_EQ(if_nametoindex(ifname_.c_str()), 0u) << ifname_ << " still exists";
            it::run("ip link del " + ifname_, true);
        }
    }

    bool start(ndis::host::param_list params)
    {
        stack_ = std::make_unique<ndis::host::stack>();
        if (!stack_->add_driver("tap") || !stack_->add_driver("itproto", &it::ItProtoDriverEntry) ||
            !stack_->add_adapter("t0", "tap", std::move(params)) || !stack_->start()) {
            last_error_ = stack_->last_error();
            return false;
        }
        return g_itproto.bound();
    }

    bool start_default()
    {
        return start({{"ifname", ifname_},
                      {"mac", "02:00:00:00:aa:01"},
                      {"driver_mac", "02-00-00-00-AA-02"}});
    }

    std::string ifname_;
    std::unique_ptr<ndis::host::stack> stack_;
    std::string last_error_;
};

// The interface exists with the name, MAC and flags asked for; the adapter's
// own MAC is driver_mac, not the Linux side's.
TEST_F(Tap, CreatesInterfaceUpWithTheMacsAskedFor)
{
    ASSERT_TRUE(start_default()) << last_error_;
    ASSERT_NE(if_nametoindex(ifname_.c_str()), 0u);
    const short flags = if_flags(ifname_);
    EXPECT_NE(flags & IFF_UP, 0) << "not up";
    EXPECT_EQ(it::mac_of(ifname_), kLinuxMac);
    EXPECT_EQ(Bytes(g_itproto.bound_mac, g_itproto.bound_mac + 6), kDriverMac);
    EXPECT_EQ(g_itproto.bound_mtu, 1500u);
    EXPECT_EQ(g_itproto.bound_connect_state, MediaConnectStateConnected);
}

// `up` = 0 leaves the interface down and the media disconnected; `ip link set
// up` connects it (NDIS_STATUS_LINK_STATE).
TEST_F(Tap, DownUntilLinuxBringsItUp)
{
    ASSERT_TRUE(start({{"ifname", ifname_}, {"up", 0}})) << last_error_;
    EXPECT_EQ(if_flags(ifname_) & IFF_UP, 0);
    EXPECT_EQ(g_itproto.bound_connect_state, MediaConnectStateDisconnected);
    ASSERT_TRUE(it::run("ip link set " + ifname_ + " up"));
    EXPECT_TRUE(g_itproto.wait_link(MediaConnectStateConnected));
}

// MS-10, MS-13: frames of many NB/MDL shapes reach Linux byte-exact, short ones
// padded to 60; MS-08: an oversized frame's NBL completes INVALID_LENGTH and
// writes nothing.
TEST_F(Tap, SentFramesAppearOnTheInterface)
{
    ASSERT_TRUE(start_default()) << last_error_;
    it::RawSocket capture(ifname_);
    ASSERT_TRUE(capture.ok());

    const std::size_t sizes[] = {14, 33, 59, 60, 61, 200, 1000, 1514};
    std::vector<Bytes> expected;
    std::vector<it::NblSpec> nbls;
    std::uint32_t k = 0;
    for (unsigned nbs = 1; nbs <= 4; ++nbs) {
        for (unsigned mdls = 1; mdls <= 8; ++mdls) {
            it::NblSpec spec;
            for (unsigned i = 0; i < nbs; ++i, ++k) {
                const Bytes f =
                    it::make_frame(kBroadcast, kDriverMac, sizes[k % std::size(sizes)], k);
                spec.nbs.push_back(it::split(f, mdls));
                expected.push_back(it::padded(f));
            }
            nbls.push_back(std::move(spec));
        }
    }
    it::NblSpec oversized;
    oversized.nbs = {it::split(it::make_frame(kBroadcast, kDriverMac, 1515, 99), 2)};
    nbls.insert(nbls.begin() + 5, oversized);
    const std::vector<std::uint64_t> ids = g_itproto.send(nbls);
    ASSERT_EQ(ids.size(), nbls.size());
    ASSERT_TRUE(g_itproto.wait_completed(ids.size()));
    auto c = g_itproto.completions();
    for (std::size_t i = 0; i < ids.size(); ++i) {
        EXPECT_EQ(c[ids[i]], i == 5 ? NDIS_STATUS_INVALID_LENGTH : NDIS_STATUS_SUCCESS)
            << "NBL " << i;
    }
    const std::vector<Bytes> got = capture.receive(expected.size() + 1, 1000ms);
    ASSERT_EQ(got.size(), expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(got[i], expected[i]) << "frame " << i << ": got " << it::hex(got[i]);
    }
}

// MS-18, ST-05: frames Linux sends out of the TAP interface (a raw socket bound
// to it) are indicated when they are for driver_mac or broadcast, not when they
// are for another MAC, and every NBL comes back (teardown).
TEST_F(Tap, FramesFromLinuxAreIndicated)
{
    ASSERT_TRUE(start_default()) << last_error_;
    it::RawSocket inject(ifname_);
    ASSERT_TRUE(inject.ok());
    const Bytes other{0x02, 0x99, 0x00, 0x00, 0x00, 0x03};
    std::vector<Bytes> expected;
    for (std::uint32_t i = 0; i < 120; ++i) {
        const Bytes dst = i % 3 == 0 ? kDriverMac : i % 3 == 1 ? kBroadcast : other;
        const Bytes f = it::make_frame(dst, kLinuxMac, 14 + (i * 53) % 1501, 500 + i);
        ASSERT_TRUE(inject.send(f));
        if (dst != other) {
            expected.push_back(f);
        }
    }
    ASSERT_TRUE(g_itproto.wait_received(expected.size()))
        << g_itproto.received().size() << " of " << expected.size();
    std::this_thread::sleep_for(100ms);
    const std::vector<Bytes> got = g_itproto.received();
    ASSERT_EQ(got.size(), expected.size()) << "a frame for another MAC passed the filter";
    for (std::size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(got[i], expected[i]) << "frame " << i;
    }
}

} // namespace
