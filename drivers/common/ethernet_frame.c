/*
 * ethernet_frame.c — see ethernet_frame.h.
 */
#include "common/ethernet_frame.h"

/* Walks an NB's data (DataLength bytes from CurrentMdl + CurrentMdlOffset) one mapped MDL piece
 * at a time; Left is what is still to come. */
typedef struct _ETHERNET_NB_CURSOR {
    PMDL Mdl;
    ULONG Offset;
    ULONG Left;
} ETHERNET_NB_CURSOR;

static VOID EthernetCursorStart(ETHERNET_NB_CURSOR *Cursor, PNET_BUFFER Nb)
{
    Cursor->Mdl = NET_BUFFER_CURRENT_MDL(Nb);
    Cursor->Offset = NET_BUFFER_CURRENT_MDL_OFFSET(Nb);
    Cursor->Left = NET_BUFFER_DATA_LENGTH(Nb);
}

/* The next piece and its length, or NULL when the data is done (Left 0), the MDL chain ends
 * first or an MDL cannot be mapped (Left not 0). */
static PUCHAR EthernetCursorNext(ETHERNET_NB_CURSOR *Cursor, ULONG *Length)
{
    for (; Cursor->Mdl != NULL && Cursor->Left != 0; Cursor->Mdl = NDIS_MDL_LINKAGE(Cursor->Mdl)) {
        const ULONG bytes = MmGetMdlByteCount(Cursor->Mdl);
        ULONG take;
        PUCHAR va;
        if (Cursor->Offset >= bytes) {
            Cursor->Offset -= bytes;
            continue;
        }
        take = bytes - Cursor->Offset;
        if (take > Cursor->Left) {
            take = Cursor->Left;
        }
        va = (PUCHAR)MmGetSystemAddressForMdlSafe(Cursor->Mdl,
                                                  NormalPagePriority | MdlMappingNoExecute);
        if (va == NULL) {
            return NULL;
        }
        va += Cursor->Offset;
        Cursor->Left -= take;
        Cursor->Offset = 0;
        Cursor->Mdl = NDIS_MDL_LINKAGE(Cursor->Mdl);
        *Length = take;
        return va;
    }
    return NULL;
}

ULONG EthernetGatherFrame(PNET_BUFFER Nb, PUCHAR Destination)
{
    ETHERNET_NB_CURSOR cursor;
    ULONG copied = 0, take;
    PUCHAR piece;

    EthernetCursorStart(&cursor, Nb);
    while ((piece = EthernetCursorNext(&cursor, &take)) != NULL) {
        NdisMoveMemory(Destination + copied, piece, take);
        copied += take;
    }
    return copied;
}

ULONG EthernetFrameMdls(PNET_BUFFER Nb, PVOID *Addresses, ULONG *Lengths, ULONG MaxPieces)
{
    ETHERNET_NB_CURSOR cursor;
    ULONG pieces = 0, take;
    PUCHAR piece;

    EthernetCursorStart(&cursor, Nb);
    while ((piece = EthernetCursorNext(&cursor, &take)) != NULL) {
        if (pieces == MaxPieces) {
            return 0;
        }
        Addresses[pieces] = piece;
        Lengths[pieces] = take;
        ++pieces;
    }
    return cursor.Left == 0 ? pieces : 0;
}

BOOLEAN EthernetFilterAccepts(PETHERNET_OID_STATE State, ULONG Filter, const UCHAR *Mac,
                              const UCHAR *Destination)
{
    static const UCHAR broadcast[ETH_LENGTH_OF_ADDRESS] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    BOOLEAN found = FALSE;
    ULONG i;

    if ((Filter & (NDIS_PACKET_TYPE_PROMISCUOUS | NDIS_PACKET_TYPE_ALL_LOCAL)) != 0) {
        return TRUE;
    }
    if (NdisEqualMemory(Destination, broadcast, ETH_LENGTH_OF_ADDRESS)) {
        return (Filter & NDIS_PACKET_TYPE_BROADCAST) != 0;
    }
    if ((Destination[0] & 0x01) != 0) {
        if ((Filter & NDIS_PACKET_TYPE_ALL_MULTICAST) != 0) {
            return TRUE;
        }
        if ((Filter & NDIS_PACKET_TYPE_MULTICAST) == 0) {
            return FALSE;
        }
        NdisAcquireSpinLock(State->Lock);
        for (i = 0; i < State->MulticastCount && !found; ++i) {
            found = NdisEqualMemory(Destination, State->MulticastList[i], ETH_LENGTH_OF_ADDRESS)
                        ? TRUE
                        : FALSE;
        }
        NdisReleaseSpinLock(State->Lock);
        return found;
    }
    return (Filter & NDIS_PACKET_TYPE_DIRECTED) != 0 &&
           NdisEqualMemory(Destination, Mac, ETH_LENGTH_OF_ADDRESS);
}

NDIS_STATUS EthernetRxPoolCreate(PETHERNET_RX_POOL RxPool, NDIS_HANDLE MiniportHandle, ULONG Count,
                                 ULONG DataSize, ULONG PoolTag)
{
    NET_BUFFER_LIST_POOL_PARAMETERS p;
    ULONG i;

    NdisZeroMemory(RxPool, sizeof *RxPool);
    RxPool->MiniportHandle = MiniportHandle;
    RxPool->DataSize = DataSize;
    NdisAllocateSpinLock(&RxPool->Lock);
    NdisZeroMemory(&p, sizeof p);
    p.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    p.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    p.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    p.ProtocolId = NDIS_PROTOCOL_ID_DEFAULT;
    p.fAllocateNetBuffer = TRUE;
    p.DataSize = DataSize;
    p.PoolTag = PoolTag;
    RxPool->Pool = NdisAllocateNetBufferListPool(MiniportHandle, &p);
    if (RxPool->Pool == NULL) {
        NdisFreeSpinLock(&RxPool->Lock);
        return NDIS_STATUS_RESOURCES;
    }
    for (i = 0; i < Count; ++i) {
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(RxPool->Pool, 0, 0);
        if (nbl == NULL) {
            RxPool->Count = i;
            RxPool->Available = (LONG)i;
            EthernetRxPoolDestroy(RxPool);
            return NDIS_STATUS_RESOURCES;
        }
        NET_BUFFER_LIST_NEXT_NBL(nbl) = RxPool->Free;
        RxPool->Free = nbl;
    }
    RxPool->Count = Count;
    RxPool->Available = (LONG)Count;
    return NDIS_STATUS_SUCCESS;
}

VOID EthernetRxPoolDestroy(PETHERNET_RX_POOL RxPool)
{
    PNET_BUFFER_LIST nbl, next;
    ASSERT(ReadAcquire(&RxPool->Available) == (LONG)RxPool->Count);
    for (nbl = RxPool->Free; nbl != NULL; nbl = next) {
        next = NET_BUFFER_LIST_NEXT_NBL(nbl);
        NET_BUFFER_LIST_NEXT_NBL(nbl) = NULL;
        NdisFreeNetBufferList(nbl);
    }
    RxPool->Free = NULL;
    if (RxPool->Pool != NULL) {
        NdisFreeNetBufferListPool(RxPool->Pool);
        RxPool->Pool = NULL;
    }
    NdisFreeSpinLock(&RxPool->Lock);
}

PNET_BUFFER_LIST EthernetRxPoolGet(PETHERNET_RX_POOL RxPool, PUCHAR *Data)
{
    PNET_BUFFER_LIST nbl;
    PNET_BUFFER nb;

    NdisAcquireSpinLock(&RxPool->Lock);
    nbl = RxPool->Free;
    if (nbl != NULL) {
        RxPool->Free = NET_BUFFER_LIST_NEXT_NBL(nbl);
    }
    NdisReleaseSpinLock(&RxPool->Lock);
    if (nbl == NULL) {
        *Data = NULL;
        return NULL;
    }
    InterlockedDecrement(&RxPool->Available);
    NET_BUFFER_LIST_NEXT_NBL(nbl) = NULL;
    nbl->SourceHandle = RxPool->MiniportHandle; /* MS-18 */
    NET_BUFFER_LIST_STATUS(nbl) = NDIS_STATUS_SUCCESS;
    nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    /* The NB as the pool made it: one MDL over DataSize bytes, data from its
   * start. */
    NET_BUFFER_CURRENT_MDL(nb) = NET_BUFFER_FIRST_MDL(nb);
    NET_BUFFER_CURRENT_MDL_OFFSET(nb) = 0;
    NET_BUFFER_DATA_OFFSET(nb) = 0;
    NET_BUFFER_DATA_LENGTH(nb) = 0;
    *Data = (PUCHAR)MmGetSystemAddressForMdlSafe(NET_BUFFER_FIRST_MDL(nb), NormalPagePriority);
    return nbl;
}

ULONG EthernetRxPoolPut(PETHERNET_RX_POOL RxPool, PNET_BUFFER_LIST Chain)
{
    PNET_BUFFER_LIST last = NULL, nbl;
    ULONG count = 0;

    for (nbl = Chain; nbl != NULL; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl)) {
        last = nbl;
        ++count;
    }
    if (count == 0) {
        return 0;
    }
    NdisAcquireSpinLock(&RxPool->Lock);
    NET_BUFFER_LIST_NEXT_NBL(last) = RxPool->Free;
    RxPool->Free = Chain;
    NdisReleaseSpinLock(&RxPool->Lock);
    InterlockedAdd(&RxPool->Available, (LONG)count);
    return count;
}

BOOLEAN EthernetUnicodeToAscii(PCUNICODE_STRING Text, PCHAR Out, ULONG Size)
{
    const ULONG n = Text->Length / sizeof(WCHAR);
    ULONG i;
    if (Size == 0 || n >= Size) {
        return FALSE;
    }
    for (i = 0; i < n; ++i) {
        if (Text->Buffer[i] == 0 || Text->Buffer[i] > 0x7F) {
            return FALSE;
        }
        Out[i] = (CHAR)Text->Buffer[i];
    }
    Out[n] = '\0';
    return TRUE;
}

VOID EthernetIndicateLinkState(NDIS_HANDLE MiniportAdapterHandle, NDIS_MEDIA_CONNECT_STATE State,
                               ULONG64 Speed)
{
    NDIS_LINK_STATE ls;
    NDIS_STATUS_INDICATION si;

    NdisZeroMemory(&ls, sizeof ls);
    ls.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    ls.Header.Revision = NDIS_LINK_STATE_REVISION_1;
    ls.Header.Size = NDIS_SIZEOF_LINK_STATE_REVISION_1;
    ls.MediaConnectState = State;
    ls.MediaDuplexState = MediaDuplexStateFull;
    ls.XmitLinkSpeed = State == MediaConnectStateConnected ? Speed : NDIS_LINK_SPEED_UNKNOWN;
    ls.RcvLinkSpeed = ls.XmitLinkSpeed;
    ls.PauseFunctions = NdisPauseFunctionsUnsupported;
    NdisZeroMemory(&si, sizeof si);
    si.Header.Type = NDIS_OBJECT_TYPE_STATUS_INDICATION;
    si.Header.Revision = NDIS_STATUS_INDICATION_REVISION_1;
    si.Header.Size = NDIS_SIZEOF_STATUS_INDICATION_REVISION_1;
    si.SourceHandle = MiniportAdapterHandle;
    si.PortNumber = NDIS_DEFAULT_PORT_NUMBER;
    si.StatusCode = NDIS_STATUS_LINK_STATE;
    si.StatusBuffer = &ls;
    si.StatusBufferSize = sizeof ls;
    NdisMIndicateStatusEx(MiniportAdapterHandle, &si);
}
