/*
 * ethernet_oid.h — the OID requests every built-in Ethernet (802.3) miniport answers the same
 * way: the general OIDs netvmini answers, the 802.3 OIDs and the statistics OIDs.
 *
 * Abstract
 *   A miniport keeps one ETHERNET_OID_STATE per adapter (packet filter, lookahead, multicast
 *   list: what protocols set) and, on each MiniportOidRequest, fills an ETHERNET_OID_INFO with
 *   what it wants to report right now (addresses, MTU, link, counters) and calls
 *   EthernetOidRequest, which answers synchronously:
 *     - a query copies the value if InformationBufferLength is large enough
 *       (BytesWritten = size, BytesNeeded = size) or returns NDIS_STATUS_BUFFER_TOO_SHORT
 *       (BytesWritten = 0, BytesNeeded = size); the 64-bit counters are written as a ULONG when
 *       only 4 bytes are offered (BytesWritten 4, BytesNeeded 8), as netvmini does;
 *     - a set reads the value (BytesRead) or returns NDIS_STATUS_INVALID_LENGTH (BytesNeeded =
 *       what it needs), NDIS_STATUS_NOT_SUPPORTED (packet filter bits the adapter does not
 *       have), NDIS_STATUS_INVALID_DATA (lookahead above the maximum) or
 *       NDIS_STATUS_MULTICAST_FULL (more addresses than OID_802_3_MAXIMUM_LIST_SIZE);
 *     - an OID that is not in EthernetSupportedOids is NDIS_STATUS_INVALID_OID ("not
 *       recognized"); a set of an OID that can only be queried, and a method request, is
 *       NDIS_STATUS_NOT_SUPPORTED ("recognized, but not supported") — MINIPORT_OID_REQUEST.
 *   The state is guarded by the spin lock the miniport passes in ETHERNET_OID_STATE.Lock.
 *   Written only against <ndis.h>, like the drivers that use it.
 *
 * Usage
 *     ETHERNET_OID_INFO info;
 *     NdisZeroMemory(&info, sizeof info);
 *     info.VendorDescription = "OpenNDIS null miniport";
 *     info.Mtu = adapter->Mtu;  ...
 *     return EthernetOidRequest(&adapter->OidState, &info, OidRequest);
 */
#ifndef OPENNDIS_DRIVERS_ETHERNET_OID_H
#define OPENNDIS_DRIVERS_ETHERNET_OID_H

#include <ndis.h>

#define ETHERNET_HEADER_SIZE 14
#define ETHERNET_MIN_FRAME_SIZE 60 /* without FCS; shorter frames are padded (MS-13) */
#define ETHERNET_MAX_MULTICAST 32

/* The packet filter bits the built-in Ethernet miniports accept. */
#define ETHERNET_SUPPORTED_FILTERS                                                         \
    (NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST | NDIS_PACKET_TYPE_ALL_MULTICAST | \
     NDIS_PACKET_TYPE_BROADCAST | NDIS_PACKET_TYPE_PROMISCUOUS | NDIS_PACKET_TYPE_ALL_LOCAL)

/* What protocols set; owned by the adapter, guarded by *Lock. */
typedef struct _ETHERNET_OID_STATE {
    PNDIS_SPIN_LOCK Lock;
    ULONG PacketFilter;
    ULONG Lookahead;
    ULONG MulticastCount;
    UCHAR MulticastList[ETHERNET_MAX_MULTICAST][ETH_LENGTH_OF_ADDRESS];
} ETHERNET_OID_STATE, *PETHERNET_OID_STATE;

/* What the adapter reports right now; filled by the miniport for each request. */
typedef struct _ETHERNET_OID_INFO {
    PCSTR VendorDescription;
    ULONG Mtu;              /* payload bytes without the 14-byte header */
    ULONG64 LinkSpeed;      /* bits per second, both directions */
    NDIS_MEDIA_CONNECT_STATE ConnectState;
    ULONG MacOptions;
    const UCHAR *PermanentAddress;
    const UCHAR *CurrentAddress;
    ULONG64 XmitOk, RcvOk;  /* frames */
    ULONG64 XmitError, RcvError, RcvNoBuffer, XmitDiscards, RcvDiscards;
    ULONG64 BytesXmit, BytesRcv;
} ETHERNET_OID_INFO, *PETHERNET_OID_INFO;

extern const NDIS_OID EthernetSupportedOids[];
extern const ULONG EthernetSupportedOidsSize; /* bytes */

/* Initial state: no filter, lookahead = Mtu, empty multicast list. */
VOID EthernetOidInitialize(_Out_ PETHERNET_OID_STATE State, _In_ PNDIS_SPIN_LOCK Lock,
                           _In_ ULONG Mtu);

/* Answers OidRequest synchronously (never NDIS_STATUS_PENDING). */
NDIS_STATUS EthernetOidRequest(_Inout_ PETHERNET_OID_STATE State,
                               _In_ const ETHERNET_OID_INFO *Info,
                               _Inout_ PNDIS_OID_REQUEST OidRequest);

#endif /* OPENNDIS_DRIVERS_ETHERNET_OID_H */
