/*
 * ndis/nbloob.h — out-of-band (OOB) information carried in NET_BUFFER_LIST.NetBufferListInfo
 * (SPEC §8, OOB-01 … OOB-14).
 *
 * Abstract
 *   Each NetBufferListInfo slot is one pointer-sized value (OOB-01). NET_BUFFER_LIST_INFO(nbl, id)
 *   is the slot itself, an lvalue of type PVOID (OOB-02). For most slots the value is not a
 *   pointer at all but a bit field packed into the slot: the structures below are unions of
 *   those bit fields with a PVOID Value member, exactly as in the WDK, so a driver writes
 *       NDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO csum;
 *       csum.Value = NET_BUFFER_LIST_INFO(nbl, TcpIpChecksumNetBufferListInfo);
 *       if (csum.Transmit.IsIPv4 && csum.Transmit.TcpChecksum) ...
 *   or addresses the slot in place:
 *       ((PNDIS_NET_BUFFER_LIST_8021Q_INFO)&NET_BUFFER_LIST_INFO(nbl, Ieee8021QNetBufferListInfo))
 *           ->TagHeader.VlanId = 42;
 *
 *   Bit layouts (little endian; on 64-bit targets the 32-bit bit field occupies the low half of
 *   the 8-byte slot and the high half stays zero):
 *     slot 0  checksum   Transmit: IsIPv4 b0, IsIPv6 b1, TcpChecksum b2, UdpChecksum b3,
 *                        IpHeaderChecksum b4, TcpHeaderOffset b16..25 (OOB-04);
 *                        Receive: TcpFailed b0 … IpChecksumValueInvalid b8 (OOB-05)
 *     slot 2  LSO        MSS b0..19, TcpHeaderOffset b20..29, Type b30, IPVersion b31 (OOB-06)
 *     slot 4  802.1Q     UserPriority b0..2, CanonicalFormatId b3, VlanId b4..15 (OOB-08)
 *     slot 5  cancel id  pointer-sized value (OOB-09, §16 point 4)
 *     slot 8  hash value ULONG (OOB-11)
 *     slot 9  hash info  function b0..7, type b8..23 (OOB-11)
 *     slot 14 filtering  FilterId b0..15, QueueId / VPortId b16..31 (OOB-13)
 *   Every info union is exactly pointer-sized (checked below with C_ASSERT).
 *
 *   Slots 3 (ClassificationHandle) and 10 (Wfp) are reserved: drivers store nothing there
 *   (OOB-12). Slot 6 (MediaSpecificInformation) and slot 15 (MediaSpecificInformationEx) hold
 *   pointers to driver-allocated, tagged, singly linked lists (OOB-14).
 *
 * Usage
 *     NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(nbl, cancelId);
 *     NET_BUFFER_LIST_SET_HASH_TYPE(nbl, NDIS_HASH_TCP_IPV4);   // leaves the function bits alone
 *     USHORT vlan = (USHORT)NDIS_GET_NET_BUFFER_LIST_VLAN_ID(nbl);
 *   Included by <ndis.h>; compiles alone as C11 and as C++20.
 */
#ifndef OPENNDIS_NDIS_NBLOOB_H
#define OPENNDIS_NDIS_NBLOOB_H

#include <ndis/types.h>
#include <ndis/nblinfo.h>
#include <ndis/nbl.h>

NDIS_EXTERN_C_BEGIN

/* ======================================================================================== */
/* Slot 0: TcpIpChecksumNetBufferListInfo (OOB-04, OOB-05)                                   */
/* ======================================================================================== */
typedef struct _NDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO {
    union {
        struct {
            ULONG IsIPv4 : 1;
            ULONG IsIPv6 : 1;
            ULONG TcpChecksum : 1;
            ULONG UdpChecksum : 1;
            ULONG IpHeaderChecksum : 1;
            ULONG Reserved : 11;
            ULONG TcpHeaderOffset : 10;
        } Transmit;
        struct {
            ULONG TcpChecksumFailed : 1;
            ULONG UdpChecksumFailed : 1;
            ULONG IpChecksumFailed : 1;
            ULONG TcpChecksumSucceeded : 1;
            ULONG UdpChecksumSucceeded : 1;
            ULONG IpChecksumSucceeded : 1;
            ULONG Loopback : 1;
            ULONG TcpChecksumValueInvalid : 1; /* 6.30 */
            ULONG IpChecksumValueInvalid : 1;  /* 6.30 */
        } Receive;
        PVOID Value;
    };
} NDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO, *PNDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO;

/* ======================================================================================== */
/* Slot 1: IPsecOffloadV1NetBufferListInfo / IPsecOffloadV2NetBufferListInfo                  */
/* ======================================================================================== */
typedef struct _NDIS_IPSEC_OFFLOAD_V1_NET_BUFFER_LIST_INFO {
    union {
        struct {
            NDIS_HANDLE OffloadHandle;
        } Transmit;
        struct {
            USHORT SaDeleteReq : 1;
            USHORT CryptoDone : 1;
            USHORT NextCryptoDone : 1;
            USHORT Pad : 13;
            USHORT CryptoStatus;
        } Receive;
    };
} NDIS_IPSEC_OFFLOAD_V1_NET_BUFFER_LIST_INFO, *PNDIS_IPSEC_OFFLOAD_V1_NET_BUFFER_LIST_INFO;

typedef struct _NDIS_IPSEC_OFFLOAD_V2_NET_BUFFER_LIST_INFO {
    union {
        struct {
            PVOID OffloadHandle;
        } Transmit;
        struct {
            ULONG SaDeleteReq : 1;
            ULONG CryptoDone : 1;
            ULONG NextCryptoDone : 1;
            ULONG Reserved : 13;
            ULONG CryptoStatus : 16;
        } Receive;
    };
} NDIS_IPSEC_OFFLOAD_V2_NET_BUFFER_LIST_INFO, *PNDIS_IPSEC_OFFLOAD_V2_NET_BUFFER_LIST_INFO;

/* ======================================================================================== */
/* Slot 2: TcpLargeSendNetBufferListInfo (OOB-06, OOB-07)                                     */
/* ======================================================================================== */
#define NDIS_TCP_LARGE_SEND_OFFLOAD_V1_TYPE         0 /* Transmit.Type */
#define NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE         1
#define NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4            0 /* LsoV2Transmit.IPVersion */
#define NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6            1
/* MAC + IP (+ options/extension headers) + TCP (+ options) longer than this: no LSO (OOB-07). */
#define NDIS_LARGE_SEND_OFFLOAD_MAX_HEADER_LENGTH   128

typedef struct _NDIS_TCP_LARGE_SEND_OFFLOAD_NET_BUFFER_LIST_INFO {
    union {
        struct {
            ULONG Unused : 30;
            ULONG Type : 1;
            ULONG Reserved2 : 1;
        } Transmit;
        struct {
            ULONG MSS : 20;
            ULONG TcpHeaderOffset : 10;
            ULONG Type : 1;
            ULONG Reserved2 : 1;
        } LsoV1Transmit;
        struct {
            ULONG TcpPayload : 30;
            ULONG Type : 1;
            ULONG Reserved2 : 1;
        } LsoV1TransmitComplete;
        struct {
            ULONG MSS : 20;
            ULONG TcpHeaderOffset : 10;
            ULONG Type : 1;
            ULONG IPVersion : 1;
        } LsoV2Transmit;
        struct {
            ULONG Reserved : 30;
            ULONG Type : 1;
            ULONG Reserved2 : 1;
        } LsoV2TransmitComplete;
        PVOID Value;
    };
} NDIS_TCP_LARGE_SEND_OFFLOAD_NET_BUFFER_LIST_INFO,
    *PNDIS_TCP_LARGE_SEND_OFFLOAD_NET_BUFFER_LIST_INFO;

/* ======================================================================================== */
/* Slot 4: Ieee8021QNetBufferListInfo (OOB-08)                                                */
/* ======================================================================================== */
typedef struct _NDIS_NET_BUFFER_LIST_8021Q_INFO {
    union {
        struct {
            UINT32 UserPriority : 3;      /* 802.1p priority */
            UINT32 CanonicalFormatId : 1; /* always 0 */
            UINT32 VlanId : 12;
            UINT32 Reserved : 16;         /* 0 for Ethernet */
        } TagHeader;
        struct {
            UINT32 UserPriority : 3;
            UINT32 CanonicalFormatId : 1;
            UINT32 VlanId : 12;
            UINT32 WMMInfo : 4;           /* top bit 0 */
            UINT32 Reserved : 12;         /* 0 for wireless LAN */
        } WLanTagHeader;
        PVOID Value;
    };
} NDIS_NET_BUFFER_LIST_8021Q_INFO, *PNDIS_NET_BUFFER_LIST_8021Q_INFO;

/* The slot addressed in place: the bit field of the slot itself, usable as an lvalue. */
#define NDIS_GET_NET_BUFFER_LIST_VLAN_ID(_NBL) \
    (((NDIS_NET_BUFFER_LIST_8021Q_INFO *)&(_NBL)->NetBufferListInfo[Ieee8021QNetBufferListInfo]) \
         ->TagHeader.VlanId)
#define NDIS_SET_NET_BUFFER_LIST_VLAN_ID(_NBL, _VlanId) \
    (((NDIS_NET_BUFFER_LIST_8021Q_INFO *)&(_NBL)->NetBufferListInfo[Ieee8021QNetBufferListInfo]) \
         ->TagHeader.VlanId = (_VlanId))

/* ======================================================================================== */
/* Slot 5: NetBufferListCancelId (OOB-09; §16 point 4: stored pointer-sized)                  */
/* ======================================================================================== */
#define NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(_NBL) (NET_BUFFER_LIST_INFO((_NBL), NetBufferListCancelId))
#define NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(_NBL, _CancelId) \
    (NET_BUFFER_LIST_INFO((_NBL), NetBufferListCancelId) = (PVOID)(ULONG_PTR)(_CancelId))

/* ======================================================================================== */
/* Slot 6: MediaSpecificInformation (OOB-14)                                                  */
/* ======================================================================================== */
typedef struct _NDIS_NET_BUFFER_LIST_MEDIA_SPECIFIC_INFO {
    union {
        PVOID MediaSpecificInfo;
        PVOID NativeWifiSpecificInfo;
        PVOID Value;
    };
} NDIS_NET_BUFFER_LIST_MEDIA_SPECIFIC_INFO, *PNDIS_NET_BUFFER_LIST_MEDIA_SPECIFIC_INFO;

typedef struct _NDIS_NBL_MEDIA_MEDIA_SPECIFIC_INFORMATION NDIS_NBL_MEDIA_SPECIFIC_INFORMATION,
    *PNDIS_NBL_MEDIA_SPECIFIC_INFORMATION;
struct _NDIS_NBL_MEDIA_MEDIA_SPECIFIC_INFORMATION {
    PNDIS_NBL_MEDIA_SPECIFIC_INFORMATION NextEntry;
    ULONG Tag;
    DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) UCHAR Data[1];
};

/* Push _Info at the head of the list in slot 6. */
#define NDIS_NBL_ADD_MEDIA_SPECIFIC_INFO(_NBL, _MediaSpecificInfo) \
    do { \
        PNDIS_NBL_MEDIA_SPECIFIC_INFORMATION msiHead_ = (PNDIS_NBL_MEDIA_SPECIFIC_INFORMATION) \
            NET_BUFFER_LIST_INFO((_NBL), MediaSpecificInformation); \
        NET_BUFFER_LIST_INFO((_NBL), MediaSpecificInformation) = (PVOID)(_MediaSpecificInfo); \
        (_MediaSpecificInfo)->NextEntry = msiHead_; \
    } while (0)

/* Unlink the first entry whose Tag equals _MediaSpecificInfo->Tag. */
#define NDIS_NBL_REMOVE_MEDIA_SPECIFIC_INFO(_NBL, _MediaSpecificInfo) \
    do { \
        PNDIS_NBL_MEDIA_SPECIFIC_INFORMATION msiPrev_ = NULL; \
        PNDIS_NBL_MEDIA_SPECIFIC_INFORMATION msiCur_ = (PNDIS_NBL_MEDIA_SPECIFIC_INFORMATION) \
            NET_BUFFER_LIST_INFO((_NBL), MediaSpecificInformation); \
        while (msiCur_ != NULL && msiCur_->Tag != (_MediaSpecificInfo)->Tag) { \
            msiPrev_ = msiCur_; \
            msiCur_ = msiCur_->NextEntry; \
        } \
        if (msiCur_ != NULL) { \
            if (msiPrev_ == NULL) \
                NET_BUFFER_LIST_INFO((_NBL), MediaSpecificInformation) = (PVOID)msiCur_->NextEntry; \
            else \
                msiPrev_->NextEntry = msiCur_->NextEntry; \
        } \
    } while (0)

/* _MediaSpecificInfo = first entry with Tag == _Tag, or NULL. */
#define NDIS_NBL_GET_MEDIA_SPECIFIC_INFO(_NBL, _Tag, _MediaSpecificInfo) \
    do { \
        PNDIS_NBL_MEDIA_SPECIFIC_INFORMATION msiCur_ = (PNDIS_NBL_MEDIA_SPECIFIC_INFORMATION) \
            NET_BUFFER_LIST_INFO((_NBL), MediaSpecificInformation); \
        while (msiCur_ != NULL && msiCur_->Tag != (ULONG)(_Tag)) \
            msiCur_ = msiCur_->NextEntry; \
        (_MediaSpecificInfo) = msiCur_; \
    } while (0)

/* ======================================================================================== */
/* Slot 7: NetBufferListFrameType / NetBufferListProtocolId (OOB-10)                          */
/*   Receive: the frame type (USHORT, network byte order) in the low bits of the slot.       */
/*   Send: an NDIS_PROTOCOL_ID_* value (UCHAR), see <ndis/constants.h>.                      */
/* ======================================================================================== */

/* ======================================================================================== */
/* Slots 8 and 9: NetBufferListHashValue, NetBufferListHashInfo (OOB-11)                      */
/* ======================================================================================== */
#define NdisHashFunctionToeplitz                    0x00000001 /* the primary RSS hash function */
#define NdisHashFunctionReserved1                   0x00000002
#define NdisHashFunctionReserved2                   0x00000004
#define NdisHashFunctionReserved3                   0x00000008

#define NDIS_HASH_FUNCTION_MASK                     0x000000FF
#define NDIS_HASH_TYPE_MASK                         0x00FFFF00

#define NDIS_HASH_IPV4                              0x00000100
#define NDIS_HASH_TCP_IPV4                          0x00000200
#define NDIS_HASH_IPV6                              0x00000400
#define NDIS_HASH_IPV6_EX                           0x00000800
#define NDIS_HASH_TCP_IPV6                          0x00001000
#define NDIS_HASH_TCP_IPV6_EX                       0x00002000
#define NDIS_HASH_UDP_IPV4                          0x00004000 /* 6.80 */
#define NDIS_HASH_UDP_IPV6                          0x00008000 /* 6.80 */
#define NDIS_HASH_UDP_IPV6_EX                       0x00010000 /* 6.80 */

typedef ULONG NDIS_HASH_FLAGS;

#define NDIS_RSS_HASH_FUNC_FROM_HASH_INFO(_HashInfo) ((_HashInfo) & (NDIS_HASH_FUNCTION_MASK))
#define NDIS_RSS_HASH_TYPE_FROM_HASH_INFO(_HashInfo) ((_HashInfo) & (NDIS_HASH_TYPE_MASK))
#define NDIS_RSS_HASH_INFO_FROM_TYPE_AND_FUNC(_HashType, _HashFunction) \
    ((_HashType) | (_HashFunction))

#define NET_BUFFER_LIST_GET_HASH_VALUE(_NBL) \
    ((ULONG)(ULONG_PTR)NET_BUFFER_LIST_INFO((_NBL), NetBufferListHashValue))
#define NET_BUFFER_LIST_SET_HASH_VALUE(_NBL, _HashValue) \
    (NET_BUFFER_LIST_INFO((_NBL), NetBufferListHashValue) = (PVOID)(ULONG_PTR)(ULONG)(_HashValue))
#define NET_BUFFER_LIST_GET_HASH_TYPE(_NBL) \
    (((ULONG)(ULONG_PTR)NET_BUFFER_LIST_INFO((_NBL), NetBufferListHashInfo)) & NDIS_HASH_TYPE_MASK)
#define NET_BUFFER_LIST_GET_HASH_FUNCTION(_NBL) \
    (((ULONG)(ULONG_PTR)NET_BUFFER_LIST_INFO((_NBL), NetBufferListHashInfo)) & \
     NDIS_HASH_FUNCTION_MASK)

/* Each SET replaces only its own field of the hash info slot (OOB-11). */
FORCEINLINE VOID OpenNdisNblSetHashInfoField(PNET_BUFFER_LIST Nbl, ULONG Mask, ULONG Bits)
{
    ULONG info = (ULONG)(ULONG_PTR)Nbl->NetBufferListInfo[NetBufferListHashInfo];
    info = (info & ~Mask) | (Bits & Mask);
    Nbl->NetBufferListInfo[NetBufferListHashInfo] = (PVOID)(ULONG_PTR)info;
}

#define NET_BUFFER_LIST_SET_HASH_TYPE(_NBL, _HashType) \
    OpenNdisNblSetHashInfoField((_NBL), NDIS_HASH_TYPE_MASK, (ULONG)(_HashType))
#define NET_BUFFER_LIST_SET_HASH_FUNCTION(_NBL, _HashFunction) \
    OpenNdisNblSetHashInfoField((_NBL), NDIS_HASH_FUNCTION_MASK, (ULONG)(_HashFunction))

/* ======================================================================================== */
/* Slot 14: NetBufferListFilteringInfo (6.20; OOB-13)                                         */
/* ======================================================================================== */
#define NDIS_DEFAULT_RECEIVE_QUEUE_ID               0

typedef struct _NDIS_NET_BUFFER_LIST_FILTERING_INFO {
    union {
        struct {
            USHORT FilterId;
            union {
                USHORT QueueId;
                USHORT VPortId; /* 6.30 */
            } QueueVPortInfo;
        } FilteringInfo;
        PVOID Value;
    };
} NDIS_NET_BUFFER_LIST_FILTERING_INFO, *PNDIS_NET_BUFFER_LIST_FILTERING_INFO;

#define NET_BUFFER_LIST_RECEIVE_FILTER_ID(_NBL) \
    (((PNDIS_NET_BUFFER_LIST_FILTERING_INFO)&NET_BUFFER_LIST_INFO((_NBL), NetBufferListFilteringInfo)) \
         ->FilteringInfo.FilterId)
#define NET_BUFFER_LIST_RECEIVE_QUEUE_ID(_NBL) \
    (((PNDIS_NET_BUFFER_LIST_FILTERING_INFO)&NET_BUFFER_LIST_INFO((_NBL), NetBufferListFilteringInfo)) \
         ->FilteringInfo.QueueVPortInfo.QueueId)
#define NET_BUFFER_LIST_RECEIVE_FILTER_VPORT_ID(_NBL) \
    (((PNDIS_NET_BUFFER_LIST_FILTERING_INFO)&NET_BUFFER_LIST_INFO((_NBL), NetBufferListFilteringInfo)) \
         ->FilteringInfo.QueueVPortInfo.VPortId)

/* ======================================================================================== */
/* Slot 15: MediaSpecificInformationEx (6.20; OOB-14)                                          */
/* ======================================================================================== */
typedef struct _NDIS_NBL_MEDIA_SPECIFIC_INFORMATION_EX {
    NDIS_OBJECT_HEADER Header;
    struct _NDIS_NBL_MEDIA_SPECIFIC_INFORMATION_EX *NextEntry;
    ULONG Tag;
    PVOID Data;
} NDIS_NBL_MEDIA_SPECIFIC_INFORMATION_EX, *PNDIS_NBL_MEDIA_SPECIFIC_INFORMATION_EX;

#define NDIS_NBL_MEDIA_SPECIFIC_INFO_REVISION_1     1
#define NDIS_SIZEOF_NBL_MEDIA_SPECIFIC_INFO_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_NBL_MEDIA_SPECIFIC_INFORMATION_EX, Data)

/* Push _MediaSpecificInfo at the head of the list in slot 15. */
#define NDIS_NBL_ADD_MEDIA_SPECIFIC_INFO_EX(_NBL, _MediaSpecificInfo) \
    do { \
        PNDIS_NBL_MEDIA_SPECIFIC_INFORMATION_EX msiHead_ = (PNDIS_NBL_MEDIA_SPECIFIC_INFORMATION_EX) \
            NET_BUFFER_LIST_INFO((_NBL), MediaSpecificInformationEx); \
        NET_BUFFER_LIST_INFO((_NBL), MediaSpecificInformationEx) = (PVOID)(_MediaSpecificInfo); \
        (_MediaSpecificInfo)->NextEntry = msiHead_; \
    } while (0)

/* Unlink the first entry whose Tag equals _MediaSpecificInfo->Tag. */
#define NDIS_NBL_REMOVE_MEDIA_SPECIFIC_INFO_EX(_NBL, _MediaSpecificInfo) \
    do { \
        PNDIS_NBL_MEDIA_SPECIFIC_INFORMATION_EX msiPrev_ = NULL; \
        PNDIS_NBL_MEDIA_SPECIFIC_INFORMATION_EX msiCur_ = (PNDIS_NBL_MEDIA_SPECIFIC_INFORMATION_EX) \
            NET_BUFFER_LIST_INFO((_NBL), MediaSpecificInformationEx); \
        while (msiCur_ != NULL && msiCur_->Tag != (_MediaSpecificInfo)->Tag) { \
            msiPrev_ = msiCur_; \
            msiCur_ = msiCur_->NextEntry; \
        } \
        if (msiCur_ != NULL) { \
            if (msiPrev_ == NULL) \
                NET_BUFFER_LIST_INFO((_NBL), MediaSpecificInformationEx) = (PVOID)msiCur_->NextEntry; \
            else \
                msiPrev_->NextEntry = msiCur_->NextEntry; \
        } \
    } while (0)

/* _MediaSpecificInfo = first entry with Tag == _Tag, or NULL. */
#define NDIS_NBL_GET_MEDIA_SPECIFIC_INFO_EX(_NBL, _Tag, _MediaSpecificInfo) \
    do { \
        PNDIS_NBL_MEDIA_SPECIFIC_INFORMATION_EX msiCur_ = (PNDIS_NBL_MEDIA_SPECIFIC_INFORMATION_EX) \
            NET_BUFFER_LIST_INFO((_NBL), MediaSpecificInformationEx); \
        while (msiCur_ != NULL && msiCur_->Tag != (ULONG)(_Tag)) \
            msiCur_ = msiCur_->NextEntry; \
        (_MediaSpecificInfo) = msiCur_; \
    } while (0)

/* ======================================================================================== */
/* Slot 20: VirtualSubnetInfo (6.30, 64-bit only)                                             */
/*   The documentation page shows "VirtualSubnetId : 32" followed by "ReservedVsidBits : 8",  */
/*   which cannot fit; the symbol dump of the shipping structure gives 24 + 8 bits in the low */
/*   ULONG and a 32-bit Reserved in the high ULONG. OpenNDIS follows the symbol dump.         */
/* ======================================================================================== */
#if UINTPTR_MAX > 0xFFFFFFFFu
typedef struct _NDIS_NET_BUFFER_LIST_VIRTUAL_SUBNET_INFO {
    union {
        struct {
            UINT32 VirtualSubnetId : 24;
            UINT32 ReservedVsidBits : 8;
            UINT32 Reserved;
        };
        PVOID Value;
    };
} NDIS_NET_BUFFER_LIST_VIRTUAL_SUBNET_INFO, *PNDIS_NET_BUFFER_LIST_VIRTUAL_SUBNET_INFO;
C_ASSERT(sizeof(NDIS_NET_BUFFER_LIST_VIRTUAL_SUBNET_INFO) == sizeof(PVOID));
#endif

/* ======================================================================================== */
/* Slot 22: TcpRecvSegCoalesceInfo (6.30) / UdpSegmentationOffloadInfo (6.83)                 */
/* ======================================================================================== */
typedef union _NDIS_RSC_NBL_INFO {
    struct {
        USHORT CoalescedSegCount;
        USHORT DupAckCount;
    } Info;
    PVOID Value;
} NDIS_RSC_NBL_INFO, *PNDIS_RSC_NBL_INFO;

#define NDIS_UDP_SEGMENTATION_OFFLOAD_IPV4          0
#define NDIS_UDP_SEGMENTATION_OFFLOAD_IPV6          1

typedef struct _NDIS_UDP_SEGMENTATION_OFFLOAD_NET_BUFFER_LIST_INFO {
    union {
        struct {
            ULONG MSS : 20;
            ULONG UdpHeaderOffset : 10;
            ULONG Reserved : 1;
            ULONG IPVersion : 1;
        } Transmit;
        PVOID Value;
    };
} NDIS_UDP_SEGMENTATION_OFFLOAD_NET_BUFFER_LIST_INFO,
    *PNDIS_UDP_SEGMENTATION_OFFLOAD_NET_BUFFER_LIST_INFO;

/* ---- Every info union is exactly one slot ------------------------------------------------- */
C_ASSERT(sizeof(NDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO) == sizeof(PVOID));
C_ASSERT(sizeof(NDIS_IPSEC_OFFLOAD_V1_NET_BUFFER_LIST_INFO) == sizeof(PVOID));
C_ASSERT(sizeof(NDIS_IPSEC_OFFLOAD_V2_NET_BUFFER_LIST_INFO) == sizeof(PVOID));
C_ASSERT(sizeof(NDIS_TCP_LARGE_SEND_OFFLOAD_NET_BUFFER_LIST_INFO) == sizeof(PVOID));
C_ASSERT(sizeof(NDIS_NET_BUFFER_LIST_8021Q_INFO) == sizeof(PVOID));
C_ASSERT(sizeof(NDIS_NET_BUFFER_LIST_MEDIA_SPECIFIC_INFO) == sizeof(PVOID));
C_ASSERT(sizeof(NDIS_NET_BUFFER_LIST_FILTERING_INFO) == sizeof(PVOID));
C_ASSERT(sizeof(NDIS_RSC_NBL_INFO) == sizeof(PVOID));
C_ASSERT(sizeof(NDIS_UDP_SEGMENTATION_OFFLOAD_NET_BUFFER_LIST_INFO) == sizeof(PVOID));

NDIS_EXTERN_C_END

#endif /* OPENNDIS_NDIS_NBLOOB_H */
