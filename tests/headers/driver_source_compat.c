/*
 * driver_source_compat.c — source compatibility of the driver-interface headers.
 *
 * Abstract
 *   A C11 translation unit shaped like the skeletons of Microsoft's NDIS 6 samples: a virtual
 *   Ethernet miniport in the style of netvmini (DriverEntry filling
 *   NDIS_MINIPORT_DRIVER_CHARACTERISTICS, MPInitializeEx setting registration and general
 *   attributes, reading its configuration, OID handling through NDIS_OID_REQUEST's DATA union,
 *   a link-state NdisMIndicateStatusEx, send/receive/return, pause/restart, ports) and an
 *   NDIS protocol in the style of ndisprot (NDIS_PROTOCOL_DRIVER_CHARACTERISTICS, a bind handler
 *   filling NDIS_OPEN_PARAMETERS, OID requests, PnP events, status and receive handlers, a
 *   control device's MajorFunction table). Every handler is declared with its WDK role type
 *   (`MINIPORT_INITIALIZE MPInitializeEx;`) and defined with _Use_decl_annotations_, as in the
 *   samples, so a mismatch between a definition and the role type fails to compile.
 *
 *   It is never linked or run: headers.driver_source_compat compiles it with gcc and clang
 *   (-std=c11 -Wall -Wextra -Werror -fsyntax-only), once as is and once with
 *   -DOPENNDIS_DECLARE_DRIVER_ENTRY (ndis/wdm.h then declares DriverEntry too). Kernel services
 *   (memory, strings, spin locks, events, debug output) are used when their headers exist, so
 *   the file keeps compiling while those headers are being written.
 */
#include <ndis.h>

#if defined(__has_include)
#if __has_include(<ndis/memory.h>)
#define COMPAT_HAVE_MEMORY 1
#endif
#if __has_include(<ndis/strings.h>)
#define COMPAT_HAVE_STRINGS 1
#endif
#if __has_include(<ndis/sync.h>)
#define COMPAT_HAVE_SYNC 1
#endif
#if __has_include(<ndis/event.h>)
#define COMPAT_HAVE_EVENT 1
#endif
#if __has_include(<ndis/debug.h>)
#define COMPAT_HAVE_DEBUG 1
#endif
#endif

#ifndef COMPAT_HAVE_MEMORY
#include <string.h>
#define NdisZeroMemory(d, l) memset((d), 0, (l))
#define NdisMoveMemory(d, s, l) memcpy((d), (s), (l))
#endif

#ifdef COMPAT_HAVE_DEBUG
#define DEBUGP(...) DbgPrint(__VA_ARGS__)
#else
static inline void DebugSink(const char *Format, ...) { (void)Format; }
#define DEBUGP(...) DebugSink(__VA_ARGS__)
#endif

/* ======================================================================================= */
/* The x64 layouts, checked from C as well (the unit test checks them from C++)            */
/* ======================================================================================= */
#if defined(__x86_64__)
C_ASSERT(sizeof(DRIVER_OBJECT) == 0x150);
C_ASSERT(FIELD_OFFSET(DRIVER_OBJECT, MajorFunction) == 0x70);
C_ASSERT(sizeof(NDIS_MINIPORT_DRIVER_CHARACTERISTICS) == 0xA0);
C_ASSERT(NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1 == 0x88);
C_ASSERT(NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2 == 0x98);
C_ASSERT(sizeof(NDIS_PROTOCOL_DRIVER_CHARACTERISTICS) == 0x80);
C_ASSERT(sizeof(NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES) == 0xE0);
C_ASSERT(sizeof(NDIS_MINIPORT_ADAPTER_ATTRIBUTES) == 0xE0);
C_ASSERT(sizeof(NDIS_MINIPORT_INIT_PARAMETERS) == 0x40);
C_ASSERT(sizeof(NDIS_OID_REQUEST) == 0xF8);
C_ASSERT(FIELD_OFFSET(NDIS_OID_REQUEST, DATA) == 0x20);
C_ASSERT(sizeof(NDIS_STATUS_INDICATION) == 0x70);
C_ASSERT(sizeof(NDIS_BIND_PARAMETERS) == 0x138);
C_ASSERT(sizeof(NDIS_OPEN_PARAMETERS) == 0x38);
C_ASSERT(sizeof(NET_PNP_EVENT_NOTIFICATION) == 0xB0);
C_ASSERT(sizeof(NDIS_CONFIGURATION_PARAMETER) == 0x18);
C_ASSERT(sizeof(NDIS_PORT_CHARACTERISTICS) == 0x40);
#endif

/* ======================================================================================= */
/* Miniport (netvmini style)                                                               */
/* ======================================================================================= */

#define NIC_TAG                     ((ULONG)'NIMV')
#define NIC_MEDIA_TYPE              NdisMedium802_3
#define NIC_MAX_MCAST_LIST          32
#define NIC_BUFFER_SIZE             1518
#define HW_MAX_FRAME_SIZE           1514
#define NIC_HEADER_SIZE             14
#define NIC_MAX_LOOKAHEAD           (HW_MAX_FRAME_SIZE - NIC_HEADER_SIZE)
#define NIC_RECV_XMIT_SPEED         1000000000ULL
#define NIC_VENDOR_DESC             "Microsoft-style virtual Ethernet adapter"
#define NIC_VENDOR_DRIVER_VERSION   0x00010000
#define NIC_SUPPORTED_FILTERS                                                  \
    (NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST |                  \
     NDIS_PACKET_TYPE_ALL_MULTICAST | NDIS_PACKET_TYPE_BROADCAST |             \
     NDIS_PACKET_TYPE_PROMISCUOUS)
#define NIC_MAC_OPTIONS                                                        \
    (NDIS_MAC_OPTION_COPY_LOOKAHEAD_DATA | NDIS_MAC_OPTION_TRANSFERS_NOT_PEND | \
     NDIS_MAC_OPTION_NO_LOOPBACK | NDIS_MAC_OPTION_8021P_PRIORITY |             \
     NDIS_MAC_OPTION_8021Q_VLAN)

typedef struct _MP_GLOBAL {
    NDIS_HANDLE NdisMiniportDriverHandle;
    NDIS_HANDLE NdisProtocolHandle;
    PDRIVER_OBJECT DriverObject;
} MP_GLOBAL, *PMP_GLOBAL;

typedef struct _MP_ADAPTER {
    NDIS_HANDLE AdapterHandle;
    UCHAR PermanentAddress[NDIS_MAX_PHYS_ADDRESS_LENGTH];
    UCHAR CurrentAddress[NDIS_MAX_PHYS_ADDRESS_LENGTH];
    UCHAR MCList[NIC_MAX_MCAST_LIST][ETH_LENGTH_OF_ADDRESS];
    ULONG ulMCListSize;
    ULONG PacketFilter;
    ULONG ulLookahead;
    ULONG64 ulLinkSendSpeed;
    ULONG64 ulLinkRecvSpeed;
    NDIS_MEDIA_CONNECT_STATE MediaConnectState;
    NDIS_DEVICE_POWER_STATE DevicePowerState;
    NDIS_INTERRUPT_MODERATION InterruptModeration;
    ULONG64 FramesTxDirected, FramesRxDirected, BytesTx, BytesRx, TxErrors, RxErrors;
    NDIS_PORT_NUMBER ExtraPort;
    BOOLEAN Paused;
#ifdef COMPAT_HAVE_SYNC
    NDIS_SPIN_LOCK Lock;
#endif
} MP_ADAPTER, *PMP_ADAPTER;

static MP_GLOBAL GlobalData;
static MP_ADAPTER StaticAdapter; /* used when ndis/memory.h is not there yet */

static NDIS_OID NICSupportedOids[] = {
    OID_GEN_SUPPORTED_LIST,
    OID_GEN_HARDWARE_STATUS,
    OID_GEN_MEDIA_SUPPORTED,
    OID_GEN_MEDIA_IN_USE,
    OID_GEN_PHYSICAL_MEDIUM,
    OID_GEN_MAXIMUM_LOOKAHEAD,
    OID_GEN_CURRENT_LOOKAHEAD,
    OID_GEN_MAXIMUM_FRAME_SIZE,
    OID_GEN_MAXIMUM_TOTAL_SIZE,
    OID_GEN_TRANSMIT_BLOCK_SIZE,
    OID_GEN_RECEIVE_BLOCK_SIZE,
    OID_GEN_MAC_OPTIONS,
    OID_GEN_LINK_SPEED,
    OID_GEN_TRANSMIT_BUFFER_SPACE,
    OID_GEN_RECEIVE_BUFFER_SPACE,
    OID_GEN_VENDOR_ID,
    OID_GEN_VENDOR_DESCRIPTION,
    OID_GEN_VENDOR_DRIVER_VERSION,
    OID_GEN_DRIVER_VERSION,
    OID_GEN_CURRENT_PACKET_FILTER,
    OID_GEN_MAXIMUM_SEND_PACKETS,
    OID_GEN_MEDIA_CONNECT_STATUS,
    OID_GEN_XMIT_OK,
    OID_GEN_RCV_OK,
    OID_GEN_XMIT_ERROR,
    OID_GEN_RCV_ERROR,
    OID_GEN_RCV_NO_BUFFER,
    OID_GEN_RCV_CRC_ERROR,
    OID_GEN_TRANSMIT_QUEUE_LENGTH,
    OID_GEN_STATISTICS,
    OID_GEN_LINK_STATE,
    OID_GEN_LINK_PARAMETERS,
    OID_GEN_INTERRUPT_MODERATION,
    OID_802_3_PERMANENT_ADDRESS,
    OID_802_3_CURRENT_ADDRESS,
    OID_802_3_MULTICAST_LIST,
    OID_802_3_MAXIMUM_LIST_SIZE,
    OID_802_3_MAC_OPTIONS,
    OID_802_3_RCV_ERROR_ALIGNMENT,
    OID_802_3_XMIT_ONE_COLLISION,
    OID_802_3_XMIT_MORE_COLLISIONS,
    OID_PNP_CAPABILITIES,
    OID_PNP_SET_POWER,
    OID_PNP_QUERY_POWER,
    OID_PNP_ADD_WAKE_UP_PATTERN,
    OID_PNP_REMOVE_WAKE_UP_PATTERN,
    OID_PNP_ENABLE_WAKE_UP,
};

DRIVER_INITIALIZE DriverEntry;
SET_OPTIONS MPSetOptions;
MINIPORT_INITIALIZE MPInitializeEx;
MINIPORT_HALT MPHaltEx;
MINIPORT_UNLOAD DriverUnload;
MINIPORT_PAUSE MPPause;
MINIPORT_RESTART MPRestart;
MINIPORT_OID_REQUEST MPOidRequest;
MINIPORT_SEND_NET_BUFFER_LISTS MPSendNetBufferLists;
MINIPORT_RETURN_NET_BUFFER_LISTS MPReturnNetBufferLists;
MINIPORT_CANCEL_SEND MPCancelSend;
MINIPORT_CHECK_FOR_HANG MPCheckForHangEx;
MINIPORT_RESET MPResetEx;
MINIPORT_DEVICE_PNP_EVENT_NOTIFY MPDevicePnpEventNotify;
MINIPORT_SHUTDOWN MPShutdownEx;
MINIPORT_CANCEL_OID_REQUEST MPCancelOidRequest;
MINIPORT_DIRECT_OID_REQUEST MPDirectOidRequest;
MINIPORT_CANCEL_DIRECT_OID_REQUEST MPCancelDirectOidRequest;
MINIPORT_SYNCHRONOUS_OID_REQUEST MPSynchronousOidRequest;

static NDIS_STATUS NICReadRegParameters(PMP_ADAPTER Adapter);
static NDIS_STATUS MpQueryInformationHandler(PMP_ADAPTER Adapter, PNDIS_OID_REQUEST NdisRequest);
static NDIS_STATUS MpSetInformationHandler(PMP_ADAPTER Adapter, PNDIS_OID_REQUEST NdisRequest);
static VOID MPIndicateLinkState(PMP_ADAPTER Adapter);
static NDIS_STATUS NdisprotRegister(PDRIVER_OBJECT DriverObject);

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NDIS_STATUS Status;
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS MPChar;

    DEBUGP("---> DriverEntry built for NDIS %d.%d\n", NDIS_MINIPORT_MAJOR_VERSION,
           NDIS_MINIPORT_MINOR_VERSION);
    if (NdisGetVersion() < NDIS_RUNTIME_VERSION_620)
        return NDIS_STATUS_UNSUPPORTED_REVISION;

    NdisZeroMemory(&MPChar, sizeof(MPChar));
    MPChar.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
#if NDIS_SUPPORT_NDIS683
    MPChar.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3;
    MPChar.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3;
#elif NDIS_SUPPORT_NDIS61
    MPChar.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
    MPChar.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
#else
    MPChar.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
    MPChar.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
#endif
    MPChar.MajorNdisVersion = NDIS_MINIPORT_MAJOR_VERSION;
    MPChar.MinorNdisVersion = NDIS_MINIPORT_MINOR_VERSION;
    MPChar.MajorDriverVersion = 1;
    MPChar.MinorDriverVersion = 0;
    MPChar.Flags = NDIS_WDM_DRIVER;

    MPChar.SetOptionsHandler = MPSetOptions;
    MPChar.InitializeHandlerEx = MPInitializeEx;
    MPChar.HaltHandlerEx = MPHaltEx;
    MPChar.UnloadHandler = DriverUnload;
    MPChar.PauseHandler = MPPause;
    MPChar.RestartHandler = MPRestart;
    MPChar.OidRequestHandler = MPOidRequest;
    MPChar.SendNetBufferListsHandler = MPSendNetBufferLists;
    MPChar.ReturnNetBufferListsHandler = MPReturnNetBufferLists;
    MPChar.CancelSendHandler = MPCancelSend;
    MPChar.CheckForHangHandlerEx = MPCheckForHangEx;
    MPChar.ResetHandlerEx = MPResetEx;
    MPChar.DevicePnPEventNotifyHandler = MPDevicePnpEventNotify;
    MPChar.ShutdownHandlerEx = MPShutdownEx;
    MPChar.CancelOidRequestHandler = MPCancelOidRequest;
    MPChar.DirectOidRequestHandler = MPDirectOidRequest;
    MPChar.CancelDirectOidRequestHandler = MPCancelDirectOidRequest;
    MPChar.SynchronousOidRequestHandler = MPSynchronousOidRequest;

    GlobalData.DriverObject = DriverObject;
    NDIS_DECLARE_MINIPORT_DRIVER_CONTEXT(MP_GLOBAL);
    Status = NdisMRegisterMiniportDriver(DriverObject, RegistryPath, &GlobalData, &MPChar,
                                         &GlobalData.NdisMiniportDriverHandle);
    if (Status != NDIS_STATUS_SUCCESS) {
        DEBUGP("NdisMRegisterMiniportDriver failed: 0x%08x\n", (unsigned)Status);
        return Status;
    }

    Status = NdisprotRegister(DriverObject);
    if (Status != NDIS_STATUS_SUCCESS) {
        NdisMDeregisterMiniportDriver(GlobalData.NdisMiniportDriverHandle);
        return Status;
    }
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    NdisDeregisterProtocolDriver(GlobalData.NdisProtocolHandle);
    NdisMDeregisterMiniportDriver(GlobalData.NdisMiniportDriverHandle);
}

_Use_decl_annotations_
NDIS_STATUS MPSetOptions(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext)
{
    UNREFERENCED_PARAMETER(NdisDriverHandle);
    UNREFERENCED_PARAMETER(DriverContext);
    return NDIS_STATUS_SUCCESS;
}

_Use_decl_annotations_
NDIS_STATUS MPInitializeEx(NDIS_HANDLE MiniportAdapterHandle, NDIS_HANDLE MiniportDriverContext,
                           PNDIS_MINIPORT_INIT_PARAMETERS MiniportInitParameters)
{
    NDIS_STATUS Status;
    PMP_ADAPTER Adapter;
    NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES AdapterRegistration = {0};
    NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES AdapterGeneral = {0};
#if NDIS_SUPPORT_NDIS620
    NDIS_PM_CAPABILITIES PmCapabilities = {0};
#else
    NDIS_PNP_CAPABILITIES PnpCapabilities = {0};
#endif

    UNREFERENCED_PARAMETER(MiniportDriverContext);
    DEBUGP("---> MPInitializeEx IfIndex %u NetLuid %llx\n", MiniportInitParameters->IfIndex,
           (unsigned long long)MiniportInitParameters->NetLuid.Value);

#ifdef COMPAT_HAVE_MEMORY
    Adapter = (PMP_ADAPTER)NdisAllocateMemoryWithTagPriority(
        GlobalData.NdisMiniportDriverHandle, sizeof(MP_ADAPTER), NIC_TAG, NormalPoolPriority);
    if (Adapter == NULL)
        return NDIS_STATUS_RESOURCES;
#else
    Adapter = &StaticAdapter;
#endif
    NdisZeroMemory(Adapter, sizeof(MP_ADAPTER));
    Adapter->AdapterHandle = MiniportAdapterHandle;
    Adapter->PacketFilter = 0;
    Adapter->ulLookahead = NIC_MAX_LOOKAHEAD;
    Adapter->ulLinkSendSpeed = NIC_RECV_XMIT_SPEED;
    Adapter->ulLinkRecvSpeed = NIC_RECV_XMIT_SPEED;
    Adapter->MediaConnectState = MediaConnectStateConnected;
    Adapter->DevicePowerState = NdisDeviceStateD0;
    Adapter->Paused = TRUE;
#ifdef COMPAT_HAVE_SYNC
    NdisAllocateSpinLock(&Adapter->Lock);
#endif

    /* 1. Registration attributes: who we are to NDIS. */
    AdapterRegistration.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
    AdapterRegistration.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2;
    AdapterRegistration.Header.Revision = NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2;
    AdapterRegistration.MiniportAdapterContext = Adapter;
    AdapterRegistration.AttributeFlags = NDIS_MINIPORT_ATTRIBUTES_NDIS_WDM |
                                         NDIS_MINIPORT_ATTRIBUTES_SURPRISE_REMOVE_OK |
                                         NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND |
                                         NDIS_MINIPORT_ATTRIBUTES_NO_PAUSE_ON_SUSPEND;
    AdapterRegistration.CheckForHangTimeInSeconds = 2;
    AdapterRegistration.InterfaceType = NdisInterfaceInternal;

    NDIS_DECLARE_MINIPORT_ADAPTER_CONTEXT(MP_ADAPTER);
    Status = NdisMSetMiniportAttributes(MiniportAdapterHandle,
                                        (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&AdapterRegistration);
    if (Status != NDIS_STATUS_SUCCESS)
        goto Exit;

    /* 2. Configuration: MAC address override and speed. */
    Status = NICReadRegParameters(Adapter);
    if (Status != NDIS_STATUS_SUCCESS)
        goto Exit;

    /* 3. General attributes: what the adapter is. */
    AdapterGeneral.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;
#if NDIS_SUPPORT_NDIS620
    AdapterGeneral.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
    AdapterGeneral.Header.Revision = NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
#else
    AdapterGeneral.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1;
    AdapterGeneral.Header.Revision = NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1;
#endif
    AdapterGeneral.MediaType = NIC_MEDIA_TYPE;
    AdapterGeneral.PhysicalMediumType = NdisPhysicalMedium802_3;
    AdapterGeneral.MtuSize = HW_MAX_FRAME_SIZE - NIC_HEADER_SIZE;
    AdapterGeneral.MaxXmitLinkSpeed = NIC_RECV_XMIT_SPEED;
    AdapterGeneral.MaxRcvLinkSpeed = NIC_RECV_XMIT_SPEED;
    AdapterGeneral.XmitLinkSpeed = Adapter->ulLinkSendSpeed;
    AdapterGeneral.RcvLinkSpeed = Adapter->ulLinkRecvSpeed;
    AdapterGeneral.MediaConnectState = Adapter->MediaConnectState;
    AdapterGeneral.MediaDuplexState = MediaDuplexStateFull;
    AdapterGeneral.LookaheadSize = Adapter->ulLookahead;
#if NDIS_SUPPORT_NDIS620
    PmCapabilities.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    PmCapabilities.Header.Revision = NDIS_PM_CAPABILITIES_REVISION_2;
    PmCapabilities.Header.Size = NDIS_SIZEOF_NDIS_PM_CAPABILITIES_REVISION_2;
    PmCapabilities.MinMagicPacketWakeUp = NdisDeviceStateUnspecified;
    PmCapabilities.MinPatternWakeUp = NdisDeviceStateUnspecified;
    PmCapabilities.MinLinkChangeWakeUp = NdisDeviceStateUnspecified;
    AdapterGeneral.PowerManagementCapabilitiesEx = &PmCapabilities;
#else
    PnpCapabilities.WakeUpCapabilities.MinMagicPacketWakeUp = NdisDeviceStateUnspecified;
    AdapterGeneral.PowerManagementCapabilities = &PnpCapabilities;
#endif
    AdapterGeneral.MacOptions = NIC_MAC_OPTIONS;
    AdapterGeneral.SupportedPacketFilters = NIC_SUPPORTED_FILTERS;
    AdapterGeneral.MaxMulticastListSize = NIC_MAX_MCAST_LIST;
    AdapterGeneral.MacAddressLength = ETH_LENGTH_OF_ADDRESS;
    NdisMoveMemory(AdapterGeneral.PermanentMacAddress, Adapter->PermanentAddress,
                   ETH_LENGTH_OF_ADDRESS);
    NdisMoveMemory(AdapterGeneral.CurrentMacAddress, Adapter->CurrentAddress,
                   ETH_LENGTH_OF_ADDRESS);
    AdapterGeneral.RecvScaleCapabilities = NULL;
    AdapterGeneral.AccessType = NET_IF_ACCESS_BROADCAST;
    AdapterGeneral.DirectionType = NET_IF_DIRECTION_SENDRECEIVE;
    AdapterGeneral.ConnectionType = NET_IF_CONNECTION_DEDICATED;
    AdapterGeneral.IfType = IF_TYPE_ETHERNET_CSMACD;
    AdapterGeneral.IfConnectorPresent = TRUE;
    AdapterGeneral.SupportedStatistics =
        NDIS_STATISTICS_XMIT_OK_SUPPORTED | NDIS_STATISTICS_RCV_OK_SUPPORTED |
        NDIS_STATISTICS_XMIT_ERROR_SUPPORTED | NDIS_STATISTICS_RCV_ERROR_SUPPORTED |
        NDIS_STATISTICS_RCV_CRC_ERROR_SUPPORTED | NDIS_STATISTICS_RCV_NO_BUFFER_SUPPORTED |
        NDIS_STATISTICS_TRANSMIT_QUEUE_LENGTH_SUPPORTED | NDIS_STATISTICS_GEN_STATISTICS_SUPPORTED |
        NDIS_STATISTICS_BYTES_RCV_SUPPORTED | NDIS_STATISTICS_BYTES_XMIT_SUPPORTED |
        NDIS_STATISTICS_DIRECTED_FRAMES_RCV_SUPPORTED |
        NDIS_STATISTICS_DIRECTED_FRAMES_XMIT_SUPPORTED;
    AdapterGeneral.SupportedPauseFunctions = NdisPauseFunctionsUnsupported;
    AdapterGeneral.DataBackFillSize = 0;
    AdapterGeneral.ContextBackFillSize = 0;
    AdapterGeneral.SupportedOidList = NICSupportedOids;
    AdapterGeneral.SupportedOidListLength = sizeof(NICSupportedOids);
    AdapterGeneral.AutoNegotiationFlags = NDIS_LINK_STATE_DUPLEX_AUTO_NEGOTIATED;

    Status = NdisMSetMiniportAttributes(MiniportAdapterHandle,
                                        (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&AdapterGeneral);
    if (Status != NDIS_STATUS_SUCCESS)
        goto Exit;

    /* 4. An extra port, announced to the protocols above. */
    {
        NDIS_PORT_CHARACTERISTICS PortChar = {0};
        NDIS_PORT Port = {0};
        NET_PNP_EVENT_NOTIFICATION PortEvent = {0};

        PortChar.Header.Type = NDIS_OBJECT_TYPE_PORT_CHARACTERISTICS;
        PortChar.Header.Revision = NDIS_PORT_CHARACTERISTICS_REVISION_1;
        PortChar.Header.Size = NDIS_SIZEOF_PORT_CHARACTERISTICS_REVISION_1;
        PortChar.Flags = NDIS_PORT_CHAR_USE_DEFAULT_AUTH_SETTINGS;
        PortChar.Type = NdisPortTypeUndefined;
        PortChar.MediaConnectState = MediaConnectStateConnected;
        PortChar.XmitLinkSpeed = NDIS_LINK_SPEED_UNKNOWN;
        PortChar.RcvLinkSpeed = NDIS_LINK_SPEED_UNKNOWN;
        PortChar.Direction = NET_IF_DIRECTION_SENDRECEIVE;
        PortChar.SendControlState = NdisPortControlStateUncontrolled;
        PortChar.RcvControlState = NdisPortControlStateUncontrolled;
        PortChar.SendAuthorizationState = NdisPortAuthorizationUnknown;
        PortChar.RcvAuthorizationState = NdisPortAuthorizationUnknown;
        if (NdisMAllocatePort(MiniportAdapterHandle, &PortChar) == NDIS_STATUS_SUCCESS) {
            Adapter->ExtraPort = PortChar.PortNumber;
            Port.PortCharacteristics = PortChar;
            PortEvent.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
            PortEvent.Header.Revision = NET_PNP_EVENT_NOTIFICATION_REVISION_1;
            PortEvent.Header.Size = NDIS_SIZEOF_NET_PNP_EVENT_NOTIFICATION_REVISION_1;
            PortEvent.PortNumber = PortChar.PortNumber;
            PortEvent.NetPnPEvent.NetEvent = NetEventPortActivation;
            PortEvent.NetPnPEvent.Buffer = &Port;
            PortEvent.NetPnPEvent.BufferLength = sizeof(NDIS_PORT);
            (void)NdisMNetPnPEvent(MiniportAdapterHandle, &PortEvent);
        }
    }

    MPIndicateLinkState(Adapter);

Exit:
    if (Status != NDIS_STATUS_SUCCESS) {
#ifdef COMPAT_HAVE_MEMORY
        NdisFreeMemory(Adapter, 0, 0);
#endif
    }
    return Status;
}

static NDIS_STATUS NICReadRegParameters(PMP_ADAPTER Adapter)
{
    NDIS_STATUS Status;
    NDIS_HANDLE ConfigurationHandle = NULL;
    NDIS_CONFIGURATION_OBJECT ConfigObject;
    PNDIS_CONFIGURATION_PARAMETER Parameter = NULL;
    NDIS_CONFIGURATION_PARAMETER NewValue;
    PUCHAR NetworkAddress = NULL;
    UINT Length = 0;
#ifdef COMPAT_HAVE_STRINGS
    NDIS_STRING SpeedKeyword = NDIS_STRING_CONST("*SpeedDuplex");
    NDIS_STRING DescKeyword = NDIS_STRING_CONST("DriverDesc");
    NDIS_STRING SubKeyName = NDIS_STRING_CONST("Ndi");
#else
    static WCHAR SpeedName[] = { '*', 'S', 'p', 'e', 'e', 'd', 'D', 'u', 'p', 'l', 'e', 'x', 0 };
    NDIS_STRING SpeedKeyword = { sizeof(SpeedName) - sizeof(WCHAR), sizeof(SpeedName), SpeedName };
    NDIS_STRING DescKeyword = SpeedKeyword;
    NDIS_STRING SubKeyName = SpeedKeyword;
#endif
    NDIS_HANDLE SubKey = NULL;
    static const UCHAR DefaultAddress[ETH_LENGTH_OF_ADDRESS] = { 0x02, 0x00, 0x4C, 0x4F, 0x4F, 0x50 };

    ConfigObject.Header.Type = NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT;
    ConfigObject.Header.Revision = NDIS_CONFIGURATION_OBJECT_REVISION_1;
    ConfigObject.Header.Size = NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1;
    ConfigObject.NdisHandle = Adapter->AdapterHandle;
    ConfigObject.Flags = 0;

    Status = NdisOpenConfigurationEx(&ConfigObject, &ConfigurationHandle);
    if (Status != NDIS_STATUS_SUCCESS)
        return NDIS_STATUS_FAILURE;

    NdisReadConfiguration(&Status, &Parameter, ConfigurationHandle, &SpeedKeyword,
                          NdisParameterInteger);
    if (Status == NDIS_STATUS_SUCCESS && Parameter->ParameterType == NdisParameterInteger) {
        switch (Parameter->ParameterData.IntegerData) {
        case 0: /* auto */
            break;
        default:
            Adapter->ulLinkSendSpeed = (ULONG64)Parameter->ParameterData.IntegerData * 1000000ULL;
            Adapter->ulLinkRecvSpeed = Adapter->ulLinkSendSpeed;
            break;
        }
    }

    NdisReadConfiguration(&Status, &Parameter, ConfigurationHandle, &DescKeyword,
                          NdisParameterString);
    if (Status == NDIS_STATUS_SUCCESS && Parameter->ParameterData.StringData.Length != 0)
        DEBUGP("DriverDesc is %u bytes\n", (unsigned)Parameter->ParameterData.StringData.Length);

    NewValue.ParameterType = NdisParameterHexInteger;
    NewValue.ParameterData.IntegerData = 0x1;
    NdisWriteConfiguration(&Status, ConfigurationHandle, &SpeedKeyword, &NewValue);

    NdisOpenConfigurationKeyByName(&Status, ConfigurationHandle, &SubKeyName, &SubKey);
    if (Status == NDIS_STATUS_SUCCESS) {
        NdisReadConfiguration(&Status, &Parameter, SubKey, &SpeedKeyword, NdisParameterBinary);
        if (Status == NDIS_STATUS_SUCCESS && Parameter->ParameterData.BinaryData.Length != 0)
            DEBUGP("binary %u\n", (unsigned)Parameter->ParameterData.BinaryData.Length);
        NdisCloseConfiguration(SubKey);
    }

    NdisMoveMemory(Adapter->PermanentAddress, DefaultAddress, ETH_LENGTH_OF_ADDRESS);
    NdisMoveMemory(Adapter->CurrentAddress, DefaultAddress, ETH_LENGTH_OF_ADDRESS);
    NdisReadNetworkAddress(&Status, (PVOID *)&NetworkAddress, &Length, ConfigurationHandle);
    if (Status == NDIS_STATUS_SUCCESS && Length == ETH_LENGTH_OF_ADDRESS &&
        !ETH_IS_MULTICAST(NetworkAddress) && !ETH_IS_BROADCAST(NetworkAddress)) {
        ETH_COPY_NETWORK_ADDRESS(Adapter->CurrentAddress, NetworkAddress);
    }

    NdisCloseConfiguration(ConfigurationHandle);
    return NDIS_STATUS_SUCCESS;
}

static VOID MPIndicateLinkState(PMP_ADAPTER Adapter)
{
    NDIS_LINK_STATE LinkState;
    NDIS_STATUS_INDICATION StatusIndication;

    NdisZeroMemory(&LinkState, sizeof(LinkState));
    LinkState.Header.Revision = NDIS_LINK_STATE_REVISION_1;
    LinkState.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    LinkState.Header.Size = NDIS_SIZEOF_LINK_STATE_REVISION_1;
    LinkState.MediaConnectState = Adapter->MediaConnectState;
    LinkState.MediaDuplexState = MediaDuplexStateFull;
    LinkState.XmitLinkSpeed = Adapter->ulLinkSendSpeed;
    LinkState.RcvLinkSpeed = Adapter->ulLinkRecvSpeed;
    LinkState.PauseFunctions = NdisPauseFunctionsUnsupported;

    NdisZeroMemory(&StatusIndication, sizeof(StatusIndication));
    StatusIndication.Header.Type = NDIS_OBJECT_TYPE_STATUS_INDICATION;
    StatusIndication.Header.Revision = NDIS_STATUS_INDICATION_REVISION_1;
    StatusIndication.Header.Size = NDIS_SIZEOF_STATUS_INDICATION_REVISION_1;
    StatusIndication.SourceHandle = Adapter->AdapterHandle;
    StatusIndication.PortNumber = NDIS_DEFAULT_PORT_NUMBER;
    StatusIndication.StatusCode = NDIS_STATUS_LINK_STATE;
    StatusIndication.Flags = 0;
    StatusIndication.DestinationHandle = NULL;
    StatusIndication.RequestId = NULL;
    StatusIndication.StatusBuffer = &LinkState;
    StatusIndication.StatusBufferSize = sizeof(LinkState);

    NdisMIndicateStatusEx(Adapter->AdapterHandle, &StatusIndication);
}

_Use_decl_annotations_
VOID MPHaltEx(NDIS_HANDLE MiniportAdapterContext, NDIS_HALT_ACTION HaltAction)
{
    PMP_ADAPTER Adapter = (PMP_ADAPTER)MiniportAdapterContext;
    NET_PNP_EVENT_NOTIFICATION PortEvent = {0};
    NDIS_PORT_NUMBER Ports[1];

    if (HaltAction == NdisHaltDeviceSurpriseRemoved)
        DEBUGP("surprise removed\n");
    if (Adapter->ExtraPort != NDIS_DEFAULT_PORT_NUMBER) {
        Ports[0] = Adapter->ExtraPort;
        PortEvent.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
        PortEvent.Header.Revision = NET_PNP_EVENT_NOTIFICATION_REVISION_1;
        PortEvent.Header.Size = NDIS_SIZEOF_NET_PNP_EVENT_NOTIFICATION_REVISION_1;
        PortEvent.NetPnPEvent.NetEvent = NetEventPortDeactivation;
        PortEvent.NetPnPEvent.Buffer = Ports;
        PortEvent.NetPnPEvent.BufferLength = sizeof(Ports);
        (void)NdisMNetPnPEvent(Adapter->AdapterHandle, &PortEvent);
        (void)NdisMFreePort(Adapter->AdapterHandle, Adapter->ExtraPort);
    }
#ifdef COMPAT_HAVE_SYNC
    NdisFreeSpinLock(&Adapter->Lock);
#endif
#ifdef COMPAT_HAVE_MEMORY
    NdisFreeMemory(Adapter, 0, 0);
#endif
}

_Use_decl_annotations_
NDIS_STATUS MPPause(NDIS_HANDLE MiniportAdapterContext,
                    PNDIS_MINIPORT_PAUSE_PARAMETERS MiniportPauseParameters)
{
    PMP_ADAPTER Adapter = (PMP_ADAPTER)MiniportAdapterContext;
    if (MiniportPauseParameters->PauseReason & NDIS_PAUSE_LOW_POWER)
        DEBUGP("pausing for low power\n");
    Adapter->Paused = TRUE;
    /* Nothing outstanding here; a real NIC would return NDIS_STATUS_PENDING and call
     * NdisMPauseComplete once its sends and receives drained. */
    if (0)
        NdisMPauseComplete(Adapter->AdapterHandle);
    return NDIS_STATUS_SUCCESS;
}

_Use_decl_annotations_
NDIS_STATUS MPRestart(NDIS_HANDLE MiniportAdapterContext,
                      PNDIS_MINIPORT_RESTART_PARAMETERS RestartParameters)
{
    PMP_ADAPTER Adapter = (PMP_ADAPTER)MiniportAdapterContext;
    PNDIS_RESTART_ATTRIBUTES Attr;

    for (Attr = RestartParameters->RestartAttributes; Attr != NULL; Attr = Attr->Next) {
        if (Attr->Oid == OID_GEN_MINIPORT_RESTART_ATTRIBUTES) {
            PNDIS_RESTART_GENERAL_ATTRIBUTES General =
                (PNDIS_RESTART_GENERAL_ATTRIBUTES)Attr->Data;
            Adapter->ulLookahead = General->LookaheadSize;
        }
    }
    Adapter->Paused = FALSE;
    if (0)
        NdisMRestartComplete(Adapter->AdapterHandle, NDIS_STATUS_SUCCESS);
    return NDIS_STATUS_SUCCESS;
}

_Use_decl_annotations_
NDIS_STATUS MPOidRequest(NDIS_HANDLE MiniportAdapterContext, PNDIS_OID_REQUEST NdisRequest)
{
    PMP_ADAPTER Adapter = (PMP_ADAPTER)MiniportAdapterContext;
    NDIS_STATUS Status;

    switch (NdisRequest->RequestType) {
    case NdisRequestMethod:
        DEBUGP("method %u id %u in %u out %u\n", NdisRequest->DATA.METHOD_INFORMATION.Oid,
               NdisRequest->DATA.METHOD_INFORMATION.MethodId,
               NdisRequest->DATA.METHOD_INFORMATION.InputBufferLength,
               NdisRequest->DATA.METHOD_INFORMATION.OutputBufferLength);
        NdisRequest->DATA.METHOD_INFORMATION.BytesWritten = 0;
        NdisRequest->DATA.METHOD_INFORMATION.BytesRead = 0;
        NdisRequest->DATA.METHOD_INFORMATION.BytesNeeded = 0;
        Status = NDIS_STATUS_NOT_SUPPORTED;
        break;
    case NdisRequestSetInformation:
        Status = MpSetInformationHandler(Adapter, NdisRequest);
        break;
    case NdisRequestQueryInformation:
    case NdisRequestQueryStatistics:
        Status = MpQueryInformationHandler(Adapter, NdisRequest);
        break;
    default:
        Status = NDIS_STATUS_NOT_SUPPORTED;
        break;
    }
    if (Status == NDIS_STATUS_PENDING)
        NdisMOidRequestComplete(Adapter->AdapterHandle, NdisRequest, NDIS_STATUS_SUCCESS);
    return Status;
}

static NDIS_STATUS MpQueryInformationHandler(PMP_ADAPTER Adapter, PNDIS_OID_REQUEST NdisRequest)
{
    struct _QUERY *Query = &NdisRequest->DATA.QUERY_INFORMATION;
    NDIS_STATUS Status = NDIS_STATUS_SUCCESS;
    ULONG ulInfo = 0;
    ULONG64 ul64Info = 0;
    PVOID pInfo = &ulInfo;
    ULONG ulInfoLen = sizeof(ulInfo);
    NDIS_HARDWARE_STATUS HardwareStatus = NdisHardwareStatusReady;
    NDIS_MEDIUM Medium = NIC_MEDIA_TYPE;
    NDIS_PHYSICAL_MEDIUM PhysMedium = NdisPhysicalMedium802_3;
    NDIS_MEDIA_STATE MediaState;
    NDIS_STATISTICS_INFO StatisticsInfo;
    NDIS_LINK_STATE LinkState;
    NDIS_INTERRUPT_MODERATION_PARAMETERS IntModeration;
    NDIS_PNP_CAPABILITIES PnpCaps;
    UCHAR VendorDesc[] = NIC_VENDOR_DESC;

    Query->BytesWritten = 0;
    Query->BytesNeeded = 0;

    switch (Query->Oid) {
    case OID_GEN_SUPPORTED_LIST:
        pInfo = NICSupportedOids;
        ulInfoLen = sizeof(NICSupportedOids);
        break;
    case OID_GEN_HARDWARE_STATUS:
        pInfo = &HardwareStatus;
        ulInfoLen = sizeof(NDIS_HARDWARE_STATUS);
        break;
    case OID_GEN_MEDIA_SUPPORTED:
    case OID_GEN_MEDIA_IN_USE:
        pInfo = &Medium;
        ulInfoLen = sizeof(NDIS_MEDIUM);
        break;
    case OID_GEN_PHYSICAL_MEDIUM:
        pInfo = &PhysMedium;
        ulInfoLen = sizeof(NDIS_PHYSICAL_MEDIUM);
        break;
    case OID_GEN_CURRENT_LOOKAHEAD:
    case OID_GEN_MAXIMUM_LOOKAHEAD:
        ulInfo = Adapter->ulLookahead;
        break;
    case OID_GEN_MAXIMUM_FRAME_SIZE:
        ulInfo = HW_MAX_FRAME_SIZE - NIC_HEADER_SIZE;
        break;
    case OID_GEN_MAXIMUM_TOTAL_SIZE:
    case OID_GEN_TRANSMIT_BLOCK_SIZE:
    case OID_GEN_RECEIVE_BLOCK_SIZE:
        ulInfo = HW_MAX_FRAME_SIZE;
        break;
    case OID_GEN_MAC_OPTIONS:
        ulInfo = NIC_MAC_OPTIONS;
        break;
    case OID_GEN_LINK_SPEED:
        ulInfo = (ULONG)(Adapter->ulLinkSendSpeed / 100);
        break;
    case OID_GEN_TRANSMIT_BUFFER_SPACE:
    case OID_GEN_RECEIVE_BUFFER_SPACE:
        ulInfo = NIC_BUFFER_SIZE * 64;
        break;
    case OID_GEN_VENDOR_ID:
        ulInfo = 0x00FFFFFF;
        break;
    case OID_GEN_VENDOR_DESCRIPTION:
        pInfo = VendorDesc;
        ulInfoLen = sizeof(VendorDesc);
        break;
    case OID_GEN_VENDOR_DRIVER_VERSION:
        ulInfo = NIC_VENDOR_DRIVER_VERSION;
        break;
    case OID_GEN_DRIVER_VERSION:
        ulInfo = (ULONG)((NDIS_MINIPORT_MAJOR_VERSION << 8) | NDIS_MINIPORT_MINOR_VERSION);
        ulInfoLen = sizeof(USHORT);
        break;
    case OID_GEN_CURRENT_PACKET_FILTER:
        ulInfo = Adapter->PacketFilter;
        break;
    case OID_GEN_MAXIMUM_SEND_PACKETS:
        ulInfo = 64;
        break;
    case OID_GEN_MEDIA_CONNECT_STATUS:
        MediaState = Adapter->MediaConnectState == MediaConnectStateConnected
                         ? NdisMediaStateConnected
                         : NdisMediaStateDisconnected;
        pInfo = &MediaState;
        ulInfoLen = sizeof(NDIS_MEDIA_STATE);
        break;
    case OID_GEN_XMIT_OK:
        ul64Info = Adapter->FramesTxDirected;
        pInfo = &ul64Info;
        ulInfoLen = Query->InformationBufferLength >= sizeof(ULONG64) ? sizeof(ULONG64)
                                                                        : sizeof(ULONG);
        Query->BytesNeeded = sizeof(ULONG64);
        break;
    case OID_GEN_RCV_OK:
        ul64Info = Adapter->FramesRxDirected;
        pInfo = &ul64Info;
        ulInfoLen = Query->InformationBufferLength >= sizeof(ULONG64) ? sizeof(ULONG64)
                                                                        : sizeof(ULONG);
        Query->BytesNeeded = sizeof(ULONG64);
        break;
    case OID_GEN_XMIT_ERROR:
        ulInfo = (ULONG)Adapter->TxErrors;
        break;
    case OID_GEN_RCV_ERROR:
        ulInfo = (ULONG)Adapter->RxErrors;
        break;
    case OID_GEN_RCV_NO_BUFFER:
    case OID_GEN_RCV_CRC_ERROR:
    case OID_GEN_TRANSMIT_QUEUE_LENGTH:
    case OID_802_3_RCV_ERROR_ALIGNMENT:
    case OID_802_3_XMIT_ONE_COLLISION:
    case OID_802_3_XMIT_MORE_COLLISIONS:
        ulInfo = 0;
        break;
    case OID_GEN_STATISTICS:
        NdisZeroMemory(&StatisticsInfo, sizeof(StatisticsInfo));
        StatisticsInfo.Header.Revision = NDIS_STATISTICS_INFO_REVISION_1;
        StatisticsInfo.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
        StatisticsInfo.Header.Size = NDIS_SIZEOF_STATISTICS_INFO_REVISION_1;
        StatisticsInfo.SupportedStatistics = NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_RCV |
                                             NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_XMIT |
                                             NDIS_STATISTICS_FLAGS_VALID_BYTES_RCV |
                                             NDIS_STATISTICS_FLAGS_VALID_BYTES_XMIT |
                                             NDIS_STATISTICS_FLAGS_VALID_RCV_ERROR |
                                             NDIS_STATISTICS_FLAGS_VALID_XMIT_ERROR;
        StatisticsInfo.ifHCInUcastPkts = Adapter->FramesRxDirected;
        StatisticsInfo.ifHCOutUcastPkts = Adapter->FramesTxDirected;
        StatisticsInfo.ifHCInOctets = Adapter->BytesRx;
        StatisticsInfo.ifHCOutOctets = Adapter->BytesTx;
        StatisticsInfo.ifInErrors = Adapter->RxErrors;
        StatisticsInfo.ifOutErrors = Adapter->TxErrors;
        pInfo = &StatisticsInfo;
        ulInfoLen = sizeof(StatisticsInfo);
        break;
    case OID_GEN_LINK_STATE:
        NdisZeroMemory(&LinkState, sizeof(LinkState));
        LinkState.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
        LinkState.Header.Revision = NDIS_LINK_STATE_REVISION_1;
        LinkState.Header.Size = NDIS_SIZEOF_LINK_STATE_REVISION_1;
        LinkState.MediaConnectState = Adapter->MediaConnectState;
        LinkState.MediaDuplexState = MediaDuplexStateFull;
        LinkState.XmitLinkSpeed = Adapter->ulLinkSendSpeed;
        LinkState.RcvLinkSpeed = Adapter->ulLinkRecvSpeed;
        pInfo = &LinkState;
        ulInfoLen = sizeof(LinkState);
        break;
    case OID_GEN_INTERRUPT_MODERATION:
        IntModeration.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
        IntModeration.Header.Revision = NDIS_INTERRUPT_MODERATION_PARAMETERS_REVISION_1;
        IntModeration.Header.Size = NDIS_SIZEOF_INTERRUPT_MODERATION_PARAMETERS_REVISION_1;
        IntModeration.Flags = 0;
        IntModeration.InterruptModeration = NdisInterruptModerationNotSupported;
        pInfo = &IntModeration;
        ulInfoLen = sizeof(IntModeration);
        break;
    case OID_802_3_PERMANENT_ADDRESS:
        pInfo = Adapter->PermanentAddress;
        ulInfoLen = ETH_LENGTH_OF_ADDRESS;
        break;
    case OID_802_3_CURRENT_ADDRESS:
        pInfo = Adapter->CurrentAddress;
        ulInfoLen = ETH_LENGTH_OF_ADDRESS;
        break;
    case OID_802_3_MAXIMUM_LIST_SIZE:
        ulInfo = NIC_MAX_MCAST_LIST;
        break;
    case OID_802_3_MULTICAST_LIST:
        pInfo = Adapter->MCList;
        ulInfoLen = Adapter->ulMCListSize * ETH_LENGTH_OF_ADDRESS;
        break;
    case OID_802_3_MAC_OPTIONS:
        ulInfo = 0;
        break;
    case OID_PNP_CAPABILITIES:
        NdisZeroMemory(&PnpCaps, sizeof(PnpCaps));
        PnpCaps.WakeUpCapabilities.MinMagicPacketWakeUp = NdisDeviceStateUnspecified;
        PnpCaps.WakeUpCapabilities.MinPatternWakeUp = NdisDeviceStateUnspecified;
        PnpCaps.WakeUpCapabilities.MinLinkChangeWakeUp = NdisDeviceStateUnspecified;
        pInfo = &PnpCaps;
        ulInfoLen = sizeof(PnpCaps);
        break;
    case OID_PNP_QUERY_POWER:
        ulInfoLen = 0;
        break;
    default:
        Status = NDIS_STATUS_NOT_SUPPORTED;
        break;
    }

    if (Status == NDIS_STATUS_SUCCESS) {
        if (ulInfoLen <= Query->InformationBufferLength) {
            if (ulInfoLen != 0)
                NdisMoveMemory(Query->InformationBuffer, pInfo, ulInfoLen);
            Query->BytesWritten = ulInfoLen;
        } else {
            Query->BytesNeeded = ulInfoLen;
            Status = NDIS_STATUS_BUFFER_TOO_SHORT;
        }
    }
    return Status;
}

static NDIS_STATUS MpSetInformationHandler(PMP_ADAPTER Adapter, PNDIS_OID_REQUEST NdisRequest)
{
    NDIS_STATUS Status = NDIS_STATUS_SUCCESS;
    NDIS_OID Oid = NdisRequest->DATA.SET_INFORMATION.Oid;
    PVOID InformationBuffer = NdisRequest->DATA.SET_INFORMATION.InformationBuffer;
    UINT InformationBufferLength = NdisRequest->DATA.SET_INFORMATION.InformationBufferLength;

    NdisRequest->DATA.SET_INFORMATION.BytesRead = 0;
    NdisRequest->DATA.SET_INFORMATION.BytesNeeded = 0;

    switch (Oid) {
    case OID_GEN_CURRENT_PACKET_FILTER:
        if (InformationBufferLength != sizeof(ULONG)) {
            NdisRequest->DATA.SET_INFORMATION.BytesNeeded = sizeof(ULONG);
            Status = NDIS_STATUS_INVALID_LENGTH;
            break;
        }
        if (*(PULONG)InformationBuffer & ~(ULONG)NIC_SUPPORTED_FILTERS) {
            Status = NDIS_STATUS_NOT_SUPPORTED;
            break;
        }
        Adapter->PacketFilter = *(PULONG)InformationBuffer;
        NdisRequest->DATA.SET_INFORMATION.BytesRead = InformationBufferLength;
        break;
    case OID_GEN_CURRENT_LOOKAHEAD:
        if (InformationBufferLength != sizeof(ULONG)) {
            NdisRequest->DATA.SET_INFORMATION.BytesNeeded = sizeof(ULONG);
            Status = NDIS_STATUS_INVALID_LENGTH;
            break;
        }
        Adapter->ulLookahead = *(PULONG)InformationBuffer;
        NdisRequest->DATA.SET_INFORMATION.BytesRead = sizeof(ULONG);
        break;
    case OID_802_3_MULTICAST_LIST:
        if (InformationBufferLength % ETH_LENGTH_OF_ADDRESS != 0) {
            Status = NDIS_STATUS_INVALID_LENGTH;
            break;
        }
        if (InformationBufferLength > sizeof(Adapter->MCList)) {
            Status = NDIS_STATUS_MULTICAST_FULL;
            break;
        }
        NdisMoveMemory(Adapter->MCList, InformationBuffer, InformationBufferLength);
        Adapter->ulMCListSize = InformationBufferLength / ETH_LENGTH_OF_ADDRESS;
        NdisRequest->DATA.SET_INFORMATION.BytesRead = InformationBufferLength;
        break;
    case OID_GEN_LINK_PARAMETERS: {
        PNDIS_LINK_PARAMETERS Params = (PNDIS_LINK_PARAMETERS)InformationBuffer;
        if (InformationBufferLength < NDIS_SIZEOF_LINK_PARAMETERS_REVISION_1 ||
            Params->Header.Revision < NDIS_LINK_PARAMETERS_REVISION_1) {
            Status = NDIS_STATUS_INVALID_LENGTH;
            break;
        }
        NdisRequest->DATA.SET_INFORMATION.BytesRead = NDIS_SIZEOF_LINK_PARAMETERS_REVISION_1;
        break;
    }
    case OID_GEN_INTERRUPT_MODERATION:
        Status = NDIS_STATUS_INVALID_DATA;
        break;
    case OID_PNP_SET_POWER:
        if (InformationBufferLength < sizeof(NDIS_DEVICE_POWER_STATE)) {
            Status = NDIS_STATUS_INVALID_LENGTH;
            break;
        }
        Adapter->DevicePowerState = *(PNDIS_DEVICE_POWER_STATE)InformationBuffer;
        NdisRequest->DATA.SET_INFORMATION.BytesRead = sizeof(NDIS_DEVICE_POWER_STATE);
        break;
    case OID_PNP_ADD_WAKE_UP_PATTERN:
    case OID_PNP_REMOVE_WAKE_UP_PATTERN:
    case OID_PNP_ENABLE_WAKE_UP:
    default:
        Status = NDIS_STATUS_NOT_SUPPORTED;
        break;
    }
    return Status;
}

_Use_decl_annotations_
VOID MPCancelOidRequest(NDIS_HANDLE MiniportAdapterContext, PVOID RequestId)
{
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    UNREFERENCED_PARAMETER(RequestId);
}

_Use_decl_annotations_
NDIS_STATUS MPDirectOidRequest(NDIS_HANDLE MiniportAdapterContext, PNDIS_OID_REQUEST NdisRequest)
{
    PMP_ADAPTER Adapter = (PMP_ADAPTER)MiniportAdapterContext;
    if (NdisRequest->RequestType == NdisRequestQueryInformation &&
        NdisRequest->DATA.QUERY_INFORMATION.Oid == OID_GEN_STATISTICS) {
        NDIS_STATUS Status = MpQueryInformationHandler(Adapter, NdisRequest);
        if (Status == NDIS_STATUS_PENDING)
            NdisMDirectOidRequestComplete(Adapter->AdapterHandle, NdisRequest,
                                          NDIS_STATUS_SUCCESS);
        return Status;
    }
    return NDIS_STATUS_NOT_SUPPORTED;
}

_Use_decl_annotations_
VOID MPCancelDirectOidRequest(NDIS_HANDLE MiniportAdapterContext, PVOID RequestId)
{
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    UNREFERENCED_PARAMETER(RequestId);
}

_Use_decl_annotations_
NDIS_STATUS MPSynchronousOidRequest(NDIS_HANDLE MiniportAdapterContext, NDIS_OID_REQUEST *OidRequest)
{
    return MPOidRequest(MiniportAdapterContext, OidRequest);
}

_Use_decl_annotations_
VOID MPSendNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferLists,
                          NDIS_PORT_NUMBER PortNumber, ULONG SendFlags)
{
    PMP_ADAPTER Adapter = (PMP_ADAPTER)MiniportAdapterContext;
    PNET_BUFFER_LIST Nbl;
    PNET_BUFFER Nb;
    ULONG CompleteFlags = NDIS_TEST_SEND_AT_DISPATCH_LEVEL(SendFlags)
                              ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL
                              : 0;
    UNREFERENCED_PARAMETER(PortNumber);

#ifdef COMPAT_HAVE_SYNC
    if (NDIS_TEST_SEND_AT_DISPATCH_LEVEL(SendFlags))
        NdisDprAcquireSpinLock(&Adapter->Lock);
    else
        NdisAcquireSpinLock(&Adapter->Lock);
#endif
    for (Nbl = NetBufferLists; Nbl != NULL; Nbl = NET_BUFFER_LIST_NEXT_NBL(Nbl)) {
        if (Adapter->Paused) {
            NET_BUFFER_LIST_STATUS(Nbl) = NDIS_STATUS_PAUSED;
            continue;
        }
        for (Nb = NET_BUFFER_LIST_FIRST_NB(Nbl); Nb != NULL; Nb = NET_BUFFER_NEXT_NB(Nb)) {
            Adapter->FramesTxDirected++;
            Adapter->BytesTx += NET_BUFFER_DATA_LENGTH(Nb);
        }
        NET_BUFFER_LIST_STATUS(Nbl) = NDIS_STATUS_SUCCESS;
    }
#ifdef COMPAT_HAVE_SYNC
    if (NDIS_TEST_SEND_AT_DISPATCH_LEVEL(SendFlags))
        NdisDprReleaseSpinLock(&Adapter->Lock);
    else
        NdisReleaseSpinLock(&Adapter->Lock);
#endif
    NdisMSendNetBufferListsComplete(Adapter->AdapterHandle, NetBufferLists, CompleteFlags);
}

/* The receive path of the virtual NIC (netvmini loops frames between its adapters). */
static VOID NICIndicateReceivedFrames(PMP_ADAPTER Adapter, PNET_BUFFER_LIST NblChain,
                                      ULONG Count, BOOLEAN LowResources)
{
    ULONG Flags = NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL;
    if (LowResources)
        Flags |= NDIS_RECEIVE_FLAGS_RESOURCES;
    Adapter->FramesRxDirected += Count;
    NdisMIndicateReceiveNetBufferLists(Adapter->AdapterHandle, NblChain, NDIS_DEFAULT_PORT_NUMBER,
                                       Count, Flags);
    if (LowResources)
        MPReturnNetBufferLists(Adapter, NblChain, NDIS_RETURN_FLAGS_DISPATCH_LEVEL);
}

_Use_decl_annotations_
VOID MPReturnNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferLists,
                            ULONG ReturnFlags)
{
    PMP_ADAPTER Adapter = (PMP_ADAPTER)MiniportAdapterContext;
    PNET_BUFFER_LIST Nbl, Next;
    UNREFERENCED_PARAMETER(Adapter);
    UNREFERENCED_PARAMETER(ReturnFlags);
    for (Nbl = NetBufferLists; Nbl != NULL; Nbl = Next) {
        Next = NET_BUFFER_LIST_NEXT_NBL(Nbl);
        NET_BUFFER_LIST_NEXT_NBL(Nbl) = NULL;
        /* ... back onto the receive free list ... */
    }
}

_Use_decl_annotations_
VOID MPCancelSend(NDIS_HANDLE MiniportAdapterContext, PVOID CancelId)
{
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    UNREFERENCED_PARAMETER(CancelId);
}

_Use_decl_annotations_
BOOLEAN MPCheckForHangEx(NDIS_HANDLE MiniportAdapterContext)
{
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    return FALSE;
}

_Use_decl_annotations_
NDIS_STATUS MPResetEx(NDIS_HANDLE MiniportAdapterContext, PBOOLEAN AddressingReset)
{
    PMP_ADAPTER Adapter = (PMP_ADAPTER)MiniportAdapterContext;
    *AddressingReset = FALSE;
    if (0)
        NdisMResetComplete(Adapter->AdapterHandle, NDIS_STATUS_SUCCESS, FALSE);
    return NDIS_STATUS_SUCCESS;
}

_Use_decl_annotations_
VOID MPDevicePnpEventNotify(NDIS_HANDLE MiniportAdapterContext, PNET_DEVICE_PNP_EVENT NetDevicePnPEvent)
{
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    switch (NetDevicePnPEvent->DevicePnPEvent) {
    case NdisDevicePnPEventSurpriseRemoved:
        DEBUGP("surprise removal\n");
        break;
    case NdisDevicePnPEventPowerProfileChanged:
        if (NetDevicePnPEvent->InformationBufferLength == sizeof(ULONG) &&
            *(PULONG)NetDevicePnPEvent->InformationBuffer == NdisPowerProfileBattery)
            DEBUGP("on battery\n");
        break;
    default:
        break;
    }
}

_Use_decl_annotations_
VOID MPShutdownEx(NDIS_HANDLE MiniportAdapterContext, NDIS_SHUTDOWN_ACTION ShutdownAction)
{
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    if (ShutdownAction == NdisShutdownBugCheck)
        return;
}

/* ======================================================================================= */
/* Protocol (ndisprot style)                                                               */
/* ======================================================================================= */

typedef struct _NDISPROT_OPEN_CONTEXT {
    NDIS_HANDLE BindingHandle;
    NDIS_HANDLE BindContext;
    NDIS_HANDLE UnbindContext;
    NDIS_STATUS BindStatus;
    UINT SelectedMediumIndex;
    UCHAR CurrentAddress[ETH_LENGTH_OF_ADDRESS];
    ULONG MacOptions;
    ULONG MaxFrameSize;
    ULONG64 LinkSpeed;
    NDIS_MEDIA_CONNECT_STATE MediaConnectState;
    NDIS_DEVICE_POWER_STATE PowerState;
    BOOLEAN Paused;
    ULONG PendedReads;
    NDIS_OID_REQUEST Request;
    NDIS_STRING DeviceDescr;
#ifdef COMPAT_HAVE_EVENT
    NDIS_EVENT BindEvent;
    NDIS_EVENT ClosedEvent;
    NDIS_EVENT RequestEvent;
#endif
} NDISPROT_OPEN_CONTEXT, *PNDISPROT_OPEN_CONTEXT;

typedef struct _NDISPROT_GLOBALS {
    PDRIVER_OBJECT DriverObject;
    NDIS_HANDLE NdisProtocolHandle;
    UCHAR PartialCancelId;
} NDISPROT_GLOBALS;

static NDISPROT_GLOBALS Globals;
static NDISPROT_OPEN_CONTEXT StaticOpen;

PROTOCOL_SET_OPTIONS NdisprotSetOptions;
PROTOCOL_BIND_ADAPTER_EX NdisprotBindAdapter;
PROTOCOL_UNBIND_ADAPTER_EX NdisprotUnbindAdapter;
PROTOCOL_OPEN_ADAPTER_COMPLETE_EX NdisprotOpenAdapterComplete;
PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX NdisprotCloseAdapterComplete;
PROTOCOL_NET_PNP_EVENT NdisprotPnPEventHandler;
PROTOCOL_UNINSTALL NdisprotProtocolUninstall;
PROTOCOL_OID_REQUEST_COMPLETE NdisprotRequestComplete;
PROTOCOL_STATUS_EX NdisprotStatus;
PROTOCOL_RECEIVE_NET_BUFFER_LISTS NdisprotReceiveNetBufferLists;
PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE NdisprotSendComplete;
PROTOCOL_DIRECT_OID_REQUEST_COMPLETE NdisprotDirectRequestComplete;
DRIVER_DISPATCH NdisprotOpen;
DRIVER_DISPATCH NdisprotClose;
DRIVER_DISPATCH NdisprotIoControl;

static NDIS_STATUS NdisprotRegister(PDRIVER_OBJECT DriverObject)
{
    NDIS_PROTOCOL_DRIVER_CHARACTERISTICS ProtocolChar;
#ifdef COMPAT_HAVE_STRINGS
    NDIS_STRING Name = NDIS_STRING_CONST("NDISPROT");
#else
    static WCHAR NameBuffer[] = { 'N', 'D', 'I', 'S', 'P', 'R', 'O', 'T', 0 };
    NDIS_STRING Name = { sizeof(NameBuffer) - sizeof(WCHAR), sizeof(NameBuffer), NameBuffer };
#endif

    Globals.DriverObject = DriverObject;
    DriverObject->MajorFunction[IRP_MJ_CREATE] = NdisprotOpen;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = NdisprotClose;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = NdisprotIoControl;

    NdisZeroMemory(&ProtocolChar, sizeof(NDIS_PROTOCOL_DRIVER_CHARACTERISTICS));
    ProtocolChar.Header.Type = NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS;
    ProtocolChar.Header.Size = NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
    ProtocolChar.Header.Revision = NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
    ProtocolChar.MajorNdisVersion = NDIS_PROTOCOL_MAJOR_VERSION;
    ProtocolChar.MinorNdisVersion = NDIS_PROTOCOL_MINOR_VERSION;
    ProtocolChar.MajorDriverVersion = 1;
    ProtocolChar.MinorDriverVersion = 0;
    ProtocolChar.Flags = NDIS_PROTOCOL_DRIVER_SUPPORTS_CURRENT_MAC_ADDRESS_CHANGE;
    ProtocolChar.Name = Name;
    ProtocolChar.SetOptionsHandler = NdisprotSetOptions;
    ProtocolChar.BindAdapterHandlerEx = NdisprotBindAdapter;
    ProtocolChar.UnbindAdapterHandlerEx = NdisprotUnbindAdapter;
    ProtocolChar.OpenAdapterCompleteHandlerEx = NdisprotOpenAdapterComplete;
    ProtocolChar.CloseAdapterCompleteHandlerEx = NdisprotCloseAdapterComplete;
    ProtocolChar.NetPnPEventHandler = NdisprotPnPEventHandler;
    ProtocolChar.UninstallHandler = NdisprotProtocolUninstall;
    ProtocolChar.OidRequestCompleteHandler = NdisprotRequestComplete;
    ProtocolChar.StatusHandlerEx = NdisprotStatus;
    ProtocolChar.ReceiveNetBufferListsHandler = NdisprotReceiveNetBufferLists;
    ProtocolChar.SendNetBufferListsCompleteHandler = NdisprotSendComplete;
    ProtocolChar.DirectOidRequestCompleteHandler = NdisprotDirectRequestComplete;

    Globals.PartialCancelId = NdisGeneratePartialCancelId();

    NDIS_DECLARE_PROTOCOL_DRIVER_CONTEXT(NDISPROT_GLOBALS);
    return NdisRegisterProtocolDriver(&Globals, &ProtocolChar, &Globals.NdisProtocolHandle);
}

_Use_decl_annotations_
NDIS_STATUS NdisprotSetOptions(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext)
{
    UNREFERENCED_PARAMETER(NdisDriverHandle);
    UNREFERENCED_PARAMETER(DriverContext);
    return NDIS_STATUS_SUCCESS;
}

/* Query one OID on the binding, waiting for completion if it pends. */
static NDIS_STATUS ndisprotDoRequest(PNDISPROT_OPEN_CONTEXT pOpenContext, NDIS_REQUEST_TYPE RequestType,
                                     NDIS_OID Oid, PVOID InformationBuffer, ULONG InformationBufferLength,
                                     PULONG pBytesProcessed)
{
    PNDIS_OID_REQUEST pNdisRequest = &pOpenContext->Request;
    NDIS_STATUS Status;

    NdisZeroMemory(pNdisRequest, sizeof(NDIS_OID_REQUEST));
    pNdisRequest->Header.Type = NDIS_OBJECT_TYPE_OID_REQUEST;
    pNdisRequest->Header.Revision = NDIS_OID_REQUEST_REVISION_1;
    pNdisRequest->Header.Size = NDIS_SIZEOF_OID_REQUEST_REVISION_1;
    pNdisRequest->RequestType = RequestType;
    pNdisRequest->PortNumber = NDIS_DEFAULT_PORT_NUMBER;
    pNdisRequest->Timeout = 0;
    pNdisRequest->RequestId = pOpenContext;

    switch (RequestType) {
    case NdisRequestQueryInformation:
        pNdisRequest->DATA.QUERY_INFORMATION.Oid = Oid;
        pNdisRequest->DATA.QUERY_INFORMATION.InformationBuffer = InformationBuffer;
        pNdisRequest->DATA.QUERY_INFORMATION.InformationBufferLength = InformationBufferLength;
        break;
    case NdisRequestSetInformation:
        pNdisRequest->DATA.SET_INFORMATION.Oid = Oid;
        pNdisRequest->DATA.SET_INFORMATION.InformationBuffer = InformationBuffer;
        pNdisRequest->DATA.SET_INFORMATION.InformationBufferLength = InformationBufferLength;
        break;
    default:
        return NDIS_STATUS_INVALID_PARAMETER;
    }

#ifdef COMPAT_HAVE_EVENT
    NdisInitializeEvent(&pOpenContext->RequestEvent);
#endif
    Status = NdisOidRequest(pOpenContext->BindingHandle, pNdisRequest);
    if (Status == NDIS_STATUS_PENDING) {
#ifdef COMPAT_HAVE_EVENT
        if (!NdisWaitEvent(&pOpenContext->RequestEvent, 5000)) {
            NdisCancelOidRequest(pOpenContext->BindingHandle, pOpenContext);
            (void)NdisWaitEvent(&pOpenContext->RequestEvent, 0);
        }
#endif
        Status = pOpenContext->BindStatus;
    }
    if (Status == NDIS_STATUS_SUCCESS) {
        *pBytesProcessed = RequestType == NdisRequestQueryInformation
                               ? pNdisRequest->DATA.QUERY_INFORMATION.BytesWritten
                               : pNdisRequest->DATA.SET_INFORMATION.BytesRead;
    }
    return Status;
}

_Use_decl_annotations_
NDIS_STATUS NdisprotBindAdapter(NDIS_HANDLE ProtocolDriverContext, NDIS_HANDLE BindContext,
                                PNDIS_BIND_PARAMETERS BindParameters)
{
    PNDISPROT_OPEN_CONTEXT pOpenContext = &StaticOpen;
    NDIS_STATUS Status;
    NDIS_OPEN_PARAMETERS OpenParameters;
    NDIS_MEDIUM MediumArray[1] = { NdisMedium802_3 };
    NET_FRAME_TYPE FrameTypeArray[2] = { NDIS_ETH_TYPE_802_1X, NDIS_ETH_TYPE_802_1Q };
    ULONG PacketFilter = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST;
    ULONG BytesProcessed = 0;
    PNDIS_PORT Port;

    UNREFERENCED_PARAMETER(ProtocolDriverContext);
    NdisZeroMemory(pOpenContext, sizeof(*pOpenContext));
    pOpenContext->BindContext = BindContext;

    if (BindParameters->MediaType != NdisMedium802_3 ||
        BindParameters->MacAddressLength != ETH_LENGTH_OF_ADDRESS)
        return NDIS_STATUS_UNSUPPORTED_MEDIA;

    NdisZeroMemory(&OpenParameters, sizeof(NDIS_OPEN_PARAMETERS));
    OpenParameters.Header.Revision = NDIS_OPEN_PARAMETERS_REVISION_1;
    OpenParameters.Header.Size = NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1;
    OpenParameters.Header.Type = NDIS_OBJECT_TYPE_OPEN_PARAMETERS;
    OpenParameters.AdapterName = BindParameters->AdapterName;
    OpenParameters.MediumArray = &MediumArray[0];
    OpenParameters.MediumArraySize = sizeof(MediumArray) / sizeof(NDIS_MEDIUM);
    OpenParameters.SelectedMediumIndex = &pOpenContext->SelectedMediumIndex;
    OpenParameters.FrameTypeArray = &FrameTypeArray[0];
    OpenParameters.FrameTypeArraySize = sizeof(FrameTypeArray) / sizeof(NET_FRAME_TYPE);

#ifdef COMPAT_HAVE_EVENT
    NdisInitializeEvent(&pOpenContext->BindEvent);
#endif
    NDIS_DECLARE_PROTOCOL_OPEN_CONTEXT(NDISPROT_OPEN_CONTEXT);
    Status = NdisOpenAdapterEx(Globals.NdisProtocolHandle, pOpenContext, &OpenParameters,
                               BindContext, &pOpenContext->BindingHandle);
    if (Status == NDIS_STATUS_PENDING) {
#ifdef COMPAT_HAVE_EVENT
        NdisWaitEvent(&pOpenContext->BindEvent, 0);
#endif
        Status = pOpenContext->BindStatus;
    }
    if (Status != NDIS_STATUS_SUCCESS)
        return Status;

    NdisMoveMemory(pOpenContext->CurrentAddress, BindParameters->CurrentMacAddress,
                   ETH_LENGTH_OF_ADDRESS);
    pOpenContext->MacOptions = BindParameters->MacOptions;
    pOpenContext->MaxFrameSize = BindParameters->MtuSize;
    pOpenContext->LinkSpeed = BindParameters->RcvLinkSpeed;
    pOpenContext->MediaConnectState = BindParameters->MediaConnectState;
    if (BindParameters->Header.Revision >= NDIS_BIND_PARAMETERS_REVISION_3 &&
        BindParameters->PowerManagementCapabilitiesEx != NULL)
        DEBUGP("bound to a 6.20+ miniport, IfIndex %u\n", BindParameters->BoundIfIndex);
    for (Port = BindParameters->ActivePorts; Port != NULL; Port = Port->Next)
        DEBUGP("active port %u\n", Port->PortCharacteristics.PortNumber);

    (void)NdisQueryAdapterInstanceName(&pOpenContext->DeviceDescr, pOpenContext->BindingHandle);

    Status = ndisprotDoRequest(pOpenContext, NdisRequestQueryInformation,
                               OID_802_3_CURRENT_ADDRESS, pOpenContext->CurrentAddress,
                               sizeof(pOpenContext->CurrentAddress), &BytesProcessed);
    if (Status == NDIS_STATUS_SUCCESS)
        Status = ndisprotDoRequest(pOpenContext, NdisRequestSetInformation,
                                   OID_GEN_CURRENT_PACKET_FILTER, &PacketFilter,
                                   sizeof(PacketFilter), &BytesProcessed);
    if (Status != NDIS_STATUS_SUCCESS)
        (void)NdisCloseAdapterEx(pOpenContext->BindingHandle);
    return Status;
}

_Use_decl_annotations_
VOID NdisprotOpenAdapterComplete(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS Status)
{
    PNDISPROT_OPEN_CONTEXT pOpenContext = (PNDISPROT_OPEN_CONTEXT)ProtocolBindingContext;
    pOpenContext->BindStatus = Status;
#ifdef COMPAT_HAVE_EVENT
    NdisSetEvent(&pOpenContext->BindEvent);
#endif
    /* A bind handler that had returned NDIS_STATUS_PENDING would finish here instead. */
    if (0)
        NdisCompleteBindAdapterEx(pOpenContext->BindContext, Status);
}

_Use_decl_annotations_
NDIS_STATUS NdisprotUnbindAdapter(NDIS_HANDLE UnbindContext, NDIS_HANDLE ProtocolBindingContext)
{
    PNDISPROT_OPEN_CONTEXT pOpenContext = (PNDISPROT_OPEN_CONTEXT)ProtocolBindingContext;
    NDIS_STATUS Status;

    pOpenContext->UnbindContext = UnbindContext;
#ifdef COMPAT_HAVE_EVENT
    NdisInitializeEvent(&pOpenContext->ClosedEvent);
#endif
    Status = NdisCloseAdapterEx(pOpenContext->BindingHandle);
    if (Status == NDIS_STATUS_PENDING) {
#ifdef COMPAT_HAVE_EVENT
        NdisWaitEvent(&pOpenContext->ClosedEvent, 0);
#endif
        Status = NDIS_STATUS_SUCCESS;
    }
    pOpenContext->BindingHandle = NULL;
    return Status;
}

_Use_decl_annotations_
VOID NdisprotCloseAdapterComplete(NDIS_HANDLE ProtocolBindingContext)
{
    PNDISPROT_OPEN_CONTEXT pOpenContext = (PNDISPROT_OPEN_CONTEXT)ProtocolBindingContext;
#ifdef COMPAT_HAVE_EVENT
    NdisSetEvent(&pOpenContext->ClosedEvent);
#endif
    if (0)
        NdisCompleteUnbindAdapterEx(pOpenContext->UnbindContext);
}

_Use_decl_annotations_
NDIS_STATUS NdisprotPnPEventHandler(NDIS_HANDLE ProtocolBindingContext,
                                    PNET_PNP_EVENT_NOTIFICATION pNetPnPEventNotification)
{
    PNDISPROT_OPEN_CONTEXT pOpenContext = (PNDISPROT_OPEN_CONTEXT)ProtocolBindingContext;
    NDIS_STATUS Status = NDIS_STATUS_SUCCESS;

    switch (pNetPnPEventNotification->NetPnPEvent.NetEvent) {
    case NetEventSetPower:
        if (pOpenContext != NULL &&
            pNetPnPEventNotification->NetPnPEvent.BufferLength >= sizeof(NET_DEVICE_POWER_STATE))
            pOpenContext->PowerState = (NDIS_DEVICE_POWER_STATE)
                *(PNET_DEVICE_POWER_STATE)pNetPnPEventNotification->NetPnPEvent.Buffer;
        break;
    case NetEventQueryPower:
    case NetEventQueryRemoveDevice:
    case NetEventCancelRemoveDevice:
    case NetEventReconfigure:
    case NetEventBindList:
    case NetEventBindsComplete:
    case NetEventPnPCapabilities:
        break;
    case NetEventPause:
        if (pOpenContext != NULL) {
            pOpenContext->Paused = TRUE;
            if (pOpenContext->PendedReads != 0) {
                /* Finish once the last send completes. */
                NdisCompleteNetPnPEvent(pOpenContext->BindingHandle, pNetPnPEventNotification,
                                        NDIS_STATUS_SUCCESS);
                Status = NDIS_STATUS_PENDING;
            }
        }
        break;
    case NetEventRestart: {
        PNDIS_PROTOCOL_RESTART_PARAMETERS Restart =
            (PNDIS_PROTOCOL_RESTART_PARAMETERS)pNetPnPEventNotification->NetPnPEvent.Buffer;
        if (Restart != NULL && Restart->FilterModuleNameBufferLength != 0)
            DEBUGP("%u bytes of filter names\n", Restart->FilterModuleNameBufferLength);
        if (pOpenContext != NULL)
            pOpenContext->Paused = FALSE;
        break;
    }
    case NetEventPortActivation: {
        PNDIS_PORT Port = (PNDIS_PORT)pNetPnPEventNotification->NetPnPEvent.Buffer;
        for (; Port != NULL; Port = Port->Next)
            DEBUGP("port %u up\n", Port->PortCharacteristics.PortNumber);
        break;
    }
    case NetEventPortDeactivation: {
        PNDIS_PORT_NUMBER Ports = (PNDIS_PORT_NUMBER)pNetPnPEventNotification->NetPnPEvent.Buffer;
        ULONG i, n = pNetPnPEventNotification->NetPnPEvent.BufferLength / sizeof(NDIS_PORT_NUMBER);
        for (i = 0; i < n; i++)
            DEBUGP("port %u down\n", Ports[i]);
        break;
    }
    default:
        Status = NDIS_STATUS_NOT_SUPPORTED;
        break;
    }
    return Status;
}

_Use_decl_annotations_
VOID NdisprotProtocolUninstall(VOID)
{
}

_Use_decl_annotations_
VOID NdisprotRequestComplete(NDIS_HANDLE ProtocolBindingContext, PNDIS_OID_REQUEST pNdisRequest,
                             NDIS_STATUS Status)
{
    PNDISPROT_OPEN_CONTEXT pOpenContext = (PNDISPROT_OPEN_CONTEXT)ProtocolBindingContext;
    UNREFERENCED_PARAMETER(pNdisRequest);
    pOpenContext->BindStatus = Status;
#ifdef COMPAT_HAVE_EVENT
    NdisSetEvent(&pOpenContext->RequestEvent);
#endif
}

_Use_decl_annotations_
VOID NdisprotDirectRequestComplete(NDIS_HANDLE ProtocolBindingContext,
                                   PNDIS_OID_REQUEST pNdisRequest, NDIS_STATUS Status)
{
    NdisprotRequestComplete(ProtocolBindingContext, pNdisRequest, Status);
}

_Use_decl_annotations_
VOID NdisprotStatus(NDIS_HANDLE ProtocolBindingContext, PNDIS_STATUS_INDICATION StatusIndication)
{
    PNDISPROT_OPEN_CONTEXT pOpenContext = (PNDISPROT_OPEN_CONTEXT)ProtocolBindingContext;

    switch (StatusIndication->StatusCode) {
    case NDIS_STATUS_LINK_STATE: {
        PNDIS_LINK_STATE LinkState = (PNDIS_LINK_STATE)StatusIndication->StatusBuffer;
        if (StatusIndication->StatusBufferSize >= NDIS_SIZEOF_LINK_STATE_REVISION_1) {
            pOpenContext->MediaConnectState = LinkState->MediaConnectState;
            pOpenContext->LinkSpeed = LinkState->RcvLinkSpeed;
        }
        break;
    }
    case NDIS_STATUS_RESET_START:
    case NDIS_STATUS_RESET_END:
        break;
    case NDIS_STATUS_PORT_STATE:
        if (StatusIndication->PortNumber != NDIS_DEFAULT_PORT_NUMBER)
            DEBUGP("port %u state\n", StatusIndication->PortNumber);
        break;
    default:
        break;
    }
}

_Use_decl_annotations_
VOID NdisprotReceiveNetBufferLists(NDIS_HANDLE ProtocolBindingContext,
                                   PNET_BUFFER_LIST pNetBufferLists, NDIS_PORT_NUMBER PortNumber,
                                   ULONG NumberOfNetBufferLists, ULONG ReceiveFlags)
{
    PNDISPROT_OPEN_CONTEXT pOpenContext = (PNDISPROT_OPEN_CONTEXT)ProtocolBindingContext;
    PNET_BUFFER_LIST pNbl;
    ULONG ReturnFlags = 0;

    UNREFERENCED_PARAMETER(PortNumber);
    UNREFERENCED_PARAMETER(NumberOfNetBufferLists);
    for (pNbl = pNetBufferLists; pNbl != NULL; pNbl = NET_BUFFER_LIST_NEXT_NBL(pNbl))
        pOpenContext->PendedReads++;

    if (NDIS_TEST_RECEIVE_CANNOT_PEND(ReceiveFlags))
        return; /* copied; NDIS owns them again on return */
    if (NDIS_TEST_RECEIVE_AT_DISPATCH_LEVEL(ReceiveFlags))
        NDIS_SET_RETURN_FLAG(ReturnFlags, NDIS_RETURN_FLAGS_DISPATCH_LEVEL);
    NdisReturnNetBufferLists(pOpenContext->BindingHandle, pNetBufferLists, ReturnFlags);
}

_Use_decl_annotations_
VOID NdisprotSendComplete(NDIS_HANDLE ProtocolBindingContext, PNET_BUFFER_LIST pNetBufferList,
                          ULONG SendCompleteFlags)
{
    PNDISPROT_OPEN_CONTEXT pOpenContext = (PNDISPROT_OPEN_CONTEXT)ProtocolBindingContext;
    PNET_BUFFER_LIST pNbl;
    UNREFERENCED_PARAMETER(SendCompleteFlags);
    for (pNbl = pNetBufferList; pNbl != NULL; pNbl = NET_BUFFER_LIST_NEXT_NBL(pNbl)) {
        if (NET_BUFFER_LIST_STATUS(pNbl) != NDIS_STATUS_SUCCESS)
            DEBUGP("send failed 0x%08x\n", (unsigned)NET_BUFFER_LIST_STATUS(pNbl));
        if (pOpenContext->PendedReads != 0)
            pOpenContext->PendedReads--;
    }
}

/* What the IRP_MJ_WRITE path of ndisprot boils down to. */
static VOID ndisprotSend(PNDISPROT_OPEN_CONTEXT pOpenContext, PNET_BUFFER_LIST pNbl, PVOID CancelId)
{
    NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(pNbl, CancelId);
    NdisSendNetBufferLists(pOpenContext->BindingHandle, pNbl, NDIS_DEFAULT_PORT_NUMBER,
                           NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK);
    if (pOpenContext->Paused)
        NdisCancelSendNetBufferLists(pOpenContext->BindingHandle, CancelId);
}

_Use_decl_annotations_
NTSTATUS NdisprotOpen(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Irp);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
NTSTATUS NdisprotClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Irp);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
NTSTATUS NdisprotIoControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Irp);
    /* Keep the static helpers referenced, as the IOCTL paths of the samples would. */
    if (Globals.NdisProtocolHandle == (NDIS_HANDLE)1) {
        ndisprotSend(&StaticOpen, NULL, (PVOID)(ULONG_PTR)Globals.PartialCancelId);
        NICIndicateReceivedFrames(&StaticAdapter, NULL, 0, FALSE);
    }
    return STATUS_SUCCESS;
}
