/*
 * loopback.c — the `loopback` miniport: 802.3 adapters in pairs, like a veth pair or two NICs
 * joined by a cable. A frame sent on one adapter is copied into a receive NBL of its peer and
 * indicated there.
 *
 * Parameters ([adapter.params], read with NdisReadConfiguration)
 *   Pair            integer or string: adapters with the same value are peers (two at most; a
 *                   third adapter with the same value fails MiniportInitializeEx). Without it
 *                   the adapter has no cable: media disconnected, sends fail.
 *   MTU             integer, payload bytes without the 14-byte header (default 1500, 46 … 65521)
 *   ReceiveBuffers  integer, receive NBLs the adapter may have up in the stack at once
 *                   (default 1024, 1 … 65536); a frame arriving when all are up is dropped
 *                   (OID_GEN_RCV_NO_BUFFER)
 *   ReceiveLowWater integer, when fewer receive NBLs than this are left the adapter indicates
 *                   with NDIS_RECEIVE_FLAGS_RESOURCES (default ReceiveBuffers / 8)
 *   NetworkAddress  the current MAC address (NdisReadNetworkAddress); default: the permanent
 *                   one, 02-4C-42-00-xx-yy (locally administered, xx-yy = adapter number)
 *   PendReset       1: MiniportResetEx answers NDIS_STATUS_PENDING and a DPC finishes the reset
 *                   with NdisMResetComplete; 0 (default): the reset finishes inside the call
 *   Link: connected (when paired), 10 Gb/s, full duplex.
 *
 * Data path (MS-08 … MS-10, MS-13, MS-18, MS-19)
 *   For every NBL of a send: if one of its NBs is longer than MTU + 14 the NBL completes with
 *   NDIS_STATUS_INVALID_LENGTH and none of its frames is delivered; otherwise each NB is copied
 *   (NdisCopyFromNetBufferToNetBuffer, short frames zero-padded to 60 bytes) into an NBL of the
 *   peer's own receive pool (DataSize MTU + 14; SourceHandle = the peer's NdisMiniportHandle)
 *   and the NBL completes with NDIS_STATUS_SUCCESS. When the peer is absent or not Running the
 *   frames go nowhere (an unplugged cable): the NBL completes with NDIS_STATUS_FAILURE and the
 *   frames are counted as transmit discards. The frames of one send call are indicated on the
 *   peer in one NdisMIndicateReceiveNetBufferLists call, normally without
 *   NDIS_RECEIVE_FLAGS_RESOURCES (the NBLs come back through MiniportReturnNetBufferLists and
 *   go back to the pool), with it when the peer's receive buffers run low (the protocols must
 *   copy; the NBLs are the peer's again when the call returns).
 *
 * Ownership and state
 *   Each adapter counts in Busy what keeps it from being Paused: its own send calls in
 *   progress, indications into it in progress, and its receive NBLs up in the stack (ST-05),
 *   plus MiniportPause itself while it runs. A reference is taken before State is checked, so
 *   once State is Pausing nothing new can start (sends complete NDIS_STATUS_PAUSED, ST-04; the
 *   peer stops indicating); whoever drops Busy to zero while a pause waits calls
 *   NdisMPauseComplete (exactly once, PausePending). An adapter therefore indicates to its
 *   peer only while both are running.
 *   The pairing table is driver-global and guarded by g_LbPairLock; each adapter's Peer
 *   pointer is written under g_LbPairLock and the adapter's PeerLock and read (with the peer's
 *   reference taken) under PeerLock alone, so a peer cannot be halted between being looked up
 *   and being referenced. Lock order: g_LbPairLock, then PeerLock. No lock is held across a
 *   call into NDIS that may call back into a driver.
 *
 * Reset and power (ST-15 … ST-17, ST-19)
 *   loopback never holds a send (each completes inside MiniportSendNetBufferLists), so a reset
 *   has nothing to give back before it completes (ST-16, NDIS 6.86) and nothing to reprogram:
 *   it finishes inside MiniportResetEx, or with PendReset in a DPC through NdisMResetComplete.
 *   OID_PNP_SET_POWER to D1 … D3 makes every send complete NDIS_STATUS_LOW_POWER_STATE and the
 *   adapter indicate nothing: the peer sees it as down (its sends fail as with an unplugged
 *   cable). D0 brings it back.
 */
#include <ndis.h>

#include "builtin_drivers.h"
#include "common/ethernet_oid.h"
#include "common/miniport_common.h"

#define LB_TAG 'pooL'
#define LB_DEFAULT_MTU 1500
#define LB_MIN_MTU 46
#define LB_MAX_MTU (65535 - ETHERNET_HEADER_SIZE)
#define LB_DEFAULT_RECEIVE_BUFFERS 1024
#define LB_MAX_RECEIVE_BUFFERS 65536
#define LB_MAX_PAIR_KEY 64 /* WCHARs */
#define LB_LINK_SPEED 10000000000ull

#define LB_STATE_PAUSED 0
#define LB_STATE_RUNNING 1
#define LB_STATE_PAUSING 2

typedef struct _LB_ADAPTER LB_ADAPTER, *PLB_ADAPTER;

struct _LB_ADAPTER {
    LIST_ENTRY Link; /* g_LbAdapters, under g_LbPairLock */
    NDIS_HANDLE MiniportAdapterHandle;
    ULONG Number;
    ULONG Mtu;
    ULONG MaxFrameSize; /* Mtu + 14 */
    ULONG ReceiveBuffers;
    ULONG ReceiveLowWater;
    BOOLEAN HasPair;
    WCHAR PairKeyBuffer[LB_MAX_PAIR_KEY];
    UNICODE_STRING PairKey;
    UCHAR PermanentAddress[ETH_LENGTH_OF_ADDRESS];
    UCHAR CurrentAddress[ETH_LENGTH_OF_ADDRESS];
    NDIS_HANDLE ReceivePool;

    PLB_ADAPTER Peer; /* see the file comment */
    NDIS_SPIN_LOCK PeerLock;

    volatile LONG State; /* LB_STATE_* */
    volatile LONG Busy;
    volatile LONG PausePending;
    volatile LONG PowerState; /* NDIS_DEVICE_POWER_STATE; NdisDeviceStateD0 when working */
    BOOLEAN PendReset;
    KDPC ResetDpc;                     /* finishes a pended reset */
    volatile LONG ReceivesOutstanding; /* receive NBLs allocated and not yet freed */

    NDIS_SPIN_LOCK OidLock;
    ETHERNET_OID_STATE OidState;

    volatile LONG64 TxNbls, TxFrames, TxBytes;
    volatile LONG64 TxInvalidLengthNbls, TxInvalidLengthFrames;
    volatile LONG64 TxDroppedNbls, TxDroppedFrames; /* peer absent or not running */
    volatile LONG64 TxPausedNbls;
    volatile LONG64 TxLowPowerNbls, Resets;
    volatile LONG64 RxFrames, RxBytes, RxNoBuffer, RxErrors, RxResourcesFrames;
};

static NDIS_HANDLE g_LbDriverHandle;
static NDIS_SPIN_LOCK g_LbPairLock;
static LIST_ENTRY g_LbAdapters;
static volatile LONG g_LbAdapterNumber;

static MINIPORT_INITIALIZE LbInitializeEx;
static MINIPORT_HALT LbHaltEx;
static MINIPORT_UNLOAD LbUnload;
static MINIPORT_PAUSE LbPause;
static MINIPORT_RESTART LbRestart;
static MINIPORT_OID_REQUEST LbOidRequest;
static MINIPORT_SEND_NET_BUFFER_LISTS LbSendNetBufferLists;
static MINIPORT_RETURN_NET_BUFFER_LISTS LbReturnNetBufferLists;
static MINIPORT_RESET LbResetEx;
static KDEFERRED_ROUTINE LbResetDpc;

static LONG64 LbRead64(volatile LONG64 *Counter)
{
    return InterlockedCompareExchange64(Counter, 0, 0);
}

/* ---- References and pause ----------------------------------------------------------------- */

/* Drops Count references; the one that reaches zero while a pause waits finishes it (the
 * adapter may be halted as soon as NdisMPauseComplete returns: callers touch nothing after). */
static VOID LbRelease(PLB_ADAPTER Adapter, LONG Count)
{
    if (InterlockedAdd(&Adapter->Busy, -Count) == 0 &&
        ReadAcquire(&Adapter->State) == LB_STATE_PAUSING &&
        InterlockedExchange(&Adapter->PausePending, 0) == 1) {
        InterlockedExchange(&Adapter->State, LB_STATE_PAUSED);
        NdisMPauseComplete(Adapter->MiniportAdapterHandle);
    }
}

/* The running peer of Self with one reference taken for the caller, or NULL. */
static PLB_ADAPTER LbAcquirePeer(PLB_ADAPTER Self)
{
    PLB_ADAPTER peer;
    BOOLEAN running = FALSE;

    NdisAcquireSpinLock(&Self->PeerLock);
    peer = Self->Peer;
    if (peer != NULL) {
        InterlockedIncrement(&peer->Busy);
        if (ReadAcquire(&peer->State) == LB_STATE_RUNNING &&
            ReadAcquire(&peer->PowerState) == NdisDeviceStateD0) {
            running = TRUE;
        } else {
            /* Still under PeerLock: the peer cannot be unpaired and freed meanwhile. */
            LbRelease(peer, 1);
        }
    }
    NdisReleaseSpinLock(&Self->PeerLock);
    return running ? peer : NULL;
}

/* ---- Receive side (on the peer) ------------------------------------------------------------ */

/* A receive NBL of Receiver holding a copy of Frame, or NULL (no buffer: counted). */
static PNET_BUFFER_LIST LbCopyFrame(PLB_ADAPTER Receiver, PNET_BUFFER Frame)
{
    const ULONG length = NET_BUFFER_DATA_LENGTH(Frame);
    const ULONG padded = length < ETHERNET_MIN_FRAME_SIZE ? ETHERNET_MIN_FRAME_SIZE : length;
    PNET_BUFFER_LIST nbl;
    PNET_BUFFER nb;
    ULONG copied = 0;
    PUCHAR data;

    if (length > Receiver->MaxFrameSize) {
        /* A giant for the receiver (peers with different MTUs): dropped as a receive error. */
        InterlockedIncrement64(&Receiver->RxErrors);
        return NULL;
    }
    if (InterlockedIncrement(&Receiver->ReceivesOutstanding) > (LONG)Receiver->ReceiveBuffers) {
        InterlockedDecrement(&Receiver->ReceivesOutstanding);
        InterlockedIncrement64(&Receiver->RxNoBuffer);
        return NULL;
    }
    nbl = NdisAllocateNetBufferList(Receiver->ReceivePool, 0, 0);
    if (nbl == NULL) {
        InterlockedDecrement(&Receiver->ReceivesOutstanding);
        InterlockedIncrement64(&Receiver->RxNoBuffer);
        return NULL;
    }
    nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    NET_BUFFER_DATA_LENGTH(nb) = padded; /* <= DataSize: the caller checked length */
    if (NdisCopyFromNetBufferToNetBuffer(nb, 0, length, Frame, 0, &copied) != NDIS_STATUS_SUCCESS ||
        copied != length) {
        NdisFreeNetBufferList(nbl);
        InterlockedDecrement(&Receiver->ReceivesOutstanding);
        InterlockedIncrement64(&Receiver->RxErrors);
        return NULL;
    }
    if (padded != length) {
        /* MS-13: the wire carries at least 60 bytes; the pool buffer is one contiguous MDL. */
        data = (PUCHAR)NdisGetDataBuffer(nb, padded, NULL, 1, 0);
        if (data != NULL) {
            NdisZeroMemory(data + length, padded - length);
        }
    }
    nbl->SourceHandle = Receiver->MiniportAdapterHandle; /* MS-18 */
    NET_BUFFER_LIST_STATUS(nbl) = NDIS_STATUS_SUCCESS;
    return nbl;
}

static VOID LbFreeReceiveChain(PLB_ADAPTER Receiver, PNET_BUFFER_LIST Chain, ULONG *Count)
{
    PNET_BUFFER_LIST nbl, next;
    ULONG count = 0;
    for (nbl = Chain; nbl != NULL; nbl = next) {
        next = NET_BUFFER_LIST_NEXT_NBL(nbl);
        NET_BUFFER_LIST_NEXT_NBL(nbl) = NULL;
        NdisFreeNetBufferList(nbl);
        ++count;
    }
    InterlockedAdd(&Receiver->ReceivesOutstanding, -(LONG)count);
    *Count = count;
}

/* Indicates Count copied frames on Receiver (the caller holds a reference on it). */
static VOID LbIndicate(PLB_ADAPTER Receiver, PNET_BUFFER_LIST Chain, ULONG Count, ULONG64 Bytes,
                       BOOLEAN AtDispatch)
{
    ULONG flags = AtDispatch ? NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL : 0;
    const LONG left = (LONG)Receiver->ReceiveBuffers - ReadAcquire(&Receiver->ReceivesOutstanding);

    InterlockedAdd64(&Receiver->RxFrames, Count);
    InterlockedAdd64(&Receiver->RxBytes, (LONG64)Bytes);
    if (left < (LONG)Receiver->ReceiveLowWater) {
        /* MS-19: the protocols copy what they keep; the NBLs are ours when the call returns. */
        ULONG freed;
        InterlockedAdd64(&Receiver->RxResourcesFrames, Count);
        NdisMIndicateReceiveNetBufferLists(Receiver->MiniportAdapterHandle, Chain,
                                           NDIS_DEFAULT_PORT_NUMBER, Count,
                                           flags | NDIS_RECEIVE_FLAGS_RESOURCES);
        LbFreeReceiveChain(Receiver, Chain, &freed);
        return;
    }
    /* Every NBL up in the stack keeps the receiver from pausing until it comes back. */
    InterlockedAdd(&Receiver->Busy, (LONG)Count);
    NdisMIndicateReceiveNetBufferLists(Receiver->MiniportAdapterHandle, Chain,
                                       NDIS_DEFAULT_PORT_NUMBER, Count, flags);
}

static VOID LbReturnNetBufferLists(NDIS_HANDLE MiniportAdapterContext,
                                   PNET_BUFFER_LIST NetBufferLists, ULONG ReturnFlags)
{
    PLB_ADAPTER adapter = (PLB_ADAPTER)MiniportAdapterContext;
    ULONG count;

    UNREFERENCED_PARAMETER(ReturnFlags);
    LbFreeReceiveChain(adapter, NetBufferLists, &count);
    LbRelease(adapter, (LONG)count);
}

/* ---- Send side ------------------------------------------------------------------------------ */

static VOID LbSendNetBufferLists(NDIS_HANDLE MiniportAdapterContext,
                                 PNET_BUFFER_LIST NetBufferLists, NDIS_PORT_NUMBER PortNumber,
                                 ULONG SendFlags)
{
    PLB_ADAPTER self = (PLB_ADAPTER)MiniportAdapterContext;
    const BOOLEAN atDispatch = NDIS_TEST_SEND_AT_DISPATCH_LEVEL(SendFlags) ? TRUE : FALSE;
    const ULONG completeFlags = atDispatch ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL : 0;
    PLB_ADAPTER peer;
    PNET_BUFFER_LIST nbl;
    PNET_BUFFER nb;
    NBL_QUEUE received;
    ULONG receivedCount = 0;
    ULONG64 receivedBytes = 0;
    LONG64 nbls = 0, frames = 0, bytes = 0, badNbls = 0, badFrames = 0, droppedNbls = 0,
           droppedFrames = 0;

    UNREFERENCED_PARAMETER(PortNumber);
    InterlockedIncrement(&self->Busy);
    if (ReadAcquire(&self->State) != LB_STATE_RUNNING) {
        LONG64 paused = 0;
        for (nbl = NetBufferLists; nbl != NULL; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl)) {
            NET_BUFFER_LIST_STATUS(nbl) = NDIS_STATUS_PAUSED; /* ST-04 */
            ++paused;
        }
        NdisMSendNetBufferListsComplete(self->MiniportAdapterHandle, NetBufferLists, completeFlags);
        InterlockedAdd64(&self->TxPausedNbls, paused);
        LbRelease(self, 1);
        return;
    }
    if (ReadAcquire(&self->PowerState) != NdisDeviceStateD0) {
        LONG64 refused = 0;
        for (nbl = NetBufferLists; nbl != NULL; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl)) {
            NET_BUFFER_LIST_STATUS(nbl) = NDIS_STATUS_LOW_POWER_STATE; /* ST-19 */
            ++refused;
        }
        NdisMSendNetBufferListsComplete(self->MiniportAdapterHandle, NetBufferLists, completeFlags);
        InterlockedAdd64(&self->TxLowPowerNbls, refused);
        LbRelease(self, 1);
        return;
    }

    peer = LbAcquirePeer(self);
    NdisInitializeNblQueue(&received);
    for (nbl = NetBufferLists; nbl != NULL; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl)) {
        BOOLEAN oversize = FALSE;
        LONG64 nblFrames = 0, nblBytes = 0;
        for (nb = NET_BUFFER_LIST_FIRST_NB(nbl); nb != NULL; nb = NET_BUFFER_NEXT_NB(nb)) {
            ++nblFrames;
            nblBytes += NET_BUFFER_DATA_LENGTH(nb);
            if (NET_BUFFER_DATA_LENGTH(nb) > self->MaxFrameSize) {
                oversize = TRUE;
            }
        }
        if (oversize) {
            /* MS-08, MS-09: some NB is too large for the medium; nothing of it goes out. */
            NET_BUFFER_LIST_STATUS(nbl) = NDIS_STATUS_INVALID_LENGTH;
            ++badNbls;
            badFrames += nblFrames;
            continue;
        }
        if (peer == NULL) {
            /* No cable, or nobody listening at the other end. */
            NET_BUFFER_LIST_STATUS(nbl) = NDIS_STATUS_FAILURE;
            ++droppedNbls;
            droppedFrames += nblFrames;
            continue;
        }
        for (nb = NET_BUFFER_LIST_FIRST_NB(nbl); nb != NULL; nb = NET_BUFFER_NEXT_NB(nb)) {
            PNET_BUFFER_LIST copy = LbCopyFrame(peer, nb);
            if (copy != NULL) {
                NdisAppendSingleNblToNblQueue(&received, copy);
                ++receivedCount;
                receivedBytes += NET_BUFFER_DATA_LENGTH(NET_BUFFER_LIST_FIRST_NB(copy));
            }
        }
        /* MS-10: copied is "accepted for transmission". */
        NET_BUFFER_LIST_STATUS(nbl) = NDIS_STATUS_SUCCESS;
        ++nbls;
        frames += nblFrames;
        bytes += nblBytes;
    }

    InterlockedAdd64(&self->TxNbls, nbls);
    InterlockedAdd64(&self->TxFrames, frames);
    InterlockedAdd64(&self->TxBytes, bytes);
    if (badNbls != 0) {
        InterlockedAdd64(&self->TxInvalidLengthNbls, badNbls);
        InterlockedAdd64(&self->TxInvalidLengthFrames, badFrames);
    }
    if (droppedNbls != 0) {
        InterlockedAdd64(&self->TxDroppedNbls, droppedNbls);
        InterlockedAdd64(&self->TxDroppedFrames, droppedFrames);
    }
    /* The sender's NBLs are no longer needed: give them back before the peer's stack runs. */
    NdisMSendNetBufferListsComplete(self->MiniportAdapterHandle, NetBufferLists, completeFlags);

    if (peer != NULL) {
        if (receivedCount != 0) {
            LbIndicate(peer, NdisPopAllFromNblQueue(&received), receivedCount, receivedBytes,
                       atDispatch);
        }
        LbRelease(peer, 1);
    }
    LbRelease(self, 1);
}

/* ---- State machine ------------------------------------------------------------------------ */

static NDIS_STATUS LbRestart(NDIS_HANDLE MiniportAdapterContext,
                             PNDIS_MINIPORT_RESTART_PARAMETERS RestartParameters)
{
    PLB_ADAPTER adapter = (PLB_ADAPTER)MiniportAdapterContext;
    UNREFERENCED_PARAMETER(RestartParameters);
    InterlockedExchange(&adapter->State, LB_STATE_RUNNING);
    return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS LbPause(NDIS_HANDLE MiniportAdapterContext,
                           PNDIS_MINIPORT_PAUSE_PARAMETERS PauseParameters)
{
    PLB_ADAPTER adapter = (PLB_ADAPTER)MiniportAdapterContext;

    UNREFERENCED_PARAMETER(PauseParameters);
    InterlockedIncrement(&adapter->Busy); /* this call's own reference */
    InterlockedExchange(&adapter->PausePending, 1);
    InterlockedExchange(&adapter->State, LB_STATE_PAUSING);
    if (InterlockedDecrement(&adapter->Busy) == 0 &&
        InterlockedExchange(&adapter->PausePending, 0) == 1) {
        InterlockedExchange(&adapter->State, LB_STATE_PAUSED);
        return NDIS_STATUS_SUCCESS;
    }
    /* ST-05: sends in progress, or receives not yet returned; the last one completes us. */
    return NDIS_STATUS_PENDING;
}

/* ---- Reset and power ------------------------------------------------------------------------ */

/* ST-15, ST-16: at DISPATCH_LEVEL; no send is ever held, nothing needs reprogramming. */
static NDIS_STATUS LbResetEx(NDIS_HANDLE MiniportAdapterContext, PBOOLEAN AddressingReset)
{
    PLB_ADAPTER adapter = (PLB_ADAPTER)MiniportAdapterContext;

    *AddressingReset = FALSE;
    InterlockedIncrement64(&adapter->Resets);
    if (adapter->PendReset) {
        KeInsertQueueDpc(&adapter->ResetDpc, NULL, NULL);
        return NDIS_STATUS_PENDING;
    }
    return NDIS_STATUS_SUCCESS;
}

static VOID LbResetDpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1,
                       PVOID SystemArgument2)
{
    PLB_ADAPTER adapter = (PLB_ADAPTER)DeferredContext;

    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(SystemArgument1);
    UNREFERENCED_PARAMETER(SystemArgument2);
    NdisMResetComplete(adapter->MiniportAdapterHandle, NDIS_STATUS_SUCCESS, FALSE); /* ST-17 */
}

/* OID_PNP_SET_POWER (ST-19). Sends in progress finish as they are (they hold no frames once
 * completed); new ones see PowerState. */
static NDIS_STATUS LbSetPower(PLB_ADAPTER Adapter, PNDIS_OID_REQUEST OidRequest)
{
    NDIS_DEVICE_POWER_STATE state;

    if (OidRequest->DATA.SET_INFORMATION.InformationBufferLength < sizeof state) {
        OidRequest->DATA.SET_INFORMATION.BytesNeeded = sizeof state;
        return NDIS_STATUS_INVALID_LENGTH;
    }
    NdisMoveMemory(&state, OidRequest->DATA.SET_INFORMATION.InformationBuffer, sizeof state);
    if (state < NdisDeviceStateD0 || state > NdisDeviceStateD3) {
        return NDIS_STATUS_INVALID_DATA;
    }
    InterlockedExchange(&Adapter->PowerState, (LONG)state);
    OidRequest->DATA.SET_INFORMATION.BytesRead = sizeof state;
    DbgPrint("loopback%lu: power D%d\n", Adapter->Number, (int)state - 1);
    return NDIS_STATUS_SUCCESS;
}

/* ---- OIDs --------------------------------------------------------------------------------- */

static NDIS_STATUS LbOidRequest(NDIS_HANDLE MiniportAdapterContext, PNDIS_OID_REQUEST OidRequest)
{
    PLB_ADAPTER adapter = (PLB_ADAPTER)MiniportAdapterContext;
    ETHERNET_OID_INFO info;

    if (OidRequest->RequestType == NdisRequestSetInformation &&
        OidRequest->DATA.SET_INFORMATION.Oid == OID_PNP_SET_POWER) {
        return LbSetPower(adapter, OidRequest);
    }
    if (OidRequest->RequestType == NdisRequestQueryInformation &&
        OidRequest->DATA.QUERY_INFORMATION.Oid == OID_PNP_QUERY_POWER) {
        return NDIS_STATUS_SUCCESS;
    }
    NdisZeroMemory(&info, sizeof info);
    info.VendorDescription = "OpenNDIS loopback miniport";
    info.Mtu = adapter->Mtu;
    info.LinkSpeed = LB_LINK_SPEED;
    info.ConnectState =
        adapter->HasPair ? MediaConnectStateConnected : MediaConnectStateDisconnected;
    info.MacOptions = ETHERNET_MAC_OPTIONS;
    info.PermanentAddress = adapter->PermanentAddress;
    info.CurrentAddress = adapter->CurrentAddress;
    info.XmitOk = (ULONG64)LbRead64(&adapter->TxFrames);
    info.RcvOk = (ULONG64)LbRead64(&adapter->RxFrames);
    info.XmitError = (ULONG64)LbRead64(&adapter->TxInvalidLengthFrames);
    info.XmitDiscards = (ULONG64)LbRead64(&adapter->TxDroppedFrames);
    info.RcvError = (ULONG64)LbRead64(&adapter->RxErrors);
    info.RcvNoBuffer = (ULONG64)LbRead64(&adapter->RxNoBuffer);
    info.BytesXmit = (ULONG64)LbRead64(&adapter->TxBytes);
    info.BytesRcv = (ULONG64)LbRead64(&adapter->RxBytes);
    return EthernetOidRequest(&adapter->OidState, &info, OidRequest);
}

/* ---- Initialize / halt -------------------------------------------------------------------- */

static VOID LbReadConfiguration(PLB_ADAPTER Adapter)
{
    NDIS_HANDLE config;
    NDIS_STATUS status;
    PNDIS_CONFIGURATION_PARAMETER value;
    NDIS_STRING mtuKey = NDIS_STRING_CONST("MTU");
    NDIS_STRING pairKey = NDIS_STRING_CONST("Pair");
    NDIS_STRING buffersKey = NDIS_STRING_CONST("ReceiveBuffers");
    NDIS_STRING lowKey = NDIS_STRING_CONST("ReceiveLowWater");
    NDIS_STRING pendResetKey = NDIS_STRING_CONST("PendReset");
    PVOID address;
    UINT addressLength;

    Adapter->Mtu = LB_DEFAULT_MTU;
    Adapter->ReceiveBuffers = LB_DEFAULT_RECEIVE_BUFFERS;
    Adapter->ReceiveLowWater = LB_DEFAULT_RECEIVE_BUFFERS / 8;
    Adapter->PairKey.Buffer = Adapter->PairKeyBuffer;
    Adapter->PairKey.Length = 0;
    Adapter->PairKey.MaximumLength = sizeof(Adapter->PairKeyBuffer);

    config = DriverOpenConfiguration(Adapter->MiniportAdapterHandle);
    if (config == NULL) {
        return;
    }
    Adapter->Mtu = MiniportReadUlong(config, &mtuKey, LB_DEFAULT_MTU, LB_MIN_MTU, LB_MAX_MTU,
                                     "loopback", Adapter->Number);
    Adapter->ReceiveBuffers =
        MiniportReadUlong(config, &buffersKey, LB_DEFAULT_RECEIVE_BUFFERS, 1,
                          LB_MAX_RECEIVE_BUFFERS, "loopback", Adapter->Number);
    Adapter->ReceiveLowWater =
        MiniportReadUlong(config, &lowKey, Adapter->ReceiveBuffers / 8, 0, Adapter->ReceiveBuffers,
                          "loopback", Adapter->Number);
    NdisReadConfiguration(&status, &value, config, &pendResetKey, NdisParameterInteger);
    if (status == NDIS_STATUS_SUCCESS) {
        Adapter->PendReset = value->ParameterData.IntegerData != 0;
    }
    /* A string read also gives an integer parameter, rendered in decimal. */
    NdisReadConfiguration(&status, &value, config, &pairKey, NdisParameterString);
    if (status == NDIS_STATUS_SUCCESS && value->ParameterData.StringData.Length != 0) {
        RtlCopyUnicodeString(&Adapter->PairKey, &value->ParameterData.StringData);
        Adapter->HasPair = TRUE;
    }
    NdisReadNetworkAddress(&status, &address, &addressLength, config);
    if (status == NDIS_STATUS_SUCCESS && addressLength == ETH_LENGTH_OF_ADDRESS &&
        !ETH_IS_MULTICAST(address)) {
        ETH_COPY_NETWORK_ADDRESS(Adapter->CurrentAddress, address);
    }
    NdisCloseConfiguration(config);
}

/* Enters Adapter in the pairing table and links it with the adapter that has the same Pair
 * value, if any. FALSE when two adapters already have that value. */
static BOOLEAN LbPair(PLB_ADAPTER Adapter)
{
    PLIST_ENTRY entry;
    PLB_ADAPTER partner = NULL;
    BOOLEAN ok = TRUE;

    NdisAcquireSpinLock(&g_LbPairLock);
    if (Adapter->HasPair) {
        for (entry = g_LbAdapters.Flink; entry != &g_LbAdapters; entry = entry->Flink) {
            PLB_ADAPTER other = CONTAINING_RECORD(entry, LB_ADAPTER, Link);
            if (other->HasPair && RtlEqualUnicodeString(&other->PairKey, &Adapter->PairKey, TRUE)) {
                if (other->Peer != NULL || partner != NULL) {
                    ok = FALSE;
                    break;
                }
                partner = other;
            }
        }
    }
    if (ok) {
        InsertTailList(&g_LbAdapters, &Adapter->Link);
        if (partner != NULL) {
            NdisDprAcquireSpinLock(&partner->PeerLock);
            partner->Peer = Adapter;
            NdisDprReleaseSpinLock(&partner->PeerLock);
            NdisDprAcquireSpinLock(&Adapter->PeerLock);
            Adapter->Peer = partner;
            NdisDprReleaseSpinLock(&Adapter->PeerLock);
        }
    }
    NdisReleaseSpinLock(&g_LbPairLock);
    if (partner != NULL) {
        DbgPrint("loopback%lu: paired with loopback%lu (Pair '%wZ')\n", Adapter->Number,
                 partner->Number, &Adapter->PairKey);
    }
    return ok;
}

static VOID LbUnpair(PLB_ADAPTER Adapter)
{
    PLB_ADAPTER peer;

    NdisAcquireSpinLock(&g_LbPairLock);
    RemoveEntryList(&Adapter->Link);
    peer = Adapter->Peer;
    if (peer != NULL) {
        /* Once the peer's PeerLock has been held, no send of the peer can still be looking at
         * us (references are taken under it, and we are Paused). */
        NdisDprAcquireSpinLock(&peer->PeerLock);
        peer->Peer = NULL;
        NdisDprReleaseSpinLock(&peer->PeerLock);
        NdisDprAcquireSpinLock(&Adapter->PeerLock);
        Adapter->Peer = NULL;
        NdisDprReleaseSpinLock(&Adapter->PeerLock);
    }
    NdisReleaseSpinLock(&g_LbPairLock);
}

static NDIS_STATUS LbInitializeEx(NDIS_HANDLE NdisMiniportHandle, NDIS_HANDLE MiniportDriverContext,
                                  PNDIS_MINIPORT_INIT_PARAMETERS MiniportInitParameters)
{
    PLB_ADAPTER adapter;
    ETHERNET_ADAPTER_ATTRIBUTES attributes;
    NET_BUFFER_LIST_POOL_PARAMETERS pool;
    NDIS_STATUS status;

    UNREFERENCED_PARAMETER(MiniportDriverContext);
    UNREFERENCED_PARAMETER(MiniportInitParameters);
    adapter = (PLB_ADAPTER)NdisAllocateMemoryWithTagPriority(NdisMiniportHandle, sizeof *adapter,
                                                             LB_TAG, NormalPoolPriority);
    if (adapter == NULL) {
        return NDIS_STATUS_RESOURCES;
    }
    NdisZeroMemory(adapter, sizeof *adapter);
    adapter->MiniportAdapterHandle = NdisMiniportHandle;
    adapter->Number = (ULONG)InterlockedIncrement(&g_LbAdapterNumber);
    adapter->State = LB_STATE_PAUSED;
    adapter->PowerState = NdisDeviceStateD0;
    InitializeListHead(&adapter->Link);
    /* 02-4C-42 ("LB"), locally administered, unicast. */
    adapter->PermanentAddress[0] = 0x02;
    adapter->PermanentAddress[1] = 0x4C;
    adapter->PermanentAddress[2] = 0x42;
    adapter->PermanentAddress[3] = 0x00;
    adapter->PermanentAddress[4] = (UCHAR)(adapter->Number >> 8);
    adapter->PermanentAddress[5] = (UCHAR)adapter->Number;
    ETH_COPY_NETWORK_ADDRESS(adapter->CurrentAddress, adapter->PermanentAddress);
    LbReadConfiguration(adapter);
    adapter->MaxFrameSize = adapter->Mtu + ETHERNET_HEADER_SIZE;
    NdisAllocateSpinLock(&adapter->PeerLock);
    NdisAllocateSpinLock(&adapter->OidLock);
    KeInitializeDpc(&adapter->ResetDpc, LbResetDpc, adapter);
    EthernetOidInitialize(&adapter->OidState, &adapter->OidLock, adapter->Mtu);

    /* Kind (c) pool: every NBL comes with an NB, an MDL and MTU + 14 bytes (at least 60). */
    NdisZeroMemory(&pool, sizeof pool);
    pool.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    pool.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    pool.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    pool.ProtocolId = NDIS_PROTOCOL_ID_DEFAULT;
    pool.fAllocateNetBuffer = TRUE;
    pool.DataSize = adapter->MaxFrameSize < ETHERNET_MIN_FRAME_SIZE ? ETHERNET_MIN_FRAME_SIZE
                                                                    : adapter->MaxFrameSize;
    pool.PoolTag = 'xRbL';
    adapter->ReceivePool = NdisAllocateNetBufferListPool(NdisMiniportHandle, &pool);
    if (adapter->ReceivePool == NULL) {
        status = NDIS_STATUS_RESOURCES;
        goto fail;
    }

    NdisZeroMemory(&attributes, sizeof attributes);
    attributes.Mtu = adapter->Mtu;
    attributes.LinkSpeed = LB_LINK_SPEED;
    attributes.ConnectState =
        adapter->HasPair ? MediaConnectStateConnected : MediaConnectStateDisconnected;
    attributes.PermanentAddress = adapter->PermanentAddress;
    attributes.CurrentAddress = adapter->CurrentAddress;
    attributes.IfConnectorPresent = FALSE;
    attributes.SupportedStatistics = ETHERNET_ALL_STATISTICS;
    status = EthernetSetAdapterAttributes(NdisMiniportHandle, adapter, &attributes);
    if (status != NDIS_STATUS_SUCCESS) {
        goto fail;
    }

    if (!LbPair(adapter)) {
        DbgPrint("loopback%lu: two adapters already have Pair '%wZ'; adapters come in pairs\n",
                 adapter->Number, &adapter->PairKey);
        status = NDIS_STATUS_FAILURE;
        goto fail;
    }
    DbgPrint("loopback%lu: MTU %lu, %lu receive buffers (low water %lu), %s, MAC "
             "%02x-%02x-%02x-%02x-%02x-%02x\n",
             adapter->Number, adapter->Mtu, adapter->ReceiveBuffers, adapter->ReceiveLowWater,
             adapter->HasPair ? "paired" : "no Pair: disconnected", adapter->CurrentAddress[0],
             adapter->CurrentAddress[1], adapter->CurrentAddress[2], adapter->CurrentAddress[3],
             adapter->CurrentAddress[4], adapter->CurrentAddress[5]);
    return NDIS_STATUS_SUCCESS;

fail:
    if (adapter->ReceivePool != NULL) {
        NdisFreeNetBufferListPool(adapter->ReceivePool);
    }
    NdisFreeSpinLock(&adapter->OidLock);
    NdisFreeSpinLock(&adapter->PeerLock);
    NdisFreeMemoryWithTagPriority(NdisMiniportHandle, adapter, LB_TAG);
    return status;
}

static VOID LbHaltEx(NDIS_HANDLE MiniportAdapterContext, NDIS_HALT_ACTION HaltAction)
{
    PLB_ADAPTER adapter = (PLB_ADAPTER)MiniportAdapterContext;

    UNREFERENCED_PARAMETER(HaltAction);
    LbUnpair(adapter);
    /* ST-12: halted from Paused, so every receive NBL is back (ST-05); no reset runs. */
    ASSERT(ReadAcquire(&adapter->ReceivesOutstanding) == 0);
    KeRemoveQueueDpc(&adapter->ResetDpc);
    KeFlushQueuedDpcs();
    DbgPrint("loopback%lu: halt: sent %I64d frames (%I64d bytes) in %I64d NBLs; %I64d NBLs "
             "INVALID_LENGTH, %I64d NBLs (%I64d frames) dropped (peer down), %I64d NBLs PAUSED, "
             "%I64d NBLs LOW_POWER_STATE; %I64d resets; "
             "received %I64d frames (%I64d bytes, %I64d with RESOURCES), %I64d no buffer, "
             "%I64d errors\n",
             adapter->Number, LbRead64(&adapter->TxFrames), LbRead64(&adapter->TxBytes),
             LbRead64(&adapter->TxNbls), LbRead64(&adapter->TxInvalidLengthNbls),
             LbRead64(&adapter->TxDroppedNbls), LbRead64(&adapter->TxDroppedFrames),
             LbRead64(&adapter->TxPausedNbls), LbRead64(&adapter->TxLowPowerNbls),
             LbRead64(&adapter->Resets), LbRead64(&adapter->RxFrames), LbRead64(&adapter->RxBytes),
             LbRead64(&adapter->RxResourcesFrames), LbRead64(&adapter->RxNoBuffer),
             LbRead64(&adapter->RxErrors));
    NdisFreeNetBufferListPool(adapter->ReceivePool);
    NdisFreeSpinLock(&adapter->OidLock);
    NdisFreeSpinLock(&adapter->PeerLock);
    NdisFreeMemoryWithTagPriority(adapter->MiniportAdapterHandle, adapter, LB_TAG);
}

/* ---- Driver entry / unload ---------------------------------------------------------------- */

static VOID LbUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    if (g_LbDriverHandle != NULL) {
        NdisMDeregisterMiniportDriver(g_LbDriverHandle); /* halts what is left */
        g_LbDriverHandle = NULL;
        ASSERT(IsListEmpty(&g_LbAdapters));
        NdisFreeSpinLock(&g_LbPairLock);
    }
}

NTSTATUS LoopbackMiniportDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS mc;
    NDIS_STATUS status;

    if (g_LbDriverHandle != NULL) {
        DbgPrint("loopback: already loaded\n");
        return STATUS_UNSUCCESSFUL;
    }
    NdisAllocateSpinLock(&g_LbPairLock);
    InitializeListHead(&g_LbAdapters);

    MiniportInitializeCharacteristics(&mc);
    mc.InitializeHandlerEx = LbInitializeEx;
    mc.HaltHandlerEx = LbHaltEx;
    mc.UnloadHandler = LbUnload;
    mc.PauseHandler = LbPause;
    mc.RestartHandler = LbRestart;
    mc.OidRequestHandler = LbOidRequest;
    mc.SendNetBufferListsHandler = LbSendNetBufferLists;
    mc.ReturnNetBufferListsHandler = LbReturnNetBufferLists;
    mc.CancelSendHandler = NULL; /* nothing is ever held: sends complete inside the call */
    mc.DevicePnPEventNotifyHandler = MiniportIgnoreDevicePnPEvent;
    mc.ShutdownHandlerEx = MiniportNothingToShutDown;
    mc.CancelOidRequestHandler = MiniportNoOidToCancel; /* every OID is answered synchronously */
    mc.ResetHandlerEx = LbResetEx;
    status = NdisMRegisterMiniportDriver(DriverObject, RegistryPath, NULL, &mc, &g_LbDriverHandle);
    if (status != NDIS_STATUS_SUCCESS) {
        g_LbDriverHandle = NULL;
        NdisFreeSpinLock(&g_LbPairLock);
        DbgPrint("loopback: NdisMRegisterMiniportDriver failed: 0x%08lx\n", (ULONG)status);
    }
    return (NTSTATUS)status;
}
