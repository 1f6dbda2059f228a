/*
 * ethernet_frame.h — frame helpers the built-in miniports that talk to Linux
 * share: gathering a NET_BUFFER's MDL chain into flat memory, the receive-side
 * packet filter, and a receive buffer pool of preallocated NBLs that are
 * recycled when the stack returns them.
 *
 * Abstract
 *   EthernetGatherFrame copies the data of one NB (from CurrentMdl +
 * CurrentMdlOffset, DataLength bytes, across as many MDLs as it spans) to a
 * flat buffer; EthernetFrameMdls describes the same bytes as (address, length)
 * pieces without copying (for writev). EthernetFilterAccepts applies an
 * adapter's NDIS packet filter and multicast list to a received frame's
 * destination address, as a NIC's receive filter does: DIRECTED (destination =
 * the adapter's current MAC), MULTICAST (in the list), ALL_MULTICAST,
 * BROADCAST, PROMISCUOUS and ALL_LOCAL (everything); a filter of 0 accepts
 * nothing. ETHERNET_RX_POOL: Count NBLs allocated at initialize from one NBL
 * pool whose NBLs carry an NB, an MDL and DataSize bytes each
 * (fAllocateNetBuffer). Get takes one (NULL when none is left: the caller drops
 * the frame and counts it), Put gives back a chain (from
 *   MiniportReturnNetBufferLists, or after an indication with
 * NDIS_RECEIVE_FLAGS_RESOURCES). No allocation and no system call after create;
 * a spin lock guards the free list. Written only against <ndis.h>.
 */
#ifndef OPENNDIS_DRIVERS_ETHERNET_FRAME_H
#define OPENNDIS_DRIVERS_ETHERNET_FRAME_H

#include <ndis.h>

#include "common/ethernet_oid.h"

/* Copies the NB's DataLength bytes to Destination; returns the bytes copied
 * (less than DataLength only when the MDL chain is shorter than the NB claims).
 */
ULONG EthernetGatherFrame(_In_ PNET_BUFFER Nb,
                          _Out_writes_bytes_(NET_BUFFER_DATA_LENGTH(Nb)) PUCHAR Destination);

/* Fills up to MaxPieces (Address, Length) pairs describing the NB's data;
 * returns the number of pieces, or 0 when the data needs more than MaxPieces
 * (the caller then gathers). */
ULONG EthernetFrameMdls(_In_ PNET_BUFFER Nb, _Out_writes_(MaxPieces) PVOID *Addresses,
                        _Out_writes_(MaxPieces) ULONG *Lengths, _In_ ULONG MaxPieces);

/* TRUE when a frame with this destination passes Filter (NDIS_PACKET_TYPE_*)
 * for an adapter whose current MAC is Mac; the multicast list is read from
 * State under its lock. */
BOOLEAN EthernetFilterAccepts(_In_ PETHERNET_OID_STATE State, _In_ ULONG Filter,
                              _In_reads_(6) const UCHAR *Mac,
                              _In_reads_(6) const UCHAR *Destination);

typedef struct _ETHERNET_RX_POOL {
    NDIS_HANDLE Pool;
    NDIS_SPIN_LOCK Lock;
    PNET_BUFFER_LIST
    Free;           /* singly linked through NET_BUFFER_LIST_NEXT_NBL, under Lock */
    ULONG Count;    /* NBLs made at create */
    ULONG DataSize; /* bytes behind each NBL's MDL */
    volatile LONG Available;
    NDIS_HANDLE MiniportHandle;
} ETHERNET_RX_POOL, *PETHERNET_RX_POOL;

NDIS_STATUS EthernetRxPoolCreate(_Out_ PETHERNET_RX_POOL RxPool, _In_ NDIS_HANDLE MiniportHandle,
                                 _In_ ULONG Count, _In_ ULONG DataSize, _In_ ULONG PoolTag);
/* Frees every NBL and the pool; every NBL must be back (ASSERTed). */
VOID EthernetRxPoolDestroy(_Inout_ PETHERNET_RX_POOL RxPool);
/* One NBL (SourceHandle = the miniport handle, Status SUCCESS, one NB with
 * DataOffset 0 and DataLength 0) and its data pointer, or NULL. */
PNET_BUFFER_LIST EthernetRxPoolGet(_Inout_ PETHERNET_RX_POOL RxPool, _Out_ PUCHAR *Data);
/* Gives back a chain; returns how many NBLs it held. */
ULONG EthernetRxPoolPut(_Inout_ PETHERNET_RX_POOL RxPool, _In_opt_ PNET_BUFFER_LIST Chain);

/* Text of a string parameter as ASCII in Out (Size bytes, NUL-terminated);
 * FALSE when it does not fit or is not ASCII. */
BOOLEAN EthernetUnicodeToAscii(_In_ PCUNICODE_STRING Text, _Out_writes_(Size) PCHAR Out,
                               _In_ ULONG Size);

/* NdisMIndicateStatusEx(NDIS_STATUS_LINK_STATE) with an NDIS_LINK_STATE: full
 * duplex, Speed in bits per second when connected (NDIS_LINK_SPEED_UNKNOWN
 * otherwise). */
VOID EthernetIndicateLinkState(_In_ NDIS_HANDLE MiniportAdapterHandle,
                               _In_ NDIS_MEDIA_CONNECT_STATE State, _In_ ULONG64 Speed);

#endif /* OPENNDIS_DRIVERS_ETHERNET_FRAME_H */
