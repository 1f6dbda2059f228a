/*
 * ndis/ndisdriver.h — what miniport, protocol and filter drivers share: NDIS contract versions,
 * context-declaration macros, SET_OPTIONS, PnP event notifications, status indications and
 * restart attributes.
 *
 * Abstract
 *   Version selection (WDK ndis.h / ndis/version.h)
 *     A WDK driver states the NDIS contract it is written for with NDISxxx_MINIPORT (miniport)
 *     and/or NDISxxx (protocol, filter), e.g. -DNDIS630_MINIPORT or -DNDIS60. From those this
 *     header derives NDIS_MINIPORT_MAJOR/MINOR_VERSION, NDIS_PROTOCOL_MAJOR/MINOR_VERSION,
 *     NDIS_FILTER_MAJOR/MINOR_VERSION (the highest one given, as in the WDK) and the
 *     NDIS_SUPPORT_NDISxxx feature switches (1 when a contract >= xxx is requested, else 0), so
 *     a sample such as netvmini picks exactly the code paths it would pick on Windows.
 *     When a driver defines none of them, OpenNDIS assumes the contract it implements,
 *     NDIS 6.86 (NDIS_RUNTIME_VERSION_686, what NdisGetVersion returns): all the version macros
 *     are 6.86 and every NDIS_SUPPORT_NDISxxx up to 686 is 1. (The WDK instead defaults a
 *     version-less protocol to NDIS 4.0 on x86/x64; OpenNDIS has no NDIS 4 protocol path.)
 *     The highest contract OpenNDIS knows is 6.87 (NDIS687 / NDIS687_MINIPORT are accepted).
 *
 *   Context declarations
 *     NDIS_DECLARE_MINIPORT_DRIVER_CONTEXT(type) and friends tell the WDK debugger extension
 *     which type a context pointer has; they have no run-time effect. Here they expand to
 *     ((void)sizeof(type)), an expression statement usable inside a function body exactly where
 *     the WDK's form is (netvmini and ndisprot write them right before the registering call).
 *
 * Usage
 *     NDIS_DECLARE_MINIPORT_DRIVER_CONTEXT(MP_GLOBAL);
 *     Status = NdisMRegisterMiniportDriver(DriverObject, RegistryPath, &GlobalData, &Chars, &H);
 *   Included by <ndis.h>; compiles alone as C11 and as C++20.
 */
#ifndef OPENNDIS_NDIS_NDISDRIVER_H
#define OPENNDIS_NDIS_NDISDRIVER_H

#include <ndis/types.h>
#include <ndis/constants.h>
#include <ndis/oid.h>

/* ======================================================================================= */
/* NDIS contract versions                                                                  */
/* ======================================================================================= */

#if defined(NDIS_MINIPORT_MAJOR_VERSION) || defined(NDIS_MINIPORT_MINOR_VERSION) || \
    defined(NDIS_PROTOCOL_MAJOR_VERSION) || defined(NDIS_PROTOCOL_MINOR_VERSION) || \
    defined(NDIS_FILTER_MAJOR_VERSION) || defined(NDIS_FILTER_MINOR_VERSION)
#error "NDIS: drivers must not define NDIS_*_MAJOR/MINOR_VERSION; define NDISxxx[_MINIPORT]"
#endif

/* ---- Miniport contract: the highest NDISxxx_MINIPORT given --------------------------------- */
#if defined(NDIS687_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 87
#elif defined(NDIS686_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 86
#elif defined(NDIS685_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 85
#elif defined(NDIS684_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 84
#elif defined(NDIS683_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 83
#elif defined(NDIS682_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 82
#elif defined(NDIS681_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 81
#elif defined(NDIS680_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 80
#elif defined(NDIS670_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 70
#elif defined(NDIS660_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 60
#elif defined(NDIS651_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 51
#elif defined(NDIS650_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 50
#elif defined(NDIS640_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 40
#elif defined(NDIS630_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 30
#elif defined(NDIS620_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 20
#elif defined(NDIS61_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 1
#elif defined(NDIS60_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 0
#endif
#if defined(NDIS_MINIPORT_MINOR_VERSION)
#define NDIS_MINIPORT_MAJOR_VERSION 6
#elif defined(NDIS51_MINIPORT)
#define NDIS_MINIPORT_MAJOR_VERSION 5
#define NDIS_MINIPORT_MINOR_VERSION 1
#elif defined(NDIS50_MINIPORT)
#define NDIS_MINIPORT_MAJOR_VERSION 5
#define NDIS_MINIPORT_MINOR_VERSION 0
#endif

/* ---- Protocol and filter contract: the highest NDISxxx given ------------------------------ */
#if defined(NDIS687)
#define NDIS_PROTOCOL_MINOR_VERSION 87
#elif defined(NDIS686)
#define NDIS_PROTOCOL_MINOR_VERSION 86
#elif defined(NDIS685)
#define NDIS_PROTOCOL_MINOR_VERSION 85
#elif defined(NDIS684)
#define NDIS_PROTOCOL_MINOR_VERSION 84
#elif defined(NDIS683)
#define NDIS_PROTOCOL_MINOR_VERSION 83
#elif defined(NDIS682)
#define NDIS_PROTOCOL_MINOR_VERSION 82
#elif defined(NDIS681)
#define NDIS_PROTOCOL_MINOR_VERSION 81
#elif defined(NDIS680)
#define NDIS_PROTOCOL_MINOR_VERSION 80
#elif defined(NDIS670)
#define NDIS_PROTOCOL_MINOR_VERSION 70
#elif defined(NDIS660)
#define NDIS_PROTOCOL_MINOR_VERSION 60
#elif defined(NDIS651)
#define NDIS_PROTOCOL_MINOR_VERSION 51
#elif defined(NDIS650)
#define NDIS_PROTOCOL_MINOR_VERSION 50
#elif defined(NDIS640)
#define NDIS_PROTOCOL_MINOR_VERSION 40
#elif defined(NDIS630)
#define NDIS_PROTOCOL_MINOR_VERSION 30
#elif defined(NDIS620)
#define NDIS_PROTOCOL_MINOR_VERSION 20
#elif defined(NDIS61)
#define NDIS_PROTOCOL_MINOR_VERSION 1
#elif defined(NDIS60)
#define NDIS_PROTOCOL_MINOR_VERSION 0
#endif
#if defined(NDIS_PROTOCOL_MINOR_VERSION)
#define NDIS_PROTOCOL_MAJOR_VERSION 6
#define NDIS_FILTER_MAJOR_VERSION 6
#define NDIS_FILTER_MINOR_VERSION NDIS_PROTOCOL_MINOR_VERSION
#elif defined(NDIS51)
#define NDIS_PROTOCOL_MAJOR_VERSION 5
#define NDIS_PROTOCOL_MINOR_VERSION 1
#elif defined(NDIS50)
#define NDIS_PROTOCOL_MAJOR_VERSION 5
#define NDIS_PROTOCOL_MINOR_VERSION 0
#endif

/* ---- No contract stated: the one OpenNDIS implements (NDIS 6.86) -------------------------- */
#if !defined(NDIS_MINIPORT_MAJOR_VERSION) && !defined(NDIS_PROTOCOL_MAJOR_VERSION)
#define NDIS_MINIPORT_MAJOR_VERSION 6
#define NDIS_MINIPORT_MINOR_VERSION 86
#define NDIS_PROTOCOL_MAJOR_VERSION 6
#define NDIS_PROTOCOL_MINOR_VERSION 86
#define NDIS_FILTER_MAJOR_VERSION 6
#define NDIS_FILTER_MINOR_VERSION 86
#endif

/* The NDIS contract OpenNDIS implements (matches NdisGetVersion()). */
#define OPENNDIS_NDIS_MAJOR_VERSION 6
#define OPENNDIS_NDIS_MINOR_VERSION 86
#define OPENNDIS_NDIS_RUNTIME_VERSION NDIS_RUNTIME_VERSION_686

/* Internal: the highest requested contract as major*100 + minor (0 if none). */
#if defined(NDIS_MINIPORT_MAJOR_VERSION)
#define OPENNDIS_CONTRACT_MINIPORT_ (NDIS_MINIPORT_MAJOR_VERSION * 100 + NDIS_MINIPORT_MINOR_VERSION)
#else
#define OPENNDIS_CONTRACT_MINIPORT_ 0
#endif
#if defined(NDIS_PROTOCOL_MAJOR_VERSION)
#define OPENNDIS_CONTRACT_PROTOCOL_ (NDIS_PROTOCOL_MAJOR_VERSION * 100 + NDIS_PROTOCOL_MINOR_VERSION)
#else
#define OPENNDIS_CONTRACT_PROTOCOL_ 0
#endif

/* ---- NDIS_SUPPORT_NDISxxx: 1 when the driver's contract is at least xxx ------------------- */
#if !defined(NDIS_SUPPORT_NDIS6)
#if OPENNDIS_CONTRACT_MINIPORT_ >= 600 || OPENNDIS_CONTRACT_PROTOCOL_ >= 600
#define NDIS_SUPPORT_NDIS6 1
#else
#define NDIS_SUPPORT_NDIS6 0
#endif
#endif
#define OPENNDIS_SUPPORT_(v) \
    (OPENNDIS_CONTRACT_MINIPORT_ >= (v) || OPENNDIS_CONTRACT_PROTOCOL_ >= (v))
#if !defined(NDIS_SUPPORT_NDIS61)
#if OPENNDIS_SUPPORT_(601)
#define NDIS_SUPPORT_NDIS61 1
#else
#define NDIS_SUPPORT_NDIS61 0
#endif
#endif
#if !defined(NDIS_SUPPORT_NDIS620)
#if OPENNDIS_SUPPORT_(620)
#define NDIS_SUPPORT_NDIS620 1
#else
#define NDIS_SUPPORT_NDIS620 0
#endif
#endif
#if !defined(NDIS_SUPPORT_NDIS630)
#if OPENNDIS_SUPPORT_(630)
#define NDIS_SUPPORT_NDIS630 1
#else
#define NDIS_SUPPORT_NDIS630 0
#endif
#endif
#if !defined(NDIS_SUPPORT_NDIS640)
#if OPENNDIS_SUPPORT_(640)
#define NDIS_SUPPORT_NDIS640 1
#else
#define NDIS_SUPPORT_NDIS640 0
#endif
#endif
#if !defined(NDIS_SUPPORT_NDIS650)
#if OPENNDIS_SUPPORT_(650)
#define NDIS_SUPPORT_NDIS650 1
#else
#define NDIS_SUPPORT_NDIS650 0
#endif
#endif
#if !defined(NDIS_SUPPORT_NDIS651)
#if OPENNDIS_SUPPORT_(651)
#define NDIS_SUPPORT_NDIS651 1
#else
#define NDIS_SUPPORT_NDIS651 0
#endif
#endif
#if !defined(NDIS_SUPPORT_NDIS660)
#if OPENNDIS_SUPPORT_(660)
#define NDIS_SUPPORT_NDIS660 1
#else
#define NDIS_SUPPORT_NDIS660 0
#endif
#endif
#if !defined(NDIS_SUPPORT_NDIS670)
#if OPENNDIS_SUPPORT_(670)
#define NDIS_SUPPORT_NDIS670 1
#else
#define NDIS_SUPPORT_NDIS670 0
#endif
#endif
#if !defined(NDIS_SUPPORT_NDIS680)
#if OPENNDIS_SUPPORT_(680)
#define NDIS_SUPPORT_NDIS680 1
#else
#define NDIS_SUPPORT_NDIS680 0
#endif
#endif
#if !defined(NDIS_SUPPORT_NDIS681)
#if OPENNDIS_SUPPORT_(681)
#define NDIS_SUPPORT_NDIS681 1
#else
#define NDIS_SUPPORT_NDIS681 0
#endif
#endif
#if !defined(NDIS_SUPPORT_NDIS682)
#if OPENNDIS_SUPPORT_(682)
#define NDIS_SUPPORT_NDIS682 1
#else
#define NDIS_SUPPORT_NDIS682 0
#endif
#endif
#if !defined(NDIS_SUPPORT_NDIS683)
#if OPENNDIS_SUPPORT_(683)
#define NDIS_SUPPORT_NDIS683 1
#else
#define NDIS_SUPPORT_NDIS683 0
#endif
#endif
#if !defined(NDIS_SUPPORT_NDIS684)
#if OPENNDIS_SUPPORT_(684)
#define NDIS_SUPPORT_NDIS684 1
#else
#define NDIS_SUPPORT_NDIS684 0
#endif
#endif
#if !defined(NDIS_SUPPORT_NDIS685)
#if OPENNDIS_SUPPORT_(685)
#define NDIS_SUPPORT_NDIS685 1
#else
#define NDIS_SUPPORT_NDIS685 0
#endif
#endif
#if !defined(NDIS_SUPPORT_NDIS686)
#if OPENNDIS_SUPPORT_(686)
#define NDIS_SUPPORT_NDIS686 1
#else
#define NDIS_SUPPORT_NDIS686 0
#endif
#endif
#if !defined(NDIS_SUPPORT_NDIS687)
#if OPENNDIS_SUPPORT_(687)
#define NDIS_SUPPORT_NDIS687 1
#else
#define NDIS_SUPPORT_NDIS687 0
#endif
#endif

/* OpenNDIS implements no NDIS 5 protocol or legacy-miniport interface in these headers. */
#if !defined(NDIS_LEGACY_MINIPORT)
#define NDIS_LEGACY_MINIPORT 0
#endif
#if !defined(NDIS_LEGACY_PROTOCOL)
#define NDIS_LEGACY_PROTOCOL 0
#endif
#if !defined(NDIS_LEGACY_DRIVER)
#define NDIS_LEGACY_DRIVER 0
#endif

NDIS_EXTERN_C_BEGIN

/* ======================================================================================= */
/* Context-type declarations (debugger annotations only; no run-time effect)               */
/* ======================================================================================= */
#define NDIS_DECLARE_CONTEXT_INNER(datatype, purpose) ((void)sizeof(datatype))

#define NDIS_DECLARE_MINIPORT_DRIVER_CONTEXT(type)    NDIS_DECLARE_CONTEXT_INNER(type, miniport_driver)
#define NDIS_DECLARE_MINIPORT_ADAPTER_CONTEXT(type)   NDIS_DECLARE_CONTEXT_INNER(type, miniport_adapter)
#define NDIS_DECLARE_MINIPORT_ADDDEVICE_CONTEXT(type) NDIS_DECLARE_CONTEXT_INNER(type, miniport_adddevice)
#define NDIS_DECLARE_MINIPORT_INTERRUPT_CONTEXT(type) NDIS_DECLARE_CONTEXT_INNER(type, miniport_interrupt)
#define NDIS_DECLARE_MINIPORT_SGLIST_CONTEXT(type)    NDIS_DECLARE_CONTEXT_INNER(type, miniport_sglist)
#define NDIS_DECLARE_MINIPORT_SHARED_DMA_ASYNC_CONTEXT(type) \
    NDIS_DECLARE_CONTEXT_INNER(type, miniport_shdma)
#define NDIS_DECLARE_FILTER_DRIVER_CONTEXT(type)      NDIS_DECLARE_CONTEXT_INNER(type, filter_driver)
#define NDIS_DECLARE_FILTER_MODULE_CONTEXT(type)      NDIS_DECLARE_CONTEXT_INNER(type, filter_module)
#define NDIS_DECLARE_PROTOCOL_DRIVER_CONTEXT(type)    NDIS_DECLARE_CONTEXT_INNER(type, protocol_driver)
#define NDIS_DECLARE_PROTOCOL_OPEN_CONTEXT(type)      NDIS_DECLARE_CONTEXT_INNER(type, protocol_open)
#define NDIS_DECLARE_CO_CL_AF_CONTEXT(type)           NDIS_DECLARE_CONTEXT_INNER(type, co_cl_af)
#define NDIS_DECLARE_CO_CL_VC_CONTEXT(type)           NDIS_DECLARE_CONTEXT_INNER(type, co_cl_vc)
#define NDIS_DECLARE_CO_CM_AF_CONTEXT(type)           NDIS_DECLARE_CONTEXT_INNER(type, co_cm_af)
#define NDIS_DECLARE_CO_CM_VC_CONTEXT(type)           NDIS_DECLARE_CONTEXT_INNER(type, co_cm_vc)
#define NDIS_DECLARE_CO_MINIPORT_VC_CONTEXT(type)     NDIS_DECLARE_CONTEXT_INNER(type, co_miniport_vc)
#define NDIS_DECLARE_SHARED_MEMORY_PROVIDER_CONTEXT(type) \
    NDIS_DECLARE_CONTEXT_INNER(type, shm_provider)
#define NDIS_DECLARE_SHARED_MEMORY_ALLOCATION_CONTEXT(type) \
    NDIS_DECLARE_CONTEXT_INNER(type, shm_block)

/* ======================================================================================= */
/* GUID (guiddef.h), NDIS_STATUS_INDICATION.Guid                                           */
/* ======================================================================================= */
#ifndef GUID_DEFINED
#define GUID_DEFINED
typedef struct _GUID {
    ULONG Data1;
    USHORT Data2;
    USHORT Data3;
    UCHAR Data4[8];
} GUID;
#endif
typedef GUID *PGUID, *LPGUID;
typedef const GUID *LPCGUID;

/* ======================================================================================= */
/* MiniportSetOptions / ProtocolSetOptions / FilterSetOptions                              */
/* ======================================================================================= */
typedef NDIS_STATUS(SET_OPTIONS)(_In_ NDIS_HANDLE NdisDriverHandle,
                                 _In_ NDIS_HANDLE DriverContext);
typedef SET_OPTIONS(*SET_OPTIONS_HANDLER);
typedef SET_OPTIONS(MINIPORT_SET_OPTIONS);
typedef SET_OPTIONS(PROTOCOL_SET_OPTIONS);
typedef SET_OPTIONS(FILTER_SET_OPTIONS);

/* ======================================================================================= */
/* Network PnP events (netpnp.h / ndis.h)                                                  */
/* ======================================================================================= */

/* NetEventSetPower / NetEventQueryPower: NET_PNP_EVENT.Buffer points to one of these. */
typedef enum _NET_DEVICE_POWER_STATE {
    NetDeviceStateUnspecified,  /* 0 */
    NetDeviceStateD0,           /* 1 */
    NetDeviceStateD1,           /* 2 */
    NetDeviceStateD2,           /* 3 */
    NetDeviceStateD3,           /* 4 */
    NetDeviceStateMaximum       /* 5 */
} NET_DEVICE_POWER_STATE, *PNET_DEVICE_POWER_STATE;

typedef enum _NET_PNP_EVENT_CODE {
    NetEventSetPower,             /* 0: Buffer -> NET_DEVICE_POWER_STATE */
    NetEventQueryPower,           /* 1 */
    NetEventQueryRemoveDevice,    /* 2 */
    NetEventCancelRemoveDevice,   /* 3 */
    NetEventReconfigure,          /* 4 */
    NetEventBindList,             /* 5 */
    NetEventBindsComplete,        /* 6 */
    NetEventPnPCapabilities,      /* 7 */
    NetEventPause,                /* 8: NDIS 6 */
    NetEventRestart,              /* 9: Buffer -> NDIS_PROTOCOL_RESTART_PARAMETERS (protocols) */
    NetEventPortActivation,       /* 10: Buffer -> NDIS_PORT list */
    NetEventPortDeactivation,     /* 11: Buffer -> NDIS_PORT_NUMBER array */
    NetEventIMReEnableDevice,     /* 12 */
    NetEventNDKEnable,            /* 13: 6.30 */
    NetEventNDKDisable,           /* 14 */
    NetEventFilterPreDetach,      /* 15 */
    NetEventBindFailed,           /* 16 */
    NetEventSwitchActivate,       /* 17 */
    NetEventAllowBindsAbove,      /* 18 */
    NetEventInhibitBindsAbove,    /* 19 */
    NetEventAllowStart,           /* 20 */
    NetEventRequirePause,         /* 21 */
    NetEventUploadGftFlowEntries, /* 22: 6.50 */
    NetEventMaximum               /* 23 */
} NET_PNP_EVENT_CODE, *PNET_PNP_EVENT_CODE;

/* x64: 0x98 bytes. */
typedef struct _NET_PNP_EVENT {
    NET_PNP_EVENT_CODE NetEvent;
    PVOID Buffer;
    ULONG BufferLength;
    ULONG_PTR NdisReserved[4];
    ULONG_PTR TransportReserved[4];
    ULONG_PTR TdiReserved[4];
    ULONG_PTR TdiClientReserved[4];
} NET_PNP_EVENT, *PNET_PNP_EVENT;

/* NET_PNP_EVENT_NOTIFICATION.Flags */
#define NET_EVENT_HALT_MINIPORT_ON_LOW_POWER      0x00000001
#define NET_EVENT_FLAGS_VPORT_ID_VALID            0x00000002

#define NET_PNP_EVENT_NOTIFICATION_REVISION_1     1
#define NET_PNP_EVENT_NOTIFICATION_REVISION_2     2 /* 6.50: SwitchId, VPortId */

/* x64: 0xB0 bytes. Header.Type = NDIS_OBJECT_TYPE_DEFAULT. */
typedef struct _NET_PNP_EVENT_NOTIFICATION {
    NDIS_OBJECT_HEADER Header;
    NDIS_PORT_NUMBER PortNumber;
    NET_PNP_EVENT NetPnPEvent;
    ULONG Flags;
    NDIS_NIC_SWITCH_ID SwitchId;      /* revision 2 */
    NDIS_NIC_SWITCH_VPORT_ID VPortId; /* revision 2 */
} NET_PNP_EVENT_NOTIFICATION, *PNET_PNP_EVENT_NOTIFICATION;

#define NDIS_SIZEOF_NET_PNP_EVENT_NOTIFICATION_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NET_PNP_EVENT_NOTIFICATION, Flags)
#define NDIS_SIZEOF_NET_PNP_EVENT_NOTIFICATION_REVISION_2 \
    RTL_SIZEOF_THROUGH_FIELD(NET_PNP_EVENT_NOTIFICATION, VPortId)

/* ======================================================================================= */
/* Status indications (NdisMIndicateStatusEx -> ProtocolStatusEx / FilterStatus)          */
/* ======================================================================================= */
#define NDIS_STATUS_INDICATION_REVISION_1                     1
#define NDIS_STATUS_INDICATION_FLAGS_NDIS_RESERVED            0x00000FFF
#define NDIS_STATUS_INDICATION_FLAGS_MEDIA_CONNECT_TO_CONNECT 0x00001000

/* x64: 0x70 bytes; StatusBuffer at 0x30, Guid at 0x3C. */
typedef struct _NDIS_STATUS_INDICATION {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_STATUS_INDICATION */
    NDIS_HANDLE SourceHandle;  /* the miniport adapter handle (or filter handle) */
    NDIS_PORT_NUMBER PortNumber;
    NDIS_STATUS StatusCode;    /* NDIS_STATUS_LINK_STATE, ... */
    ULONG Flags;
    NDIS_HANDLE DestinationHandle; /* NDIS_OID_REQUEST.RequestHandle for INDICATION_REQUIRED */
    PVOID RequestId;               /* NDIS_OID_REQUEST.RequestId for INDICATION_REQUIRED */
    PVOID StatusBuffer;
    ULONG StatusBufferSize;
    GUID Guid; /* only for NDIS_STATUS_MEDIA_SPECIFIC_INDICATION */
    PVOID NdisReserved[4];
} NDIS_STATUS_INDICATION, *PNDIS_STATUS_INDICATION;

#define NDIS_SIZEOF_STATUS_INDICATION_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_STATUS_INDICATION, NdisReserved)

/* ======================================================================================= */
/* Restart attributes (MiniportRestart, ProtocolNetPnPEvent(NetEventRestart), FilterRestart) */
/* ======================================================================================= */

/* A list of OID-tagged blobs; Data is MEMORY_ALLOCATION_ALIGNMENT aligned (x64: 0x20 bytes,
 * Data at 0x10). For Oid == OID_GEN_MINIPORT_RESTART_ATTRIBUTES, Data is an
 * NDIS_RESTART_GENERAL_ATTRIBUTES. */
typedef struct _NDIS_RESTART_ATTRIBUTES NDIS_RESTART_ATTRIBUTES, *PNDIS_RESTART_ATTRIBUTES;
struct _NDIS_RESTART_ATTRIBUTES {
    PNDIS_RESTART_ATTRIBUTES Next;
    NDIS_OID Oid;
    ULONG DataLength;
    DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) UCHAR Data[1];
};

#define NDIS_RESTART_GENERAL_ATTRIBUTES_REVISION_1    1
#define NDIS_RESTART_GENERAL_ATTRIBUTES_REVISION_2    2 /* 6.20: MaxLookaheadSizeAccessed */
#define NDIS_RESTART_GENERAL_ATTRIBUTES_MAX_LOOKAHEAD_ACCESSED_DEFINED 0x00000001
#define NDIS_MAX_LOOKAHEAD_SIZE_ACCESSED_UNDEFINED    (-1)

/* x64: 0x58 bytes. Header.Type = NDIS_OBJECT_TYPE_RESTART_GENERAL_ATTRIBUTES. */
typedef struct _NDIS_RESTART_GENERAL_ATTRIBUTES {
    NDIS_OBJECT_HEADER Header;
    ULONG MtuSize;
    ULONG64 MaxXmitLinkSpeed;
    ULONG64 MaxRcvLinkSpeed;
    ULONG LookaheadSize;
    ULONG MacOptions;
    ULONG SupportedPacketFilters;
    ULONG MaxMulticastListSize;
    PNDIS_RECEIVE_SCALE_CAPABILITIES RecvScaleCapabilities;
    NET_IF_ACCESS_TYPE AccessType;
    ULONG Flags;
    NET_IF_CONNECTION_TYPE ConnectionType;
    ULONG SupportedStatistics;
    ULONG DataBackFillSize;
    ULONG ContextBackFillSize;
    PNDIS_OID SupportedOidList;
    ULONG SupportedOidListLength;
    ULONG MaxLookaheadSizeAccessed; /* revision 2 */
} NDIS_RESTART_GENERAL_ATTRIBUTES, *PNDIS_RESTART_GENERAL_ATTRIBUTES;

#define NDIS_SIZEOF_RESTART_GENERAL_ATTRIBUTES_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_RESTART_GENERAL_ATTRIBUTES, SupportedOidListLength)
#define NDIS_SIZEOF_RESTART_GENERAL_ATTRIBUTES_REVISION_2 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_RESTART_GENERAL_ATTRIBUTES, MaxLookaheadSizeAccessed)

/* Pause reasons: NDIS_MINIPORT_PAUSE_PARAMETERS.PauseReason, NDIS_FILTER_PAUSE_PARAMETERS. */
#define NDIS_PAUSE_NDIS_INTERNAL              0x00000001
#define NDIS_PAUSE_LOW_POWER                  0x00000002
#define NDIS_PAUSE_BIND_PROTOCOL              0x00000004
#define NDIS_PAUSE_UNBIND_PROTOCOL            0x00000008
#define NDIS_PAUSE_ATTACH_FILTER              0x00000010
#define NDIS_PAUSE_DETACH_FILTER              0x00000020
#define NDIS_PAUSE_FILTER_RESTART_STACK       0x00000040
#define NDIS_PAUSE_MINIPORT_DEVICE_REMOVE     0x00000080

/* ======================================================================================= */
/* Runtime version                                                                         */
/* ======================================================================================= */

/* (major << 16) | minor of the running NDIS; OpenNDIS returns NDIS_RUNTIME_VERSION_686. */
NDIS_EXPORTED_ROUTINE UINT NdisGetVersion(VOID);

NDIS_EXTERN_C_END

#endif /* OPENNDIS_NDIS_NDISDRIVER_H */
