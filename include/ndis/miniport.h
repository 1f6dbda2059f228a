/*
 * ndis/miniport.h — the NDIS 6 miniport driver interface: registration, the MiniportXxx role
 * types, adapter attributes and the NdisMXxx calls a miniport makes.
 *
 * Abstract
 *   Registration
 *     DriverEntry fills an NDIS_MINIPORT_DRIVER_CHARACTERISTICS (revision 1 for NDIS 6.0,
 *     2 for 6.1+ with the direct-OID handlers, 3 for 6.83+ with MiniportSynchronousOidRequest)
 *     and calls NdisMRegisterMiniportDriver. For every adapter NDIS then calls
 *     MiniportInitializeEx, which must call NdisMSetMiniportAttributes at least twice: first
 *     with NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES (the adapter context and flags), then
 *     with NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES (medium, speeds, MAC addresses, supported
 *     OIDs, ...), optionally followed by offload / hardware-assist / NDK attributes.
 *   Data path and state machine
 *     After initialization the adapter is Paused; NDIS restarts it (MiniportRestart), sends
 *     with MiniportSendNetBufferLists (completed by NdisMSendNetBufferListsComplete), receives
 *     through NdisMIndicateReceiveNetBufferLists (returned through
 *     MiniportReturnNetBufferLists), pauses it (MiniportPause, possibly completed later by
 *     NdisMPauseComplete) and halts it (MiniportHaltEx, with an NDIS_HALT_ACTION).
 *   Role types
 *     Each handler has a function type with the WDK's name (MINIPORT_INITIALIZE, ...) and a
 *     pointer type (MINIPORT_INITIALIZE_HANDLER), so drivers declare their handlers as
 *     `MINIPORT_INITIALIZE MPInitializeEx;` and define them with _Use_decl_annotations_.
 *   Layouts are the x64 WDK's (NDIS_MINIPORT_DRIVER_CHARACTERISTICS 0xA0 bytes,
 *   NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES 0xE0, NDIS_MINIPORT_INIT_PARAMETERS 0x40).
 *
 * Usage
 *     MINIPORT_INITIALIZE MPInitializeEx;
 *     NDIS_MINIPORT_DRIVER_CHARACTERISTICS mc = {0};
 *     mc.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
 *     mc.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
 *     mc.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
 *     mc.MajorNdisVersion = NDIS_MINIPORT_MAJOR_VERSION;
 *     mc.MinorNdisVersion = NDIS_MINIPORT_MINOR_VERSION;
 *     mc.InitializeHandlerEx = MPInitializeEx;  ...
 *     Status = NdisMRegisterMiniportDriver(DriverObject, RegistryPath, NULL, &mc, &DriverHandle);
 *   Included by <ndis.h>; compiles alone as C11 and as C++20.
 */
#ifndef OPENNDIS_NDIS_MINIPORT_H
#define OPENNDIS_NDIS_MINIPORT_H

#include <ndis/types.h>
#include <ndis/constants.h>
#include <ndis/nbl.h>
#include <ndis/wdm.h>
#include <ndis/oid.h>
#include <ndis/ndisdriver.h>
#include <ndis/port.h>

NDIS_EXTERN_C_BEGIN

/* ======================================================================================= */
/* Bus / interface types (NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES.InterfaceType)     */
/* ======================================================================================= */
typedef enum _NDIS_INTERFACE_TYPE {
    NdisInterfaceInternal = 0,
    NdisInterfaceIsa = 1,
    NdisInterfaceEisa = 2,
    NdisInterfaceMca = 3,
    NdisInterfaceTurboChannel = 4,
    NdisInterfacePci = 5,
    NdisInterfacePcMcia = 8,
    NdisInterfaceCBus = 9,
    NdisInterfaceMPIBus = 10,
    NdisInterfaceMPSABus = 11,
    NdisInterfaceProcessorInternal = 12,
    NdisInterfaceInternalPowerBus = 13,
    NdisInterfacePNPISABus = 14,
    NdisInterfacePNPBus = 15,
    NdisInterfaceUSB = 16,
    NdisInterfaceIrda = 17,
    NdisInterface1394 = 18,
    NdisMaximumInterfaceType = 19
} NDIS_INTERFACE_TYPE, *PNDIS_INTERFACE_TYPE;

/* NDIS_MINIPORT_INIT_PARAMETERS.AllocatedResources (opaque here: OpenNDIS has no CM). */
typedef CM_PARTIAL_RESOURCE_LIST NDIS_RESOURCE_LIST, *PNDIS_RESOURCE_LIST;

/* ======================================================================================= */
/* MiniportInitializeEx / MiniportPause / MiniportRestart parameters                       */
/* ======================================================================================= */

/* NDIS_MINIPORT_INIT_PARAMETERS (x64: 0x40 bytes; Header.Type =
 * NDIS_OBJECT_TYPE_MINIPORT_INIT_PARAMETERS). Built by NDIS, read by the miniport. */
#define NDIS_MINIPORT_INIT_PARAMETERS_REVISION_1 1

typedef struct _NDIS_MINIPORT_INIT_PARAMETERS {
    NDIS_OBJECT_HEADER Header;
    ULONG Flags;
    PNDIS_RESOURCE_LIST AllocatedResources;
    NDIS_HANDLE IMDeviceInstanceContext;  /* intermediate drivers only */
    NDIS_HANDLE MiniportAddDeviceContext; /* from MiniportAddDevice, if any */
    NET_IFINDEX IfIndex;
    NET_LUID NetLuid;
    PNDIS_PORT_AUTHENTICATION_PARAMETERS DefaultPortAuthStates;
    PNDIS_PCI_DEVICE_CUSTOM_PROPERTIES PciDeviceCustomProperties;
} NDIS_MINIPORT_INIT_PARAMETERS, *PNDIS_MINIPORT_INIT_PARAMETERS;

/* The WDK spells this one without the S; both spellings are provided. */
#define NDIS_SIZEOF_MINIPORT_INIT_PARAMETER_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_INIT_PARAMETERS, PciDeviceCustomProperties)
#define NDIS_SIZEOF_MINIPORT_INIT_PARAMETERS_REVISION_1 NDIS_SIZEOF_MINIPORT_INIT_PARAMETER_REVISION_1

/* NDIS_MINIPORT_PAUSE_PARAMETERS (x64: 12 bytes; Header.Type = NDIS_OBJECT_TYPE_DEFAULT).
 * PauseReason is a combination of NDIS_PAUSE_* (ndis/ndisdriver.h). */
#define NDIS_MINIPORT_PAUSE_PARAMETERS_REVISION_1 1

typedef struct _NDIS_MINIPORT_PAUSE_PARAMETERS {
    NDIS_OBJECT_HEADER Header;
    ULONG Flags;
    ULONG PauseReason;
} NDIS_MINIPORT_PAUSE_PARAMETERS, *PNDIS_MINIPORT_PAUSE_PARAMETERS;

#define NDIS_SIZEOF_MINIPORT_PAUSE_PARAMETERS_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_PAUSE_PARAMETERS, PauseReason)

/* NDIS_MINIPORT_RESTART_PARAMETERS (x64: 0x18 bytes; Header.Type = NDIS_OBJECT_TYPE_DEFAULT). */
#define NDIS_MINIPORT_RESTART_PARAMETERS_REVISION_1 1

typedef struct _NDIS_MINIPORT_RESTART_PARAMETERS {
    NDIS_OBJECT_HEADER Header;
    PNDIS_RESTART_ATTRIBUTES RestartAttributes;
    ULONG Flags;
} NDIS_MINIPORT_RESTART_PARAMETERS, *PNDIS_MINIPORT_RESTART_PARAMETERS;

#define NDIS_SIZEOF_MINIPORT_RESTART_PARAMETERS_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_RESTART_PARAMETERS, Flags)

/* ======================================================================================= */
/* Adapter attributes (NdisMSetMiniportAttributes)                                         */
/* ======================================================================================= */

/* NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES.AttributeFlags */
#define NDIS_MINIPORT_ATTRIBUTES_HARDWARE_DEVICE                    0x00000001
#define NDIS_MINIPORT_ATTRIBUTES_NDIS_WDM                           0x00000002
#define NDIS_MINIPORT_ATTRIBUTES_SURPRISE_REMOVE_OK                 0x00000004
#define NDIS_MINIPORT_ATTRIBUTES_NOT_CO_NDIS                        0x00000008
#define NDIS_MINIPORT_ATTRIBUTES_DO_NOT_BIND_TO_ALL_CO              0x00000010
#define NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND                 0x00000020
#define NDIS_MINIPORT_ATTRIBUTES_BUS_MASTER                         0x00000040
#define NDIS_MINIPORT_ATTRIBUTES_CONTROLS_DEFAULT_PORT              0x00000080
#define NDIS_MINIPORT_ATTRIBUTES_NO_PAUSE_ON_SUSPEND                0x00000100 /* 6.30 */
#define NDIS_MINIPORT_ATTRIBUTES_NO_OID_INTERCEPT_ON_NONDEFAULT_PORTS 0x00000200 /* 6.30 */
#define NDIS_MINIPORT_ATTRIBUTES_REGISTER_BUGCHECK_CALLBACK         0x00000400 /* 6.30 */

/* x64: 0x20 bytes; Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES.
 * Revision 2 (6.30) only changes which AttributeFlags are allowed; the size is unchanged. */
#define NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1 1
#define NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2 2

typedef struct _NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES {
    NDIS_OBJECT_HEADER Header;
    NDIS_HANDLE MiniportAdapterContext; /* passed back to every MiniportXxx adapter handler */
    ULONG AttributeFlags;               /* NDIS_MINIPORT_ATTRIBUTES_* */
    UINT CheckForHangTimeInSeconds;     /* 0: NDIS default (2 s) */
    NDIS_INTERFACE_TYPE InterfaceType;
} NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES, *PNDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;

#define NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES, InterfaceType)
#define NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES, InterfaceType)

/* NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES.SupportedStatistics: which NDIS_STATISTICS_INFO
 * counters the miniport maintains. */
#define NDIS_STATISTICS_XMIT_OK_SUPPORTED                0x00000001
#define NDIS_STATISTICS_RCV_OK_SUPPORTED                 0x00000002
#define NDIS_STATISTICS_XMIT_ERROR_SUPPORTED             0x00000004
#define NDIS_STATISTICS_RCV_ERROR_SUPPORTED              0x00000008
#define NDIS_STATISTICS_RCV_NO_BUFFER_SUPPORTED          0x00000010
#define NDIS_STATISTICS_DIRECTED_BYTES_XMIT_SUPPORTED    0x00000020
#define NDIS_STATISTICS_DIRECTED_FRAMES_XMIT_SUPPORTED   0x00000040
#define NDIS_STATISTICS_MULTICAST_BYTES_XMIT_SUPPORTED   0x00000080
#define NDIS_STATISTICS_MULTICAST_FRAMES_XMIT_SUPPORTED  0x00000100
#define NDIS_STATISTICS_BROADCAST_BYTES_XMIT_SUPPORTED   0x00000200
#define NDIS_STATISTICS_BROADCAST_FRAMES_XMIT_SUPPORTED  0x00000400
#define NDIS_STATISTICS_DIRECTED_BYTES_RCV_SUPPORTED     0x00000800
#define NDIS_STATISTICS_DIRECTED_FRAMES_RCV_SUPPORTED    0x00001000
#define NDIS_STATISTICS_MULTICAST_BYTES_RCV_SUPPORTED    0x00002000
#define NDIS_STATISTICS_MULTICAST_FRAMES_RCV_SUPPORTED   0x00004000
#define NDIS_STATISTICS_BROADCAST_BYTES_RCV_SUPPORTED    0x00008000
#define NDIS_STATISTICS_BROADCAST_FRAMES_RCV_SUPPORTED   0x00010000
#define NDIS_STATISTICS_RCV_CRC_ERROR_SUPPORTED          0x00020000
#define NDIS_STATISTICS_TRANSMIT_QUEUE_LENGTH_SUPPORTED  0x00040000
#define NDIS_STATISTICS_BYTES_RCV_SUPPORTED              0x00080000
#define NDIS_STATISTICS_BYTES_XMIT_SUPPORTED             0x00100000
#define NDIS_STATISTICS_RCV_DISCARDS_SUPPORTED           0x00200000
#define NDIS_STATISTICS_GEN_STATISTICS_SUPPORTED         0x00400000
#define NDIS_STATISTICS_XMIT_DISCARDS_SUPPORTED          0x08000000

/* x64: 0xE0 bytes; Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES.
 * Revision 2 (6.20) adds PowerManagementCapabilitiesEx (and ignores
 * PowerManagementCapabilities). */
#define NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1 1
#define NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2 2

typedef struct _NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES {
    NDIS_OBJECT_HEADER Header;
    ULONG Flags;
    NDIS_MEDIUM MediaType;
    NDIS_PHYSICAL_MEDIUM PhysicalMediumType;
    ULONG MtuSize; /* bytes of payload, without the MAC header */
    ULONG64 MaxXmitLinkSpeed;
    ULONG64 XmitLinkSpeed;
    ULONG64 MaxRcvLinkSpeed;
    ULONG64 RcvLinkSpeed;
    NDIS_MEDIA_CONNECT_STATE MediaConnectState;
    NDIS_MEDIA_DUPLEX_STATE MediaDuplexState;
    ULONG LookaheadSize;
    PNDIS_PNP_CAPABILITIES PowerManagementCapabilities; /* revision 1 */
    ULONG MacOptions;                                   /* NDIS_MAC_OPTION_* */
    ULONG SupportedPacketFilters;                       /* NDIS_PACKET_TYPE_* */
    ULONG MaxMulticastListSize;
    USHORT MacAddressLength;
    UCHAR PermanentMacAddress[NDIS_MAX_PHYS_ADDRESS_LENGTH];
    UCHAR CurrentMacAddress[NDIS_MAX_PHYS_ADDRESS_LENGTH];
    PNDIS_RECEIVE_SCALE_CAPABILITIES RecvScaleCapabilities;
    NET_IF_ACCESS_TYPE AccessType;
    NET_IF_DIRECTION_TYPE DirectionType;
    NET_IF_CONNECTION_TYPE ConnectionType;
    NET_IFTYPE IfType; /* IF_TYPE_* */
    BOOLEAN IfConnectorPresent;
    ULONG SupportedStatistics;     /* NDIS_STATISTICS_*_SUPPORTED */
    ULONG SupportedPauseFunctions; /* NDIS_SUPPORTED_PAUSE_FUNCTIONS */
    ULONG DataBackFillSize;
    ULONG ContextBackFillSize;
    PNDIS_OID SupportedOidList;
    ULONG SupportedOidListLength; /* bytes */
    ULONG AutoNegotiationFlags;   /* NDIS_LINK_STATE_*_AUTO_NEGOTIATED */
    PNDIS_PM_CAPABILITIES PowerManagementCapabilitiesEx; /* revision 2 */
} NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES, *PNDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;

#define NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES, AutoNegotiationFlags)
#define NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES, \
                             PowerManagementCapabilitiesEx)

/* MiniportAddDevice (NDIS_MINIPORT_PNP_CHARACTERISTICS) registration, x64: 0x18 bytes;
 * Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADD_DEVICE_REGISTRATION_ATTRIBUTES. */
#define NDIS_MINIPORT_ADD_DEVICE_REGISTRATION_ATTRIBUTES_REVISION_1 1

typedef struct _NDIS_MINIPORT_ADD_DEVICE_REGISTRATION_ATTRIBUTES {
    NDIS_OBJECT_HEADER Header;
    NDIS_HANDLE MiniportAddDeviceContext;
    ULONG Flags;
} NDIS_MINIPORT_ADD_DEVICE_REGISTRATION_ATTRIBUTES,
    *PNDIS_MINIPORT_ADD_DEVICE_REGISTRATION_ATTRIBUTES;

#define NDIS_SIZEOF_MINIPORT_ADD_DEVICE_REGISTRATION_ATTRIBUTES_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_ADD_DEVICE_REGISTRATION_ATTRIBUTES, Flags)

/* Task offload, x64: 0x28 bytes; Header.Type =
 * NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES. */
#define NDIS_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES_REVISION_1 1

typedef struct _NDIS_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES {
    NDIS_OBJECT_HEADER Header;
    PNDIS_OFFLOAD DefaultOffloadConfiguration;
    PNDIS_OFFLOAD HardwareOffloadCapabilities;
    PNDIS_TCP_CONNECTION_OFFLOAD DefaultTcpConnectionOffloadConfiguration;
    PNDIS_TCP_CONNECTION_OFFLOAD TcpConnectionOffloadHardwareCapabilities;
} NDIS_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES, *PNDIS_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES;

#define NDIS_SIZEOF_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES, \
                             TcpConnectionOffloadHardwareCapabilities)

/* Native 802.11 (windot11.h types, opaque here), x64: 0x40 bytes; Header.Type =
 * NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_NATIVE_802_11_ATTRIBUTES. */
typedef struct _DOT11_PHY_ATTRIBUTES DOT11_PHY_ATTRIBUTES, *PDOT11_PHY_ATTRIBUTES;
typedef struct _DOT11_EXTSTA_ATTRIBUTES DOT11_EXTSTA_ATTRIBUTES, *PDOT11_EXTSTA_ATTRIBUTES;
typedef struct _DOT11_VWIFI_ATTRIBUTES DOT11_VWIFI_ATTRIBUTES, *PDOT11_VWIFI_ATTRIBUTES;
typedef struct _DOT11_EXTAP_ATTRIBUTES DOT11_EXTAP_ATTRIBUTES, *PDOT11_EXTAP_ATTRIBUTES;
typedef struct _DOT11_WFD_ATTRIBUTES DOT11_WFD_ATTRIBUTES, *PDOT11_WFD_ATTRIBUTES;

#define NDIS_MINIPORT_ADAPTER_802_11_ATTRIBUTES_REVISION_1 1
#define NDIS_MINIPORT_ADAPTER_802_11_ATTRIBUTES_REVISION_2 2 /* 6.20: VWiFi, ExtAP */
#define NDIS_MINIPORT_ADAPTER_802_11_ATTRIBUTES_REVISION_3 3 /* 6.30: WFD */

typedef struct _NDIS_MINIPORT_ADAPTER_NATIVE_802_11_ATTRIBUTES {
    NDIS_OBJECT_HEADER Header;
    ULONG OpModeCapability;
    ULONG NumOfTXBuffers;
    ULONG NumOfRXBuffers;
    BOOLEAN MultiDomainCapabilityImplemented;
    ULONG NumSupportedPhys;
    PDOT11_PHY_ATTRIBUTES SupportedPhyAttributes;
    PDOT11_EXTSTA_ATTRIBUTES ExtSTAAttributes;
    PDOT11_VWIFI_ATTRIBUTES VWiFiAttributes; /* revision 2 */
    PDOT11_EXTAP_ATTRIBUTES ExtAPAttributes; /* revision 2 */
    PDOT11_WFD_ATTRIBUTES WFDAttributes;     /* revision 3 */
} NDIS_MINIPORT_ADAPTER_NATIVE_802_11_ATTRIBUTES,
    *PNDIS_MINIPORT_ADAPTER_NATIVE_802_11_ATTRIBUTES;

#define NDIS_SIZEOF_MINIPORT_ADAPTER_NATIVE_802_11_ATTRIBUTES_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_ADAPTER_NATIVE_802_11_ATTRIBUTES, ExtSTAAttributes)
#define NDIS_SIZEOF_MINIPORT_ADAPTER_NATIVE_802_11_ATTRIBUTES_REVISION_2 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_ADAPTER_NATIVE_802_11_ATTRIBUTES, ExtAPAttributes)
#define NDIS_SIZEOF_MINIPORT_ADAPTER_NATIVE_802_11_ATTRIBUTES_REVISION_3 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_ADAPTER_NATIVE_802_11_ATTRIBUTES, WFDAttributes)

/* Hardware assist (header-data split, receive filters/VMQ, NIC switch, SR-IOV, QoS, GFT),
 * x64: 0x60 bytes; Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES. */
#define NDIS_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_1 1 /* 6.1 */
#define NDIS_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_2 2 /* 6.20 */
#define NDIS_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_3 3 /* 6.30 */
#define NDIS_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_4 4 /* GFT */

typedef struct _NDIS_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES {
    NDIS_OBJECT_HEADER Header;
    PNDIS_HD_SPLIT_ATTRIBUTES HDSplitAttributes;
    PNDIS_RECEIVE_FILTER_CAPABILITIES HardwareReceiveFilterCapabilities; /* revision 2 */
    PNDIS_RECEIVE_FILTER_CAPABILITIES CurrentReceiveFilterCapabilities;
    PNDIS_NIC_SWITCH_CAPABILITIES HardwareNicSwitchCapabilities;
    PNDIS_NIC_SWITCH_CAPABILITIES CurrentNicSwitchCapabilities;
    PNDIS_SRIOV_CAPABILITIES HardwareSriovCapabilities; /* revision 3 */
    PNDIS_SRIOV_CAPABILITIES CurrentSriovCapabilities;
    PNDIS_QOS_CAPABILITIES HardwareQosCapabilities;
    PNDIS_QOS_CAPABILITIES CurrentQosCapabilities;
    PNDIS_GFT_OFFLOAD_CAPABILITIES HardwareGftOffloadCapabilities; /* revision 4 */
    PNDIS_GFT_OFFLOAD_CAPABILITIES CurrentGftOffloadCapabilities;
} NDIS_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES,
    *PNDIS_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES;

#define NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES, HDSplitAttributes)
#define NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_2 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES, \
                             CurrentNicSwitchCapabilities)
#define NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_3 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES, \
                             CurrentQosCapabilities)
#define NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_4 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES, \
                             CurrentGftOffloadCapabilities)

/* NetworkDirect (6.30), x64: 0x10 bytes; Header.Type =
 * NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_NDK_ATTRIBUTES. */
#define NDIS_MINIPORT_ADAPTER_NDK_ATTRIBUTES_REVISION_1 1

typedef struct _NDIS_MINIPORT_ADAPTER_NDK_ATTRIBUTES {
    NDIS_OBJECT_HEADER Header;
    BOOLEAN Enabled;
    PNDIS_NDK_CAPABILITIES NdkCapabilities;
} NDIS_MINIPORT_ADAPTER_NDK_ATTRIBUTES, *PNDIS_MINIPORT_ADAPTER_NDK_ATTRIBUTES;

#define NDIS_SIZEOF_MINIPORT_ADAPTER_NDK_ATTRIBUTES_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_ADAPTER_NDK_ATTRIBUTES, NdkCapabilities)

/* PacketDirect (6.50), x64: 12 bytes; Header.Type =
 * NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_PACKET_DIRECT_ATTRIBUTES. */
#define NDIS_MINIPORT_ADAPTER_PACKET_DIRECT_ATTRIBUTES_REVISION_1 1

typedef struct _NDIS_MINIPORT_ADAPTER_PACKET_DIRECT_ATTRIBUTES {
    NDIS_OBJECT_HEADER Header;
    ULONG Flags;
    UCHAR DmaAddressWidth;
} NDIS_MINIPORT_ADAPTER_PACKET_DIRECT_ATTRIBUTES,
    *PNDIS_MINIPORT_ADAPTER_PACKET_DIRECT_ATTRIBUTES;

/* What NdisMSetMiniportAttributes takes: Header.Type says which member is meant. x64: 0xE0. */
typedef union _NDIS_MINIPORT_ADAPTER_ATTRIBUTES {
    NDIS_OBJECT_HEADER Header;
    NDIS_MINIPORT_ADD_DEVICE_REGISTRATION_ATTRIBUTES AddDeviceRegistrationAttributes;
    NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES RegistrationAttributes;
    NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES GeneralAttributes;
    NDIS_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES OffloadAttributes;
    NDIS_MINIPORT_ADAPTER_NATIVE_802_11_ATTRIBUTES Native_802_11_Attributes;
    NDIS_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES HardwareAssistAttributes;
    NDIS_MINIPORT_ADAPTER_NDK_ATTRIBUTES NDKAttributes;
    NDIS_MINIPORT_ADAPTER_PACKET_DIRECT_ATTRIBUTES PacketDirectAttributes;
} NDIS_MINIPORT_ADAPTER_ATTRIBUTES, *PNDIS_MINIPORT_ADAPTER_ATTRIBUTES;

/* ======================================================================================= */
/* Halt, shutdown and device PnP events                                                    */
/* ======================================================================================= */
typedef enum _NDIS_HALT_ACTION {
    NdisHaltDeviceDisabled,             /* 0 */
    NdisHaltDeviceInstanceDeInitialized,/* 1 */
    NdisHaltDevicePoweredDown,          /* 2 */
    NdisHaltDeviceSurpriseRemoved,      /* 3 */
    NdisHaltDeviceFailed,               /* 4 */
    NdisHaltDeviceInitializationFailed, /* 5 */
    NdisHaltDeviceStopped               /* 6 */
} NDIS_HALT_ACTION, *PNDIS_HALT_ACTION;

typedef enum _NDIS_SHUTDOWN_ACTION {
    NdisShutdownPowerOff, /* 0 */
    NdisShutdownBugCheck  /* 1 */
} NDIS_SHUTDOWN_ACTION, *PNDIS_SHUTDOWN_ACTION;

typedef enum _NDIS_DEVICE_PNP_EVENT {
    NdisDevicePnPEventQueryRemoved,       /* 0 */
    NdisDevicePnPEventRemoved,            /* 1 */
    NdisDevicePnPEventSurpriseRemoved,    /* 2 */
    NdisDevicePnPEventQueryStopped,       /* 3 */
    NdisDevicePnPEventStopped,            /* 4 */
    NdisDevicePnPEventPowerProfileChanged,/* 5: InformationBuffer -> ULONG NDIS_POWER_PROFILE */
    NdisDevicePnPEventFilterListChanged,  /* 6 */
    NdisDevicePnPEventMaximum             /* 7 */
} NDIS_DEVICE_PNP_EVENT, *PNDIS_DEVICE_PNP_EVENT;

typedef enum _NDIS_POWER_PROFILE {
    NdisPowerProfileBattery,  /* 0 */
    NdisPowerProfileAcOnLine  /* 1 */
} NDIS_POWER_PROFILE, *PNDIS_POWER_PROFILE;

/* MiniportDevicePnPEventNotify's argument, x64: 0x30 bytes; Header.Type =
 * NDIS_OBJECT_TYPE_DEFAULT. */
#define NET_DEVICE_PNP_EVENT_REVISION_1 1

typedef struct _NET_DEVICE_PNP_EVENT {
    NDIS_OBJECT_HEADER Header;
    NDIS_PORT_NUMBER PortNumber;
    NDIS_DEVICE_PNP_EVENT DevicePnPEvent;
    PVOID InformationBuffer;
    ULONG InformationBufferLength;
    UCHAR NdisReserved[2 * sizeof(PVOID)];
} NET_DEVICE_PNP_EVENT, *PNET_DEVICE_PNP_EVENT;

#define NDIS_SIZEOF_NET_DEVICE_PNP_EVENT_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NET_DEVICE_PNP_EVENT, NdisReserved)

/* ======================================================================================= */
/* Miniport handler role types                                                             */
/* ======================================================================================= */
typedef NDIS_STATUS(MINIPORT_INITIALIZE)(
    _In_ NDIS_HANDLE NdisMiniportHandle,
    _In_ NDIS_HANDLE MiniportDriverContext,
    _In_ PNDIS_MINIPORT_INIT_PARAMETERS MiniportInitParameters);
typedef MINIPORT_INITIALIZE(*MINIPORT_INITIALIZE_HANDLER);

typedef VOID(MINIPORT_HALT)(_In_ NDIS_HANDLE MiniportAdapterContext,
                            _In_ NDIS_HALT_ACTION HaltAction);
typedef MINIPORT_HALT(*MINIPORT_HALT_HANDLER);

typedef VOID(MINIPORT_UNLOAD)(_In_ PDRIVER_OBJECT DriverObject);
typedef MINIPORT_UNLOAD(*MINIPORT_UNLOAD_HANDLER);
typedef MINIPORT_UNLOAD(MINIPORT_DRIVER_UNLOAD);

typedef NDIS_STATUS(MINIPORT_PAUSE)(_In_ NDIS_HANDLE MiniportAdapterContext,
                                    _In_ PNDIS_MINIPORT_PAUSE_PARAMETERS PauseParameters);
typedef MINIPORT_PAUSE(*MINIPORT_PAUSE_HANDLER);

typedef NDIS_STATUS(MINIPORT_RESTART)(_In_ NDIS_HANDLE MiniportAdapterContext,
                                      _In_ PNDIS_MINIPORT_RESTART_PARAMETERS RestartParameters);
typedef MINIPORT_RESTART(*MINIPORT_RESTART_HANDLER);

typedef NDIS_STATUS(MINIPORT_OID_REQUEST)(_In_ NDIS_HANDLE MiniportAdapterContext,
                                          _In_ PNDIS_OID_REQUEST OidRequest);
typedef MINIPORT_OID_REQUEST(*MINIPORT_OID_REQUEST_HANDLER);

typedef VOID(MINIPORT_SEND_NET_BUFFER_LISTS)(_In_ NDIS_HANDLE MiniportAdapterContext,
                                             _In_ PNET_BUFFER_LIST NetBufferList,
                                             _In_ NDIS_PORT_NUMBER PortNumber,
                                             _In_ ULONG SendFlags);
typedef MINIPORT_SEND_NET_BUFFER_LISTS(*MINIPORT_SEND_NET_BUFFER_LISTS_HANDLER);

typedef VOID(MINIPORT_RETURN_NET_BUFFER_LISTS)(_In_ NDIS_HANDLE MiniportAdapterContext,
                                               _In_ PNET_BUFFER_LIST NetBufferLists,
                                               _In_ ULONG ReturnFlags);
typedef MINIPORT_RETURN_NET_BUFFER_LISTS(*MINIPORT_RETURN_NET_BUFFER_LISTS_HANDLER);

typedef VOID(MINIPORT_CANCEL_SEND)(_In_ NDIS_HANDLE MiniportAdapterContext,
                                   _In_ PVOID CancelId);
typedef MINIPORT_CANCEL_SEND(*MINIPORT_CANCEL_SEND_HANDLER);

typedef BOOLEAN(MINIPORT_CHECK_FOR_HANG)(_In_ NDIS_HANDLE MiniportAdapterContext);
typedef MINIPORT_CHECK_FOR_HANG(*MINIPORT_CHECK_FOR_HANG_HANDLER);

typedef NDIS_STATUS(MINIPORT_RESET)(_In_ NDIS_HANDLE MiniportAdapterContext,
                                    _Out_ PBOOLEAN AddressingReset);
typedef MINIPORT_RESET(*MINIPORT_RESET_HANDLER);

typedef VOID(MINIPORT_DEVICE_PNP_EVENT_NOTIFY)(_In_ NDIS_HANDLE MiniportAdapterContext,
                                               _In_ PNET_DEVICE_PNP_EVENT NetDevicePnPEvent);
typedef MINIPORT_DEVICE_PNP_EVENT_NOTIFY(*MINIPORT_DEVICE_PNP_EVENT_NOTIFY_HANDLER);

typedef VOID(MINIPORT_SHUTDOWN)(_In_ NDIS_HANDLE MiniportAdapterContext,
                                _In_ NDIS_SHUTDOWN_ACTION ShutdownAction);
typedef MINIPORT_SHUTDOWN(*MINIPORT_SHUTDOWN_HANDLER);

typedef VOID(MINIPORT_CANCEL_OID_REQUEST)(_In_ NDIS_HANDLE MiniportAdapterContext,
                                          _In_ PVOID RequestId);
typedef MINIPORT_CANCEL_OID_REQUEST(*MINIPORT_CANCEL_OID_REQUEST_HANDLER);

typedef NDIS_STATUS(MINIPORT_DIRECT_OID_REQUEST)(_In_ NDIS_HANDLE MiniportAdapterContext,
                                                 _In_ PNDIS_OID_REQUEST OidRequest);
typedef MINIPORT_DIRECT_OID_REQUEST(*MINIPORT_DIRECT_OID_REQUEST_HANDLER);

typedef VOID(MINIPORT_CANCEL_DIRECT_OID_REQUEST)(_In_ NDIS_HANDLE MiniportAdapterContext,
                                                 _In_ PVOID RequestId);
typedef MINIPORT_CANCEL_DIRECT_OID_REQUEST(*MINIPORT_CANCEL_DIRECT_OID_REQUEST_HANDLER);

/* 6.83: must complete synchronously; there is no completion call and no NDIS_STATUS_PENDING. */
typedef NDIS_STATUS(MINIPORT_SYNCHRONOUS_OID_REQUEST)(_In_ NDIS_HANDLE MiniportAdapterContext,
                                                      _Inout_ NDIS_OID_REQUEST *OidRequest);
typedef MINIPORT_SYNCHRONOUS_OID_REQUEST(*MINIPORT_SYNCHRONOUS_OID_REQUEST_HANDLER);

/* ======================================================================================= */
/* NDIS_MINIPORT_DRIVER_CHARACTERISTICS                                                    */
/* ======================================================================================= */

/* NDIS_MINIPORT_DRIVER_CHARACTERISTICS.Flags */
#define NDIS_INTERMEDIATE_DRIVER   0x00000001
#define NDIS_WDM_DRIVER            0x00000002
#define NDIS_DRIVER_FLAGS_RESERVED 0x00000008

#define NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1 1 /* 6.0 */
#define NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2 2 /* 6.1: direct OID requests */
#define NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3 3 /* 6.83: synchronous OID requests */

/* x64: 0xA0 bytes; Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS. */
typedef struct _NDIS_MINIPORT_DRIVER_CHARACTERISTICS {
    NDIS_OBJECT_HEADER Header;
    UCHAR MajorNdisVersion;   /* NDIS_MINIPORT_MAJOR_VERSION */
    UCHAR MinorNdisVersion;   /* NDIS_MINIPORT_MINOR_VERSION */
    UCHAR MajorDriverVersion;
    UCHAR MinorDriverVersion;
    ULONG Flags;
    SET_OPTIONS_HANDLER SetOptionsHandler;
    MINIPORT_INITIALIZE_HANDLER InitializeHandlerEx;
    MINIPORT_HALT_HANDLER HaltHandlerEx;
    MINIPORT_UNLOAD_HANDLER UnloadHandler;
    MINIPORT_PAUSE_HANDLER PauseHandler;
    MINIPORT_RESTART_HANDLER RestartHandler;
    MINIPORT_OID_REQUEST_HANDLER OidRequestHandler;
    MINIPORT_SEND_NET_BUFFER_LISTS_HANDLER SendNetBufferListsHandler;
    MINIPORT_RETURN_NET_BUFFER_LISTS_HANDLER ReturnNetBufferListsHandler;
    MINIPORT_CANCEL_SEND_HANDLER CancelSendHandler;
    MINIPORT_CHECK_FOR_HANG_HANDLER CheckForHangHandlerEx;
    MINIPORT_RESET_HANDLER ResetHandlerEx;
    MINIPORT_DEVICE_PNP_EVENT_NOTIFY_HANDLER DevicePnPEventNotifyHandler;
    MINIPORT_SHUTDOWN_HANDLER ShutdownHandlerEx;
    MINIPORT_CANCEL_OID_REQUEST_HANDLER CancelOidRequestHandler;
    /* revision 2 */
    MINIPORT_DIRECT_OID_REQUEST_HANDLER DirectOidRequestHandler;
    MINIPORT_CANCEL_DIRECT_OID_REQUEST_HANDLER CancelDirectOidRequestHandler;
    /* revision 3 */
    MINIPORT_SYNCHRONOUS_OID_REQUEST_HANDLER SynchronousOidRequestHandler;
} NDIS_MINIPORT_DRIVER_CHARACTERISTICS, *PNDIS_MINIPORT_DRIVER_CHARACTERISTICS;

#define NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, CancelOidRequestHandler)
#define NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, CancelDirectOidRequestHandler)
#define NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, SynchronousOidRequestHandler)

/* ======================================================================================= */
/* Calls a miniport makes                                                                  */
/* ======================================================================================= */

/* PASSIVE_LEVEL, from DriverEntry. */
NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisMRegisterMiniportDriver(
    _In_ PDRIVER_OBJECT DriverObject,
    _In_ PUNICODE_STRING RegistryPath,
    _In_opt_ NDIS_HANDLE MiniportDriverContext,
    _In_ PNDIS_MINIPORT_DRIVER_CHARACTERISTICS MiniportDriverCharacteristics,
    _Out_ PNDIS_HANDLE NdisMiniportDriverHandle);

/* PASSIVE_LEVEL, from MiniportDriverUnload (or DriverEntry's failure path). */
NDIS_EXPORTED_ROUTINE VOID NdisMDeregisterMiniportDriver(_In_ NDIS_HANDLE NdisMiniportDriverHandle);

/* PASSIVE_LEVEL, from MiniportInitializeEx (registration attributes first). */
NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisMSetMiniportAttributes(
    _In_ NDIS_HANDLE NdisMiniportHandle,
    _In_ PNDIS_MINIPORT_ADAPTER_ATTRIBUTES MiniportAttributes);

/* Completes a MiniportPause / MiniportRestart that returned NDIS_STATUS_PENDING. */
NDIS_EXPORTED_ROUTINE VOID NdisMPauseComplete(_In_ NDIS_HANDLE MiniportAdapterHandle);
NDIS_EXPORTED_ROUTINE VOID NdisMRestartComplete(_In_ NDIS_HANDLE MiniportAdapterHandle,
                                                _In_ NDIS_STATUS Status);

/* Completes a MiniportOidRequest / MiniportDirectOidRequest that returned NDIS_STATUS_PENDING. */
NDIS_EXPORTED_ROUTINE VOID NdisMOidRequestComplete(_In_ NDIS_HANDLE MiniportAdapterHandle,
                                                   _In_ PNDIS_OID_REQUEST OidRequest,
                                                   _In_ NDIS_STATUS Status);
NDIS_EXPORTED_ROUTINE VOID NdisMDirectOidRequestComplete(_In_ NDIS_HANDLE MiniportAdapterHandle,
                                                         _In_ PNDIS_OID_REQUEST OidRequest,
                                                         _In_ NDIS_STATUS Status);

/* <= DISPATCH_LEVEL. StatusIndication->SourceHandle must be MiniportAdapterHandle. */
NDIS_EXPORTED_ROUTINE VOID NdisMIndicateStatusEx(_In_ NDIS_HANDLE MiniportAdapterHandle,
                                                 _In_ PNDIS_STATUS_INDICATION StatusIndication);

/* <= DISPATCH_LEVEL. SendCompleteFlags: NDIS_SEND_COMPLETE_FLAGS_*. */
NDIS_EXPORTED_ROUTINE VOID NdisMSendNetBufferListsComplete(_In_ NDIS_HANDLE MiniportAdapterHandle,
                                                           _In_ PNET_BUFFER_LIST NetBufferLists,
                                                           _In_ ULONG SendCompleteFlags);

/* <= DISPATCH_LEVEL. ReceiveFlags: NDIS_RECEIVE_FLAGS_*; with NDIS_RECEIVE_FLAGS_RESOURCES the
 * NBLs are the caller's again when this returns (no MiniportReturnNetBufferLists). */
NDIS_EXPORTED_ROUTINE VOID NdisMIndicateReceiveNetBufferLists(
    _In_ NDIS_HANDLE MiniportAdapterHandle,
    _In_ PNET_BUFFER_LIST NetBufferLists,
    _In_ NDIS_PORT_NUMBER PortNumber,
    _In_ ULONG NumberOfNetBufferLists,
    _In_ ULONG ReceiveFlags);

/* Completes a MiniportResetEx that returned NDIS_STATUS_PENDING. */
NDIS_EXPORTED_ROUTINE VOID NdisMResetComplete(_In_ NDIS_HANDLE MiniportAdapterHandle,
                                              _In_ NDIS_STATUS Status,
                                              _In_ BOOLEAN AddressingReset);

/* PASSIVE_LEVEL. Any out pointer may be NULL. */
NDIS_EXPORTED_ROUTINE VOID NdisMGetDeviceProperty(
    _In_ NDIS_HANDLE MiniportAdapterHandle,
    _Inout_opt_ PDEVICE_OBJECT *PhysicalDeviceObject,
    _Inout_opt_ PDEVICE_OBJECT *FunctionalDeviceObject,
    _Inout_opt_ PDEVICE_OBJECT *NextDeviceObject,
    _Inout_opt_ PCM_RESOURCE_LIST *AllocatedResources,
    _Inout_opt_ PCM_RESOURCE_LIST *AllocatedResourcesTranslated);

NDIS_EXTERN_C_END

#endif /* OPENNDIS_NDIS_MINIPORT_H */
