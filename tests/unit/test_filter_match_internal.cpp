// test_filter_match_internal.cpp — the receive filter matcher (core/loopback.hpp,
// filter_accepts) against every acceptance rule of SPEC LB-05, and the lock-free multicast list
// it consults.
//
// White-box: calls ndis::core::filter_accepts / multicast_list directly.
#include "openndis_test.hpp"

#include "core/loopback.hpp"

#include <ndis.h>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstring>
#include <string>
#include <thread>

namespace {

using Mac = std::array<UCHAR, 6>;
namespace core = ndis::core;

const Mac kStation = {0x02, 0x00, 0x4F, 0x00, 0x00, 0x07};
const Mac kOther = {0x02, 0x00, 0x4F, 0x00, 0x00, 0x08};
const Mac kBroadcast = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
const Mac kGroupIn = {0x01, 0x00, 0x5E, 0x00, 0x00, 0x01};
const Mac kGroupOut = {0x01, 0x00, 0x5E, 0x00, 0x00, 0x02};

constexpr ULONG D = NDIS_PACKET_TYPE_DIRECTED;
constexpr ULONG M = NDIS_PACKET_TYPE_MULTICAST;
constexpr ULONG AM = NDIS_PACKET_TYPE_ALL_MULTICAST;
constexpr ULONG B = NDIS_PACKET_TYPE_BROADCAST;
constexpr ULONG P = NDIS_PACKET_TYPE_PROMISCUOUS;
constexpr ULONG AL = NDIS_PACKET_TYPE_ALL_LOCAL;
constexpr ULONG NL = NDIS_PACKET_TYPE_NO_LOCAL;

struct Case {
    const char *name;
    ULONG filter;
    const Mac *dest;
    bool accepted;
};

class FilterMatch : public ::testing::TestWithParam<Case> {};

// LB-05: directed needs destination = adapter MAC; multicast needs ALL_MULTICAST, or MULTICAST
// with the address in the list; broadcast needs BROADCAST; PROMISCUOUS or ALL_LOCAL accept all;
// a filter of 0 accepts nothing.
TEST_P(FilterMatch, LB05_Acceptance)
{
    const Case &c = GetParam();
    core::multicast_list list;
    list.assign(kGroupIn.data(), 1);
    EXPECT_EQ(core::filter_accepts(c.filter, c.dest->data(), kStation.data(), &list), c.accepted)
        << c.name;
}

INSTANTIATE_TEST_SUITE_P(
    LB05, FilterMatch,
    ::testing::Values(
        // filter 0: nothing
        Case{"zero_directed", 0, &kStation, false}, Case{"zero_broadcast", 0, &kBroadcast, false},
        Case{"zero_group", 0, &kGroupIn, false},
        // DIRECTED
        Case{"directed_station", D, &kStation, true}, Case{"directed_other", D, &kOther, false},
        Case{"directed_broadcast", D, &kBroadcast, false},
        Case{"directed_group", D, &kGroupIn, false},
        // BROADCAST
        Case{"broadcast_broadcast", B, &kBroadcast, true},
        Case{"broadcast_station", B, &kStation, false},
        Case{"broadcast_group", B, &kGroupIn, false},
        // MULTICAST: only listed group addresses; broadcast is not a listed multicast
        Case{"multicast_listed", M, &kGroupIn, true},
        Case{"multicast_unlisted", M, &kGroupOut, false},
        Case{"multicast_broadcast", M, &kBroadcast, false},
        Case{"multicast_station", M, &kStation, false},
        // ALL_MULTICAST: every group address, not broadcast, not unicast
        Case{"allmulti_listed", AM, &kGroupIn, true},
        Case{"allmulti_unlisted", AM, &kGroupOut, true},
        Case{"allmulti_broadcast", AM, &kBroadcast, false},
        Case{"allmulti_station", AM, &kStation, false},
        // PROMISCUOUS, ALL_LOCAL: everything (NO_LOCAL changes nothing for matching)
        Case{"promisc_other", P, &kOther, true}, Case{"promisc_group", P, &kGroupOut, true},
        Case{"promisc_broadcast", P, &kBroadcast, true},
        Case{"promisc_nolocal_other", P | NL, &kOther, true},
        Case{"alllocal_other", AL, &kOther, true}, Case{"alllocal_group", AL, &kGroupOut, true},
        // combinations
        Case{"dir_bcast_station", D | B, &kStation, true},
        Case{"dir_bcast_broadcast", D | B, &kBroadcast, true},
        Case{"dir_bcast_other", D | B, &kOther, false},
        Case{"dir_bcast_group", D | B, &kGroupIn, false},
        Case{"nolocal_only_station", NL, &kStation, false},
        Case{"dir_nolocal_station", D | NL, &kStation, true}),
    [](const ::testing::TestParamInfo<Case> &info) { return std::string(info.param.name); });

// LB-05: MULTICAST without a list accepts no group address; a null destination (a frame shorter
// than an address) is accepted only by the accept-all filters.
TEST(FilterMatchEdges, LB05_NoListAndShortFrames)
{
    EXPECT_FALSE(core::filter_accepts(M, kGroupIn.data(), kStation.data(), nullptr));
    EXPECT_TRUE(core::filter_accepts(AM, kGroupIn.data(), kStation.data(), nullptr));
    EXPECT_FALSE(core::filter_accepts(D | B | AM, nullptr, kStation.data(), nullptr));
    EXPECT_TRUE(core::filter_accepts(P, nullptr, kStation.data(), nullptr));
    EXPECT_TRUE(core::filter_accepts(AL, nullptr, kStation.data(), nullptr));
}

TEST(MulticastList, AssignContainsSnapshot)
{
    core::multicast_list list;
    EXPECT_FALSE(list.contains(kGroupIn.data()));
    UCHAR two[12];
    std::memcpy(two, kGroupIn.data(), 6);
    std::memcpy(two + 6, kGroupOut.data(), 6);
    list.assign(two, 2);
    EXPECT_TRUE(list.contains(kGroupIn.data()));
    EXPECT_TRUE(list.contains(kGroupOut.data()));
    EXPECT_FALSE(list.contains(kBroadcast.data()));
    UCHAR out[6 * core::kMaxBindingMulticast];
    ASSERT_EQ(list.snapshot(out, core::kMaxBindingMulticast), 2u);
    EXPECT_EQ(std::memcmp(out, two, 12), 0);
    EXPECT_EQ(list.snapshot(out, 1), 1u); // bounded by the caller's room
    list.assign(kGroupOut.data(), 1);
    EXPECT_FALSE(list.contains(kGroupIn.data()));
    EXPECT_TRUE(list.contains(kGroupOut.data()));
    list.assign(nullptr, 0);
    EXPECT_EQ(list.snapshot(out, core::kMaxBindingMulticast), 0u);
}

// Readers never see a torn list while a writer replaces it (the seqlock; TSan checks the races).
TEST(MulticastList, ReadersSeeWholeLists)
{
    core::multicast_list list;
    UCHAR a[12], b[12];
    std::memcpy(a, kGroupIn.data(), 6);
    std::memcpy(a + 6, kGroupIn.data(), 6);
    std::memcpy(b, kGroupOut.data(), 6);
    std::memcpy(b + 6, kGroupOut.data(), 6);
    list.assign(a, 2);
    std::atomic<bool> stop{false};
    std::atomic<int> torn{0};
    std::thread reader([&] {
        UCHAR out[12 * 6];
        while (!stop.load()) {
            if (list.snapshot(out, 12) == 2 && std::memcmp(out, out + 6, 6) != 0) {
                torn.fetch_add(1);
            }
        }
    });
    for (int i = 0; i < 20000; ++i) {
        list.assign((i & 1) != 0 ? a : b, 2);
    }
    stop.store(true);
    reader.join();
    EXPECT_EQ(torn.load(), 0);
}

} // namespace
