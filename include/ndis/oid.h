/*
 * ndis/oid.h — OIDs, NDIS_OID_REQUEST and the information structures OIDs carry (ntddndis.h,
 * ifdef.h, oidrequest.h slice).
 *
 * Abstract
 *   Everything a driver needs to ask or answer an OID request:
 *     - the OID values (OID_GEN_*, OID_802_3_*, OID_PNP_*, NDIS 6 offload and receive-filter
 *       OIDs), with the WDK's names and values;
 *     - NDIS_REQUEST_TYPE and NDIS_OID_REQUEST, whose DATA union has the WDK's member names
 *       (DATA.QUERY_INFORMATION / SET_INFORMATION / METHOD_INFORMATION, struct tags _QUERY,
 *       _SET, _METHOD, so `struct _QUERY *q = &Request->DATA.QUERY_INFORMATION;` compiles in C
 *       as it does with the WDK);
 *     - the interface types the NDIS 6 attribute structures use (NET_LUID, NET_IFINDEX,
 *       NET_IF_ACCESS_TYPE, ..., IF_TYPE_*), and the payload structures of the common OIDs and
 *       status indications (NDIS_LINK_STATE, NDIS_STATISTICS_INFO, NDIS_PM_CAPABILITIES, ...).
 *   Capability structures that OpenNDIS does not interpret (offload, RSS, SR-IOV, NDK, QoS,
 *   GFT, receive filters) are declared but left opaque: they only ever appear behind pointers
 *   in the attribute and bind structures. Layouts are the x64 WDK's.
 *
 * Usage
 *     NDIS_STATUS MPOidRequest(NDIS_HANDLE ctx, PNDIS_OID_REQUEST r)
 *     {
 *         if (r->RequestType == NdisRequestQueryInformation &&
 *             r->DATA.QUERY_INFORMATION.Oid == OID_GEN_LINK_SPEED) ...
 *     }
 *   Included by <ndis.h>; compiles alone as C11 and as C++20.
 */
#ifndef OPENNDIS_NDIS_OID_H
#define OPENNDIS_NDIS_OID_H

#include <ndis/types.h>
#include <ndis/constants.h>

NDIS_EXTERN_C_BEGIN

/* ======================================================================================= */
/* Interface types (ifdef.h, ipifcons.h)                                                   */
/* ======================================================================================= */

/* A network interface LUID: 24 reserved bits, a 24-bit index and the 16-bit IANA ifType. */
typedef union _NET_LUID_LH {
    ULONG64 Value;
    struct {
        ULONG64 Reserved : 24;
        ULONG64 NetLuidIndex : 24;
        ULONG64 IfType : 16;
    } Info;
} NET_LUID_LH, *PNET_LUID_LH;
typedef NET_LUID_LH NET_LUID, *PNET_LUID;
typedef NET_LUID IF_LUID, *PIF_LUID;

typedef ULONG NET_IFINDEX, *PNET_IFINDEX;
typedef NET_IFINDEX IF_INDEX, *PIF_INDEX;
typedef UINT16 NET_IFTYPE, *PNET_IFTYPE;
typedef UINT32 NET_IF_COMPARTMENT_ID, *PNET_IF_COMPARTMENT_ID;

#define NET_IFINDEX_UNSPECIFIED            ((NET_IFINDEX)0)
#define NET_IF_COMPARTMENT_ID_UNSPECIFIED  ((NET_IF_COMPARTMENT_ID)0)
#define NET_IF_COMPARTMENT_ID_PRIMARY      ((NET_IF_COMPARTMENT_ID)1)
#define NET_IF_LINK_SPEED_UNKNOWN          ((ULONG64)(-1))
#define IF_MAX_PHYS_ADDRESS_LENGTH         32
#define IF_MAX_STRING_SIZE                 256

/* IANA ifType values used by network drivers (ipifcons.h). */
#define IF_TYPE_OTHER                      1
#define IF_TYPE_ETHERNET_CSMACD            6
#define IF_TYPE_ISO88025_TOKENRING         9
#define IF_TYPE_PPP                        23
#define IF_TYPE_SOFTWARE_LOOPBACK          24
#define IF_TYPE_ATM                        37
#define IF_TYPE_IEEE80211                  71
#define IF_TYPE_TUNNEL                     131
#define IF_TYPE_IEEE1394                   144

typedef enum _NET_IF_ACCESS_TYPE {
    NET_IF_ACCESS_LOOPBACK = 1,
    NET_IF_ACCESS_BROADCAST = 2,
    NET_IF_ACCESS_POINT_TO_POINT = 3,
    NET_IF_ACCESS_POINT_TO_MULTI_POINT = 4,
    NET_IF_ACCESS_MAXIMUM = 5
} NET_IF_ACCESS_TYPE, *PNET_IF_ACCESS_TYPE;

typedef enum _NET_IF_DIRECTION_TYPE {
    NET_IF_DIRECTION_SENDRECEIVE = 0,
    NET_IF_DIRECTION_SENDONLY = 1,
    NET_IF_DIRECTION_RECEIVEONLY = 2,
    NET_IF_DIRECTION_MAXIMUM = 3
} NET_IF_DIRECTION_TYPE, *PNET_IF_DIRECTION_TYPE;

typedef enum _NET_IF_CONNECTION_TYPE {
    NET_IF_CONNECTION_DEDICATED = 1,
    NET_IF_CONNECTION_PASSIVE = 2,
    NET_IF_CONNECTION_DEMAND = 3,
    NET_IF_CONNECTION_MAXIMUM = 4
} NET_IF_CONNECTION_TYPE, *PNET_IF_CONNECTION_TYPE;

typedef enum _NET_IF_MEDIA_CONNECT_STATE {
    MediaConnectStateUnknown = 0,
    MediaConnectStateConnected = 1,
    MediaConnectStateDisconnected = 2
} NET_IF_MEDIA_CONNECT_STATE, *PNET_IF_MEDIA_CONNECT_STATE;

typedef enum _NET_IF_MEDIA_DUPLEX_STATE {
    MediaDuplexStateUnknown = 0,
    MediaDuplexStateHalf = 1,
    MediaDuplexStateFull = 2
} NET_IF_MEDIA_DUPLEX_STATE, *PNET_IF_MEDIA_DUPLEX_STATE;

/* ======================================================================================= */
/* Basic NDIS information types (ntddndis.h)                                               */
/* ======================================================================================= */

#define NDIS_MAX_PHYS_ADDRESS_LENGTH       IF_MAX_PHYS_ADDRESS_LENGTH
#define NDIS_IF_MAX_STRING_SIZE            IF_MAX_STRING_SIZE
#define NDIS_LINK_SPEED_UNKNOWN            NET_IF_LINK_SPEED_UNKNOWN

typedef NET_IF_MEDIA_CONNECT_STATE NDIS_MEDIA_CONNECT_STATE, *PNDIS_MEDIA_CONNECT_STATE;
typedef NET_IF_MEDIA_DUPLEX_STATE NDIS_MEDIA_DUPLEX_STATE, *PNDIS_MEDIA_DUPLEX_STATE;

/* NIC switch / VPort identifiers (NDIS_OID_REQUEST, NET_PNP_EVENT_NOTIFICATION, 6.50). */
typedef ULONG NDIS_NIC_SWITCH_ID, *PNDIS_NIC_SWITCH_ID;
typedef ULONG NDIS_NIC_SWITCH_VPORT_ID, *PNDIS_NIC_SWITCH_VPORT_ID;
#define NDIS_DEFAULT_SWITCH_ID             ((NDIS_NIC_SWITCH_ID)0)
#define NDIS_DEFAULT_VPORT_ID              ((NDIS_NIC_SWITCH_VPORT_ID)0)

/* OID_GEN_HARDWARE_STATUS */
typedef enum _NDIS_HARDWARE_STATUS {
    NdisHardwareStatusReady,        /* 0 */
    NdisHardwareStatusInitializing, /* 1 */
    NdisHardwareStatusReset,        /* 2 */
    NdisHardwareStatusClosing,      /* 3 */
    NdisHardwareStatusNotReady      /* 4 */
} NDIS_HARDWARE_STATUS, *PNDIS_HARDWARE_STATUS;

/* OID_GEN_MEDIA_CONNECT_STATUS (NDIS 5 style; NDIS 6 uses NDIS_MEDIA_CONNECT_STATE) */
typedef enum _NDIS_MEDIA_STATE {
    NdisMediaStateConnected,        /* 0 */
    NdisMediaStateDisconnected      /* 1 */
} NDIS_MEDIA_STATE, *PNDIS_MEDIA_STATE;

/* OID_GEN_PHYSICAL_MEDIUM, NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES.PhysicalMediumType */
typedef enum _NDIS_PHYSICAL_MEDIUM {
    NdisPhysicalMediumUnspecified,     /* 0 */
    NdisPhysicalMediumWirelessLan,     /* 1 */
    NdisPhysicalMediumCableModem,      /* 2 */
    NdisPhysicalMediumPhoneLine,       /* 3 */
    NdisPhysicalMediumPowerLine,       /* 4 */
    NdisPhysicalMediumDSL,             /* 5 */
    NdisPhysicalMediumFibreChannel,    /* 6 */
    NdisPhysicalMedium1394,            /* 7 */
    NdisPhysicalMediumWirelessWan,     /* 8 */
    NdisPhysicalMediumNative802_11,    /* 9 */
    NdisPhysicalMediumBluetooth,       /* 10 */
    NdisPhysicalMediumInfiniband,      /* 11 */
    NdisPhysicalMediumWiMax,           /* 12 */
    NdisPhysicalMediumUWB,             /* 13 */
    NdisPhysicalMedium802_3,           /* 14 */
    NdisPhysicalMedium802_5,           /* 15 */
    NdisPhysicalMediumIrda,            /* 16 */
    NdisPhysicalMediumWiredWAN,        /* 17 */
    NdisPhysicalMediumWiredCoWan,      /* 18 */
    NdisPhysicalMediumOther,           /* 19 */
    NdisPhysicalMediumNative802_15_4,  /* 20 */
    NdisPhysicalMediumMax              /* 21 */
} NDIS_PHYSICAL_MEDIUM, *PNDIS_PHYSICAL_MEDIUM;

/* OID_PNP_SET_POWER / OID_PNP_QUERY_POWER payload, wake-up capabilities */
typedef enum _NDIS_DEVICE_POWER_STATE {
    NdisDeviceStateUnspecified,     /* 0 */
    NdisDeviceStateD0,              /* 1 */
    NdisDeviceStateD1,              /* 2 */
    NdisDeviceStateD2,              /* 3 */
    NdisDeviceStateD3,              /* 4 */
    NdisDeviceStateMaximum          /* 5 */
} NDIS_DEVICE_POWER_STATE, *PNDIS_DEVICE_POWER_STATE;

/* NDIS_LINK_STATE.PauseFunctions, general attributes SupportedPauseFunctions (802.3 37.2.1) */
typedef enum _NDIS_SUPPORTED_PAUSE_FUNCTIONS {
    NdisPauseFunctionsUnsupported,     /* 0 */
    NdisPauseFunctionsSendOnly,        /* 1 */
    NdisPauseFunctionsReceiveOnly,     /* 2 */
    NdisPauseFunctionsSendAndReceive,  /* 3 */
    NdisPauseFunctionsUnknown          /* 4 */
} NDIS_SUPPORTED_PAUSE_FUNCTIONS, *PNDIS_SUPPORTED_PAUSE_FUNCTIONS;

/* Ethernet frame types (NET_FRAME_TYPE values, NDIS_OPEN_PARAMETERS.FrameTypeArray) */
#define NDIS_ETH_TYPE_IPV4                 0x0800
#define NDIS_ETH_TYPE_ARP                  0x0806
#define NDIS_ETH_TYPE_IPV6                 0x86dd
#define NDIS_ETH_TYPE_802_1X               0x888E
#define NDIS_ETH_TYPE_802_1Q               0x8100
#define NDIS_ETH_TYPE_SLOW_PROTOCOL        0x8809

/* OID_GEN_MEDIA_CAPABILITIES */
#define NDIS_MEDIA_CAP_TRANSMIT            0x00000001
#define NDIS_MEDIA_CAP_RECEIVE             0x00000002

/* OID_GEN_PROTOCOL_OPTIONS */
#define NDIS_PROT_OPTION_ESTIMATED_LENGTH  0x00000001
#define NDIS_PROT_OPTION_NO_LOOPBACK       0x00000002
#define NDIS_PROT_OPTION_NO_RSVD_ON_RCVPKT 0x00000004
#define NDIS_PROT_OPTION_SEND_RESTRICTED   0x00000008

/* OID_802_3_MAC_OPTIONS */
#define NDIS_802_3_MAC_OPTION_PRIORITY     0x00000001

/* OID_PNP_ENABLE_WAKE_UP */
#define NDIS_PNP_WAKE_UP_MAGIC_PACKET      0x00000001
#define NDIS_PNP_WAKE_UP_PATTERN_MATCH     0x00000002
#define NDIS_PNP_WAKE_UP_LINK_CHANGE       0x00000004

/* ======================================================================================= */
/* OIDs (ntddndis.h)                                                                       */
/* ======================================================================================= */

/* ---- General operational OIDs ---------------------------------------------------------- */
#define OID_GEN_SUPPORTED_LIST                  0x00010101
#define OID_GEN_HARDWARE_STATUS                 0x00010102
#define OID_GEN_MEDIA_SUPPORTED                 0x00010103
#define OID_GEN_MEDIA_IN_USE                    0x00010104
#define OID_GEN_MAXIMUM_LOOKAHEAD               0x00010105
#define OID_GEN_MAXIMUM_FRAME_SIZE              0x00010106
#define OID_GEN_LINK_SPEED                      0x00010107
#define OID_GEN_TRANSMIT_BUFFER_SPACE           0x00010108
#define OID_GEN_RECEIVE_BUFFER_SPACE            0x00010109
#define OID_GEN_TRANSMIT_BLOCK_SIZE             0x0001010A
#define OID_GEN_RECEIVE_BLOCK_SIZE              0x0001010B
#define OID_GEN_VENDOR_ID                       0x0001010C
#define OID_GEN_VENDOR_DESCRIPTION              0x0001010D
#define OID_GEN_CURRENT_PACKET_FILTER           0x0001010E
#define OID_GEN_CURRENT_LOOKAHEAD               0x0001010F
#define OID_GEN_DRIVER_VERSION                  0x00010110
#define OID_GEN_MAXIMUM_TOTAL_SIZE              0x00010111
#define OID_GEN_PROTOCOL_OPTIONS                0x00010112
#define OID_GEN_MAC_OPTIONS                     0x00010113
#define OID_GEN_MEDIA_CONNECT_STATUS            0x00010114
#define OID_GEN_MAXIMUM_SEND_PACKETS            0x00010115
#define OID_GEN_VENDOR_DRIVER_VERSION           0x00010116
#define OID_GEN_SUPPORTED_GUIDS                 0x00010117
#define OID_GEN_NETWORK_LAYER_ADDRESSES         0x00010118
#define OID_GEN_TRANSPORT_HEADER_OFFSET         0x00010119
#define OID_GEN_MEDIA_CAPABILITIES              0x00010201
#define OID_GEN_PHYSICAL_MEDIUM                 0x00010202
/* NDIS 6 operational OIDs */
#define OID_GEN_RECEIVE_SCALE_CAPABILITIES      0x00010203
#define OID_GEN_RECEIVE_SCALE_PARAMETERS        0x00010204
#define OID_GEN_MAC_ADDRESS                     0x00010205
#define OID_GEN_MAX_LINK_SPEED                  0x00010206
#define OID_GEN_LINK_STATE                      0x00010207
#define OID_GEN_LINK_PARAMETERS                 0x00010208
#define OID_GEN_INTERRUPT_MODERATION            0x00010209
#define OID_GEN_NDIS_RESERVED_3                 0x0001020A
#define OID_GEN_NDIS_RESERVED_4                 0x0001020B
#define OID_GEN_NDIS_RESERVED_5                 0x0001020C
#define OID_GEN_ENUMERATE_PORTS                 0x0001020D
#define OID_GEN_PORT_STATE                      0x0001020E
#define OID_GEN_PORT_AUTHENTICATION_PARAMETERS  0x0001020F
#define OID_GEN_TIMEOUT_DPC_REQUEST_CAPABILITIES 0x00010210
#define OID_GEN_PCI_DEVICE_CUSTOM_PROPERTIES    0x00010211
#define OID_GEN_NDIS_RESERVED_6                 0x00010212
#define OID_GEN_PHYSICAL_MEDIUM_EX              0x00010213
#define OID_GEN_RECEIVE_SCALE_PARAMETERS_V2     0x00010214 /* 6.80 */
#define OID_GEN_MACHINE_NAME                    0x0001021A
#define OID_GEN_RNDIS_CONFIG_PARAMETER          0x0001021B
#define OID_GEN_VLAN_ID                         0x0001021C
#define OID_GEN_MINIPORT_RESTART_ATTRIBUTES     0x0001021D
#define OID_GEN_HD_SPLIT_PARAMETERS             0x0001021E /* 6.1 */
#define OID_GEN_RECEIVE_HASH                    0x0001021F
#define OID_GEN_HD_SPLIT_CURRENT_CONFIG         0x00010220 /* 6.1 */
/* Interface (NDIS-handled) OIDs */
#define OID_GEN_PROMISCUOUS_MODE                0x00010280
#define OID_GEN_LAST_CHANGE                     0x00010281
#define OID_GEN_DISCONTINUITY_TIME              0x00010282
#define OID_GEN_OPERATIONAL_STATUS              0x00010283
#define OID_GEN_XMIT_LINK_SPEED                 0x00010284
#define OID_GEN_RCV_LINK_SPEED                  0x00010285
#define OID_GEN_UNKNOWN_PROTOS                  0x00010286
#define OID_GEN_INTERFACE_INFO                  0x00010287
#define OID_GEN_ADMIN_STATUS                    0x00010288
#define OID_GEN_ALIAS                           0x00010289
#define OID_GEN_MEDIA_CONNECT_STATUS_EX         0x0001028A
#define OID_GEN_LINK_SPEED_EX                   0x0001028B
#define OID_GEN_MEDIA_DUPLEX_STATE              0x0001028C
#define OID_GEN_IP_OPER_STATUS                  0x0001028D
#define OID_GEN_RSS_SET_INDIRECTION_TABLE_ENTRIES 0x000102C0 /* 6.80 */

/* ---- General statistics OIDs ----------------------------------------------------------- */
#define OID_GEN_XMIT_OK                         0x00020101
#define OID_GEN_RCV_OK                          0x00020102
#define OID_GEN_XMIT_ERROR                      0x00020103
#define OID_GEN_RCV_ERROR                       0x00020104
#define OID_GEN_RCV_NO_BUFFER                   0x00020105
#define OID_GEN_STATISTICS                      0x00020106 /* NDIS 6: NDIS_STATISTICS_INFO */
#define OID_GEN_DIRECTED_BYTES_XMIT             0x00020201
#define OID_GEN_DIRECTED_FRAMES_XMIT            0x00020202
#define OID_GEN_MULTICAST_BYTES_XMIT            0x00020203
#define OID_GEN_MULTICAST_FRAMES_XMIT           0x00020204
#define OID_GEN_BROADCAST_BYTES_XMIT            0x00020205
#define OID_GEN_BROADCAST_FRAMES_XMIT           0x00020206
#define OID_GEN_DIRECTED_BYTES_RCV              0x00020207
#define OID_GEN_DIRECTED_FRAMES_RCV             0x00020208
#define OID_GEN_MULTICAST_BYTES_RCV             0x00020209
#define OID_GEN_MULTICAST_FRAMES_RCV            0x0002020A
#define OID_GEN_BROADCAST_BYTES_RCV             0x0002020B
#define OID_GEN_BROADCAST_FRAMES_RCV            0x0002020C
#define OID_GEN_RCV_CRC_ERROR                   0x0002020D
#define OID_GEN_TRANSMIT_QUEUE_LENGTH           0x0002020E
#define OID_GEN_GET_TIME_CAPS                   0x0002020F
#define OID_GEN_GET_NETCARD_TIME                0x00020210
#define OID_GEN_NETCARD_LOAD                    0x00020211
#define OID_GEN_DEVICE_PROFILE                  0x00020212
#define OID_GEN_INIT_TIME_MS                    0x00020213
#define OID_GEN_RESET_COUNTS                    0x00020214
#define OID_GEN_MEDIA_SENSE_COUNTS              0x00020215
#define OID_GEN_FRIENDLY_NAME                   0x00020216
#define OID_GEN_NDIS_RESERVED_1                 0x00020217
#define OID_GEN_NDIS_RESERVED_2                 0x00020218
#define OID_GEN_BYTES_RCV                       0x00020219
#define OID_GEN_BYTES_XMIT                      0x0002021A
#define OID_GEN_RCV_DISCARDS                    0x0002021B
#define OID_GEN_XMIT_DISCARDS                   0x0002021C
#define OID_TCP_RSC_STATISTICS                  0x0002021D
#define OID_GEN_NDIS_RESERVED_7                 0x0002021E

/* ---- 802.3 (Ethernet) OIDs ------------------------------------------------------------- */
#define OID_802_3_PERMANENT_ADDRESS             0x01010101
#define OID_802_3_CURRENT_ADDRESS               0x01010102
#define OID_802_3_MULTICAST_LIST                0x01010103
#define OID_802_3_MAXIMUM_LIST_SIZE             0x01010104
#define OID_802_3_MAC_OPTIONS                   0x01010105
#define OID_802_3_ADD_MULTICAST_ADDRESS         0x01010208 /* NDIS 6 */
#define OID_802_3_DELETE_MULTICAST_ADDRESS      0x01010209 /* NDIS 6 */
#define OID_802_3_RCV_ERROR_ALIGNMENT           0x01020101
#define OID_802_3_XMIT_ONE_COLLISION            0x01020102
#define OID_802_3_XMIT_MORE_COLLISIONS          0x01020103
#define OID_802_3_XMIT_DEFERRED                 0x01020201
#define OID_802_3_XMIT_MAX_COLLISIONS           0x01020202
#define OID_802_3_RCV_OVERRUN                   0x01020203
#define OID_802_3_XMIT_UNDERRUN                 0x01020204
#define OID_802_3_XMIT_HEARTBEAT_FAILURE        0x01020205
#define OID_802_3_XMIT_TIMES_CRS_LOST           0x01020206
#define OID_802_3_XMIT_LATE_COLLISIONS          0x01020207

/* ---- PnP and power management OIDs ----------------------------------------------------- */
#define OID_PNP_CAPABILITIES                    0xFD010100
#define OID_PNP_SET_POWER                       0xFD010101
#define OID_PNP_QUERY_POWER                     0xFD010102
#define OID_PNP_ADD_WAKE_UP_PATTERN             0xFD010103
#define OID_PNP_REMOVE_WAKE_UP_PATTERN          0xFD010104
#define OID_PNP_WAKE_UP_PATTERN_LIST            0xFD010105
#define OID_PNP_ENABLE_WAKE_UP                  0xFD010106
#define OID_PNP_WAKE_UP_OK                      0xFD020200
#define OID_PNP_WAKE_UP_ERROR                   0xFD020201

/* ---- Receive filter / VMQ OIDs (6.20) -------------------------------------------------- */
#define OID_RECEIVE_FILTER_HARDWARE_CAPABILITIES     0x00010221
#define OID_RECEIVE_FILTER_GLOBAL_PARAMETERS         0x00010222
#define OID_RECEIVE_FILTER_ALLOCATE_QUEUE            0x00010223
#define OID_RECEIVE_FILTER_FREE_QUEUE                0x00010224
#define OID_RECEIVE_FILTER_ENUM_QUEUES               0x00010225
#define OID_RECEIVE_FILTER_QUEUE_PARAMETERS          0x00010226
#define OID_RECEIVE_FILTER_SET_FILTER                0x00010227
#define OID_RECEIVE_FILTER_CLEAR_FILTER              0x00010228
#define OID_RECEIVE_FILTER_ENUM_FILTERS              0x00010229
#define OID_RECEIVE_FILTER_PARAMETERS                0x0001022A
#define OID_RECEIVE_FILTER_QUEUE_ALLOCATION_COMPLETE 0x0001022B
#define OID_RECEIVE_FILTER_CURRENT_CAPABILITIES      0x0001022D
#define OID_NIC_SWITCH_HARDWARE_CAPABILITIES         0x0001022E
#define OID_NIC_SWITCH_CURRENT_CAPABILITIES          0x0001022F
#define OID_RECEIVE_FILTER_MOVE_FILTER               0x00010230 /* 6.30 */

/* ---- TCP/IP task offload OIDs ---------------------------------------------------------- */
#define OID_TCP_TASK_OFFLOAD                    0xFC010201
#define OID_TCP_TASK_IPSEC_ADD_SA               0xFC010202
#define OID_TCP_TASK_IPSEC_DELETE_SA            0xFC010203
#define OID_TCP_SAN_SUPPORT                     0xFC010204
#define OID_TCP_TASK_IPSEC_ADD_UDPESP_SA        0xFC010205
#define OID_TCP_TASK_IPSEC_DELETE_UDPESP_SA     0xFC010206
#define OID_TCP4_OFFLOAD_STATS                  0xFC010207
#define OID_TCP6_OFFLOAD_STATS                  0xFC010208
#define OID_IP4_OFFLOAD_STATS                   0xFC010209
#define OID_IP6_OFFLOAD_STATS                   0xFC01020A
#define OID_TCP_OFFLOAD_CURRENT_CONFIG          0xFC01020B
#define OID_TCP_OFFLOAD_PARAMETERS              0xFC01020C
#define OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES   0xFC01020D
#define OID_TCP_CONNECTION_OFFLOAD_CURRENT_CONFIG 0xFC01020E
#define OID_TCP_CONNECTION_OFFLOAD_HARDWARE_CAPABILITIES 0xFC01020F
#define OID_OFFLOAD_ENCAPSULATION               0x0101010A
#define OID_TCP_CONNECTION_OFFLOAD_PARAMETERS   0xFC030201

/* ======================================================================================= */
/* NDIS_OID_REQUEST (oidrequest.h)                                                         */
/* ======================================================================================= */

typedef enum _NDIS_REQUEST_TYPE {
    NdisRequestQueryInformation,    /* 0 */
    NdisRequestSetInformation,      /* 1 */
    NdisRequestQueryStatistics,     /* 2 */
    NdisRequestOpen,                /* 3 */
    NdisRequestClose,               /* 4 */
    NdisRequestSend,                /* 5 */
    NdisRequestTransferData,        /* 6 */
    NdisRequestReset,               /* 7 */
    NdisRequestGeneric1,            /* 8 */
    NdisRequestGeneric2,            /* 9 */
    NdisRequestGeneric3,            /* 10 */
    NdisRequestGeneric4,            /* 11 */
    NdisRequestMethod               /* 12, NDIS 6 */
} NDIS_REQUEST_TYPE, *PNDIS_REQUEST_TYPE;

#define NDIS_OID_REQUEST_REVISION_1             1
#define NDIS_OID_REQUEST_REVISION_2             2 /* 6.50: SwitchId, VPortId, Flags */
#define NDIS_OID_REQUEST_NDIS_RESERVED_SIZE     16
#define NDIS_OID_REQUEST_TIMEOUT_INFINITE       0
#define NDIS_OID_REQUEST_FLAGS_VPORT_ID_VALID   0x0001

/* x64: 0xF8 bytes; DATA at 0x20, NdisReserved at 0x48, SupportedRevision at 0xE8. */
typedef struct _NDIS_OID_REQUEST {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_OID_REQUEST */
    NDIS_REQUEST_TYPE RequestType;
    NDIS_PORT_NUMBER PortNumber;
    UINT Timeout; /* seconds; 0 = no timeout */
    PVOID RequestId;
    NDIS_HANDLE RequestHandle;
    union _REQUEST_DATA {
        struct _QUERY {
            NDIS_OID Oid;
            PVOID InformationBuffer;
            UINT InformationBufferLength;
            UINT BytesWritten;
            UINT BytesNeeded;
        } QUERY_INFORMATION;
        struct _SET {
            NDIS_OID Oid;
            PVOID InformationBuffer;
            UINT InformationBufferLength;
            UINT BytesRead;
            UINT BytesNeeded;
        } SET_INFORMATION;
        struct _METHOD {
            NDIS_OID Oid;
            PVOID InformationBuffer;
            ULONG InputBufferLength;
            ULONG OutputBufferLength;
            ULONG MethodId;
            UINT BytesWritten;
            UINT BytesRead;
            UINT BytesNeeded;
        } METHOD_INFORMATION;
    } DATA;
    UCHAR NdisReserved[NDIS_OID_REQUEST_NDIS_RESERVED_SIZE * sizeof(PVOID)];
    UCHAR MiniportReserved[2 * sizeof(PVOID)];
    UCHAR SourceReserved[2 * sizeof(PVOID)];
    UCHAR SupportedRevision;
    UCHAR Reserved1;
    USHORT Reserved2;
    NDIS_NIC_SWITCH_ID SwitchId;       /* revision 2 */
    NDIS_NIC_SWITCH_VPORT_ID VPortId;  /* revision 2 */
    ULONG Flags;                       /* revision 2: NDIS_OID_REQUEST_FLAGS_* */
} NDIS_OID_REQUEST, *PNDIS_OID_REQUEST;

#define NDIS_SIZEOF_OID_REQUEST_REVISION_1 RTL_SIZEOF_THROUGH_FIELD(NDIS_OID_REQUEST, Reserved2)
#define NDIS_SIZEOF_OID_REQUEST_REVISION_2 RTL_SIZEOF_THROUGH_FIELD(NDIS_OID_REQUEST, Flags)

/* ======================================================================================= */
/* OID and status-indication payloads (ntddndis.h)                                         */
/* ======================================================================================= */

/* ---- OID_GEN_LINK_STATE, NDIS_STATUS_LINK_STATE (x64: 40 bytes) ------------------------ */
#define NDIS_LINK_STATE_REVISION_1                       1
#define NDIS_LINK_STATE_XMIT_LINK_SPEED_AUTO_NEGOTIATED  0x00000001
#define NDIS_LINK_STATE_RCV_LINK_SPEED_AUTO_NEGOTIATED   0x00000002
#define NDIS_LINK_STATE_DUPLEX_AUTO_NEGOTIATED           0x00000004
#define NDIS_LINK_STATE_PAUSE_FUNCTIONS_AUTO_NEGOTIATED  0x00000008

typedef struct _NDIS_LINK_STATE {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_DEFAULT, NDIS_LINK_STATE_REVISION_1 */
    NDIS_MEDIA_CONNECT_STATE MediaConnectState;
    NDIS_MEDIA_DUPLEX_STATE MediaDuplexState;
    ULONG64 XmitLinkSpeed; /* bits per second */
    ULONG64 RcvLinkSpeed;
    NDIS_SUPPORTED_PAUSE_FUNCTIONS PauseFunctions;
    ULONG AutoNegotiationFlags; /* NDIS_LINK_STATE_*_AUTO_NEGOTIATED */
} NDIS_LINK_STATE, *PNDIS_LINK_STATE;

#define NDIS_SIZEOF_LINK_STATE_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_LINK_STATE, AutoNegotiationFlags)

/* ---- OID_GEN_LINK_SPEED_EX (NDIS 6 speeds in bits per second) -------------------------- */
typedef struct _NDIS_LINK_SPEED {
    ULONG64 XmitLinkSpeed;
    ULONG64 RcvLinkSpeed;
} NDIS_LINK_SPEED, *PNDIS_LINK_SPEED;

/* ---- OID_GEN_LINK_PARAMETERS (x64: 32 bytes) ------------------------------------------- */
#define NDIS_LINK_PARAMETERS_REVISION_1 1

typedef struct _NDIS_LINK_PARAMETERS {
    NDIS_OBJECT_HEADER Header;
    NDIS_MEDIA_DUPLEX_STATE MediaDuplexState;
    ULONG64 XmitLinkSpeed;
    ULONG64 RcvLinkSpeed;
    NDIS_SUPPORTED_PAUSE_FUNCTIONS PauseFunctions;
    ULONG AutoNegotiationFlags;
} NDIS_LINK_PARAMETERS, *PNDIS_LINK_PARAMETERS;

#define NDIS_SIZEOF_LINK_PARAMETERS_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_LINK_PARAMETERS, AutoNegotiationFlags)

/* ---- OID_GEN_INTERRUPT_MODERATION (12 bytes) ------------------------------------------- */
typedef enum _NDIS_INTERRUPT_MODERATION {
    NdisInterruptModerationUnknown,       /* 0 */
    NdisInterruptModerationNotSupported,  /* 1 */
    NdisInterruptModerationEnabled,       /* 2 */
    NdisInterruptModerationDisabled       /* 3 */
} NDIS_INTERRUPT_MODERATION, *PNDIS_INTERRUPT_MODERATION;

#define NDIS_INTERRUPT_MODERATION_PARAMETERS_REVISION_1        1
#define NDIS_INTERRUPT_MODERATION_CHANGE_NEEDS_RESET           0x00000001
#define NDIS_INTERRUPT_MODERATION_CHANGE_NEEDS_REINITIALIZE    0x00000002

typedef struct _NDIS_INTERRUPT_MODERATION_PARAMETERS {
    NDIS_OBJECT_HEADER Header;
    ULONG Flags;
    NDIS_INTERRUPT_MODERATION InterruptModeration;
} NDIS_INTERRUPT_MODERATION_PARAMETERS, *PNDIS_INTERRUPT_MODERATION_PARAMETERS;

#define NDIS_SIZEOF_INTERRUPT_MODERATION_PARAMETERS_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_INTERRUPT_MODERATION_PARAMETERS, InterruptModeration)

/* ---- OID_GEN_STATISTICS (x64: 152 bytes) ----------------------------------------------- */
#define NDIS_STATISTICS_INFO_REVISION_1                    1
#define NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_RCV    0x00000001
#define NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_RCV   0x00000002
#define NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_RCV   0x00000004
#define NDIS_STATISTICS_FLAGS_VALID_BYTES_RCV              0x00000008
#define NDIS_STATISTICS_FLAGS_VALID_RCV_DISCARDS           0x00000010
#define NDIS_STATISTICS_FLAGS_VALID_RCV_ERROR              0x00000020
#define NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_XMIT   0x00000040
#define NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_XMIT  0x00000080
#define NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_XMIT  0x00000100
#define NDIS_STATISTICS_FLAGS_VALID_BYTES_XMIT             0x00000200
#define NDIS_STATISTICS_FLAGS_VALID_XMIT_ERROR             0x00000400
#define NDIS_STATISTICS_FLAGS_VALID_XMIT_DISCARDS          0x00008000
#define NDIS_STATISTICS_FLAGS_VALID_DIRECTED_BYTES_RCV     0x00010000
#define NDIS_STATISTICS_FLAGS_VALID_MULTICAST_BYTES_RCV    0x00020000
#define NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_RCV    0x00040000
#define NDIS_STATISTICS_FLAGS_VALID_DIRECTED_BYTES_XMIT    0x00080000
#define NDIS_STATISTICS_FLAGS_VALID_MULTICAST_BYTES_XMIT   0x00100000
#define NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_XMIT   0x00200000

typedef struct _NDIS_STATISTICS_INFO {
    NDIS_OBJECT_HEADER Header;
    ULONG SupportedStatistics; /* NDIS_STATISTICS_FLAGS_VALID_* */
    ULONG64 ifInDiscards;
    ULONG64 ifInErrors;
    ULONG64 ifHCInOctets;
    ULONG64 ifHCInUcastPkts;
    ULONG64 ifHCInMulticastPkts;
    ULONG64 ifHCInBroadcastPkts;
    ULONG64 ifHCOutOctets;
    ULONG64 ifHCOutUcastPkts;
    ULONG64 ifHCOutMulticastPkts;
    ULONG64 ifHCOutBroadcastPkts;
    ULONG64 ifOutErrors;
    ULONG64 ifOutDiscards;
    ULONG64 ifHCInUcastOctets;
    ULONG64 ifHCInMulticastOctets;
    ULONG64 ifHCInBroadcastOctets;
    ULONG64 ifHCOutUcastOctets;
    ULONG64 ifHCOutMulticastOctets;
    ULONG64 ifHCOutBroadcastOctets;
} NDIS_STATISTICS_INFO, *PNDIS_STATISTICS_INFO;

#define NDIS_SIZEOF_STATISTICS_INFO_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_STATISTICS_INFO, ifHCOutBroadcastOctets)

/* ---- Power management: OID_PNP_CAPABILITIES (NDIS 6.0/6.1) and NDIS_PM_CAPABILITIES
 *      (6.20+: NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES.PowerManagementCapabilitiesEx) ---- */
typedef struct _NDIS_PM_WAKE_UP_CAPABILITIES {
    NDIS_DEVICE_POWER_STATE MinMagicPacketWakeUp;
    NDIS_DEVICE_POWER_STATE MinPatternWakeUp;
    NDIS_DEVICE_POWER_STATE MinLinkChangeWakeUp;
} NDIS_PM_WAKE_UP_CAPABILITIES, *PNDIS_PM_WAKE_UP_CAPABILITIES;

/* NDIS_PNP_CAPABILITIES.Flags */
#define NDIS_DEVICE_WAKE_UP_ENABLE                0x00000001
#define NDIS_DEVICE_WAKE_ON_PATTERN_MATCH_ENABLE  0x00000002
#define NDIS_DEVICE_WAKE_ON_MAGIC_PACKET_ENABLE   0x00000004

typedef struct _NDIS_PNP_CAPABILITIES {
    ULONG Flags;
    NDIS_PM_WAKE_UP_CAPABILITIES WakeUpCapabilities;
} NDIS_PNP_CAPABILITIES, *PNDIS_PNP_CAPABILITIES;

#define NDIS_PM_CAPABILITIES_REVISION_1           1
#define NDIS_PM_CAPABILITIES_REVISION_2           2 /* 6.30: SupportedWakeUpEvents, Media... */

typedef struct _NDIS_PM_CAPABILITIES {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_DEFAULT */
    ULONG Flags;
    ULONG SupportedWoLPacketPatterns;
    ULONG NumTotalWoLPatterns;
    ULONG MaxWoLPatternSize;
    ULONG MaxWoLPatternOffset;
    ULONG MaxWoLPacketSaveBuffer;
    ULONG SupportedProtocolOffloads;
    ULONG NumArpOffloadIPv4Addresses;
    ULONG NumNSOffloadIPv6Addresses;
    NDIS_DEVICE_POWER_STATE MinMagicPacketWakeUp;
    NDIS_DEVICE_POWER_STATE MinPatternWakeUp;
    NDIS_DEVICE_POWER_STATE MinLinkChangeWakeUp;
    ULONG SupportedWakeUpEvents;      /* revision 2 */
    ULONG MediaSpecificWakeUpEvents;  /* revision 2 */
} NDIS_PM_CAPABILITIES, *PNDIS_PM_CAPABILITIES;

#define NDIS_SIZEOF_NDIS_PM_CAPABILITIES_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_PM_CAPABILITIES, MinLinkChangeWakeUp)
#define NDIS_SIZEOF_NDIS_PM_CAPABILITIES_REVISION_2 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_PM_CAPABILITIES, MediaSpecificWakeUpEvents)

/* ---- OID_GEN_PCI_DEVICE_CUSTOM_PROPERTIES, NDIS_MINIPORT_INIT_PARAMETERS -------------- */
#define NDIS_OBJECT_TYPE_PCI_DEVICE_CUSTOM_PROPERTIES_REVISION_1 1
#define NDIS_OBJECT_TYPE_PCI_DEVICE_CUSTOM_PROPERTIES_REVISION_2 2

typedef struct _NDIS_PCI_DEVICE_CUSTOM_PROPERTIES {
    NDIS_OBJECT_HEADER Header;
    ULONG DeviceType;
    ULONG CurrentSpeedAndMode;
    ULONG CurrentPayloadSize;
    ULONG MaxPayloadSize;
    ULONG MaxReadRequestSize;
    ULONG CurrentLinkSpeed;
    ULONG CurrentLinkWidth;
    ULONG MaxLinkSpeed;
    ULONG MaxLinkWidth;
    ULONG PciExpressVersion;    /* revision 2 */
    ULONG InterruptType;        /* revision 2 */
    ULONG MaxInterruptMessages; /* revision 2 */
} NDIS_PCI_DEVICE_CUSTOM_PROPERTIES, *PNDIS_PCI_DEVICE_CUSTOM_PROPERTIES;

#define NDIS_SIZEOF_PCI_DEVICE_CUSTOM_PROPERTIES_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_PCI_DEVICE_CUSTOM_PROPERTIES, MaxLinkWidth)
#define NDIS_SIZEOF_PCI_DEVICE_CUSTOM_PROPERTIES_REVISION_2 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_PCI_DEVICE_CUSTOM_PROPERTIES, MaxInterruptMessages)

/* ---- Capability structures OpenNDIS keeps opaque (pointers in attributes / bind) ------- */
typedef struct _NDIS_RECEIVE_SCALE_CAPABILITIES NDIS_RECEIVE_SCALE_CAPABILITIES,
    *PNDIS_RECEIVE_SCALE_CAPABILITIES;
typedef struct _NDIS_OFFLOAD NDIS_OFFLOAD, *PNDIS_OFFLOAD;
typedef struct _NDIS_TCP_CONNECTION_OFFLOAD NDIS_TCP_CONNECTION_OFFLOAD,
    *PNDIS_TCP_CONNECTION_OFFLOAD;
typedef struct _NDIS_HD_SPLIT_ATTRIBUTES NDIS_HD_SPLIT_ATTRIBUTES, *PNDIS_HD_SPLIT_ATTRIBUTES;
typedef struct _NDIS_HD_SPLIT_CURRENT_CONFIG NDIS_HD_SPLIT_CURRENT_CONFIG,
    *PNDIS_HD_SPLIT_CURRENT_CONFIG;
typedef struct _NDIS_RECEIVE_FILTER_CAPABILITIES NDIS_RECEIVE_FILTER_CAPABILITIES,
    *PNDIS_RECEIVE_FILTER_CAPABILITIES;
typedef struct _NDIS_NIC_SWITCH_CAPABILITIES NDIS_NIC_SWITCH_CAPABILITIES,
    *PNDIS_NIC_SWITCH_CAPABILITIES;
typedef struct _NDIS_NIC_SWITCH_INFO_ARRAY NDIS_NIC_SWITCH_INFO_ARRAY,
    *PNDIS_NIC_SWITCH_INFO_ARRAY;
typedef struct _NDIS_SRIOV_CAPABILITIES NDIS_SRIOV_CAPABILITIES, *PNDIS_SRIOV_CAPABILITIES;
typedef struct _NDIS_NDK_CAPABILITIES NDIS_NDK_CAPABILITIES, *PNDIS_NDK_CAPABILITIES;
typedef struct _NDIS_QOS_CAPABILITIES NDIS_QOS_CAPABILITIES, *PNDIS_QOS_CAPABILITIES;
typedef struct _NDIS_GFT_OFFLOAD_CAPABILITIES NDIS_GFT_OFFLOAD_CAPABILITIES,
    *PNDIS_GFT_OFFLOAD_CAPABILITIES;

NDIS_EXTERN_C_END

#endif /* OPENNDIS_NDIS_OID_H */
