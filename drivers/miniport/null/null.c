/*
 * null.c — the `null` miniport: an 802.3 adapter that completes every send with
 * NDIS_STATUS_SUCCESS and never receives. The speed reference of OpenNDIS (DESIGN.md, "Built-in
 * drivers"), and a second proof, with loopback, that a miniport written only against <ndis.h>
 * in plain C runs on OpenNDIS.
 *
 * Parameters ([adapter.params], read with NdisReadConfiguration)
 *   MTU             integer, payload bytes without the 14-byte header (default 1500, 46 … 65521)
 *   CompletionMode  "inline" (default): every send is completed inside
 *                   MiniportSendNetBufferLists; "dpc": sends are queued and a KDPC completes
 *                   them in batches
 *   BatchSize       integer, NBLs per NdisMSendNetBufferListsComplete call in "dpc" mode
 *                   (default 64, 1 … 65536)
 *   NetworkAddress  the current MAC address (NdisReadNetworkAddress); default: the permanent
 *                   one, 02-4E-55-4C-xx-yy (locally administered, xx-yy = adapter number)
 *   PendReset       1: MiniportResetEx answers NDIS_STATUS_PENDING and a DPC finishes the reset
 *                   with NdisMResetComplete; 0 (default): the reset finishes inside the call
 *   HangEvery       integer N: MiniportCheckForHangEx answers TRUE every N-th check, so NDIS
 *                   resets the adapter (ST-18); 0 (default): never hung
 *   CheckForHangSeconds  CheckForHangTimeInSeconds of the registration attributes (default 0:
 *                   NDIS's 2 s)
 *   Link: up, 10 Gb/s, full duplex.
 *
 * Ownership and state
 *   Each adapter counts what it holds in Busy: one per MiniportSendNetBufferLists call in
 *   progress, one per NBL queued for the DPC or being completed by it, one for MiniportPause
 *   while it runs. A send checks State after taking its reference, so once State is Pausing no
 *   send can start holding NBLs without Busy showing it; sends that see Pausing or Paused are
 *   completed at once with NDIS_STATUS_PAUSED (ST-04). MiniportPause completes what is queued,
 *   and finishes when Busy drops to zero: at once (NDIS_STATUS_SUCCESS) or, when a send call or
 *   a DPC batch is still in hand, whoever drops Busy to zero calls NdisMPauseComplete
 *   (PausePending makes that happen exactly once; ST-05, ST-06).
 *   NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL is set exactly when the completing code runs at
 *   DISPATCH_LEVEL: in the DPC, and inline when the send flags said so (the caller's IRQL).
 *
 * Reset (ST-15 … ST-17). null declares NDIS 6.86, so every send it holds (only in "dpc" mode:
 *   the completion queue) is completed with NDIS_STATUS_RESET_IN_PROGRESS before the reset
 *   completes (ST-16) — inside MiniportResetEx, or with PendReset in the reset DPC just before
 *   NdisMResetComplete (no spin lock held, ST-17). The reset never needs the addressing replay.
 *
 * Power (ST-19). OID_PNP_SET_POWER to D1 … D3 completes every queued send with
 *   NDIS_STATUS_LOW_POWER_STATE, and from then on every new send too, until D0 comes back. NDIS
 *   pauses the stack before a power change, but a send that reaches null in low power is
 *   answered LOW_POWER_STATE whatever the adapter state.
 *
 * Counters (sends, frames, bytes, NBLs completed PAUSED, RESET_IN_PROGRESS, LOW_POWER_STATE,
 * resets, hangs reported) are printed with DbgPrint at halt and answered through
 * OID_GEN_XMIT_OK / OID_GEN_BYTES_XMIT / OID_GEN_STATISTICS.
 */
#include <ndis.h>

#include "builtin_drivers.h"
#include "common/ethernet_oid.h"
#include "common/miniport_common.h"

#define NULL_TAG 'lluN'
#define NULL_DEFAULT_MTU 1500
#define NULL_MIN_MTU 46
#define NULL_MAX_MTU (65535 - ETHERNET_HEADER_SIZE)
#define NULL_DEFAULT_BATCH 64
#define NULL_MAX_BATCH 65536
#define NULL_DPC_BATCHES_PER_RUN 16
#define NULL_LINK_SPEED 10000000000ull /* 10 Gb/s */

/* NULL_ADAPTER.State */
#define NULL_STATE_PAUSED 0
#define NULL_STATE_RUNNING 1
#define NULL_STATE_PAUSING 2

typedef struct _NULL_ADAPTER {
    NDIS_HANDLE MiniportAdapterHandle;
    ULONG Number;
    ULONG Mtu;
    BOOLEAN Deferred; /* CompletionMode "dpc" */
    ULONG BatchSize;
    UCHAR PermanentAddress[ETH_LENGTH_OF_ADDRESS];
    UCHAR CurrentAddress[ETH_LENGTH_OF_ADDRESS];

    volatile LONG State;        /* NULL_STATE_* */
    volatile LONG Busy;         /* see the file comment */
    volatile LONG PausePending; /* 1 from MiniportPause until the pause is finished */

    NDIS_SPIN_LOCK Lock; /* SendQueue and OidState */
    NBL_COUNTED_QUEUE SendQueue;
    KDPC CompletionDpc;
    ETHERNET_OID_STATE OidState;

    BOOLEAN PendReset;         /* PendReset parameter */
    ULONG HangEvery;           /* HangEvery parameter */
    ULONG CheckForHangSeconds; /* CheckForHangSeconds parameter */
    volatile LONG PowerState;  /* NDIS_DEVICE_POWER_STATE, NdisDeviceStateD0 when working */
    volatile LONG HangChecks;  /* MiniportCheckForHangEx calls */
    KDPC ResetDpc;             /* finishes a pended reset */

    volatile LONG64 SendCalls;
    volatile LONG64 NblsSent;
    volatile LONG64 FramesSent;
    volatile LONG64 BytesSent;
    volatile LONG64 NblsPaused;   /* completed with NDIS_STATUS_PAUSED */
    volatile LONG64 NblsAborted;  /* cancelled (NDIS_STATUS_SEND_ABORTED) */
    volatile LONG64 NblsReset;    /* completed NDIS_STATUS_RESET_IN_PROGRESS by a reset */
    volatile LONG64 NblsLowPower; /* completed NDIS_STATUS_LOW_POWER_STATE */
    volatile LONG64 Resets;
    volatile LONG64 HangsReported;
    volatile LONG64 DpcBatches;
} NULL_ADAPTER, *PNULL_ADAPTER;

static NDIS_HANDLE g_NullDriverHandle;
static volatile LONG g_NullAdapterNumber;

static MINIPORT_INITIALIZE NullInitializeEx;
static MINIPORT_HALT NullHaltEx;
static MINIPORT_UNLOAD NullUnload;
static MINIPORT_PAUSE NullPause;
static MINIPORT_RESTART NullRestart;
static MINIPORT_OID_REQUEST NullOidRequest;
static MINIPORT_SEND_NET_BUFFER_LISTS NullSendNetBufferLists;
static MINIPORT_RETURN_NET_BUFFER_LISTS NullReturnNetBufferLists;
static MINIPORT_CANCEL_SEND NullCancelSend;
static MINIPORT_RESET NullResetEx;
static MINIPORT_CHECK_FOR_HANG NullCheckForHangEx;
static KDEFERRED_ROUTINE NullCompletionDpc;
static KDEFERRED_ROUTINE NullResetDpc;

static LONG64 NullRead64(volatile LONG64 *Counter)
{
    return InterlockedCompareExchange64(Counter, 0, 0);
}

/* ---- Busy / pause --------------------------------------------------------------------------- */

/* Drops Count references; the one that reaches zero while a pause waits finishes it. The
 * caller must not touch the adapter afterwards if it may have been the last one (the adapter
 * may be halted as soon as NdisMPauseComplete returns). */
static VOID NullRelease(PNULL_ADAPTER Adapter, LONG Count)
{
    if (InterlockedAdd(&Adapter->Busy, -Count) == 0 &&
        ReadAcquire(&Adapter->State) == NULL_STATE_PAUSING &&
        InterlockedExchange(&Adapter->PausePending, 0) == 1) {
        InterlockedExchange(&Adapter->State, NULL_STATE_PAUSED);
        NdisMPauseComplete(Adapter->MiniportAdapterHandle);
    }
}

/* Sets Status on every NBL of Chain; returns the NBL, frame and byte counts. */
static ULONG NullMarkChain(PNET_BUFFER_LIST Chain, NDIS_STATUS Status, ULONG64 *Frames,
                           ULONG64 *Bytes)
{
    ULONG nbls = 0;
    ULONG64 frames = 0, bytes = 0;
    PNET_BUFFER_LIST nbl;
    PNET_BUFFER nb;
    for (nbl = Chain; nbl != NULL; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl)) {
        NET_BUFFER_LIST_STATUS(nbl) = Status;
        ++nbls;
        for (nb = NET_BUFFER_LIST_FIRST_NB(nbl); nb != NULL; nb = NET_BUFFER_NEXT_NB(nb)) {
            ++frames;
            bytes += NET_BUFFER_DATA_LENGTH(nb);
        }
    }
    if (Frames != NULL) {
        *Frames = frames;
    }
    if (Bytes != NULL) {
        *Bytes = bytes;
    }
    return nbls;
}

/* ---- Send path -------------------------------------------------------------------------- */

static VOID NullSendNetBufferLists(NDIS_HANDLE MiniportAdapterContext,
                                   PNET_BUFFER_LIST NetBufferLists, NDIS_PORT_NUMBER PortNumber,
                                   ULONG SendFlags)
{
    PNULL_ADAPTER adapter = (PNULL_ADAPTER)MiniportAdapterContext;
    const ULONG completeFlags =
        NDIS_TEST_SEND_AT_DISPATCH_LEVEL(SendFlags) ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL : 0;
    ULONG64 frames, bytes;
    ULONG nbls;

    UNREFERENCED_PARAMETER(PortNumber);
    InterlockedIncrement(&adapter->Busy);
    if (ReadAcquire(&adapter->State) != NULL_STATE_RUNNING) {
        /* ST-04: Pausing or Paused — nothing is accepted. */
        nbls = NullMarkChain(NetBufferLists, NDIS_STATUS_PAUSED, NULL, NULL);
        NdisMSendNetBufferListsComplete(adapter->MiniportAdapterHandle, NetBufferLists,
                                        completeFlags);
        InterlockedAdd64(&adapter->NblsPaused, nbls);
        NullRelease(adapter, 1);
        return;
    }
    if (ReadAcquire(&adapter->PowerState) != NdisDeviceStateD0) {
        /* ST-19: in low power every new send is rejected. */
        nbls = NullMarkChain(NetBufferLists, NDIS_STATUS_LOW_POWER_STATE, NULL, NULL);
        NdisMSendNetBufferListsComplete(adapter->MiniportAdapterHandle, NetBufferLists,
                                        completeFlags);
        InterlockedAdd64(&adapter->NblsLowPower, nbls);
        NullRelease(adapter, 1);
        return;
    }
    nbls = NullMarkChain(NetBufferLists, NDIS_STATUS_SUCCESS, &frames, &bytes);
    InterlockedIncrement64(&adapter->SendCalls);
    InterlockedAdd64(&adapter->NblsSent, nbls);
    InterlockedAdd64(&adapter->FramesSent, (LONG64)frames);
    InterlockedAdd64(&adapter->BytesSent, (LONG64)bytes);
    if (!adapter->Deferred) {
        /* MS-10: accepted for transmission is success; the chain goes back as it came. */
        NdisMSendNetBufferListsComplete(adapter->MiniportAdapterHandle, NetBufferLists,
                                        completeFlags);
    } else {
        BOOLEAN wasEmpty;
        /* The NBLs hold the adapter until the DPC completes them (before this call's own
         * reference goes, so Busy never reads zero while they are queued). */
        InterlockedAdd(&adapter->Busy, (LONG)nbls);
        NdisAcquireSpinLock(&adapter->Lock);
        wasEmpty = NdisIsNblCountedQueueEmpty(&adapter->SendQueue);
        NdisAppendNblChainToNblCountedQueue(&adapter->SendQueue, NetBufferLists);
        NdisReleaseSpinLock(&adapter->Lock);
        if (wasEmpty) {
            KeInsertQueueDpc(&adapter->CompletionDpc, NULL, NULL);
        }
    }
    NullRelease(adapter, 1);
}

/* Completes queued sends in batches of BatchSize NBLs, at DISPATCH_LEVEL. */
static VOID NullCompletionDpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1,
                              PVOID SystemArgument2)
{
    PNULL_ADAPTER adapter = (PNULL_ADAPTER)DeferredContext;
    ULONG round;
    BOOLEAN more = FALSE;

    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(SystemArgument1);
    UNREFERENCED_PARAMETER(SystemArgument2);
    for (round = 0; round < NULL_DPC_BATCHES_PER_RUN; ++round) {
        NBL_QUEUE batch;
        ULONG count = 0;
        PNET_BUFFER_LIST nbl;

        NdisInitializeNblQueue(&batch);
        NdisDprAcquireSpinLock(&adapter->Lock);
        while (count < adapter->BatchSize &&
               (nbl = NdisPopFirstNblFromNblCountedQueue(&adapter->SendQueue)) != NULL) {
            NdisAppendSingleNblToNblQueue(&batch, nbl);
            ++count;
        }
        more = !NdisIsNblCountedQueueEmpty(&adapter->SendQueue);
        NdisDprReleaseSpinLock(&adapter->Lock);
        if (count == 0) {
            break;
        }
        InterlockedIncrement64(&adapter->DpcBatches);
        NdisMSendNetBufferListsComplete(adapter->MiniportAdapterHandle,
                                        NdisPopAllFromNblQueue(&batch),
                                        NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL);
        /* While `more`, queued NBLs still hold the adapter, so it cannot be halted under us;
         * without `more` this may be the release that finishes a pause: touch nothing after. */
        NullRelease(adapter, (LONG)count);
        if (!more) {
            break;
        }
    }
    if (more) {
        KeInsertQueueDpc(&adapter->CompletionDpc, NULL, NULL);
    }
}

static VOID NullCancelSend(NDIS_HANDLE MiniportAdapterContext, PVOID CancelId)
{
    PNULL_ADAPTER adapter = (PNULL_ADAPTER)MiniportAdapterContext;
    NBL_QUEUE keep, cancelled;
    PNET_BUFFER_LIST nbl;
    ULONG count = 0;

    if (!adapter->Deferred) {
        return; /* nothing is ever held */
    }
    NdisInitializeNblQueue(&keep);
    NdisInitializeNblQueue(&cancelled);
    NdisAcquireSpinLock(&adapter->Lock);
    while ((nbl = NdisPopFirstNblFromNblCountedQueue(&adapter->SendQueue)) != NULL) {
        if (NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(nbl) == CancelId) {
            NET_BUFFER_LIST_STATUS(nbl) = NDIS_STATUS_SEND_ABORTED;
            NdisAppendSingleNblToNblQueue(&cancelled, nbl);
            ++count;
        } else {
            NdisAppendSingleNblToNblQueue(&keep, nbl);
        }
    }
    NdisAppendNblChainToNblCountedQueue(&adapter->SendQueue, NdisPopAllFromNblQueue(&keep));
    NdisReleaseSpinLock(&adapter->Lock);
    if (count != 0) {
        InterlockedAdd64(&adapter->NblsAborted, count);
        NdisMSendNetBufferListsComplete(
            adapter->MiniportAdapterHandle, NdisPopAllFromNblQueue(&cancelled),
            NDIS_CURRENT_IRQL() == DISPATCH_LEVEL ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL : 0);
        NullRelease(adapter, (LONG)count);
    }
}

static VOID NullReturnNetBufferLists(NDIS_HANDLE MiniportAdapterContext,
                                     PNET_BUFFER_LIST NetBufferLists, ULONG ReturnFlags)
{
    /* null never indicates a receive, so nothing can come back. */
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    UNREFERENCED_PARAMETER(NetBufferLists);
    UNREFERENCED_PARAMETER(ReturnFlags);
    ASSERT(NetBufferLists == NULL);
}

/* ---- Reset, check-for-hang, power ---------------------------------------------------------- */

/* Completes every queued send with Status (the caller's IRQL decides the DISPATCH flag). */
static VOID NullFlushQueue(PNULL_ADAPTER Adapter, NDIS_STATUS Status, volatile LONG64 *Counter)
{
    PNET_BUFFER_LIST queued;
    ULONG count;

    NdisAcquireSpinLock(&Adapter->Lock);
    count = (ULONG)NdisGetNblCountedQueueCount(&Adapter->SendQueue);
    queued = NdisPopAllFromNblCountedQueue(&Adapter->SendQueue);
    NdisReleaseSpinLock(&Adapter->Lock);
    if (queued == NULL) {
        return;
    }
    NullMarkChain(queued, Status, NULL, NULL);
    InterlockedAdd64(Counter, count);
    NdisMSendNetBufferListsComplete(
        Adapter->MiniportAdapterHandle, queued,
        NDIS_CURRENT_IRQL() == DISPATCH_LEVEL ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL : 0);
    /* A reset or an OID is in progress, so the adapter cannot be halted under us. */
    NullRelease(Adapter, (LONG)count);
}

/* ST-15, ST-16: at DISPATCH_LEVEL. Nothing to reprogram; what the adapter holds goes back
 * NDIS_STATUS_RESET_IN_PROGRESS before the reset completes (NDIS 6.30 and later). */
static NDIS_STATUS NullResetEx(NDIS_HANDLE MiniportAdapterContext, PBOOLEAN AddressingReset)
{
    PNULL_ADAPTER adapter = (PNULL_ADAPTER)MiniportAdapterContext;

    *AddressingReset = FALSE;
    InterlockedIncrement64(&adapter->Resets);
    if (adapter->PendReset) {
        KeInsertQueueDpc(&adapter->ResetDpc, NULL, NULL);
        return NDIS_STATUS_PENDING;
    }
    NullFlushQueue(adapter, NDIS_STATUS_RESET_IN_PROGRESS, &adapter->NblsReset);
    return NDIS_STATUS_SUCCESS;
}

/* Finishes a pended reset (ST-17: NdisMResetComplete with no spin lock held). */
static VOID NullResetDpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1,
                         PVOID SystemArgument2)
{
    PNULL_ADAPTER adapter = (PNULL_ADAPTER)DeferredContext;

    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(SystemArgument1);
    UNREFERENCED_PARAMETER(SystemArgument2);
    NullFlushQueue(adapter, NDIS_STATUS_RESET_IN_PROGRESS, &adapter->NblsReset);
    NdisMResetComplete(adapter->MiniportAdapterHandle, NDIS_STATUS_SUCCESS, FALSE);
}

/* ST-18: TRUE every HangEvery-th check, so that NDIS resets the adapter. */
static BOOLEAN NullCheckForHangEx(NDIS_HANDLE MiniportAdapterContext)
{
    PNULL_ADAPTER adapter = (PNULL_ADAPTER)MiniportAdapterContext;
    const ULONG checks = (ULONG)InterlockedIncrement(&adapter->HangChecks);

    if (adapter->HangEvery != 0 && checks % adapter->HangEvery == 0) {
        InterlockedIncrement64(&adapter->HangsReported);
        return TRUE;
    }
    return FALSE;
}

/* OID_PNP_SET_POWER (ST-19): into low power, queued sends go back LOW_POWER_STATE and new ones
 * are refused (NullSendNetBufferLists); back in D0 the adapter works again. */
static NDIS_STATUS NullSetPower(PNULL_ADAPTER Adapter, PNDIS_OID_REQUEST OidRequest)
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
    if (state != NdisDeviceStateD0) {
        NullFlushQueue(Adapter, NDIS_STATUS_LOW_POWER_STATE, &Adapter->NblsLowPower);
    }
    OidRequest->DATA.SET_INFORMATION.BytesRead = sizeof state;
    DbgPrint("null%lu: power D%d\n", Adapter->Number, (int)state - 1);
    return NDIS_STATUS_SUCCESS;
}

/* ---- State machine ------------------------------------------------------------------------ */

static NDIS_STATUS NullRestart(NDIS_HANDLE MiniportAdapterContext,
                               PNDIS_MINIPORT_RESTART_PARAMETERS RestartParameters)
{
    PNULL_ADAPTER adapter = (PNULL_ADAPTER)MiniportAdapterContext;
    UNREFERENCED_PARAMETER(RestartParameters);
    InterlockedExchange(&adapter->State, NULL_STATE_RUNNING);
    return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS NullPause(NDIS_HANDLE MiniportAdapterContext,
                             PNDIS_MINIPORT_PAUSE_PARAMETERS PauseParameters)
{
    PNULL_ADAPTER adapter = (PNULL_ADAPTER)MiniportAdapterContext;
    PNET_BUFFER_LIST queued;
    ULONG count;

    UNREFERENCED_PARAMETER(PauseParameters);
    InterlockedIncrement(&adapter->Busy); /* this call's own reference */
    InterlockedExchange(&adapter->PausePending, 1);
    InterlockedExchange(&adapter->State, NULL_STATE_PAUSING);

    /* Complete what is queued now (ST-03: in Pausing the miniport completes what it holds). */
    NdisAcquireSpinLock(&adapter->Lock);
    count = (ULONG)NdisGetNblCountedQueueCount(&adapter->SendQueue);
    queued = NdisPopAllFromNblCountedQueue(&adapter->SendQueue);
    NdisReleaseSpinLock(&adapter->Lock);
    if (queued != NULL) {
        NdisMSendNetBufferListsComplete(adapter->MiniportAdapterHandle, queued, 0);
        InterlockedAdd(&adapter->Busy, -(LONG)count); /* cannot reach zero: we hold one */
    }

    if (InterlockedDecrement(&adapter->Busy) == 0 &&
        InterlockedExchange(&adapter->PausePending, 0) == 1) {
        InterlockedExchange(&adapter->State, NULL_STATE_PAUSED);
        return NDIS_STATUS_SUCCESS;
    }
    /* A send call or a DPC batch is still in hand: its release calls NdisMPauseComplete. */
    return NDIS_STATUS_PENDING;
}

/* ---- OIDs --------------------------------------------------------------------------------- */

static NDIS_STATUS NullOidRequest(NDIS_HANDLE MiniportAdapterContext, PNDIS_OID_REQUEST OidRequest)
{
    PNULL_ADAPTER adapter = (PNULL_ADAPTER)MiniportAdapterContext;
    ETHERNET_OID_INFO info;

    if (OidRequest->RequestType == NdisRequestSetInformation &&
        OidRequest->DATA.SET_INFORMATION.Oid == OID_PNP_SET_POWER) {
        return NullSetPower(adapter, OidRequest);
    }
    if (OidRequest->RequestType == NdisRequestQueryInformation &&
        OidRequest->DATA.QUERY_INFORMATION.Oid == OID_PNP_QUERY_POWER) {
        return NDIS_STATUS_SUCCESS; /* any state can be entered at any time */
    }
    NdisZeroMemory(&info, sizeof info);
    info.VendorDescription = "OpenNDIS null miniport";
    info.Mtu = adapter->Mtu;
    info.LinkSpeed = NULL_LINK_SPEED;
    info.ConnectState = MediaConnectStateConnected;
    info.MacOptions = ETHERNET_MAC_OPTIONS;
    info.PermanentAddress = adapter->PermanentAddress;
    info.CurrentAddress = adapter->CurrentAddress;
    info.XmitOk = (ULONG64)NullRead64(&adapter->FramesSent);
    info.BytesXmit = (ULONG64)NullRead64(&adapter->BytesSent);
    return EthernetOidRequest(&adapter->OidState, &info, OidRequest);
}

/* ---- Initialize / halt -------------------------------------------------------------------- */

static VOID NullReadConfiguration(PNULL_ADAPTER Adapter)
{
    NDIS_HANDLE config;
    NDIS_STATUS status;
    PNDIS_CONFIGURATION_PARAMETER value;
    NDIS_STRING mtuKey = NDIS_STRING_CONST("MTU");
    NDIS_STRING modeKey = NDIS_STRING_CONST("CompletionMode");
    NDIS_STRING batchKey = NDIS_STRING_CONST("BatchSize");
    NDIS_STRING pendResetKey = NDIS_STRING_CONST("PendReset");
    NDIS_STRING hangEveryKey = NDIS_STRING_CONST("HangEvery");
    NDIS_STRING cfhSecondsKey = NDIS_STRING_CONST("CheckForHangSeconds");
    NDIS_STRING dpc = NDIS_STRING_CONST("dpc");
    NDIS_STRING inlineMode = NDIS_STRING_CONST("inline");
    PVOID address;
    UINT addressLength;

    Adapter->Mtu = NULL_DEFAULT_MTU;
    Adapter->Deferred = FALSE;
    Adapter->BatchSize = NULL_DEFAULT_BATCH;

    config = DriverOpenConfiguration(Adapter->MiniportAdapterHandle);
    if (config == NULL) {
        return;
    }
    Adapter->Mtu = MiniportReadUlong(config, &mtuKey, NULL_DEFAULT_MTU, NULL_MIN_MTU, NULL_MAX_MTU,
                                     "null", Adapter->Number);
    NdisReadConfiguration(&status, &value, config, &modeKey, NdisParameterString);
    if (status == NDIS_STATUS_SUCCESS) {
        if (RtlEqualUnicodeString(&value->ParameterData.StringData, &dpc, TRUE)) {
            Adapter->Deferred = TRUE;
        } else if (!RtlEqualUnicodeString(&value->ParameterData.StringData, &inlineMode, TRUE)) {
            DbgPrint("null%lu: CompletionMode '%wZ' is neither 'inline' nor 'dpc', using "
                     "'inline'\n",
                     Adapter->Number, &value->ParameterData.StringData);
        }
    }
    Adapter->BatchSize = MiniportReadUlong(config, &batchKey, NULL_DEFAULT_BATCH, 1, NULL_MAX_BATCH,
                                           "null", Adapter->Number);
    NdisReadConfiguration(&status, &value, config, &pendResetKey, NdisParameterInteger);
    if (status == NDIS_STATUS_SUCCESS) {
        Adapter->PendReset = value->ParameterData.IntegerData != 0;
    }
    NdisReadConfiguration(&status, &value, config, &hangEveryKey, NdisParameterInteger);
    if (status == NDIS_STATUS_SUCCESS) {
        Adapter->HangEvery = value->ParameterData.IntegerData;
    }
    NdisReadConfiguration(&status, &value, config, &cfhSecondsKey, NdisParameterInteger);
    if (status == NDIS_STATUS_SUCCESS) {
        Adapter->CheckForHangSeconds = value->ParameterData.IntegerData;
    }
    NdisReadNetworkAddress(&status, &address, &addressLength, config);
    if (status == NDIS_STATUS_SUCCESS && addressLength == ETH_LENGTH_OF_ADDRESS &&
        !ETH_IS_MULTICAST(address)) {
        ETH_COPY_NETWORK_ADDRESS(Adapter->CurrentAddress, address);
    }
    NdisCloseConfiguration(config);
}

static NDIS_STATUS NullInitializeEx(NDIS_HANDLE NdisMiniportHandle,
                                    NDIS_HANDLE MiniportDriverContext,
                                    PNDIS_MINIPORT_INIT_PARAMETERS MiniportInitParameters)
{
    PNULL_ADAPTER adapter;
    ETHERNET_ADAPTER_ATTRIBUTES attributes;
    NDIS_STATUS status;

    UNREFERENCED_PARAMETER(MiniportDriverContext);
    UNREFERENCED_PARAMETER(MiniportInitParameters);
    adapter = (PNULL_ADAPTER)NdisAllocateMemoryWithTagPriority(NdisMiniportHandle, sizeof *adapter,
                                                               NULL_TAG, NormalPoolPriority);
    if (adapter == NULL) {
        return NDIS_STATUS_RESOURCES;
    }
    NdisZeroMemory(adapter, sizeof *adapter);
    adapter->MiniportAdapterHandle = NdisMiniportHandle;
    adapter->Number = (ULONG)InterlockedIncrement(&g_NullAdapterNumber);
    adapter->State = NULL_STATE_PAUSED;
    adapter->PowerState = NdisDeviceStateD0;
    /* 02-4E-55-4C ("NUL"), locally administered, unicast. */
    adapter->PermanentAddress[0] = 0x02;
    adapter->PermanentAddress[1] = 0x4E;
    adapter->PermanentAddress[2] = 0x55;
    adapter->PermanentAddress[3] = 0x4C;
    adapter->PermanentAddress[4] = (UCHAR)(adapter->Number >> 8);
    adapter->PermanentAddress[5] = (UCHAR)adapter->Number;
    ETH_COPY_NETWORK_ADDRESS(adapter->CurrentAddress, adapter->PermanentAddress);
    NullReadConfiguration(adapter);
    NdisAllocateSpinLock(&adapter->Lock);
    NdisInitializeNblCountedQueue(&adapter->SendQueue);
    KeInitializeDpc(&adapter->CompletionDpc, NullCompletionDpc, adapter);
    KeInitializeDpc(&adapter->ResetDpc, NullResetDpc, adapter);
    EthernetOidInitialize(&adapter->OidState, &adapter->Lock, adapter->Mtu);

    NdisZeroMemory(&attributes, sizeof attributes);
    attributes.CheckForHangTimeInSeconds = adapter->CheckForHangSeconds; /* 0: NDIS's default */
    attributes.Mtu = adapter->Mtu;
    attributes.LinkSpeed = NULL_LINK_SPEED;
    attributes.ConnectState = MediaConnectStateConnected;
    attributes.PermanentAddress = adapter->PermanentAddress;
    attributes.CurrentAddress = adapter->CurrentAddress;
    attributes.IfConnectorPresent = FALSE; /* a virtual adapter */
    attributes.SupportedStatistics =
        NDIS_STATISTICS_XMIT_OK_SUPPORTED | NDIS_STATISTICS_RCV_OK_SUPPORTED |
        NDIS_STATISTICS_BYTES_XMIT_SUPPORTED | NDIS_STATISTICS_BYTES_RCV_SUPPORTED |
        NDIS_STATISTICS_GEN_STATISTICS_SUPPORTED;
    status = EthernetSetAdapterAttributes(NdisMiniportHandle, adapter, &attributes);
    if (status != NDIS_STATUS_SUCCESS) {
        goto fail;
    }
    DbgPrint("null%lu: MTU %lu, %s completion%s, MAC %02x-%02x-%02x-%02x-%02x-%02x\n",
             adapter->Number, adapter->Mtu, adapter->Deferred ? "DPC" : "inline",
             adapter->Deferred ? " (batched)" : "", adapter->CurrentAddress[0],
             adapter->CurrentAddress[1], adapter->CurrentAddress[2], adapter->CurrentAddress[3],
             adapter->CurrentAddress[4], adapter->CurrentAddress[5]);
    return NDIS_STATUS_SUCCESS;

fail:
    NdisFreeSpinLock(&adapter->Lock);
    NdisFreeMemoryWithTagPriority(NdisMiniportHandle, adapter, NULL_TAG);
    return status;
}

static VOID NullHaltEx(NDIS_HANDLE MiniportAdapterContext, NDIS_HALT_ACTION HaltAction)
{
    PNULL_ADAPTER adapter = (PNULL_ADAPTER)MiniportAdapterContext;

    UNREFERENCED_PARAMETER(HaltAction);
    /* ST-12: halted from Paused, so nothing is queued; make sure the DPC is not running. */
    ASSERT(NdisIsNblCountedQueueEmpty(&adapter->SendQueue));
    KeRemoveQueueDpc(&adapter->CompletionDpc);
    KeRemoveQueueDpc(&adapter->ResetDpc);
    KeFlushQueuedDpcs();
    DbgPrint("null%lu: halt: %I64d send calls, %I64d NBLs, %I64d frames, %I64d bytes completed "
             "SUCCESS; %I64d NBLs PAUSED, %I64d NBLs aborted, %I64d NBLs RESET_IN_PROGRESS, "
             "%I64d NBLs LOW_POWER_STATE; %I64d DPC batches; %I64d resets, %I64d hangs "
             "reported\n",
             adapter->Number, NullRead64(&adapter->SendCalls), NullRead64(&adapter->NblsSent),
             NullRead64(&adapter->FramesSent), NullRead64(&adapter->BytesSent),
             NullRead64(&adapter->NblsPaused), NullRead64(&adapter->NblsAborted),
             NullRead64(&adapter->NblsReset), NullRead64(&adapter->NblsLowPower),
             NullRead64(&adapter->DpcBatches), NullRead64(&adapter->Resets),
             NullRead64(&adapter->HangsReported));
    NdisFreeSpinLock(&adapter->Lock);
    NdisFreeMemoryWithTagPriority(adapter->MiniportAdapterHandle, adapter, NULL_TAG);
}

/* ---- Driver entry / unload ---------------------------------------------------------------- */

static VOID NullUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    if (g_NullDriverHandle != NULL) {
        NdisMDeregisterMiniportDriver(g_NullDriverHandle);
        g_NullDriverHandle = NULL;
    }
}

NTSTATUS NullMiniportDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS mc;
    NDIS_STATUS status;

    if (g_NullDriverHandle != NULL) {
        DbgPrint("null: already loaded\n");
        return STATUS_UNSUCCESSFUL;
    }
    MiniportInitializeCharacteristics(&mc);
    mc.InitializeHandlerEx = NullInitializeEx;
    mc.HaltHandlerEx = NullHaltEx;
    mc.UnloadHandler = NullUnload;
    mc.PauseHandler = NullPause;
    mc.RestartHandler = NullRestart;
    mc.OidRequestHandler = NullOidRequest;
    mc.SendNetBufferListsHandler = NullSendNetBufferLists;
    mc.ReturnNetBufferListsHandler = NullReturnNetBufferLists;
    mc.CancelSendHandler = NullCancelSend;
    mc.DevicePnPEventNotifyHandler = MiniportIgnoreDevicePnPEvent;
    mc.ShutdownHandlerEx = MiniportNothingToShutDown;
    mc.CancelOidRequestHandler = MiniportNoOidToCancel; /* every OID is answered synchronously */
    mc.ResetHandlerEx = NullResetEx;
    mc.CheckForHangHandlerEx = NullCheckForHangEx; /* answers FALSE unless HangEvery is set */
    status =
        NdisMRegisterMiniportDriver(DriverObject, RegistryPath, NULL, &mc, &g_NullDriverHandle);
    if (status != NDIS_STATUS_SUCCESS) {
        g_NullDriverHandle = NULL;
        DbgPrint("null: NdisMRegisterMiniportDriver failed: 0x%08lx\n", (ULONG)status);
    }
    return (NTSTATUS)status;
}
