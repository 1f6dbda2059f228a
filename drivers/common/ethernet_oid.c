/*
 * ethernet_oid.c — see ethernet_oid.h.
 */
#include "common/ethernet_oid.h"

#define ETHERNET_VENDOR_ID 0x00FFFFFF      /* no IEEE OUI (FF-FF-FF), NIC byte 0 */
#define ETHERNET_VENDOR_DRIVER_VERSION 0x00010000 /* 1.0 */
#define ETHERNET_QUEUE_DEPTH 1024          /* frames, for the *_BUFFER_SPACE OIDs */

const NDIS_OID EthernetSupportedOids[] = {
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
    OID_GEN_TRANSMIT_BUFFER_SPACE,
    OID_GEN_RECEIVE_BUFFER_SPACE,
    OID_GEN_LINK_SPEED,
    OID_GEN_MEDIA_CONNECT_STATUS,
    OID_GEN_LINK_STATE,
    OID_GEN_VENDOR_ID,
    OID_GEN_VENDOR_DESCRIPTION,
    OID_GEN_VENDOR_DRIVER_VERSION,
    OID_GEN_DRIVER_VERSION,
    OID_GEN_MAC_OPTIONS,
    OID_GEN_CURRENT_PACKET_FILTER,
    OID_GEN_XMIT_OK,
    OID_GEN_RCV_OK,
    OID_GEN_XMIT_ERROR,
    OID_GEN_RCV_ERROR,
    OID_GEN_RCV_NO_BUFFER,
    OID_GEN_BYTES_XMIT,
    OID_GEN_BYTES_RCV,
    OID_GEN_XMIT_DISCARDS,
    OID_GEN_RCV_DISCARDS,
    OID_GEN_STATISTICS,
    OID_802_3_PERMANENT_ADDRESS,
    OID_802_3_CURRENT_ADDRESS,
    OID_802_3_MULTICAST_LIST,
    OID_802_3_MAXIMUM_LIST_SIZE,
    OID_802_3_MAC_OPTIONS,
    OID_802_3_RCV_ERROR_ALIGNMENT,
    OID_802_3_XMIT_ONE_COLLISION,
    OID_802_3_XMIT_MORE_COLLISIONS,
};
const ULONG EthernetSupportedOidsSize = sizeof(EthernetSupportedOids);

VOID EthernetOidInitialize(PETHERNET_OID_STATE State, PNDIS_SPIN_LOCK Lock, ULONG Mtu)
{
    NdisZeroMemory(State, sizeof *State);
    State->Lock = Lock;
    State->Lookahead = Mtu;
}

static BOOLEAN EthernetIsSupported(NDIS_OID Oid)
{
    ULONG i;
    for (i = 0; i < sizeof(EthernetSupportedOids) / sizeof(EthernetSupportedOids[0]); ++i) {
        if (EthernetSupportedOids[i] == Oid) {
            return TRUE;
        }
    }
    return FALSE;
}

/* Copies Length bytes of Data to the query's buffer, or says how many it needs. */
static NDIS_STATUS EthernetAnswer(struct _QUERY *Query, const VOID *Data, ULONG Length)
{
    if (Query->InformationBufferLength < Length) {
        Query->BytesWritten = 0;
        Query->BytesNeeded = Length;
        return NDIS_STATUS_BUFFER_TOO_SHORT;
    }
    if (Length != 0) {
        NdisMoveMemory(Query->InformationBuffer, Data, Length);
    }
    Query->BytesWritten = Length;
    Query->BytesNeeded = Length;
    return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS EthernetAnswerUlong(struct _QUERY *Query, ULONG Value)
{
    return EthernetAnswer(Query, &Value, sizeof Value);
}

/* Statistics counters: a ULONG64, or its low 32 bits when only a ULONG fits (netvmini). */
static NDIS_STATUS EthernetAnswerCounter(struct _QUERY *Query, ULONG64 Value)
{
    if (Query->InformationBufferLength >= sizeof(ULONG64)) {
        return EthernetAnswer(Query, &Value, sizeof Value);
    }
    if (Query->InformationBufferLength >= sizeof(ULONG)) {
        ULONG low = (ULONG)Value;
        NdisMoveMemory(Query->InformationBuffer, &low, sizeof low);
        Query->BytesWritten = sizeof low;
        Query->BytesNeeded = sizeof(ULONG64);
        return NDIS_STATUS_SUCCESS;
    }
    Query->BytesWritten = 0;
    Query->BytesNeeded = sizeof(ULONG64);
    return NDIS_STATUS_BUFFER_TOO_SHORT;
}

static NDIS_STATUS EthernetQuery(PETHERNET_OID_STATE State, const ETHERNET_OID_INFO *Info,
                                 struct _QUERY *Query)
{
    const ULONG maxTotal = Info->Mtu + ETHERNET_HEADER_SIZE;

    switch (Query->Oid) {
    case OID_GEN_SUPPORTED_LIST:
        return EthernetAnswer(Query, EthernetSupportedOids, EthernetSupportedOidsSize);
    case OID_GEN_HARDWARE_STATUS:
        return EthernetAnswerUlong(Query, (ULONG)NdisHardwareStatusReady);
    case OID_GEN_MEDIA_SUPPORTED:
    case OID_GEN_MEDIA_IN_USE:
        return EthernetAnswerUlong(Query, (ULONG)NdisMedium802_3);
    case OID_GEN_PHYSICAL_MEDIUM:
        return EthernetAnswerUlong(Query, (ULONG)NdisPhysicalMedium802_3);
    case OID_GEN_MAXIMUM_LOOKAHEAD:
    case OID_GEN_MAXIMUM_FRAME_SIZE:
        return EthernetAnswerUlong(Query, Info->Mtu);
    case OID_GEN_CURRENT_LOOKAHEAD: {
        ULONG lookahead;
        NdisAcquireSpinLock(State->Lock);
        lookahead = State->Lookahead;
        NdisReleaseSpinLock(State->Lock);
        return EthernetAnswerUlong(Query, lookahead);
    }
    case OID_GEN_MAXIMUM_TOTAL_SIZE:
    case OID_GEN_TRANSMIT_BLOCK_SIZE:
    case OID_GEN_RECEIVE_BLOCK_SIZE:
        return EthernetAnswerUlong(Query, maxTotal);
    case OID_GEN_TRANSMIT_BUFFER_SPACE:
    case OID_GEN_RECEIVE_BUFFER_SPACE:
        return EthernetAnswerUlong(Query, maxTotal * ETHERNET_QUEUE_DEPTH);
    case OID_GEN_LINK_SPEED: {
        /* In units of 100 bit/s. */
        ULONG64 units = Info->LinkSpeed / 100;
        return EthernetAnswerUlong(Query, units > 0xFFFFFFFFull ? 0xFFFFFFFFu : (ULONG)units);
    }
    case OID_GEN_MEDIA_CONNECT_STATUS:
        return EthernetAnswerUlong(Query, Info->ConnectState == MediaConnectStateConnected
                                              ? (ULONG)NdisMediaStateConnected
                                              : (ULONG)NdisMediaStateDisconnected);
    case OID_GEN_LINK_STATE: {
        NDIS_LINK_STATE ls;
        NdisZeroMemory(&ls, sizeof ls);
        ls.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
        ls.Header.Revision = NDIS_LINK_STATE_REVISION_1;
        ls.Header.Size = NDIS_SIZEOF_LINK_STATE_REVISION_1;
        ls.MediaConnectState = Info->ConnectState;
        ls.MediaDuplexState = MediaDuplexStateFull;
        ls.XmitLinkSpeed = Info->ConnectState == MediaConnectStateConnected
                               ? Info->LinkSpeed
                               : NDIS_LINK_SPEED_UNKNOWN;
        ls.RcvLinkSpeed = ls.XmitLinkSpeed;
        ls.PauseFunctions = NdisPauseFunctionsUnsupported;
        ls.AutoNegotiationFlags = NDIS_LINK_STATE_XMIT_LINK_SPEED_AUTO_NEGOTIATED |
                                  NDIS_LINK_STATE_RCV_LINK_SPEED_AUTO_NEGOTIATED |
                                  NDIS_LINK_STATE_DUPLEX_AUTO_NEGOTIATED;
        return EthernetAnswer(Query, &ls, NDIS_SIZEOF_LINK_STATE_REVISION_1);
    }
    case OID_GEN_VENDOR_ID:
        return EthernetAnswerUlong(Query, ETHERNET_VENDOR_ID);
    case OID_GEN_VENDOR_DESCRIPTION: {
        ULONG length = 0;
        while (Info->VendorDescription[length] != '\0') {
            ++length;
        }
        return EthernetAnswer(Query, Info->VendorDescription, length + 1);
    }
    case OID_GEN_VENDOR_DRIVER_VERSION:
        return EthernetAnswerUlong(Query, ETHERNET_VENDOR_DRIVER_VERSION);
    case OID_GEN_DRIVER_VERSION: {
        USHORT version = (USHORT)((NDIS_MINIPORT_MAJOR_VERSION << 8) | NDIS_MINIPORT_MINOR_VERSION);
        return EthernetAnswer(Query, &version, sizeof version);
    }
    case OID_GEN_MAC_OPTIONS:
        return EthernetAnswerUlong(Query, Info->MacOptions);
    case OID_GEN_CURRENT_PACKET_FILTER: {
        ULONG filter;
        NdisAcquireSpinLock(State->Lock);
        filter = State->PacketFilter;
        NdisReleaseSpinLock(State->Lock);
        return EthernetAnswerUlong(Query, filter);
    }
    case OID_GEN_XMIT_OK:
        return EthernetAnswerCounter(Query, Info->XmitOk);
    case OID_GEN_RCV_OK:
        return EthernetAnswerCounter(Query, Info->RcvOk);
    case OID_GEN_XMIT_ERROR:
        return EthernetAnswerCounter(Query, Info->XmitError);
    case OID_GEN_RCV_ERROR:
        return EthernetAnswerCounter(Query, Info->RcvError);
    case OID_GEN_RCV_NO_BUFFER:
        return EthernetAnswerCounter(Query, Info->RcvNoBuffer);
    case OID_GEN_BYTES_XMIT:
        return EthernetAnswerCounter(Query, Info->BytesXmit);
    case OID_GEN_BYTES_RCV:
        return EthernetAnswerCounter(Query, Info->BytesRcv);
    case OID_GEN_XMIT_DISCARDS:
        return EthernetAnswerCounter(Query, Info->XmitDiscards);
    case OID_GEN_RCV_DISCARDS:
        return EthernetAnswerCounter(Query, Info->RcvDiscards + Info->RcvNoBuffer);
    case OID_GEN_STATISTICS: {
        NDIS_STATISTICS_INFO s;
        NdisZeroMemory(&s, sizeof s);
        s.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
        s.Header.Revision = NDIS_STATISTICS_INFO_REVISION_1;
        s.Header.Size = NDIS_SIZEOF_STATISTICS_INFO_REVISION_1;
        s.SupportedStatistics =
            NDIS_STATISTICS_FLAGS_VALID_BYTES_RCV | NDIS_STATISTICS_FLAGS_VALID_RCV_DISCARDS |
            NDIS_STATISTICS_FLAGS_VALID_RCV_ERROR | NDIS_STATISTICS_FLAGS_VALID_BYTES_XMIT |
            NDIS_STATISTICS_FLAGS_VALID_XMIT_ERROR | NDIS_STATISTICS_FLAGS_VALID_XMIT_DISCARDS;
        s.ifInDiscards = Info->RcvDiscards + Info->RcvNoBuffer;
        s.ifInErrors = Info->RcvError;
        s.ifHCInOctets = Info->BytesRcv;
        s.ifHCOutOctets = Info->BytesXmit;
        s.ifOutErrors = Info->XmitError;
        s.ifOutDiscards = Info->XmitDiscards;
        return EthernetAnswer(Query, &s, NDIS_SIZEOF_STATISTICS_INFO_REVISION_1);
    }
    case OID_802_3_PERMANENT_ADDRESS:
        return EthernetAnswer(Query, Info->PermanentAddress, ETH_LENGTH_OF_ADDRESS);
    case OID_802_3_CURRENT_ADDRESS:
        return EthernetAnswer(Query, Info->CurrentAddress, ETH_LENGTH_OF_ADDRESS);
    case OID_802_3_MULTICAST_LIST: {
        UCHAR list[ETHERNET_MAX_MULTICAST][ETH_LENGTH_OF_ADDRESS];
        ULONG count;
        NdisAcquireSpinLock(State->Lock);
        count = State->MulticastCount;
        NdisMoveMemory(list, State->MulticastList, count * ETH_LENGTH_OF_ADDRESS);
        NdisReleaseSpinLock(State->Lock);
        return EthernetAnswer(Query, list, count * ETH_LENGTH_OF_ADDRESS);
    }
    case OID_802_3_MAXIMUM_LIST_SIZE:
        return EthernetAnswerUlong(Query, ETHERNET_MAX_MULTICAST);
    case OID_802_3_MAC_OPTIONS:
        return EthernetAnswerUlong(Query, 0);
    case OID_802_3_RCV_ERROR_ALIGNMENT:
    case OID_802_3_XMIT_ONE_COLLISION:
    case OID_802_3_XMIT_MORE_COLLISIONS:
        return EthernetAnswerCounter(Query, 0);
    default:
        Query->BytesWritten = 0;
        Query->BytesNeeded = 0;
        return NDIS_STATUS_INVALID_OID;
    }
}

/* Reads the ULONG a set carries, or says it needs one. */
static BOOLEAN EthernetSetUlong(struct _SET *Set, ULONG *Value)
{
    if (Set->InformationBufferLength < sizeof(ULONG)) {
        Set->BytesRead = 0;
        Set->BytesNeeded = sizeof(ULONG);
        return FALSE;
    }
    NdisMoveMemory(Value, Set->InformationBuffer, sizeof(ULONG));
    Set->BytesRead = sizeof(ULONG);
    Set->BytesNeeded = 0;
    return TRUE;
}

static NDIS_STATUS EthernetSet(PETHERNET_OID_STATE State, const ETHERNET_OID_INFO *Info,
                               struct _SET *Set)
{
    ULONG value;

    switch (Set->Oid) {
    case OID_GEN_CURRENT_PACKET_FILTER:
        if (!EthernetSetUlong(Set, &value)) {
            return NDIS_STATUS_INVALID_LENGTH;
        }
        if ((value & ~(ULONG)ETHERNET_SUPPORTED_FILTERS) != 0) {
            Set->BytesRead = 0;
            return NDIS_STATUS_NOT_SUPPORTED;
        }
        NdisAcquireSpinLock(State->Lock);
        State->PacketFilter = value;
        NdisReleaseSpinLock(State->Lock);
        return NDIS_STATUS_SUCCESS;
    case OID_GEN_CURRENT_LOOKAHEAD:
        if (!EthernetSetUlong(Set, &value)) {
            return NDIS_STATUS_INVALID_LENGTH;
        }
        if (value > Info->Mtu) {
            Set->BytesRead = 0;
            return NDIS_STATUS_INVALID_DATA;
        }
        NdisAcquireSpinLock(State->Lock);
        State->Lookahead = value;
        NdisReleaseSpinLock(State->Lock);
        return NDIS_STATUS_SUCCESS;
    case OID_802_3_MULTICAST_LIST: {
        const ULONG length = Set->InformationBufferLength;
        if (length % ETH_LENGTH_OF_ADDRESS != 0) {
            Set->BytesRead = 0;
            Set->BytesNeeded = (length / ETH_LENGTH_OF_ADDRESS + 1) * ETH_LENGTH_OF_ADDRESS;
            return NDIS_STATUS_INVALID_LENGTH;
        }
        if (length / ETH_LENGTH_OF_ADDRESS > ETHERNET_MAX_MULTICAST) {
            Set->BytesRead = 0;
            Set->BytesNeeded = ETHERNET_MAX_MULTICAST * ETH_LENGTH_OF_ADDRESS;
            return NDIS_STATUS_MULTICAST_FULL;
        }
        NdisAcquireSpinLock(State->Lock);
        if (length != 0) {
            NdisMoveMemory(State->MulticastList, Set->InformationBuffer, length);
        }
        State->MulticastCount = length / ETH_LENGTH_OF_ADDRESS;
        NdisReleaseSpinLock(State->Lock);
        Set->BytesRead = length;
        Set->BytesNeeded = 0;
        return NDIS_STATUS_SUCCESS;
    }
    default:
        Set->BytesRead = 0;
        Set->BytesNeeded = 0;
        /* Known but read-only: not supported; unknown: invalid. */
        return EthernetIsSupported(Set->Oid) ? NDIS_STATUS_NOT_SUPPORTED : NDIS_STATUS_INVALID_OID;
    }
}

NDIS_STATUS EthernetOidRequest(PETHERNET_OID_STATE State, const ETHERNET_OID_INFO *Info,
                               PNDIS_OID_REQUEST OidRequest)
{
    switch (OidRequest->RequestType) {
    case NdisRequestQueryInformation:
    case NdisRequestQueryStatistics:
        return EthernetQuery(State, Info, &OidRequest->DATA.QUERY_INFORMATION);
    case NdisRequestSetInformation:
        return EthernetSet(State, Info, &OidRequest->DATA.SET_INFORMATION);
    default:
        /* Method requests and the NDIS 5 request types: none of these OIDs has one. */
        return EthernetIsSupported(OidRequest->DATA.QUERY_INFORMATION.Oid)
                   ? NDIS_STATUS_NOT_SUPPORTED
                   : NDIS_STATUS_INVALID_OID;
    }
}
