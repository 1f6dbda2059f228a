// test_oob.cpp — out-of-band information of a NET_BUFFER_LIST (SPEC §8, OOB-01 … OOB-14).
//
// For each info union: set one bit field at a time through the structure and check which raw bits
// of the pointer-sized slot value change (little endian; the 32-bit bit field sits in the low half
// of the 8-byte slot on 64-bit targets). Then the accessor macros against a real NET_BUFFER_LIST:
// NET_BUFFER_LIST_INFO is the slot itself (OOB-02), the hash SET macros touch only their own field
// (OOB-11), the cancel id keeps a full pointer (OOB-09, §16 point 4), and so on.
//
// The NBL comes from calloc: every macro here is plain field access, no pool API is involved.
#include <gtest/gtest.h>
#include <ndis.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace {

// Raw bits of an info union (memcpy: no reliance on reading an inactive union member).
template <typename T>
std::uint64_t raw(const T& info)
{
    static_assert(sizeof(T) == sizeof(void*), "every OOB info union is one slot");
    std::uint64_t bits = 0;
    std::memcpy(&bits, &info, sizeof info);
    return bits;
}

template <typename T>
T zeroed()
{
    T info;
    std::memset(&info, 0, sizeof info);
    return info;
}

std::uint64_t slot_bits(PNET_BUFFER_LIST nbl, NDIS_NET_BUFFER_LIST_INFO id)
{
    return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(nbl->NetBufferListInfo[id]));
}

PVOID as_slot(std::uint64_t bits)
{
    return reinterpret_cast<PVOID>(static_cast<std::uintptr_t>(bits));
}

// Set TYPE.FIELD = VALUE in an otherwise zero union and compare the slot bits.
#define EXPECT_FIELD_BITS(TYPE, FIELD, VALUE, BITS) \
    do { \
        TYPE info_ = zeroed<TYPE>(); \
        info_.FIELD = (VALUE); \
        EXPECT_EQ(raw(info_), static_cast<std::uint64_t>(BITS)) << #TYPE "." #FIELD " = " #VALUE; \
    } while (0)

class Oob : public ::testing::Test {
protected:
    void SetUp() override
    {
        nbl = static_cast<PNET_BUFFER_LIST>(std::calloc(1, sizeof(NET_BUFFER_LIST)));
        ASSERT_NE(nbl, nullptr);
    }
    void TearDown() override { std::free(nbl); }
    PNET_BUFFER_LIST nbl = nullptr;
};

// ---- OOB-01 / §15.5: one pointer-sized slot per id, 27 of them ------------------------------
TEST(OobLayout, SlotArray_OOB01_OOB03)
{
    EXPECT_EQ(sizeof(static_cast<NET_BUFFER_LIST*>(nullptr)->NetBufferListInfo),
              MaxNetBufferListInfo * sizeof(PVOID));
    EXPECT_EQ(MaxNetBufferListInfo, 27);
}

TEST(OobLayout, EveryInfoIsOneSlot_OOB02)
{
    EXPECT_EQ(sizeof(NDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO), sizeof(PVOID));
    EXPECT_EQ(sizeof(NDIS_IPSEC_OFFLOAD_V1_NET_BUFFER_LIST_INFO), sizeof(PVOID));
    EXPECT_EQ(sizeof(NDIS_IPSEC_OFFLOAD_V2_NET_BUFFER_LIST_INFO), sizeof(PVOID));
    EXPECT_EQ(sizeof(NDIS_TCP_LARGE_SEND_OFFLOAD_NET_BUFFER_LIST_INFO), sizeof(PVOID));
    EXPECT_EQ(sizeof(NDIS_NET_BUFFER_LIST_8021Q_INFO), sizeof(PVOID));
    EXPECT_EQ(sizeof(NDIS_NET_BUFFER_LIST_MEDIA_SPECIFIC_INFO), sizeof(PVOID));
    EXPECT_EQ(sizeof(NDIS_NET_BUFFER_LIST_FILTERING_INFO), sizeof(PVOID));
    EXPECT_EQ(sizeof(NDIS_NET_BUFFER_LIST_VIRTUAL_SUBNET_INFO), sizeof(PVOID));
    EXPECT_EQ(sizeof(NDIS_RSC_NBL_INFO), sizeof(PVOID));
    EXPECT_EQ(sizeof(NDIS_UDP_SEGMENTATION_OFFLOAD_NET_BUFFER_LIST_INFO), sizeof(PVOID));
    EXPECT_EQ(offsetof(NDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO, Value), 0u);
    EXPECT_EQ(offsetof(NDIS_TCP_LARGE_SEND_OFFLOAD_NET_BUFFER_LIST_INFO, Value), 0u);
    EXPECT_EQ(offsetof(NDIS_NET_BUFFER_LIST_8021Q_INFO, Value), 0u);
}

// ---- OOB-04: checksum transmit bits -------------------------------------------------------------
TEST(OobLayout, ChecksumTransmitBits_OOB04)
{
    using T = NDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO;
    EXPECT_FIELD_BITS(T, Transmit.IsIPv4, 1, 0x00000001);
    EXPECT_FIELD_BITS(T, Transmit.IsIPv6, 1, 0x00000002);
    EXPECT_FIELD_BITS(T, Transmit.TcpChecksum, 1, 0x00000004);
    EXPECT_FIELD_BITS(T, Transmit.UdpChecksum, 1, 0x00000008);
    EXPECT_FIELD_BITS(T, Transmit.IpHeaderChecksum, 1, 0x00000010);
    EXPECT_FIELD_BITS(T, Transmit.Reserved, 0x7FF, 0x0000FFE0);
    EXPECT_FIELD_BITS(T, Transmit.TcpHeaderOffset, 1, 0x00010000);
    EXPECT_FIELD_BITS(T, Transmit.TcpHeaderOffset, 0x3FF, 0x03FF0000);
    EXPECT_FIELD_BITS(T, Transmit.TcpHeaderOffset, 54, 54u << 16);
}

// ---- OOB-05: checksum receive bits -------------------------------------------------------------
TEST(OobLayout, ChecksumReceiveBits_OOB05)
{
    using T = NDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO;
    EXPECT_FIELD_BITS(T, Receive.TcpChecksumFailed, 1, 0x001);
    EXPECT_FIELD_BITS(T, Receive.UdpChecksumFailed, 1, 0x002);
    EXPECT_FIELD_BITS(T, Receive.IpChecksumFailed, 1, 0x004);
    EXPECT_FIELD_BITS(T, Receive.TcpChecksumSucceeded, 1, 0x008);
    EXPECT_FIELD_BITS(T, Receive.UdpChecksumSucceeded, 1, 0x010);
    EXPECT_FIELD_BITS(T, Receive.IpChecksumSucceeded, 1, 0x020);
    EXPECT_FIELD_BITS(T, Receive.Loopback, 1, 0x040);
    EXPECT_FIELD_BITS(T, Receive.TcpChecksumValueInvalid, 1, 0x080);
    EXPECT_FIELD_BITS(T, Receive.IpChecksumValueInvalid, 1, 0x100);

    // All clear means "not validated"; reading back from a raw slot value.
    T info = zeroed<T>();
    info.Value = as_slot(0x28); // TcpSucceeded | IpSucceeded
    EXPECT_EQ(info.Receive.TcpChecksumSucceeded, 1u);
    EXPECT_EQ(info.Receive.IpChecksumSucceeded, 1u);
    EXPECT_EQ(info.Receive.TcpChecksumFailed, 0u);
    EXPECT_EQ(info.Receive.UdpChecksumSucceeded, 0u);
}

// ---- OOB-06: LSO ----------------------------------------------------------------------------------
TEST(OobLayout, LsoTransmitTypeBit30_OOB06)
{
    using T = NDIS_TCP_LARGE_SEND_OFFLOAD_NET_BUFFER_LIST_INFO;
    EXPECT_FIELD_BITS(T, Transmit.Type, NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE, 0x40000000);
    EXPECT_FIELD_BITS(T, Transmit.Type, NDIS_TCP_LARGE_SEND_OFFLOAD_V1_TYPE, 0x00000000);
    EXPECT_FIELD_BITS(T, Transmit.Unused, 0x3FFFFFFF, 0x3FFFFFFF);
    EXPECT_FIELD_BITS(T, Transmit.Reserved2, 1, 0x80000000);
}

TEST(OobLayout, LsoV1Bits_OOB06)
{
    using T = NDIS_TCP_LARGE_SEND_OFFLOAD_NET_BUFFER_LIST_INFO;
    EXPECT_FIELD_BITS(T, LsoV1Transmit.MSS, 1, 0x00000001);
    EXPECT_FIELD_BITS(T, LsoV1Transmit.MSS, 0xFFFFF, 0x000FFFFF);
    EXPECT_FIELD_BITS(T, LsoV1Transmit.MSS, 1460, 1460);
    EXPECT_FIELD_BITS(T, LsoV1Transmit.TcpHeaderOffset, 1, 0x00100000);
    EXPECT_FIELD_BITS(T, LsoV1Transmit.TcpHeaderOffset, 0x3FF, 0x3FF00000);
    EXPECT_FIELD_BITS(T, LsoV1Transmit.Type, 1, 0x40000000);
    EXPECT_FIELD_BITS(T, LsoV1Transmit.Reserved2, 1, 0x80000000);
    EXPECT_FIELD_BITS(T, LsoV1TransmitComplete.TcpPayload, 0x3FFFFFFF, 0x3FFFFFFF);
    EXPECT_FIELD_BITS(T, LsoV1TransmitComplete.Type, 1, 0x40000000);
}

TEST(OobLayout, LsoV2IpVersionBit31_OOB06)
{
    using T = NDIS_TCP_LARGE_SEND_OFFLOAD_NET_BUFFER_LIST_INFO;
    EXPECT_FIELD_BITS(T, LsoV2Transmit.IPVersion, NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6, 0x80000000);
    EXPECT_FIELD_BITS(T, LsoV2Transmit.IPVersion, NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4, 0x00000000);
    EXPECT_FIELD_BITS(T, LsoV2Transmit.Type, NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE, 0x40000000);
    EXPECT_FIELD_BITS(T, LsoV2Transmit.MSS, 0xFFFFF, 0x000FFFFF);
    EXPECT_FIELD_BITS(T, LsoV2Transmit.TcpHeaderOffset, 0x3FF, 0x3FF00000);
    EXPECT_FIELD_BITS(T, LsoV2TransmitComplete.Reserved, 0x3FFFFFFF, 0x3FFFFFFF);
    EXPECT_FIELD_BITS(T, LsoV2TransmitComplete.Type, 1, 0x40000000);

    // A typical V2 request, decoded through the V1-only Transmit view: Type is shared.
    T info = zeroed<T>();
    info.LsoV2Transmit.Type = NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE;
    info.LsoV2Transmit.IPVersion = NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6;
    info.LsoV2Transmit.MSS = 1440;
    info.LsoV2Transmit.TcpHeaderOffset = 54;
    EXPECT_EQ(raw(info), 0xC0000000ull | (54ull << 20) | 1440ull);
    EXPECT_EQ(info.Transmit.Type, 1u);
}

// ---- OOB-08: 802.1Q ------------------------------------------------------------------------------
TEST(OobLayout, Ieee8021QBits_OOB08)
{
    using T = NDIS_NET_BUFFER_LIST_8021Q_INFO;
    EXPECT_FIELD_BITS(T, TagHeader.UserPriority, 7, 0x00000007);
    EXPECT_FIELD_BITS(T, TagHeader.CanonicalFormatId, 1, 0x00000008);
    EXPECT_FIELD_BITS(T, TagHeader.VlanId, 1, 0x00000010);
    EXPECT_FIELD_BITS(T, TagHeader.VlanId, 0xFFF, 0x0000FFF0); // bits 4..15
    EXPECT_FIELD_BITS(T, TagHeader.Reserved, 0xFFFF, 0xFFFF0000);
    EXPECT_FIELD_BITS(T, WLanTagHeader.UserPriority, 7, 0x00000007);
    EXPECT_FIELD_BITS(T, WLanTagHeader.VlanId, 0xFFF, 0x0000FFF0);
    EXPECT_FIELD_BITS(T, WLanTagHeader.WMMInfo, 0xF, 0x000F0000);
    EXPECT_FIELD_BITS(T, WLanTagHeader.Reserved, 0xFFF, 0xFFF00000);
}

// ---- Slot 1: IPsec --------------------------------------------------------------------------------
TEST(OobLayout, IpsecBits)
{
    using V1 = NDIS_IPSEC_OFFLOAD_V1_NET_BUFFER_LIST_INFO;
    EXPECT_FIELD_BITS(V1, Receive.SaDeleteReq, 1, 0x1);
    EXPECT_FIELD_BITS(V1, Receive.CryptoDone, 1, 0x2);
    EXPECT_FIELD_BITS(V1, Receive.NextCryptoDone, 1, 0x4);
    EXPECT_FIELD_BITS(V1, Receive.Pad, 0x1FFF, 0xFFF8);
    EXPECT_FIELD_BITS(V1, Receive.CryptoStatus, 0xFFFF, 0xFFFF0000);
    EXPECT_FIELD_BITS(V1, Transmit.OffloadHandle, as_slot(0x0123456789ABCDEFull),
                      0x0123456789ABCDEFull);

    using V2 = NDIS_IPSEC_OFFLOAD_V2_NET_BUFFER_LIST_INFO;
    EXPECT_FIELD_BITS(V2, Receive.SaDeleteReq, 1, 0x1);
    EXPECT_FIELD_BITS(V2, Receive.CryptoDone, 1, 0x2);
    EXPECT_FIELD_BITS(V2, Receive.NextCryptoDone, 1, 0x4);
    EXPECT_FIELD_BITS(V2, Receive.CryptoStatus, 0xFFFF, 0xFFFF0000);
}

// ---- Slot 14 (OOB-13), slot 20, slot 22 --------------------------------------------------------
TEST(OobLayout, FilteringInfoBits_OOB13)
{
    using T = NDIS_NET_BUFFER_LIST_FILTERING_INFO;
    EXPECT_FIELD_BITS(T, FilteringInfo.FilterId, 0xFFFF, 0x0000FFFF);
    EXPECT_FIELD_BITS(T, FilteringInfo.QueueVPortInfo.QueueId, 0xFFFF, 0xFFFF0000);
    EXPECT_FIELD_BITS(T, FilteringInfo.QueueVPortInfo.VPortId, 3, 0x00030000);
}

TEST(OobLayout, VirtualSubnetRscUsoBits)
{
    using Vs = NDIS_NET_BUFFER_LIST_VIRTUAL_SUBNET_INFO;
    EXPECT_FIELD_BITS(Vs, VirtualSubnetId, 0xFFFFFF, 0x00FFFFFF);
    EXPECT_FIELD_BITS(Vs, ReservedVsidBits, 0xFF, 0xFF000000);
    EXPECT_FIELD_BITS(Vs, Reserved, 1, 0x100000000ull);

    EXPECT_FIELD_BITS(NDIS_RSC_NBL_INFO, Info.CoalescedSegCount, 5, 0x00000005);
    EXPECT_FIELD_BITS(NDIS_RSC_NBL_INFO, Info.DupAckCount, 2, 0x00020000);

    using Uso = NDIS_UDP_SEGMENTATION_OFFLOAD_NET_BUFFER_LIST_INFO;
    EXPECT_FIELD_BITS(Uso, Transmit.MSS, 0xFFFFF, 0x000FFFFF);
    EXPECT_FIELD_BITS(Uso, Transmit.UdpHeaderOffset, 0x3FF, 0x3FF00000);
    EXPECT_FIELD_BITS(Uso, Transmit.IPVersion, NDIS_UDP_SEGMENTATION_OFFLOAD_IPV6, 0x80000000);
}

// ---- OOB-02: NET_BUFFER_LIST_INFO is the slot itself ----------------------------------------------
TEST_F(Oob, NetBufferListInfoIsTheSlot_OOB02)
{
    // Address of the macro is the address of the array element.
    EXPECT_EQ(&NET_BUFFER_LIST_INFO(nbl, TcpIpChecksumNetBufferListInfo), &nbl->NetBufferListInfo[0]);
    EXPECT_EQ(&NET_BUFFER_LIST_INFO(nbl, NetBufferListFilteringInfo), &nbl->NetBufferListInfo[14]);

    // Writing a packed bit field through the macro stores the value, not a pointer to it.
    NDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO csum = zeroed<NDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO>();
    csum.Transmit.IsIPv4 = 1;
    csum.Transmit.TcpChecksum = 1;
    csum.Transmit.TcpHeaderOffset = 34;
    NET_BUFFER_LIST_INFO(nbl, TcpIpChecksumNetBufferListInfo) = csum.Value;
    EXPECT_EQ(slot_bits(nbl, TcpIpChecksumNetBufferListInfo), 0x5ull | (34ull << 16));

    // Reading it back through the macro decodes the same bits.
    NDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO back = zeroed<NDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO>();
    back.Value = NET_BUFFER_LIST_INFO(nbl, TcpIpChecksumNetBufferListInfo);
    EXPECT_EQ(back.Transmit.IsIPv4, 1u);
    EXPECT_EQ(back.Transmit.IsIPv6, 0u);
    EXPECT_EQ(back.Transmit.TcpChecksum, 1u);
    EXPECT_EQ(back.Transmit.TcpHeaderOffset, 34u);

    // Addressing the slot in place (the WDK idiom) edits the slot.
    auto* lso = reinterpret_cast<PNDIS_TCP_LARGE_SEND_OFFLOAD_NET_BUFFER_LIST_INFO>(
        &NET_BUFFER_LIST_INFO(nbl, TcpLargeSendNetBufferListInfo));
    lso->LsoV2Transmit.Type = NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE;
    lso->LsoV2Transmit.IPVersion = NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6;
    EXPECT_EQ(slot_bits(nbl, TcpLargeSendNetBufferListInfo), 0xC0000000ull);

    // Other slots are untouched.
    for (int i = 0; i < MaxNetBufferListInfo; ++i) {
        if (i != TcpIpChecksumNetBufferListInfo && i != TcpLargeSendNetBufferListInfo) {
            EXPECT_EQ(nbl->NetBufferListInfo[i], nullptr) << "slot " << i;
        }
    }
}

// ---- OOB-08: VLAN id macros ----------------------------------------------------------------------
TEST_F(Oob, VlanIdMacros_OOB08)
{
    NDIS_SET_NET_BUFFER_LIST_VLAN_ID(nbl, 0xABC);
    EXPECT_EQ(NDIS_GET_NET_BUFFER_LIST_VLAN_ID(nbl), 0xABCu);
    EXPECT_EQ(slot_bits(nbl, Ieee8021QNetBufferListInfo), 0xABC0ull);

    // Only the VlanId bits change: priority set in the slot survives.
    auto* tag = reinterpret_cast<PNDIS_NET_BUFFER_LIST_8021Q_INFO>(
        &NET_BUFFER_LIST_INFO(nbl, Ieee8021QNetBufferListInfo));
    tag->TagHeader.UserPriority = 5;
    NDIS_SET_NET_BUFFER_LIST_VLAN_ID(nbl, 42);
    EXPECT_EQ(slot_bits(nbl, Ieee8021QNetBufferListInfo), (42ull << 4) | 5ull);
    EXPECT_EQ(NDIS_GET_NET_BUFFER_LIST_VLAN_ID(nbl), 42u);
}

// ---- OOB-09 / §16 point 4: the cancel id is pointer-sized ----------------------------------------
TEST_F(Oob, CancelIdRoundTripsFullPointer_OOB09)
{
    const PVOID id = as_slot(0xFEDCBA9876543210ull);
    NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(nbl, id);
    EXPECT_EQ(NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(nbl), id);
    EXPECT_EQ(slot_bits(nbl, NetBufferListCancelId), 0xFEDCBA9876543210ull);
    EXPECT_EQ(NET_BUFFER_LIST_INFO(nbl, NetBufferListCancelId), id);

    // A ULONG_PTR cancel id (the enum page's type) is accepted and kept in full too.
    const ULONG_PTR numeric = static_cast<ULONG_PTR>(0x8000000000000001ull);
    NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(nbl, numeric);
    EXPECT_EQ(reinterpret_cast<ULONG_PTR>(NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(nbl)), numeric);

    NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(nbl, nullptr);
    EXPECT_EQ(NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(nbl), nullptr);
    for (int i = 0; i < MaxNetBufferListInfo; ++i) {
        EXPECT_EQ(nbl->NetBufferListInfo[i], nullptr) << "slot " << i;
    }
}

// ---- OOB-11: hash value / type / function ---------------------------------------------------------
TEST_F(Oob, HashValue_OOB11)
{
    NET_BUFFER_LIST_SET_HASH_VALUE(nbl, 0xDEADBEEFu);
    EXPECT_EQ(NET_BUFFER_LIST_GET_HASH_VALUE(nbl), 0xDEADBEEFu);
    EXPECT_EQ(slot_bits(nbl, NetBufferListHashValue), 0xDEADBEEFull);
    EXPECT_EQ(nbl->NetBufferListInfo[NetBufferListHashInfo], nullptr); // value slot only
}

TEST_F(Oob, HashSetMacrosUpdateOnlyTheirField_OOB11)
{
    NET_BUFFER_LIST_SET_HASH_FUNCTION(nbl, NdisHashFunctionToeplitz);
    EXPECT_EQ(slot_bits(nbl, NetBufferListHashInfo), 0x001ull);
    NET_BUFFER_LIST_SET_HASH_TYPE(nbl, NDIS_HASH_TCP_IPV4);
    EXPECT_EQ(slot_bits(nbl, NetBufferListHashInfo), 0x201ull);
    EXPECT_EQ(NET_BUFFER_LIST_GET_HASH_TYPE(nbl), static_cast<ULONG>(NDIS_HASH_TCP_IPV4));
    EXPECT_EQ(NET_BUFFER_LIST_GET_HASH_FUNCTION(nbl), static_cast<ULONG>(NdisHashFunctionToeplitz));

    // Replacing the type keeps the function; replacing the function keeps the type.
    NET_BUFFER_LIST_SET_HASH_TYPE(nbl, NDIS_HASH_IPV6 | NDIS_HASH_TCP_IPV6);
    EXPECT_EQ(slot_bits(nbl, NetBufferListHashInfo), 0x1401ull);
    NET_BUFFER_LIST_SET_HASH_FUNCTION(nbl, 0);
    EXPECT_EQ(slot_bits(nbl, NetBufferListHashInfo), 0x1400ull);
    NET_BUFFER_LIST_SET_HASH_FUNCTION(nbl, NdisHashFunctionToeplitz);
    EXPECT_EQ(NET_BUFFER_LIST_GET_HASH_TYPE(nbl),
              static_cast<ULONG>(NDIS_HASH_IPV6 | NDIS_HASH_TCP_IPV6));

    // Each SET masks its argument to its own field: stray bits do not leak into the other one.
    NET_BUFFER_LIST_SET_HASH_TYPE(nbl, NDIS_HASH_UDP_IPV4 | 0xFF); // function bits ignored
    EXPECT_EQ(slot_bits(nbl, NetBufferListHashInfo), 0x4001ull);
    NET_BUFFER_LIST_SET_HASH_FUNCTION(nbl, 0x100 | NdisHashFunctionToeplitz); // type bits ignored
    EXPECT_EQ(slot_bits(nbl, NetBufferListHashInfo), 0x4001ull);

    // Bits outside both masks (24..31) are left alone by both SETs.
    nbl->NetBufferListInfo[NetBufferListHashInfo] = as_slot(0xAB000000ull);
    NET_BUFFER_LIST_SET_HASH_TYPE(nbl, NDIS_HASH_IPV4);
    NET_BUFFER_LIST_SET_HASH_FUNCTION(nbl, NdisHashFunctionToeplitz);
    EXPECT_EQ(slot_bits(nbl, NetBufferListHashInfo), 0xAB000101ull);

    // Neither SET touches the hash value slot.
    EXPECT_EQ(nbl->NetBufferListInfo[NetBufferListHashValue], nullptr);
    EXPECT_EQ(NDIS_RSS_HASH_FUNC_FROM_HASH_INFO(0x201u), 0x1u);
    EXPECT_EQ(NDIS_RSS_HASH_TYPE_FROM_HASH_INFO(0x201u), 0x200u);
    EXPECT_EQ(NDIS_RSS_HASH_INFO_FROM_TYPE_AND_FUNC(NDIS_HASH_IPV4, NdisHashFunctionToeplitz),
              0x101);
}

// ---- OOB-13: receive filter / queue / VPort id accessors -----------------------------------------
TEST_F(Oob, FilteringInfoMacros_OOB13)
{
    NET_BUFFER_LIST_RECEIVE_FILTER_ID(nbl) = 1;
    NET_BUFFER_LIST_RECEIVE_QUEUE_ID(nbl) = 5;
    EXPECT_EQ(slot_bits(nbl, NetBufferListFilteringInfo), 0x00050001ull);
    EXPECT_EQ(NET_BUFFER_LIST_RECEIVE_FILTER_VPORT_ID(nbl), 5); // same storage as QueueId
    NET_BUFFER_LIST_RECEIVE_FILTER_VPORT_ID(nbl) = 9;
    EXPECT_EQ(NET_BUFFER_LIST_RECEIVE_QUEUE_ID(nbl), 9);
    NET_BUFFER_LIST_RECEIVE_QUEUE_ID(nbl) = NDIS_DEFAULT_RECEIVE_QUEUE_ID;
    NET_BUFFER_LIST_RECEIVE_FILTER_ID(nbl) = 0;
    EXPECT_EQ(nbl->NetBufferListInfo[NetBufferListFilteringInfo], nullptr);
}

// ---- OOB-14: media-specific information lists ------------------------------------------------------
TEST_F(Oob, MediaSpecificInfoExList_OOB14)
{
    NDIS_NBL_MEDIA_SPECIFIC_INFORMATION_EX a = {}, b = {}, c = {}, probe = {};
    a.Tag = 'A';
    b.Tag = 'B';
    c.Tag = 'C';
    NDIS_NBL_ADD_MEDIA_SPECIFIC_INFO_EX(nbl, &a);
    NDIS_NBL_ADD_MEDIA_SPECIFIC_INFO_EX(nbl, &b);
    NDIS_NBL_ADD_MEDIA_SPECIFIC_INFO_EX(nbl, &c);
    // Pushed at the head: C -> B -> A, the slot holds the pointer to C.
    EXPECT_EQ(NET_BUFFER_LIST_INFO(nbl, MediaSpecificInformationEx), &c);
    EXPECT_EQ(c.NextEntry, &b);
    EXPECT_EQ(b.NextEntry, &a);
    EXPECT_EQ(a.NextEntry, nullptr);

    PNDIS_NBL_MEDIA_SPECIFIC_INFORMATION_EX found = nullptr;
    NDIS_NBL_GET_MEDIA_SPECIFIC_INFO_EX(nbl, 'B', found);
    EXPECT_EQ(found, &b);
    NDIS_NBL_GET_MEDIA_SPECIFIC_INFO_EX(nbl, 'Z', found);
    EXPECT_EQ(found, nullptr);

    probe.Tag = 'B'; // removal matches by Tag, not by pointer
    NDIS_NBL_REMOVE_MEDIA_SPECIFIC_INFO_EX(nbl, &probe);
    EXPECT_EQ(c.NextEntry, &a);
    NDIS_NBL_GET_MEDIA_SPECIFIC_INFO_EX(nbl, 'B', found);
    EXPECT_EQ(found, nullptr);

    NDIS_NBL_REMOVE_MEDIA_SPECIFIC_INFO_EX(nbl, &c); // the head
    EXPECT_EQ(NET_BUFFER_LIST_INFO(nbl, MediaSpecificInformationEx), &a);
    NDIS_NBL_REMOVE_MEDIA_SPECIFIC_INFO_EX(nbl, &a);
    EXPECT_EQ(NET_BUFFER_LIST_INFO(nbl, MediaSpecificInformationEx), nullptr);
    NDIS_NBL_REMOVE_MEDIA_SPECIFIC_INFO_EX(nbl, &a); // empty list: no-op
    EXPECT_EQ(NET_BUFFER_LIST_INFO(nbl, MediaSpecificInformationEx), nullptr);

    EXPECT_EQ(NDIS_SIZEOF_NBL_MEDIA_SPECIFIC_INFO_REVISION_1,
              static_cast<LONG>(offsetof(NDIS_NBL_MEDIA_SPECIFIC_INFORMATION_EX, Data) + sizeof(PVOID)));
    EXPECT_EQ(offsetof(NDIS_NBL_MEDIA_SPECIFIC_INFORMATION_EX, Header), 0u);
    EXPECT_EQ(offsetof(NDIS_NBL_MEDIA_SPECIFIC_INFORMATION_EX, NextEntry), 8u);
    EXPECT_EQ(offsetof(NDIS_NBL_MEDIA_SPECIFIC_INFORMATION_EX, Tag), 16u);
    EXPECT_EQ(offsetof(NDIS_NBL_MEDIA_SPECIFIC_INFORMATION_EX, Data), 24u);
}

TEST_F(Oob, MediaSpecificInfoLegacyList_OOB14)
{
    NDIS_NBL_MEDIA_SPECIFIC_INFORMATION a = {}, b = {};
    a.Tag = 1;
    b.Tag = 2;
    NDIS_NBL_ADD_MEDIA_SPECIFIC_INFO(nbl, &a);
    NDIS_NBL_ADD_MEDIA_SPECIFIC_INFO(nbl, &b);
    EXPECT_EQ(NET_BUFFER_LIST_INFO(nbl, MediaSpecificInformation), &b);
    EXPECT_EQ(b.NextEntry, &a);

    PNDIS_NBL_MEDIA_SPECIFIC_INFORMATION found = nullptr;
    NDIS_NBL_GET_MEDIA_SPECIFIC_INFO(nbl, 1, found);
    EXPECT_EQ(found, &a);
    NDIS_NBL_REMOVE_MEDIA_SPECIFIC_INFO(nbl, &a);
    EXPECT_EQ(b.NextEntry, nullptr);
    NDIS_NBL_REMOVE_MEDIA_SPECIFIC_INFO(nbl, &b);
    EXPECT_EQ(NET_BUFFER_LIST_INFO(nbl, MediaSpecificInformation), nullptr);

    EXPECT_EQ(offsetof(NDIS_NBL_MEDIA_SPECIFIC_INFORMATION, Data) % MEMORY_ALLOCATION_ALIGNMENT, 0u);
}

} // namespace
