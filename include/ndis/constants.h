/*
 * ndis/constants.h — flags, filters, object types, revisions and enumerations (SPEC §15.1–§15.3,
 * §15.7, N5-10, N5-16).
 *
 * Abstract
 *   The plain numbers of the NDIS 6 data path, with the WDK's names and values:
 *     - send / send-complete / receive / return flags and their test/set macros (§15.1, §15.2);
 *     - packet filter bits (OID_GEN_CURRENT_PACKET_FILTER) and NDIS_MAC_OPTION_* bits;
 *     - NDIS_OBJECT_HEADER.Type values (NDIS_OBJECT_TYPE_*);
 *     - scatter/gather DMA flags and revisions, the default port number, protocol ids;
 *     - NDIS_RUNTIME_VERSION_* (compare with NdisGetVersion);
 *     - NDIS 5 per-packet flags (N5-16) and NDIS_PER_PACKET_INFO (N5-10), kept for the NDIS 5
 *       translation layer;
 *     - NDIS_MEDIUM;
 *     - the Ethernet address helpers (ETH_*).
 *   The flag test/set macros are the ones the WDK exposes under NDIS_INCLUDE_LEGACY_NAMES, which
 *   every sample driver uses; OpenNDIS always defines them.
 *
 * Usage
 *     VOID MiniportSendNetBufferLists(NDIS_HANDLE ctx, PNET_BUFFER_LIST nbls,
 *                                     NDIS_PORT_NUMBER port, ULONG SendFlags)
 *     {
 *         ULONG completeFlags = 0;
 *         if (NDIS_TEST_SEND_AT_DISPATCH_LEVEL(SendFlags))
 *             NDIS_SET_SEND_COMPLETE_FLAG(completeFlags, NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL);
 *         ...
 *     }
 *   Included by <ndis.h>; compiles alone as C11 and as C++20.
 */
#ifndef OPENNDIS_NDIS_CONSTANTS_H
#define OPENNDIS_NDIS_CONSTANTS_H

#include <string.h> /* memcmp / memcpy for the ETH_* helpers */

#include <ndis/types.h>

NDIS_EXTERN_C_BEGIN

/* ---- Send flags (§15.1): NdisSendNetBufferLists, NdisFSendNetBufferLists,
 *      FILTER_SEND_NET_BUFFER_LISTS, MINIPORT_SEND_NET_BUFFER_LISTS --------------------------- */
#define NDIS_SEND_FLAGS_DISPATCH_LEVEL              0x00000001
#define NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK          0x00000002
#define NDIS_SEND_FLAGS_SINGLE_QUEUE                0x00000004 /* 6.20 */
#define NDIS_SEND_FLAGS_SWITCH_DESTINATION_GROUP    0x00000010 /* 6.30 */
#define NDIS_SEND_FLAGS_SWITCH_SINGLE_SOURCE        0x00000020 /* 6.30 */

#define NDIS_TEST_SEND_FLAG(_Flags, _Fl)            (((_Flags) & (_Fl)) == (_Fl))
#define NDIS_SET_SEND_FLAG(_Flags, _Fl)             ((_Flags) |= (_Fl))
#define NDIS_CLEAR_SEND_FLAG(_Flags, _Fl)           ((_Flags) &= ~(_Fl))
#define NDIS_TEST_SEND_AT_DISPATCH_LEVEL(_Flags) \
    NDIS_TEST_SEND_FLAG((_Flags), NDIS_SEND_FLAGS_DISPATCH_LEVEL)

/* ---- Send-complete flags (§15.1): NdisMSendNetBufferListsComplete,
 *      NdisFSendNetBufferListsComplete, *_SEND_NET_BUFFER_LISTS_COMPLETE ---------------------- */
#define NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL     0x00000001
#define NDIS_SEND_COMPLETE_FLAGS_SINGLE_QUEUE       0x00000002 /* 6.20 */
#define NDIS_SEND_COMPLETE_FLAGS_SWITCH_SINGLE_SOURCE 0x00000004 /* 6.30 */

#define NDIS_TEST_SEND_COMPLETE_FLAG(_Flags, _Fl)   (((_Flags) & (_Fl)) == (_Fl))
#define NDIS_SET_SEND_COMPLETE_FLAG(_Flags, _Fl)    ((_Flags) |= (_Fl))
#define NDIS_TEST_SEND_COMPLETE_AT_DISPATCH_LEVEL(_Flags) \
    NDIS_TEST_SEND_COMPLETE_FLAG((_Flags), NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL)

/* ---- Receive flags (§15.2): NdisMIndicateReceiveNetBufferLists,
 *      NdisFIndicateReceiveNetBufferLists, *_RECEIVE_NET_BUFFER_LISTS ------------------------- */
#define NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL           0x00000001
#define NDIS_RECEIVE_FLAGS_RESOURCES                0x00000002
#define NDIS_RECEIVE_FLAGS_SINGLE_ETHER_TYPE        0x00000100
#define NDIS_RECEIVE_FLAGS_SINGLE_VLAN              0x00000200
#define NDIS_RECEIVE_FLAGS_PERFECT_FILTERED         0x00000400
#define NDIS_RECEIVE_FLAGS_SINGLE_QUEUE             0x00000800 /* 6.20 */
#define NDIS_RECEIVE_FLAGS_SHARED_MEMORY_INFO_VALID 0x00001000 /* 6.20 */
#define NDIS_RECEIVE_FLAGS_MORE_NBLS                0x00002000 /* 6.20, reserved */
#define NDIS_RECEIVE_FLAGS_SWITCH_DESTINATION_GROUP 0x00004000 /* 6.30 */
#define NDIS_RECEIVE_FLAGS_SWITCH_SINGLE_SOURCE     0x00008000 /* 6.30 */

#define NDIS_TEST_RECEIVE_FLAG(_Flags, _Fl)         (((_Flags) & (_Fl)) == (_Fl))
#define NDIS_SET_RECEIVE_FLAG(_Flags, _Fl)          ((_Flags) |= (_Fl))
#define NDIS_TEST_RECEIVE_AT_DISPATCH_LEVEL(_Flags) \
    NDIS_TEST_RECEIVE_FLAG((_Flags), NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL)
#define NDIS_TEST_RECEIVE_CANNOT_PEND(_Flags) \
    NDIS_TEST_RECEIVE_FLAG((_Flags), NDIS_RECEIVE_FLAGS_RESOURCES)
#define NDIS_TEST_RECEIVE_CAN_PEND(_Flags) \
    (((_Flags) & NDIS_RECEIVE_FLAGS_RESOURCES) == 0)

/* ---- Return flags (§15.2): NdisReturnNetBufferLists, NdisFReturnNetBufferLists,
 *      *_RETURN_NET_BUFFER_LISTS -------------------------------------------------------------- */
#define NDIS_RETURN_FLAGS_DISPATCH_LEVEL            0x00000001
#define NDIS_RETURN_FLAGS_SINGLE_QUEUE              0x00000002 /* 6.20 */
#define NDIS_RETURN_FLAGS_SWITCH_SINGLE_SOURCE      0x00000004 /* 6.30 */

#define NDIS_TEST_RETURN_FLAG(_Flags, _Fl)          (((_Flags) & (_Fl)) == (_Fl))
#define NDIS_SET_RETURN_FLAG(_Flags, _Fl)           ((_Flags) |= (_Fl))
#define NDIS_TEST_RETURN_AT_DISPATCH_LEVEL(_Flags) \
    NDIS_TEST_RETURN_FLAG((_Flags), NDIS_RETURN_FLAGS_DISPATCH_LEVEL)

/* ---- Packet filter bits: OID_GEN_CURRENT_PACKET_FILTER (§15.3) ----------------------------- */
#define NDIS_PACKET_TYPE_DIRECTED                   0x00000001
#define NDIS_PACKET_TYPE_MULTICAST                  0x00000002
#define NDIS_PACKET_TYPE_ALL_MULTICAST              0x00000004
#define NDIS_PACKET_TYPE_BROADCAST                  0x00000008
#define NDIS_PACKET_TYPE_SOURCE_ROUTING             0x00000010
#define NDIS_PACKET_TYPE_PROMISCUOUS                0x00000020
#define NDIS_PACKET_TYPE_SMT                        0x00000040
#define NDIS_PACKET_TYPE_ALL_LOCAL                  0x00000080
#define NDIS_PACKET_TYPE_GROUP                      0x00001000
#define NDIS_PACKET_TYPE_ALL_FUNCTIONAL             0x00002000
#define NDIS_PACKET_TYPE_FUNCTIONAL                 0x00004000
#define NDIS_PACKET_TYPE_MAC_FRAME                  0x00008000
#define NDIS_PACKET_TYPE_NO_LOCAL                   0x00010000

/* ---- MAC options: OID_GEN_MAC_OPTIONS / NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES.MacOptions -- */
#define NDIS_MAC_OPTION_COPY_LOOKAHEAD_DATA         0x00000001
#define NDIS_MAC_OPTION_RECEIVE_SERIALIZED          0x00000002
#define NDIS_MAC_OPTION_TRANSFERS_NOT_PEND          0x00000004
#define NDIS_MAC_OPTION_NO_LOOPBACK                 0x00000008
#define NDIS_MAC_OPTION_FULL_DUPLEX                 0x00000010
#define NDIS_MAC_OPTION_EOTX_INDICATION             0x00000020
#define NDIS_MAC_OPTION_8021P_PRIORITY              0x00000040
#define NDIS_MAC_OPTION_SUPPORTS_MAC_ADDRESS_OVERWRITE 0x00000080
#define NDIS_MAC_OPTION_RECEIVE_AT_DPC              0x00000100
#define NDIS_MAC_OPTION_8021Q_VLAN                  0x00000200
#define NDIS_MAC_OPTION_RESERVED                    0x80000000

/* ---- NDIS_OBJECT_HEADER.Type (ntddndis.h, ndis.h) ------------------------------------------
 * NDIS_OBJECT_TYPE_DEFAULT is spelled exactly as in <ndis/nblapi.h> so that both definitions
 * are identical whichever header comes first. */
#define NDIS_OBJECT_TYPE_DEFAULT 0x80
#define NDIS_OBJECT_TYPE_MINIPORT_INIT_PARAMETERS                   0x81
#define NDIS_OBJECT_TYPE_SG_DMA_DESCRIPTION                         0x83
#define NDIS_OBJECT_TYPE_MINIPORT_INTERRUPT                         0x84
#define NDIS_OBJECT_TYPE_DEVICE_OBJECT_ATTRIBUTES                   0x85
#define NDIS_OBJECT_TYPE_BIND_PARAMETERS                            0x86
#define NDIS_OBJECT_TYPE_OPEN_PARAMETERS                            0x87
#define NDIS_OBJECT_TYPE_RSS_CAPABILITIES                           0x88
#define NDIS_OBJECT_TYPE_RSS_PARAMETERS                             0x89
#define NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS            0x8A
#define NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS              0x8B
#define NDIS_OBJECT_TYPE_FILTER_PARTIAL_CHARACTERISTICS             0x8C
#define NDIS_OBJECT_TYPE_FILTER_ATTRIBUTES                          0x8D
#define NDIS_OBJECT_TYPE_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS   0x8E
#define NDIS_OBJECT_TYPE_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS 0x8F
#define NDIS_OBJECT_TYPE_CO_PROTOCOL_CHARACTERISTICS                0x90
#define NDIS_OBJECT_TYPE_CO_MINIPORT_CHARACTERISTICS                0x91
#define NDIS_OBJECT_TYPE_MINIPORT_PNP_CHARACTERISTICS               0x92
#define NDIS_OBJECT_TYPE_CLIENT_CHIMNEY_OFFLOAD_CHARACTERISTICS     0x93
#define NDIS_OBJECT_TYPE_PROVIDER_CHIMNEY_OFFLOAD_CHARACTERISTICS   0x94
#define NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS            0x95
#define NDIS_OBJECT_TYPE_REQUEST_EX                                 0x96 /* deprecated name */
#define NDIS_OBJECT_TYPE_OID_REQUEST                                0x96
#define NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS                      0x97
#define NDIS_OBJECT_TYPE_STATUS_INDICATION                          0x98
#define NDIS_OBJECT_TYPE_FILTER_ATTACH_PARAMETERS                   0x99
#define NDIS_OBJECT_TYPE_FILTER_PAUSE_PARAMETERS                    0x9A
#define NDIS_OBJECT_TYPE_FILTER_RESTART_PARAMETERS                  0x9B
#define NDIS_OBJECT_TYPE_PORT_CHARACTERISTICS                       0x9C
#define NDIS_OBJECT_TYPE_PORT_STATE                                 0x9D
#define NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES   0x9E
#define NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES        0x9F
#define NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES        0xA0
#define NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_NATIVE_802_11_ATTRIBUTES  0xA1
#define NDIS_OBJECT_TYPE_RESTART_GENERAL_ATTRIBUTES                 0xA2
#define NDIS_OBJECT_TYPE_PROTOCOL_RESTART_PARAMETERS                0xA3
#define NDIS_OBJECT_TYPE_MINIPORT_ADD_DEVICE_REGISTRATION_ATTRIBUTES 0xA4
#define NDIS_OBJECT_TYPE_CO_CALL_MANAGER_OPTIONAL_HANDLERS          0xA5
#define NDIS_OBJECT_TYPE_CO_CLIENT_OPTIONAL_HANDLERS                0xA6
#define NDIS_OBJECT_TYPE_OFFLOAD                                    0xA7
#define NDIS_OBJECT_TYPE_OFFLOAD_ENCAPSULATION                      0xA8
#define NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT                       0xA9
#define NDIS_OBJECT_TYPE_DRIVER_WRAPPER_OBJECT                      0xAA
#define NDIS_OBJECT_TYPE_HD_SPLIT_ATTRIBUTES                        0xAB /* 6.1 */
#define NDIS_OBJECT_TYPE_NSI_NETWORK_RW_STRUCT                      0xAC
#define NDIS_OBJECT_TYPE_NSI_COMPARTMENT_RW_STRUCT                  0xAD
#define NDIS_OBJECT_TYPE_NSI_INTERFACE_PERSIST_RW_STRUCT            0xAE
#define NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES 0xAF /* 6.1 */
#define NDIS_OBJECT_TYPE_SHARED_MEMORY_PROVIDER_CHARACTERISTICS     0xB0 /* 6.20 */
#define NDIS_OBJECT_TYPE_RSS_PROCESSOR_INFO                         0xB1 /* 6.20 */
#define NDIS_OBJECT_TYPE_NDK_PROVIDER_CHARACTERISTICS               0xB2 /* 6.30 */
#define NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_NDK_ATTRIBUTES            0xB3 /* 6.30 */
#define NDIS_OBJECT_TYPE_MINIPORT_SS_CHARACTERISTICS                0xB4 /* 6.30 */
#define NDIS_OBJECT_TYPE_QOS_CAPABILITIES                           0xB5 /* 6.30 */
#define NDIS_OBJECT_TYPE_QOS_PARAMETERS                             0xB6 /* 6.30 */
#define NDIS_OBJECT_TYPE_QOS_CLASSIFICATION_ELEMENT                 0xB7 /* 6.30 */
#define NDIS_OBJECT_TYPE_SWITCH_OPTIONAL_HANDLERS                   0xB8 /* 6.30 */
#define NDIS_OBJECT_TYPE_PD_TRANSMIT_QUEUE                          0xBE /* 6.50 */
#define NDIS_OBJECT_TYPE_PD_RECEIVE_QUEUE                           0xBF /* 6.50 */
#define NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_PACKET_DIRECT_ATTRIBUTES  0xC5 /* 6.50 */
#define NDIS_OBJECT_TYPE_MINIPORT_DEVICE_POWER_NOTIFICATION         0xC6 /* 6.70 */
#define NDIS_OBJECT_TYPE_RSS_PARAMETERS_V2                          0xC8
#define NDIS_OBJECT_TYPE_RSS_SET_INDIRECTION_ENTRIES                0xC9

#define NDIS_OBJECT_REVISION_1                      1

/* ---- Scatter/gather DMA (§15.3, SG) -------------------------------------------------------- */
/* NDIS_SG_DMA_DESCRIPTION.Flags */
#define NDIS_SG_DMA_64_BIT_ADDRESS                  0x00000001
#define NDIS_SG_DMA_V3_HAL_API                      0x00000002 /* 6.50 */
#define NDIS_SG_DMA_HYBRID_DMA                      0x00000004 /* 6.85 */
#define NDIS_SG_DMA_DESCRIPTION_REVISION_1          1
#define NDIS_SG_DMA_DESCRIPTION_REVISION_2          2          /* 6.85 */
/* NdisMAllocateNetBufferSGList Flags */
#define NDIS_SG_LIST_WRITE_TO_DEVICE                0x00000001

/* ---- Ports (PORT) -------------------------------------------------------------------------- */
#define NDIS_DEFAULT_PORT_NUMBER                    ((NDIS_PORT_NUMBER)0)

/* ---- Protocol ids: NET_BUFFER_LIST_POOL_PARAMETERS.ProtocolId, NetBufferListProtocolId slot
 *      (OOB-10), low nibble of the NDIS 5 packet flags (NDIS_FLAGS_PROTOCOL_ID_MASK) ---------- */
#define NDIS_PROTOCOL_ID_DEFAULT                    0x00
#define NDIS_PROTOCOL_ID_TCP_IP                     0x02
#define NDIS_PROTOCOL_ID_IPX                        0x06
#define NDIS_PROTOCOL_ID_NBF                        0x07
#define NDIS_PROTOCOL_ID_MAX                        0x0F
#define NDIS_PROTOCOL_ID_MASK                       0x0F

/* ---- Runtime versions: compare with the value NdisGetVersion returns (major << 16 | minor) -- */
#define NDIS_RUNTIME_VERSION_60                     0x00060000
#define NDIS_RUNTIME_VERSION_61                     0x00060001
#define NDIS_RUNTIME_VERSION_620                    0x00060014
#define NDIS_RUNTIME_VERSION_630                    0x0006001E
#define NDIS_RUNTIME_VERSION_640                    0x00060028
#define NDIS_RUNTIME_VERSION_650                    0x00060032
#define NDIS_RUNTIME_VERSION_651                    0x00060033
#define NDIS_RUNTIME_VERSION_660                    0x0006003C
#define NDIS_RUNTIME_VERSION_670                    0x00060046
#define NDIS_RUNTIME_VERSION_680                    0x00060050
#define NDIS_RUNTIME_VERSION_681                    0x00060051
#define NDIS_RUNTIME_VERSION_682                    0x00060052
#define NDIS_RUNTIME_VERSION_683                    0x00060053
#define NDIS_RUNTIME_VERSION_684                    0x00060054
#define NDIS_RUNTIME_VERSION_685                    0x00060055
#define NDIS_RUNTIME_VERSION_686                    0x00060056
#define NDIS_RUNTIME_VERSION_687                    0x00060057

/* ---- NDIS 5 per-packet flags (N5-16), kept for the NDIS_PACKET translation layer ------------ */
#define NDIS_FLAGS_PROTOCOL_ID_MASK                 0x0000000F /* low 4 bits: NDIS_PROTOCOL_ID_* */
#define NDIS_FLAGS_MULTICAST_PACKET                 0x00000010
#define NDIS_FLAGS_RESERVED2                        0x00000020
#define NDIS_FLAGS_RESERVED3                        0x00000040
#define NDIS_FLAGS_DONT_LOOPBACK                    0x00000080
#define NDIS_FLAGS_IS_LOOPBACK_PACKET               0x00000100
#define NDIS_FLAGS_LOOPBACK_ONLY                    0x00000200
#define NDIS_FLAGS_RESERVED4                        0x00000400
#define NDIS_FLAGS_DOUBLE_BUFFERED                  0x00000800
#define NDIS_FLAGS_SENT_AT_DPC                      0x00001000
#define NDIS_FLAGS_USES_SG_BUFFER_LIST              0x00002000
#define NDIS_FLAGS_USES_ORIGINAL_PACKET             0x00004000
#define NDIS_FLAGS_ALLOCATED_XFER_DATA_PKT          0x00008000 /* older WDKs only */
#define NDIS_FLAGS_PADDED                           0x00010000
#define NDIS_FLAGS_XLATE_AT_TOP                     0x00020000

/* ---- NDIS 5 per-packet info indices (N5-10) ------------------------------------------------- */
typedef enum _NDIS_PER_PACKET_INFO {
    TcpIpChecksumPacketInfo,        /* 0 */
    IpSecPacketInfo,                /* 1 */
    TcpLargeSendPacketInfo,         /* 2 */
    ClassificationHandlePacketInfo, /* 3 */
    NdisReserved,                   /* 4 */
    ScatterGatherListPacketInfo,    /* 5 */
    Ieee8021QInfo,                  /* 6 */
    OriginalPacketInfo,             /* 7 */
    PacketCancelId,                 /* 8 */
    OriginalNetBufferList,          /* 9 */
    CachedNetBufferList,            /* 10 */
    ShortPacketPaddingInfo,         /* 11 */
    MaxPerPacketInfo                /* 12 */
} NDIS_PER_PACKET_INFO, *PNDIS_PER_PACKET_INFO;

/* ---- Media: OID_GEN_MEDIA_SUPPORTED / OID_GEN_MEDIA_IN_USE, NDIS_OPEN_PARAMETERS ------------ */
typedef enum _NDIS_MEDIUM {
    NdisMedium802_3,        /* 0 */
    NdisMedium802_5,        /* 1 */
    NdisMediumFddi,         /* 2 */
    NdisMediumWan,          /* 3 */
    NdisMediumLocalTalk,    /* 4 */
    NdisMediumDix,          /* 5: defined for convenience, not a real medium */
    NdisMediumArcnetRaw,    /* 6 */
    NdisMediumArcnet878_2,  /* 7 */
    NdisMediumAtm,          /* 8 */
    NdisMediumWirelessWan,  /* 9 */
    NdisMediumIrda,         /* 10 */
    NdisMediumBpc,          /* 11 */
    NdisMediumCoWan,        /* 12 */
    NdisMedium1394,         /* 13 */
    NdisMediumInfiniBand,   /* 14 */
    NdisMediumTunnel,       /* 15 */
    NdisMediumNative802_11, /* 16 */
    NdisMediumLoopback,     /* 17 */
    NdisMediumWiMAX,        /* 18 */
    NdisMediumIP,           /* 19 */
    NdisMediumMax           /* 20: not a real medium, upper bound */
} NDIS_MEDIUM, *PNDIS_MEDIUM;

/* ---- Ethernet address helpers (WDK ndis.h) ---------------------------------------------------
 * Same results as the WDK macros, without their unaligned ULONG/USHORT loads:
 *   ETH_IS_BROADCAST   tests the first two octets for 0xFF, exactly as the WDK macro does;
 *   ETH_IS_MULTICAST   tests the I/G bit of the first octet (true for broadcast too);
 *   ETH_COMPARE_NETWORK_ADDRESSES_EQ stores 0 in *_Result when equal, 1 otherwise;
 *   ETH_COMPARE_NETWORK_ADDRESSES stores 0, 1 or (UINT)-1 with the WDK's ad-hoc order
 *   (octets 2..5 as a little-endian ULONG first, then octets 0..1 as a USHORT). */
#define ETH_LENGTH_OF_ADDRESS                       6

#define ETH_IS_BROADCAST(Address) \
    ((((const UCHAR *)(Address))[0] == ((UCHAR)0xff)) && \
     (((const UCHAR *)(Address))[1] == ((UCHAR)0xff)))

#define ETH_IS_MULTICAST(Address) \
    ((BOOLEAN)(((const UCHAR *)(Address))[0] & ((UCHAR)0x01)))

#define ETH_COPY_NETWORK_ADDRESS(_D, _S) \
    ((void)memcpy((void *)(_D), (const void *)(_S), ETH_LENGTH_OF_ADDRESS))

#define ETH_COMPARE_NETWORK_ADDRESSES_EQ(_A, _B, _Result) \
    (*(_Result) = (memcmp((const void *)(_A), (const void *)(_B), ETH_LENGTH_OF_ADDRESS) != 0))

FORCEINLINE ULONG OpenNdisEthOrderKey(const UCHAR *Address, ULONG *Low)
{
    *Low = (ULONG)Address[0] | ((ULONG)Address[1] << 8);
    return (ULONG)Address[2] | ((ULONG)Address[3] << 8) | ((ULONG)Address[4] << 16) |
           ((ULONG)Address[5] << 24);
}

FORCEINLINE UINT OpenNdisEthCompare(const void *A, const void *B)
{
    ULONG lowA, lowB;
    ULONG highA = OpenNdisEthOrderKey((const UCHAR *)A, &lowA);
    ULONG highB = OpenNdisEthOrderKey((const UCHAR *)B, &lowB);
    if (highA != highB)
        return highA > highB ? 1u : (UINT)-1;
    if (lowA != lowB)
        return lowA > lowB ? 1u : (UINT)-1;
    return 0u;
}

#define ETH_COMPARE_NETWORK_ADDRESSES(_A, _B, _Result) \
    (*(_Result) = OpenNdisEthCompare((const void *)(_A), (const void *)(_B)))

NDIS_EXTERN_C_END

#endif /* OPENNDIS_NDIS_CONSTANTS_H */
