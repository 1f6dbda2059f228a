/*
 * miniport_common.h — what the built-in Ethernet (802.3) miniports do the same way: fill
 * NDIS_MINIPORT_DRIVER_CHARACTERISTICS (header, versions), set an adapter's registration and
 * general attributes, read an integer parameter of the adapter, and answer the handlers that
 * have nothing to do.
 *
 * Abstract
 *   MiniportInitializeCharacteristics zeroes the characteristics and fills the header
 *   (revision 2), NDIS_MINIPORT_MAJOR/MINOR_VERSION and driver version 1.0; the driver then sets
 *   its handlers and calls NdisMRegisterMiniportDriver itself, or MiniportRegisterDriver (which
 *   also refuses a second load; MiniportDeregisterDriver is its MiniportUnload part).
 *   EthernetSetAdapterAttributes calls NdisMSetMiniportAttributes twice, as MiniportInitializeEx
 *   must: registration attributes (the adapter context, NO_HALT_ON_SUSPEND, an internal
 *   interface, CheckForHangTimeInSeconds), then general attributes of an 802.3 adapter (full
 *   duplex, ETHERNET_MAC_OPTIONS, ETHERNET_SUPPORTED_FILTERS, ETHERNET_MAX_MULTICAST multicast
 *   addresses, EthernetSupportedOids, auto-negotiated link) from the few values that differ
 *   between the drivers (ETHERNET_ADAPTER_ATTRIBUTES). The current link speed is the
 *   LinkSpeed while connected and NDIS_LINK_SPEED_UNKNOWN otherwise. It returns the status of
 *   the first call that fails.
 *   MiniportReadUlong reads an integer parameter (from a table DriverOpenConfiguration opened),
 *   falling back to a default, with a DbgPrint "<driver><n>: <key> <value> out of range
 *   <min>..<max>, using <default>" when it is out of range. Written only against <ndis.h>, like
 *   the drivers that use it.
 */
#ifndef OPENNDIS_DRIVERS_MINIPORT_COMMON_H
#define OPENNDIS_DRIVERS_MINIPORT_COMMON_H

#include <ndis.h>

#include "common/driver_config.h"
#include "common/ethernet_oid.h"

/* The MAC options every built-in Ethernet miniport reports (general attributes and
 * OID_GEN_MAC_OPTIONS): none of them loops its own frames back. */
#define ETHERNET_MAC_OPTIONS                                                                       \
    (NDIS_MAC_OPTION_COPY_LOOKAHEAD_DATA | NDIS_MAC_OPTION_TRANSFERS_NOT_PEND |                    \
     NDIS_MAC_OPTION_NO_LOOPBACK | NDIS_MAC_OPTION_FULL_DUPLEX)

/* Every statistic ETHERNET_OID_INFO can report. */
#define ETHERNET_ALL_STATISTICS                                                                    \
    (NDIS_STATISTICS_XMIT_OK_SUPPORTED | NDIS_STATISTICS_RCV_OK_SUPPORTED |                        \
     NDIS_STATISTICS_XMIT_ERROR_SUPPORTED | NDIS_STATISTICS_RCV_ERROR_SUPPORTED |                  \
     NDIS_STATISTICS_RCV_NO_BUFFER_SUPPORTED | NDIS_STATISTICS_BYTES_XMIT_SUPPORTED |              \
     NDIS_STATISTICS_BYTES_RCV_SUPPORTED | NDIS_STATISTICS_XMIT_DISCARDS_SUPPORTED |               \
     NDIS_STATISTICS_RCV_DISCARDS_SUPPORTED | NDIS_STATISTICS_GEN_STATISTICS_SUPPORTED)

/* What differs between the built-in miniports' attributes. */
typedef struct _ETHERNET_ADAPTER_ATTRIBUTES {
    ULONG CheckForHangTimeInSeconds; /* registration attributes; 0: NDIS's default (2 s) */
    ULONG Mtu;                       /* MtuSize and LookaheadSize */
    ULONG64 LinkSpeed;               /* bits per second, both directions */
    NDIS_MEDIA_CONNECT_STATE ConnectState;
    const UCHAR *PermanentAddress;
    const UCHAR *CurrentAddress;
    BOOLEAN IfConnectorPresent; /* FALSE for a virtual adapter */
    ULONG SupportedStatistics;  /* NDIS_STATISTICS_*_SUPPORTED */
} ETHERNET_ADAPTER_ATTRIBUTES, *PETHERNET_ADAPTER_ATTRIBUTES;

VOID MiniportInitializeCharacteristics(_Out_ PNDIS_MINIPORT_DRIVER_CHARACTERISTICS Characteristics);

NDIS_STATUS EthernetSetAdapterAttributes(_In_ NDIS_HANDLE MiniportAdapterHandle,
                                         _In_ NDIS_HANDLE MiniportAdapterContext,
                                         _In_ const ETHERNET_ADAPTER_ATTRIBUTES *Attributes);

/* The integer parameter Key, or Default when it is absent or outside Min … Max (the latter said
 * with DbgPrint, naming the adapter as Driver followed by Number, e.g. "tap2"). */
ULONG MiniportReadUlong(_In_ NDIS_HANDLE Config, _In_ PNDIS_STRING Key, _In_ ULONG Default,
                        _In_ ULONG Min, _In_ ULONG Max, _In_ PCSTR Driver, _In_ ULONG Number);

/* The common part of a miniport's DriverEntry and MiniportUnload, with the handle kept in
 * *DriverHandle: MiniportRegisterDriver refuses a second load ("<driver>: already loaded",
 * STATUS_UNSUCCESSFUL), then calls NdisMRegisterMiniportDriver with Characteristics and returns
 * its status (a failure said with a DbgPrint, *DriverHandle left NULL);
 * MiniportDeregisterDriver deregisters a registered driver and clears the handle. */
NTSTATUS MiniportRegisterDriver(_In_ PDRIVER_OBJECT DriverObject, _In_ PUNICODE_STRING RegistryPath,
                                _In_ PNDIS_MINIPORT_DRIVER_CHARACTERISTICS Characteristics,
                                _Inout_ NDIS_HANDLE *DriverHandle, _In_ PCSTR Driver);
VOID MiniportDeregisterDriver(_Inout_ NDIS_HANDLE *DriverHandle);

/* Handlers with nothing to do for an adapter that holds no hardware, answers every OID
 * synchronously or completes every send inside MiniportSendNetBufferLists. */
MINIPORT_DEVICE_PNP_EVENT_NOTIFY MiniportIgnoreDevicePnPEvent;
MINIPORT_SHUTDOWN MiniportNothingToShutDown;
MINIPORT_CANCEL_OID_REQUEST MiniportNoOidToCancel;
MINIPORT_CANCEL_SEND MiniportNoSendToCancel;

#endif /* OPENNDIS_DRIVERS_MINIPORT_COMMON_H */
