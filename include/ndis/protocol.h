/*
 * ndis/protocol.h — the NDIS 6 protocol driver interface: registration, binding, the
 * ProtocolXxx role types and the calls a protocol makes on a binding.
 *
 * Abstract
 *   Registration
 *     DriverEntry fills an NDIS_PROTOCOL_DRIVER_CHARACTERISTICS (revision 1 for NDIS 6.0,
 *     2 for 6.1+ with ProtocolDirectOidRequestComplete) and calls NdisRegisterProtocolDriver.
 *   Binding
 *     For every adapter the protocol may bind to, NDIS calls ProtocolBindAdapterEx with an
 *     NDIS_BIND_PARAMETERS describing the adapter. The protocol calls NdisOpenAdapterEx with
 *     an NDIS_OPEN_PARAMETERS (the media and frame types it handles); if that returns
 *     NDIS_STATUS_PENDING, ProtocolOpenAdapterCompleteEx follows. A bind handler that itself
 *     returned NDIS_STATUS_PENDING finishes with NdisCompleteBindAdapterEx. Unbinding mirrors
 *     this: ProtocolUnbindAdapterEx, NdisCloseAdapterEx, ProtocolCloseAdapterCompleteEx,
 *     NdisCompleteUnbindAdapterEx.
 *   Data path
 *     NdisSendNetBufferLists -> ProtocolSendNetBufferListsComplete;
 *     ProtocolReceiveNetBufferLists -> NdisReturnNetBufferLists (unless the indication had
 *     NDIS_RECEIVE_FLAGS_RESOURCES). OIDs: NdisOidRequest -> ProtocolOidRequestComplete.
 *     PnP events (pause, restart, power, port activation) arrive at ProtocolNetPnPEvent; a
 *     pended one is finished with NdisCompleteNetPnPEvent.
 *   Layouts are the x64 WDK's (NDIS_PROTOCOL_DRIVER_CHARACTERISTICS 0x80 bytes,
 *   NDIS_BIND_PARAMETERS 0x138, NDIS_OPEN_PARAMETERS 0x38).
 *
 * Usage
 *     PROTOCOL_BIND_ADAPTER_EX ProtBind;
 *     NDIS_PROTOCOL_DRIVER_CHARACTERISTICS pc = {0};
 *     pc.Header.Type = NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS;
 *     pc.Header.Revision = NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
 *     pc.Header.Size = NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
 *     pc.MajorNdisVersion = NDIS_PROTOCOL_MAJOR_VERSION;
 *     pc.MinorNdisVersion = NDIS_PROTOCOL_MINOR_VERSION;
 *     pc.BindAdapterHandlerEx = ProtBind;  ...
 *     Status = NdisRegisterProtocolDriver(&Globals, &pc, &ProtocolHandle);
 *   Included by <ndis.h>; compiles alone as C11 and as C++20.
 */
#ifndef OPENNDIS_NDIS_PROTOCOL_H
#define OPENNDIS_NDIS_PROTOCOL_H

#include <ndis/types.h>
#include <ndis/constants.h>
#include <ndis/nbl.h>
#include <ndis/oid.h>
#include <ndis/ndisdriver.h>
#include <ndis/port.h>

NDIS_EXTERN_C_BEGIN

/* An Ethernet type in host order (NDIS_ETH_TYPE_*), NDIS_OPEN_PARAMETERS.FrameTypeArray. */
typedef USHORT NET_FRAME_TYPE, *PNET_FRAME_TYPE;

/* ======================================================================================= */
/* NDIS_BIND_PARAMETERS (ProtocolBindAdapterEx)                                            */
/* ======================================================================================= */
#define NDIS_BIND_PARAMETERS_REVISION_1 1 /* 6.0 */
#define NDIS_BIND_PARAMETERS_REVISION_2 2 /* 6.1: HDSplitCurrentConfig */
#define NDIS_BIND_PARAMETERS_REVISION_3 3 /* 6.20: receive filters, PM, NIC switch */
#define NDIS_BIND_PARAMETERS_REVISION_4 4 /* 6.30: NDK, SR-IOV, NIC switch array */

/* x64: 0x138 bytes; Header.Type = NDIS_OBJECT_TYPE_BIND_PARAMETERS. Built by NDIS; read-only
 * for the protocol and valid only during ProtocolBindAdapterEx. */
typedef struct _NDIS_BIND_PARAMETERS {
    NDIS_OBJECT_HEADER Header;
    PNDIS_STRING ProtocolSection;
    PNDIS_STRING AdapterName; /* pass to NDIS_OPEN_PARAMETERS.AdapterName */
    PDEVICE_OBJECT PhysicalDeviceObject;
    NDIS_MEDIUM MediaType;
    ULONG MtuSize;
    ULONG64 MaxXmitLinkSpeed;
    ULONG64 XmitLinkSpeed;
    ULONG64 MaxRcvLinkSpeed;
    ULONG64 RcvLinkSpeed;
    NDIS_MEDIA_CONNECT_STATE MediaConnectState;
    NDIS_MEDIA_DUPLEX_STATE MediaDuplexState;
    ULONG LookaheadSize;
    PNDIS_PNP_CAPABILITIES PowerManagementCapabilities;
    ULONG SupportedPacketFilters;
    ULONG MaxMulticastListSize;
    USHORT MacAddressLength;
    UCHAR CurrentMacAddress[NDIS_MAX_PHYS_ADDRESS_LENGTH];
    NDIS_PHYSICAL_MEDIUM PhysicalMediumType;
    PNDIS_RECEIVE_SCALE_CAPABILITIES RcvScaleCapabilities;
    NET_LUID BoundIfNetluid;
    NET_IFINDEX BoundIfIndex;
    NET_LUID LowestIfNetluid;
    NET_IFINDEX LowestIfIndex;
    NET_IF_ACCESS_TYPE AccessType;
    NET_IF_DIRECTION_TYPE DirectionType;
    NET_IF_CONNECTION_TYPE ConnectionType;
    NET_IFTYPE IfType;
    BOOLEAN IfConnectorPresent;
    PNDIS_PORT ActivePorts; /* the ports already active when the binding is made */
    ULONG DataBackFillSize;
    ULONG ContextBackFillSize;
    ULONG MacOptions;
    NET_IF_COMPARTMENT_ID CompartmentId;
    PNDIS_OFFLOAD DefaultOffloadConfiguration;
    PNDIS_TCP_CONNECTION_OFFLOAD TcpConnectionOffloadCapabilities;
    PNDIS_STRING BoundAdapterName;
    PNDIS_HD_SPLIT_CURRENT_CONFIG HDSplitCurrentConfig;                 /* revision 2 */
    PNDIS_RECEIVE_FILTER_CAPABILITIES ReceiveFilterCapabilities;        /* revision 3 */
    PNDIS_PM_CAPABILITIES PowerManagementCapabilitiesEx;
    PNDIS_NIC_SWITCH_CAPABILITIES NicSwitchCapabilities;
    BOOLEAN NDKEnabled;                                                 /* revision 4 */
    PNDIS_NDK_CAPABILITIES NDKCapabilities;
    PNDIS_SRIOV_CAPABILITIES SriovCapabilities;
    PNDIS_NIC_SWITCH_INFO_ARRAY NicSwitchArray;
} NDIS_BIND_PARAMETERS, *PNDIS_BIND_PARAMETERS;

#define NDIS_SIZEOF_BIND_PARAMETERS_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_BIND_PARAMETERS, BoundAdapterName)
#define NDIS_SIZEOF_BIND_PARAMETERS_REVISION_2 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_BIND_PARAMETERS, HDSplitCurrentConfig)
#define NDIS_SIZEOF_BIND_PARAMETERS_REVISION_3 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_BIND_PARAMETERS, NicSwitchCapabilities)
#define NDIS_SIZEOF_BIND_PARAMETERS_REVISION_4 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_BIND_PARAMETERS, NicSwitchArray)

/* ======================================================================================= */
/* NDIS_OPEN_PARAMETERS (NdisOpenAdapterEx)                                                */
/* ======================================================================================= */
#define NDIS_OPEN_PARAMETERS_REVISION_1 1

/* x64: 0x38 bytes; Header.Type = NDIS_OBJECT_TYPE_OPEN_PARAMETERS. */
typedef struct _NDIS_OPEN_PARAMETERS {
    NDIS_OBJECT_HEADER Header;
    PNDIS_STRING AdapterName;     /* NDIS_BIND_PARAMETERS.AdapterName */
    PNDIS_MEDIUM MediumArray;     /* media the protocol supports */
    UINT MediumArraySize;         /* elements */
    PUINT SelectedMediumIndex;    /* out: index into MediumArray */
    PNET_FRAME_TYPE FrameTypeArray; /* Ethernet types to receive; NULL/0: none filtered */
    UINT FrameTypeArraySize;      /* elements */
} NDIS_OPEN_PARAMETERS, *PNDIS_OPEN_PARAMETERS;

#define NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_OPEN_PARAMETERS, FrameTypeArraySize)
/* The WDK's misspelling, which older samples use. */
#define NDIS_SIZEOF_OPEN_PARAMETERS_REVSION_1 NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1

/* ======================================================================================= */
/* Pause / restart parameters (NetEventPause / NetEventRestart: NET_PNP_EVENT.Buffer)      */
/* ======================================================================================= */
#define NDIS_PROTOCOL_PAUSE_PARAMETERS_REVISION_1 1

/* x64: 12 bytes. PauseReason: NDIS_PAUSE_*. */
typedef struct _NDIS_PROTOCOL_PAUSE_PARAMETERS {
    NDIS_OBJECT_HEADER Header;
    ULONG Flags;
    ULONG PauseReason;
} NDIS_PROTOCOL_PAUSE_PARAMETERS, *PNDIS_PROTOCOL_PAUSE_PARAMETERS;

#define NDIS_SIZEOF_PROTOCOL_PAUSE_PARAMETERS_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_PROTOCOL_PAUSE_PARAMETERS, PauseReason)

#define NDIS_PROTOCOL_RESTART_PARAMETERS_REVISION_1 1

/* x64: 0x38 bytes; Header.Type = NDIS_OBJECT_TYPE_PROTOCOL_RESTART_PARAMETERS. */
typedef struct _NDIS_PROTOCOL_RESTART_PARAMETERS {
    NDIS_OBJECT_HEADER Header;
    PUCHAR FilterModuleNameBuffer; /* the filter modules now in the stack, WCHAR names */
    ULONG FilterModuleNameBufferLength;
    PNDIS_RESTART_ATTRIBUTES RestartAttributes;
    NET_IFINDEX BoundIfIndex;
    NET_LUID BoundIfNetluid;
    ULONG Flags;
} NDIS_PROTOCOL_RESTART_PARAMETERS, *PNDIS_PROTOCOL_RESTART_PARAMETERS;

#define NDIS_SIZEOF_PROTOCOL_RESTART_PARAMETERS_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_PROTOCOL_RESTART_PARAMETERS, Flags)

/* ======================================================================================= */
/* Protocol handler role types                                                             */
/* ======================================================================================= */
typedef NDIS_STATUS(PROTOCOL_BIND_ADAPTER_EX)(_In_ NDIS_HANDLE ProtocolDriverContext,
                                              _In_ NDIS_HANDLE BindContext,
                                              _In_ PNDIS_BIND_PARAMETERS BindParameters);
typedef PROTOCOL_BIND_ADAPTER_EX(*BIND_HANDLER_EX);

typedef NDIS_STATUS(PROTOCOL_UNBIND_ADAPTER_EX)(_In_ NDIS_HANDLE UnbindContext,
                                                _In_ NDIS_HANDLE ProtocolBindingContext);
typedef PROTOCOL_UNBIND_ADAPTER_EX(*UNBIND_HANDLER_EX);

typedef VOID(PROTOCOL_OPEN_ADAPTER_COMPLETE_EX)(_In_ NDIS_HANDLE ProtocolBindingContext,
                                                _In_ NDIS_STATUS Status);
typedef PROTOCOL_OPEN_ADAPTER_COMPLETE_EX(*OPEN_ADAPTER_COMPLETE_HANDLER_EX);

typedef VOID(PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX)(_In_ NDIS_HANDLE ProtocolBindingContext);
typedef PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX(*CLOSE_ADAPTER_COMPLETE_HANDLER_EX);

/* ProtocolBindingContext is NULL for events that concern the protocol as a whole. */
typedef NDIS_STATUS(PROTOCOL_NET_PNP_EVENT)(
    _In_ NDIS_HANDLE ProtocolBindingContext,
    _In_ PNET_PNP_EVENT_NOTIFICATION NetPnPEventNotification);
typedef PROTOCOL_NET_PNP_EVENT(*NET_PNP_EVENT_HANDLER);

typedef VOID(PROTOCOL_UNINSTALL)(VOID);
typedef PROTOCOL_UNINSTALL(*UNINSTALL_PROTOCOL_HANDLER);

typedef VOID(PROTOCOL_OID_REQUEST_COMPLETE)(_In_ NDIS_HANDLE ProtocolBindingContext,
                                            _In_ PNDIS_OID_REQUEST OidRequest,
                                            _In_ NDIS_STATUS Status);
typedef PROTOCOL_OID_REQUEST_COMPLETE(*OID_REQUEST_COMPLETE_HANDLER);

typedef VOID(PROTOCOL_STATUS_EX)(_In_ NDIS_HANDLE ProtocolBindingContext,
                                 _In_ PNDIS_STATUS_INDICATION StatusIndication);
typedef PROTOCOL_STATUS_EX(*STATUS_HANDLER_EX);

typedef VOID(PROTOCOL_RECEIVE_NET_BUFFER_LISTS)(_In_ NDIS_HANDLE ProtocolBindingContext,
                                                _In_ PNET_BUFFER_LIST NetBufferLists,
                                                _In_ NDIS_PORT_NUMBER PortNumber,
                                                _In_ ULONG NumberOfNetBufferLists,
                                                _In_ ULONG ReceiveFlags);
typedef PROTOCOL_RECEIVE_NET_BUFFER_LISTS(*RECEIVE_NET_BUFFER_LISTS_HANDLER);

typedef VOID(PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE)(_In_ NDIS_HANDLE ProtocolBindingContext,
                                                      _In_ PNET_BUFFER_LIST NetBufferList,
                                                      _In_ ULONG SendCompleteFlags);
typedef PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE(*SEND_NET_BUFFER_LISTS_COMPLETE_HANDLER);

typedef VOID(PROTOCOL_DIRECT_OID_REQUEST_COMPLETE)(_In_ NDIS_HANDLE ProtocolBindingContext,
                                                   _In_ PNDIS_OID_REQUEST OidRequest,
                                                   _In_ NDIS_STATUS Status);
typedef PROTOCOL_DIRECT_OID_REQUEST_COMPLETE(*DIRECT_OID_REQUEST_COMPLETE_HANDLER);

/* ======================================================================================= */
/* NDIS_PROTOCOL_DRIVER_CHARACTERISTICS                                                    */
/* ======================================================================================= */

/* NDIS_PROTOCOL_DRIVER_CHARACTERISTICS.Flags */
#define NDIS_PROTOCOL_DRIVER_SUPPORTS_CURRENT_MAC_ADDRESS_CHANGE 0x00000002 /* 6.84 */
#define NDIS_PROTOCOL_DRIVER_SUPPORTS_L2_MTU_SIZE_CHANGE         0x00000004 /* 6.84 */

#define NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1 1 /* 6.0 */
#define NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2 2 /* 6.1: DirectOidRequestComplete */

/* x64: 0x80 bytes; Header.Type = NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS. */
typedef struct _NDIS_PROTOCOL_DRIVER_CHARACTERISTICS {
    NDIS_OBJECT_HEADER Header;
    UCHAR MajorNdisVersion; /* NDIS_PROTOCOL_MAJOR_VERSION */
    UCHAR MinorNdisVersion; /* NDIS_PROTOCOL_MINOR_VERSION */
    UCHAR MajorDriverVersion;
    UCHAR MinorDriverVersion;
    ULONG Flags;
    NDIS_STRING Name; /* must match the protocol's INF / service name */
    SET_OPTIONS_HANDLER SetOptionsHandler;
    BIND_HANDLER_EX BindAdapterHandlerEx;
    UNBIND_HANDLER_EX UnbindAdapterHandlerEx;
    OPEN_ADAPTER_COMPLETE_HANDLER_EX OpenAdapterCompleteHandlerEx;
    CLOSE_ADAPTER_COMPLETE_HANDLER_EX CloseAdapterCompleteHandlerEx;
    NET_PNP_EVENT_HANDLER NetPnPEventHandler;
    UNINSTALL_PROTOCOL_HANDLER UninstallHandler;
    OID_REQUEST_COMPLETE_HANDLER OidRequestCompleteHandler;
    STATUS_HANDLER_EX StatusHandlerEx;
    RECEIVE_NET_BUFFER_LISTS_HANDLER ReceiveNetBufferListsHandler;
    SEND_NET_BUFFER_LISTS_COMPLETE_HANDLER SendNetBufferListsCompleteHandler;
    /* revision 2 */
    DIRECT_OID_REQUEST_COMPLETE_HANDLER DirectOidRequestCompleteHandler;
} NDIS_PROTOCOL_DRIVER_CHARACTERISTICS, *PNDIS_PROTOCOL_DRIVER_CHARACTERISTICS;

#define NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_PROTOCOL_DRIVER_CHARACTERISTICS, \
                             SendNetBufferListsCompleteHandler)
#define NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_PROTOCOL_DRIVER_CHARACTERISTICS, \
                             DirectOidRequestCompleteHandler)

/* ======================================================================================= */
/* Calls a protocol makes                                                                  */
/* ======================================================================================= */

/* PASSIVE_LEVEL, from DriverEntry. */
NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisRegisterProtocolDriver(
    _In_opt_ NDIS_HANDLE ProtocolDriverContext,
    _In_ PNDIS_PROTOCOL_DRIVER_CHARACTERISTICS ProtocolCharacteristics,
    _Out_ PNDIS_HANDLE NdisProtocolHandle);

/* PASSIVE_LEVEL; returns once every binding of the protocol has been unbound. */
NDIS_EXPORTED_ROUTINE VOID NdisDeregisterProtocolDriver(_In_ NDIS_HANDLE NdisProtocolHandle);

/* PASSIVE_LEVEL, from ProtocolBindAdapterEx. NDIS_STATUS_PENDING: ProtocolOpenAdapterCompleteEx
 * follows. *NdisBindingHandle is valid as soon as this returns (even when pending). */
NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisOpenAdapterEx(
    _In_ NDIS_HANDLE NdisProtocolHandle,
    _In_ NDIS_HANDLE ProtocolBindingContext,
    _In_ PNDIS_OPEN_PARAMETERS OpenParameters,
    _In_ NDIS_HANDLE BindContext,
    _Out_ PNDIS_HANDLE NdisBindingHandle);

/* Completes a ProtocolBindAdapterEx that returned NDIS_STATUS_PENDING. */
NDIS_EXPORTED_ROUTINE VOID NdisCompleteBindAdapterEx(_In_ NDIS_HANDLE BindAdapterContext,
                                                     _In_ NDIS_STATUS Status);

/* PASSIVE_LEVEL. NDIS_STATUS_PENDING: ProtocolCloseAdapterCompleteEx follows. */
NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisCloseAdapterEx(_In_ NDIS_HANDLE NdisBindingHandle);

/* Completes a ProtocolUnbindAdapterEx that returned NDIS_STATUS_PENDING. */
NDIS_EXPORTED_ROUTINE VOID NdisCompleteUnbindAdapterEx(_In_ NDIS_HANDLE UnbindContext);

/* Completes a ProtocolNetPnPEvent that returned NDIS_STATUS_PENDING. */
NDIS_EXPORTED_ROUTINE VOID NdisCompleteNetPnPEvent(
    _In_ NDIS_HANDLE NdisBindingHandle,
    _In_ PNET_PNP_EVENT_NOTIFICATION NetPnPEventNotification,
    _In_ NDIS_STATUS Status);

/* <= DISPATCH_LEVEL. NDIS_STATUS_PENDING: ProtocolOidRequestComplete follows. */
NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisOidRequest(_In_ NDIS_HANDLE NdisBindingHandle,
                                                 _In_ PNDIS_OID_REQUEST OidRequest);
NDIS_EXPORTED_ROUTINE VOID NdisCancelOidRequest(_In_ NDIS_HANDLE NdisBindingHandle,
                                                _In_ PVOID RequestId);
/* 6.1. NDIS_STATUS_PENDING: ProtocolDirectOidRequestComplete follows. */
NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisDirectOidRequest(_In_ NDIS_HANDLE NdisBindingHandle,
                                                       _In_ PNDIS_OID_REQUEST OidRequest);

/* <= DISPATCH_LEVEL. SendFlags: NDIS_SEND_FLAGS_*. Completed by
 * ProtocolSendNetBufferListsComplete. */
NDIS_EXPORTED_ROUTINE VOID NdisSendNetBufferLists(_In_ NDIS_HANDLE NdisBindingHandle,
                                                  _In_ PNET_BUFFER_LIST NetBufferLists,
                                                  _In_ NDIS_PORT_NUMBER PortNumber,
                                                  _In_ ULONG SendFlags);

/* <= DISPATCH_LEVEL. ReturnFlags: NDIS_RETURN_FLAGS_*. */
NDIS_EXPORTED_ROUTINE VOID NdisReturnNetBufferLists(_In_ NDIS_HANDLE NdisBindingHandle,
                                                    _In_ PNET_BUFFER_LIST NetBufferLists,
                                                    _In_ ULONG ReturnFlags);

/* <= DISPATCH_LEVEL. Cancels the sends tagged with CancelId (NDIS_SET_NET_BUFFER_LIST_CANCEL_ID). */
NDIS_EXPORTED_ROUTINE VOID NdisCancelSendNetBufferLists(_In_ NDIS_HANDLE NdisBindingHandle,
                                                        _In_ PVOID CancelId);

/* The value for the high byte of a cancel id, unique to the calling driver. */
NDIS_EXPORTED_ROUTINE UCHAR NdisGeneratePartialCancelId(VOID);

/* PASSIVE_LEVEL. Allocates AdapterInstanceName->Buffer; the caller frees it with NdisFreeMemory. */
NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisQueryAdapterInstanceName(
    _Out_ PNDIS_STRING AdapterInstanceName,
    _In_ NDIS_HANDLE NdisBindingHandle);

/* PASSIVE_LEVEL, from ProtocolBindAdapterEx: the friendly name of the adapter being bound
 * (BindingContext is ProtocolBindAdapterEx's BindContext). Freed like the above. */
NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisQueryBindInstanceName(_Out_ PNDIS_STRING pAdapterInstanceName,
                                                            _In_ NDIS_HANDLE BindingContext);

NDIS_EXTERN_C_END

#endif /* OPENNDIS_NDIS_PROTOCOL_H */
