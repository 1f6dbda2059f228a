/*
 * pktgen.c — the `pktgen` protocol: a traffic generator and receiver bound to every 802.3
 * adapter it is offered (registered Name "pktgen").
 *
 * Parameters (per binding: [binding.params], read through NdisOpenConfigurationEx on the
 * NdisBindingHandle; a key missing there is read from [driver.params] on the protocol handle)
 *   FrameSize       bytes per frame, Ethernet header included (default 64, 28 … 65535)
 *   NblsPerSend     NBLs per NdisSendNetBufferLists call (default 32, 1 … 4096)
 *   NbsPerNbl       frames (NET_BUFFERs) per NBL (default 1, 1 … 256)
 *   MdlsPerNb       MDLs per frame, equal parts of it (default 1, 1 … 64, at most FrameSize)
 *   Count           frames to send over the life of the binding (default 100000; 0 = until
 *                   stopped)
 *   DurationMs      stop sending after this long in each run (default 0 = unlimited)
 *   RatePps         frames per second (default 0 = as fast as possible)
 *   MaxOutstanding  NBLs sent and not yet completed, at most (default 1024, 1 … 1048576)
 *   Destination     destination MAC, "ff:ff:ff:ff:ff:ff" (default; '-' or no separator work)
 *   Transmit        1 (default) to send, 0 to only receive and count
 *
 * How it works
 *   Bind: NdisOpenAdapterEx (802.3 only), read the parameters, set the packet filter
 *   (directed, broadcast, all-multicast), then allocate everything it will send: an NBL pool
 *   (bare NBLs), an NB pool, and min(MaxOutstanding, NBLs needed for Count) NBLs, each with
 *   NbsPerNbl NBs over a frame buffer of its own (with the adapter's DataBackFillSize in front,
 *   PS-25) described by MdlsPerNb MDLs. Every frame is written once (see pktgen.h for the
 *   layout); a send only stamps the sequence numbers.
 *   NetEventRestart queues an NDIS I/O work item whose routine (PASSIVE_LEVEL) sends while
 *   the binding runs: it takes up to NblsPerSend free NBLs, stamps them, sends them in one
 *   call, and when none is free waits on an NDIS_EVENT that completions signal — so at most
 *   MaxOutstanding NBLs are ever in flight. ProtocolSendNetBufferListsComplete counts frames by
 *   status and puts the NBLs back on the free list for the next send (PS-16); the last NBL of a
 *   finite Count may carry fewer NBs, and gets its whole NB list back when it is reused.
 *   An NBL completed NDIS_STATUS_PAUSED was not sent (the stack was not running yet, or not
 *   any more): it keeps its frames and sequence numbers and is sent again, before anything
 *   new, as soon as the binding runs (RetriedFrames counts these), so a receiving pktgen sees
 *   no gap across a pause and Count counts frames that got through or failed for good.
 *   NetEventPause stops the sender and answers NDIS_STATUS_PENDING until the work item has
 *   returned and every send has completed, then NdisCompleteNetPnPEvent (PS-19); when nothing
 *   is in flight it answers NDIS_STATUS_SUCCESS at once. Busy counts the work item, each NBL in
 *   flight and the pause call itself; whoever drops it to zero while PausePending is set
 *   completes the pause, exactly once.
 *   Receive: every frame is counted; pktgen frames are checked (magic, pattern, padding,
 *   sequence) and the NBLs returned at once (or left alone with NDIS_RECEIVE_FLAGS_RESOURCES).
 *   Unbind prints the report with DbgPrint ("pktgen <adapter>: sent N frames (B bytes) in
 *   T ms, completed: SUCCESS n1, PAUSED n2, …; received R frames"), frees everything and
 *   closes the adapter. The numbers stay readable through PktgenGetStats (pktgen.h) until
 *   unload.
 */
#include <ndis.h>

#include "builtin_drivers.h"
#include "common/protocol_common.h"
#include "protocol/pktgen/pktgen.h"

#define PKTGEN_TAG 'GtkP'
#define PKTGEN_HEADER_SIZE 14
#define PKTGEN_MAGIC_OFFSET 14
#define PKTGEN_SEQUENCE_OFFSET 18
#define PKTGEN_LENGTH_OFFSET 26
#define PKTGEN_MAX_BACKFILL 4096
#define PKTGEN_WAIT_MS 100

/* ---- Counters --------------------------------------------------------------------------- */
typedef enum _PKTGEN_COUNTER {
    PkSendCalls,
    PkNblsSent,
    PkFramesSent,
    PkRetriedFrames,
    PkBytesSent,
    PkElapsedUs,
    PkOutstandingNbls,
    PkCompletedFrames,
    PkCompletedNbls,
    PkSuccess,
    PkPaused,
    PkInvalidLength,
    PkResources,
    PkFailure,
    PkSendAborted,
    PkResetInProgress,
    PkLowPowerState,
    PkOther,
    PkFramesReceived,
    PkBytesReceived,
    PkPktgenReceived,
    PkSequenceErrors,
    PkPatternErrors,
    PkFirstSequence,
    PkLastSequence,
    PkResourcesIndications,
    PkCounterCount
} PKTGEN_COUNTER;

/* The completion statuses pktgen tells apart, in report order (the last bucket is "other"). */
static const struct {
    NDIS_STATUS Status;
    PKTGEN_COUNTER Counter;
    PCSTR Name;
} g_PktgenStatusBuckets[] = {
    {NDIS_STATUS_SUCCESS, PkSuccess, "SUCCESS"},
    {NDIS_STATUS_PAUSED, PkPaused, "PAUSED"},
    {NDIS_STATUS_INVALID_LENGTH, PkInvalidLength, "INVALID_LENGTH"},
    {NDIS_STATUS_RESOURCES, PkResources, "RESOURCES"},
    {NDIS_STATUS_FAILURE, PkFailure, "FAILURE"},
    {NDIS_STATUS_SEND_ABORTED, PkSendAborted, "SEND_ABORTED"},
    {NDIS_STATUS_RESET_IN_PROGRESS, PkResetInProgress, "RESET_IN_PROGRESS"},
    {NDIS_STATUS_LOW_POWER_STATE, PkLowPowerState, "LOW_POWER_STATE"},
    {0, PkOther, "other"},
};
#define PKTGEN_STATUS_BUCKETS (sizeof(g_PktgenStatusBuckets) / sizeof(g_PktgenStatusBuckets[0]))

/* What PktgenGetStats reads: one per adapter name, alive from the first bind to unload. */
typedef struct _PKTGEN_RECORD {
    LIST_ENTRY Link; /* g_PktgenRecords, under g_PktgenLock */
    CHAR AdapterName[PKTGEN_MAX_ADAPTER_NAME];
    volatile LONG Bound;
    volatile LONG Running;
    PKTGEN_STATS Config; /* the configuration fields only; written under g_PktgenLock */
    volatile LONG64 Counters[PkCounterCount];
} PKTGEN_RECORD, *PPKTGEN_RECORD;

/* One NBL pktgen sends, with its NBs and their frame buffers. */
typedef struct _PKTGEN_SLOT {
    PNET_BUFFER_LIST Nbl;
    PUCHAR Data;        /* NbsPerNbl regions of Backfill + FrameSize bytes */
    ULONG NbsUsed;      /* NBs in the NBL's list for the current send */
    PNET_BUFFER Nbs[1]; /* NbsPerNbl of them */
} PKTGEN_SLOT, *PPKTGEN_SLOT;

typedef struct _PKTGEN_BINDING {
    NDIS_HANDLE BindingHandle;
    PPKTGEN_RECORD Record;
    PROTOCOL_REQUEST_WAIT Wait; /* open, OID and close requests that pend */
    ULONG PacketFilter;

    UCHAR Source[ETH_LENGTH_OF_ADDRESS];
    UCHAR Destination[ETH_LENGTH_OF_ADDRESS];
    ULONG Backfill;
    ULONG FrameSize, NblsPerSend, NbsPerNbl, MdlsPerNb, MaxOutstanding, DurationMs, RatePps;
    ULONG64 Count;
    BOOLEAN Transmit;

    NDIS_HANDLE NblPool;
    NDIS_HANDLE NbPool;
    ULONG SlotCount;
    PPKTGEN_SLOT *Slots;
    NDIS_SPIN_LOCK FreeLock;
    NBL_COUNTED_QUEUE FreeQueue;  /* NBLs ready to send, under FreeLock */
    NBL_COUNTED_QUEUE RetryQueue; /* NBLs completed NDIS_STATUS_PAUSED, to send again as they
                                     are (same frames, same sequence numbers), under FreeLock */
    NDIS_EVENT FreeEvent;         /* signalled by completions and by pause */
    NDIS_HANDLE WorkItem;

    volatile LONG Stop;
    volatile LONG Busy;
    volatile LONG PausePending;
    PNET_PNP_EVENT_NOTIFICATION PauseNotification;
    ULONG64 FramesIssued; /* sender only (one run at a time) */

    NDIS_SPIN_LOCK RxLock; /* RxSeen, RxExpected */
    BOOLEAN RxSeen;
    ULONG64 RxExpected;
} PKTGEN_BINDING, *PPKTGEN_BINDING;

static NDIS_HANDLE g_PktgenProtocolHandle;
static BOOLEAN g_PktgenLoaded;
static NDIS_SPIN_LOCK g_PktgenLock;
static LIST_ENTRY g_PktgenRecords;
static NDIS_STRING g_PktgenName = NDIS_STRING_CONST("pktgen");

static DRIVER_UNLOAD PktgenUnload;
static PROTOCOL_BIND_ADAPTER_EX PktgenBindAdapterEx;
static PROTOCOL_UNBIND_ADAPTER_EX PktgenUnbindAdapterEx;
static PROTOCOL_OPEN_ADAPTER_COMPLETE_EX PktgenOpenAdapterCompleteEx;
static PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX PktgenCloseAdapterCompleteEx;
static PROTOCOL_NET_PNP_EVENT PktgenNetPnPEvent;
static PROTOCOL_OID_REQUEST_COMPLETE PktgenOidRequestComplete;
static PROTOCOL_RECEIVE_NET_BUFFER_LISTS PktgenReceiveNetBufferLists;
static PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE PktgenSendNetBufferListsComplete;
static NDIS_IO_WORKITEM_FUNCTION PktgenWorker;

/* ---- Small helpers ------------------------------------------------------------------------ */

static LONG64 PktgenRead(PPKTGEN_RECORD Record, PKTGEN_COUNTER Counter)
{
    return InterlockedCompareExchange64(&Record->Counters[Counter], 0, 0);
}

static VOID PktgenAdd(PPKTGEN_RECORD Record, PKTGEN_COUNTER Counter, LONG64 Value)
{
    if (Value != 0) {
        InterlockedAdd64(&Record->Counters[Counter], Value);
    }
}

static UCHAR PktgenPattern(ULONG Offset)
{
    return (UCHAR)(Offset * 31 + 7);
}

static ULONG64 PktgenNow100ns(VOID)
{
    return (ULONG64)KeQueryPerformanceCounter(NULL).QuadPart; /* 10 MHz */
}

/* Appends text / a decimal number to Buffer (size Size), always NUL-terminated. */
static VOID PktgenAppend(PCHAR Buffer, ULONG Size, PULONG Used, PCSTR Text)
{
    while (*Text != '\0' && *Used + 1 < Size) {
        Buffer[(*Used)++] = *Text++;
    }
    Buffer[*Used] = '\0';
}

static VOID PktgenAppendNumber(PCHAR Buffer, ULONG Size, PULONG Used, ULONG64 Value)
{
    CHAR digits[24];
    ULONG n = 0;
    CHAR text[24];
    ULONG i;
    do {
        digits[n++] = (CHAR)('0' + Value % 10);
        Value /= 10;
    } while (Value != 0);
    for (i = 0; i < n; ++i) {
        text[i] = digits[n - 1 - i];
    }
    text[n] = '\0';
    PktgenAppend(Buffer, Size, Used, text);
}

/* ---- Busy / pause ------------------------------------------------------------------------- */

/* Drops Count references; the one that reaches zero while a pause waits completes it. The
 * binding may be closed as soon as NdisCompleteNetPnPEvent returns: touch nothing after. */
static VOID PktgenRelease(PPKTGEN_BINDING Binding, LONG Count)
{
    if (InterlockedAdd(&Binding->Busy, -Count) == 0 &&
        InterlockedExchange(&Binding->PausePending, 0) == 1) {
        NdisCompleteNetPnPEvent(Binding->BindingHandle, Binding->PauseNotification,
                                NDIS_STATUS_SUCCESS);
    }
}

/* ---- Configuration ------------------------------------------------------------------------ */

/* The parameter from the binding's table, else the driver's; NULL when neither has it. */

static ULONG PktgenReadUlong(PPKTGEN_BINDING Binding, NDIS_HANDLE BindingConfig,
                             NDIS_HANDLE DriverConfig, PNDIS_STRING Keyword, ULONG Default,
                             ULONG Min, ULONG Max)
{
    PNDIS_CONFIGURATION_PARAMETER value =
        ProtocolReadParameter(BindingConfig, DriverConfig, Keyword, NdisParameterInteger);
    if (value == NULL) {
        return Default;
    }
    if (value->ParameterData.IntegerData < Min || value->ParameterData.IntegerData > Max) {
        DbgPrint("pktgen %s: %wZ %lu out of range %lu..%lu, using %lu\n",
                 Binding->Record->AdapterName, Keyword, value->ParameterData.IntegerData, Min, Max,
                 Default);
        return Default;
    }
    return value->ParameterData.IntegerData;
}

/* "ff:ff:ff:ff:ff:ff", "ff-ff-…" or "ffffffffffff". */
static BOOLEAN PktgenParseMac(PCUNICODE_STRING Text, PUCHAR Mac)
{
    ULONG digits = 0;
    USHORT i;
    for (i = 0; i < Text->Length / sizeof(WCHAR); ++i) {
        const WCHAR c = Text->Buffer[i];
        ULONG v;
        if (c == ':' || c == '-' || c == '.') {
            continue;
        }
        if (c >= '0' && c <= '9') {
            v = (ULONG)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            v = (ULONG)(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            v = (ULONG)(c - 'A' + 10);
        } else {
            return FALSE;
        }
        if (digits >= 2 * ETH_LENGTH_OF_ADDRESS) {
            return FALSE;
        }
        if (digits % 2 == 0) {
            Mac[digits / 2] = (UCHAR)(v << 4);
        } else {
            Mac[digits / 2] |= (UCHAR)v;
        }
        ++digits;
    }
    return digits == 2 * ETH_LENGTH_OF_ADDRESS;
}

static VOID PktgenReadConfiguration(PPKTGEN_BINDING Binding)
{
    NDIS_STRING frameSize = NDIS_STRING_CONST("FrameSize");
    NDIS_STRING nblsPerSend = NDIS_STRING_CONST("NblsPerSend");
    NDIS_STRING nbsPerNbl = NDIS_STRING_CONST("NbsPerNbl");
    NDIS_STRING mdlsPerNb = NDIS_STRING_CONST("MdlsPerNb");
    NDIS_STRING count = NDIS_STRING_CONST("Count");
    NDIS_STRING durationMs = NDIS_STRING_CONST("DurationMs");
    NDIS_STRING ratePps = NDIS_STRING_CONST("RatePps");
    NDIS_STRING maxOutstanding = NDIS_STRING_CONST("MaxOutstanding");
    NDIS_STRING destination = NDIS_STRING_CONST("Destination");
    NDIS_STRING transmit = NDIS_STRING_CONST("Transmit");
    NDIS_HANDLE bindingConfig = DriverOpenConfiguration(Binding->BindingHandle);
    NDIS_HANDLE driverConfig = DriverOpenConfiguration(g_PktgenProtocolHandle);
    PNDIS_CONFIGURATION_PARAMETER value;
    ULONG i;

    Binding->FrameSize = PktgenReadUlong(Binding, bindingConfig, driverConfig, &frameSize, 64,
                                         PKTGEN_MIN_FRAME_SIZE, 65535);
    Binding->NblsPerSend =
        PktgenReadUlong(Binding, bindingConfig, driverConfig, &nblsPerSend, 32, 1, 4096);
    Binding->NbsPerNbl =
        PktgenReadUlong(Binding, bindingConfig, driverConfig, &nbsPerNbl, 1, 1, 256);
    Binding->MdlsPerNb =
        PktgenReadUlong(Binding, bindingConfig, driverConfig, &mdlsPerNb, 1, 1, 64);
    if (Binding->MdlsPerNb > Binding->FrameSize) {
        Binding->MdlsPerNb = Binding->FrameSize;
    }
    Binding->Count =
        PktgenReadUlong(Binding, bindingConfig, driverConfig, &count, 100000, 0, 0xFFFFFFFFu);
    Binding->DurationMs =
        PktgenReadUlong(Binding, bindingConfig, driverConfig, &durationMs, 0, 0, 0xFFFFFFFFu);
    Binding->RatePps =
        PktgenReadUlong(Binding, bindingConfig, driverConfig, &ratePps, 0, 0, 0xFFFFFFFFu);
    Binding->MaxOutstanding =
        PktgenReadUlong(Binding, bindingConfig, driverConfig, &maxOutstanding, 1024, 1, 1u << 20);
    Binding->Transmit =
        PktgenReadUlong(Binding, bindingConfig, driverConfig, &transmit, 1, 0, 1) != 0;
    for (i = 0; i < ETH_LENGTH_OF_ADDRESS; ++i) {
        Binding->Destination[i] = 0xFF;
    }
    value = ProtocolReadParameter(bindingConfig, driverConfig, &destination, NdisParameterString);
    if (value != NULL) {
        UCHAR mac[ETH_LENGTH_OF_ADDRESS];
        if (PktgenParseMac(&value->ParameterData.StringData, mac)) {
            ETH_COPY_NETWORK_ADDRESS(Binding->Destination, mac);
        } else {
            DbgPrint("pktgen %s: Destination '%wZ' is not a MAC address, using broadcast\n",
                     Binding->Record->AdapterName, &value->ParameterData.StringData);
        }
    }
    if (bindingConfig != NULL) {
        NdisCloseConfiguration(bindingConfig);
    }
    if (driverConfig != NULL) {
        NdisCloseConfiguration(driverConfig);
    }
}

/* ---- Stats records ------------------------------------------------------------------------ */

/* The record for AdapterName, reset for a new binding (created on first use). */
static PPKTGEN_RECORD PktgenGetRecord(PCSTR AdapterName)
{
    PPKTGEN_RECORD record = NULL, fresh;
    PLIST_ENTRY entry;
    ULONG i;

    fresh = (PPKTGEN_RECORD)NdisAllocateMemoryWithTagPriority(
        g_PktgenProtocolHandle, sizeof(PKTGEN_RECORD), PKTGEN_TAG, NormalPoolPriority);
    NdisAcquireSpinLock(&g_PktgenLock);
    for (entry = g_PktgenRecords.Flink; entry != &g_PktgenRecords; entry = entry->Flink) {
        PPKTGEN_RECORD r = CONTAINING_RECORD(entry, PKTGEN_RECORD, Link);
        if (ProtocolNameEquals(r->AdapterName, AdapterName)) {
            record = r;
            break;
        }
    }
    if (record == NULL && fresh != NULL) {
        record = fresh;
        fresh = NULL;
        NdisZeroMemory(record, sizeof *record);
        for (i = 0; i + 1 < sizeof(record->AdapterName) && AdapterName[i] != '\0'; ++i) {
            record->AdapterName[i] = AdapterName[i];
        }
        InsertTailList(&g_PktgenRecords, &record->Link);
    }
    if (record != NULL) {
        NdisZeroMemory(&record->Config, sizeof record->Config);
        for (i = 0; i < PkCounterCount; ++i) {
            InterlockedExchange64(&record->Counters[i], 0);
        }
        InterlockedExchange(&record->Running, 0);
        InterlockedExchange(&record->Bound, 0);
    }
    NdisReleaseSpinLock(&g_PktgenLock);
    if (fresh != NULL) {
        NdisFreeMemoryWithTagPriority(g_PktgenProtocolHandle, fresh, PKTGEN_TAG);
    }
    return record;
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS PktgenGetStats(const char *AdapterName, PKTGEN_STATS *Stats)
{
    PLIST_ENTRY entry;
    NDIS_STATUS status = NDIS_STATUS_ADAPTER_NOT_FOUND;

    if (AdapterName == NULL || Stats == NULL) {
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    if (!g_PktgenLoaded) {
        return NDIS_STATUS_ADAPTER_NOT_FOUND;
    }
    NdisAcquireSpinLock(&g_PktgenLock);
    for (entry = g_PktgenRecords.Flink; entry != &g_PktgenRecords; entry = entry->Flink) {
        PPKTGEN_RECORD r = CONTAINING_RECORD(entry, PKTGEN_RECORD, Link);
        if (!ProtocolNameEquals(r->AdapterName, AdapterName)) {
            continue;
        }
        *Stats = r->Config;
        NdisMoveMemory(Stats->AdapterName, r->AdapterName, sizeof Stats->AdapterName);
        Stats->Bound = ReadAcquire(&r->Bound) != 0;
        Stats->Running = ReadAcquire(&r->Running) != 0;
        Stats->SendCalls = (ULONG64)PktgenRead(r, PkSendCalls);
        Stats->NblsSent = (ULONG64)PktgenRead(r, PkNblsSent);
        Stats->FramesSent = (ULONG64)PktgenRead(r, PkFramesSent);
        Stats->RetriedFrames = (ULONG64)PktgenRead(r, PkRetriedFrames);
        Stats->BytesSent = (ULONG64)PktgenRead(r, PkBytesSent);
        Stats->ElapsedUs = (ULONG64)PktgenRead(r, PkElapsedUs);
        Stats->OutstandingNbls = (ULONG64)PktgenRead(r, PkOutstandingNbls);
        Stats->CompletedFrames = (ULONG64)PktgenRead(r, PkCompletedFrames);
        Stats->CompletedNbls = (ULONG64)PktgenRead(r, PkCompletedNbls);
        Stats->CompletedSuccess = (ULONG64)PktgenRead(r, PkSuccess);
        Stats->CompletedPaused = (ULONG64)PktgenRead(r, PkPaused);
        Stats->CompletedInvalidLength = (ULONG64)PktgenRead(r, PkInvalidLength);
        Stats->CompletedResources = (ULONG64)PktgenRead(r, PkResources);
        Stats->CompletedFailure = (ULONG64)PktgenRead(r, PkFailure);
        Stats->CompletedSendAborted = (ULONG64)PktgenRead(r, PkSendAborted);
        Stats->CompletedResetInProgress = (ULONG64)PktgenRead(r, PkResetInProgress);
        Stats->CompletedLowPowerState = (ULONG64)PktgenRead(r, PkLowPowerState);
        Stats->CompletedOther = (ULONG64)PktgenRead(r, PkOther);
        Stats->FramesReceived = (ULONG64)PktgenRead(r, PkFramesReceived);
        Stats->BytesReceived = (ULONG64)PktgenRead(r, PkBytesReceived);
        Stats->PktgenFramesReceived = (ULONG64)PktgenRead(r, PkPktgenReceived);
        Stats->SequenceErrors = (ULONG64)PktgenRead(r, PkSequenceErrors);
        Stats->PatternErrors = (ULONG64)PktgenRead(r, PkPatternErrors);
        Stats->FirstSequence = (ULONG64)PktgenRead(r, PkFirstSequence);
        Stats->LastSequence = (ULONG64)PktgenRead(r, PkLastSequence);
        Stats->ResourcesIndications = (ULONG64)PktgenRead(r, PkResourcesIndications);
        status = NDIS_STATUS_SUCCESS;
        break;
    }
    NdisReleaseSpinLock(&g_PktgenLock);
    return status;
}

/* ---- Send buffers --------------------------------------------------------------------------- */

static VOID PktgenFreeSlot(PPKTGEN_BINDING Binding, PPKTGEN_SLOT Slot)
{
    ULONG i;
    if (Slot->Nbl != NULL) {
        NET_BUFFER_LIST_FIRST_NB(Slot->Nbl) = NULL; /* the NBs are freed on their own */
        NdisFreeNetBufferList(Slot->Nbl);
    }
    for (i = 0; i < Binding->NbsPerNbl; ++i) {
        PNET_BUFFER nb = Slot->Nbs[i];
        PMDL mdl, next;
        if (nb == NULL) {
            continue;
        }
        mdl = NET_BUFFER_FIRST_MDL(nb);
        NET_BUFFER_NEXT_NB(nb) = NULL;
        NdisFreeNetBuffer(nb); /* the MDLs are ours: freed below */
        for (; mdl != NULL; mdl = next) {
            next = NDIS_MDL_LINKAGE(mdl);
            NdisFreeMdl(mdl);
        }
    }
    if (Slot->Data != NULL) {
        NdisFreeMemoryWithTagPriority(Binding->BindingHandle, Slot->Data, PKTGEN_TAG);
    }
    NdisFreeMemoryWithTagPriority(Binding->BindingHandle, Slot, PKTGEN_TAG);
}

/* Writes the constant part of a frame: header, magic, length, pattern. */
static VOID PktgenWriteTemplate(PPKTGEN_BINDING Binding, PUCHAR Frame)
{
    ULONG i;
    ETH_COPY_NETWORK_ADDRESS(Frame, Binding->Destination);
    ETH_COPY_NETWORK_ADDRESS(Frame + 6, Binding->Source);
    Frame[12] = (UCHAR)(PKTGEN_ETHERTYPE >> 8);
    Frame[13] = (UCHAR)(PKTGEN_ETHERTYPE & 0xFF);
    Frame[PKTGEN_MAGIC_OFFSET + 0] = 'P';
    Frame[PKTGEN_MAGIC_OFFSET + 1] = 'K';
    Frame[PKTGEN_MAGIC_OFFSET + 2] = 'T';
    Frame[PKTGEN_MAGIC_OFFSET + 3] = 'G';
    for (i = 0; i < 8; ++i) {
        Frame[PKTGEN_SEQUENCE_OFFSET + i] = 0;
    }
    Frame[PKTGEN_LENGTH_OFFSET] = (UCHAR)(Binding->FrameSize >> 8);
    Frame[PKTGEN_LENGTH_OFFSET + 1] = (UCHAR)Binding->FrameSize;
    for (i = PKTGEN_MIN_FRAME_SIZE; i < Binding->FrameSize; ++i) {
        Frame[i] = PktgenPattern(i);
    }
}

static PPKTGEN_SLOT PktgenAllocateSlot(PPKTGEN_BINDING Binding)
{
    const ULONG region = Binding->Backfill + Binding->FrameSize;
    const ULONG part = Binding->FrameSize / Binding->MdlsPerNb;
    PPKTGEN_SLOT slot;
    ULONG i, j;

    slot = (PPKTGEN_SLOT)NdisAllocateMemoryWithTagPriority(
        Binding->BindingHandle,
        (UINT)(sizeof(PKTGEN_SLOT) + (Binding->NbsPerNbl - 1) * sizeof(PNET_BUFFER)), PKTGEN_TAG,
        NormalPoolPriority);
    if (slot == NULL) {
        return NULL;
    }
    NdisZeroMemory(slot, sizeof(PKTGEN_SLOT) + (Binding->NbsPerNbl - 1) * sizeof(PNET_BUFFER));
    slot->Data = (PUCHAR)NdisAllocateMemoryWithTagPriority(
        Binding->BindingHandle, region * Binding->NbsPerNbl, PKTGEN_TAG, NormalPoolPriority);
    slot->Nbl = NdisAllocateNetBufferList(Binding->NblPool, 0, 0);
    if (slot->Data == NULL || slot->Nbl == NULL) {
        PktgenFreeSlot(Binding, slot);
        return NULL;
    }
    for (i = 0; i < Binding->NbsPerNbl; ++i) {
        PUCHAR base = slot->Data + (SIZE_T)i * region;
        PMDL chain = NULL, *link = &chain;
        PktgenWriteTemplate(Binding, base + Binding->Backfill);
        /* MDL j covers part j of the frame; the first one also the backfill in front. */
        for (j = 0; j < Binding->MdlsPerNb; ++j) {
            const ULONG offset = j * part;
            const ULONG length = (j + 1 == Binding->MdlsPerNb) ? Binding->FrameSize - offset : part;
            PMDL mdl =
                j == 0 ? NdisAllocateMdl(Binding->BindingHandle, base, Binding->Backfill + length)
                       : NdisAllocateMdl(Binding->BindingHandle, base + Binding->Backfill + offset,
                                         length);
            if (mdl == NULL) {
                break;
            }
            *link = mdl;
            link = &NDIS_MDL_LINKAGE(mdl);
        }
        if (j == Binding->MdlsPerNb) {
            slot->Nbs[i] = NdisAllocateNetBuffer(Binding->NbPool, chain, Binding->Backfill,
                                                 Binding->FrameSize);
        }
        if (slot->Nbs[i] == NULL) {
            PMDL next;
            for (; chain != NULL; chain = next) {
                next = NDIS_MDL_LINKAGE(chain);
                NdisFreeMdl(chain);
            }
            PktgenFreeSlot(Binding, slot);
            return NULL;
        }
        if (i != 0) {
            NET_BUFFER_NEXT_NB(slot->Nbs[i - 1]) = slot->Nbs[i];
        }
    }
    NET_BUFFER_LIST_FIRST_NB(slot->Nbl) = slot->Nbs[0];
    slot->NbsUsed = Binding->NbsPerNbl;
    slot->Nbl->SourceHandle = Binding->BindingHandle; /* PS-08 */
    slot->Nbl->ProtocolReserved[0] = slot;
    return slot;
}

static VOID PktgenFreeSendResources(PPKTGEN_BINDING Binding)
{
    ULONG i;
    if (Binding->Slots != NULL) {
        for (i = 0; i < Binding->SlotCount; ++i) {
            if (Binding->Slots[i] != NULL) {
                PktgenFreeSlot(Binding, Binding->Slots[i]);
            }
        }
        NdisFreeMemoryWithTagPriority(Binding->BindingHandle, Binding->Slots, PKTGEN_TAG);
        Binding->Slots = NULL;
    }
    Binding->SlotCount = 0;
    NdisInitializeNblCountedQueue(&Binding->FreeQueue);
    NdisInitializeNblCountedQueue(&Binding->RetryQueue);
    if (Binding->NbPool != NULL) {
        NdisFreeNetBufferPool(Binding->NbPool);
        Binding->NbPool = NULL;
    }
    if (Binding->NblPool != NULL) {
        NdisFreeNetBufferListPool(Binding->NblPool);
        Binding->NblPool = NULL;
    }
    if (Binding->WorkItem != NULL) {
        NdisFreeIoWorkItem(Binding->WorkItem);
        Binding->WorkItem = NULL;
    }
}

static NDIS_STATUS PktgenAllocateSendResources(PPKTGEN_BINDING Binding)
{
    NET_BUFFER_LIST_POOL_PARAMETERS nblPool;
    NET_BUFFER_POOL_PARAMETERS nbPool;
    ULONG64 needed;
    ULONG i;

    Binding->WorkItem = NdisAllocateIoWorkItem(Binding->BindingHandle);
    if (Binding->WorkItem == NULL) {
        return NDIS_STATUS_RESOURCES;
    }
    if (!Binding->Transmit) {
        return NDIS_STATUS_SUCCESS;
    }
    NdisZeroMemory(&nblPool, sizeof nblPool);
    nblPool.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    nblPool.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    nblPool.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    nblPool.ProtocolId = NDIS_PROTOCOL_ID_DEFAULT;
    nblPool.fAllocateNetBuffer = FALSE; /* kind (a): the NBs come from NbPool */
    nblPool.PoolTag = 'lNkP';
    Binding->NblPool = NdisAllocateNetBufferListPool(Binding->BindingHandle, &nblPool);
    NdisZeroMemory(&nbPool, sizeof nbPool);
    nbPool.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    nbPool.Header.Revision = NET_BUFFER_POOL_PARAMETERS_REVISION_1;
    nbPool.Header.Size = NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1;
    nbPool.PoolTag = 'bNkP';
    nbPool.DataSize = 0;
    Binding->NbPool = NdisAllocateNetBufferPool(Binding->BindingHandle, &nbPool);
    if (Binding->NblPool == NULL || Binding->NbPool == NULL) {
        return NDIS_STATUS_RESOURCES;
    }

    /* As many NBLs as may be in flight, or as the whole Count needs if that is fewer. */
    needed = Binding->MaxOutstanding;
    if (Binding->Count != 0) {
        ULONG64 forCount = (Binding->Count + Binding->NbsPerNbl - 1) / Binding->NbsPerNbl;
        if (forCount < needed) {
            needed = forCount;
        }
    }
    Binding->Slots = (PPKTGEN_SLOT *)NdisAllocateMemoryWithTagPriority(
        Binding->BindingHandle, (UINT)(needed * sizeof(PPKTGEN_SLOT)), PKTGEN_TAG,
        NormalPoolPriority);
    if (Binding->Slots == NULL) {
        return NDIS_STATUS_RESOURCES;
    }
    NdisZeroMemory(Binding->Slots, needed * sizeof(PPKTGEN_SLOT));
    Binding->SlotCount = (ULONG)needed;
    for (i = 0; i < Binding->SlotCount; ++i) {
        Binding->Slots[i] = PktgenAllocateSlot(Binding);
        if (Binding->Slots[i] == NULL) {
            return NDIS_STATUS_RESOURCES;
        }
        NdisAppendSingleNblToNblCountedQueue(&Binding->FreeQueue, Binding->Slots[i]->Nbl);
    }
    return NDIS_STATUS_SUCCESS;
}

/* ---- Sender (NDIS I/O work item, PASSIVE_LEVEL) ---------------------------------------------- */

/* Takes up to Want NBLs off Queue (the free list or the retry list) as a chain. */
static PNET_BUFFER_LIST PktgenTake(PPKTGEN_BINDING Binding, PNBL_COUNTED_QUEUE Queue, ULONG Want,
                                   PULONG Got, PULONG64 Frames)
{
    NBL_QUEUE taken;
    PNET_BUFFER_LIST nbl;
    ULONG got = 0;
    ULONG64 frames = 0;

    NdisInitializeNblQueue(&taken);
    NdisAcquireSpinLock(&Binding->FreeLock);
    while (got < Want && (nbl = NdisPopFirstNblFromNblCountedQueue(Queue)) != NULL) {
        NdisAppendSingleNblToNblQueue(&taken, nbl);
        frames += ((PPKTGEN_SLOT)nbl->ProtocolReserved[0])->NbsUsed;
        ++got;
    }
    NdisReleaseSpinLock(&Binding->FreeLock);
    *Got = got;
    if (Frames != NULL) {
        *Frames = frames;
    }
    return NdisPopAllFromNblQueue(&taken);
}

static BOOLEAN PktgenRetryPending(PPKTGEN_BINDING Binding)
{
    BOOLEAN pending;
    NdisAcquireSpinLock(&Binding->FreeLock);
    pending = !NdisIsNblCountedQueueEmpty(&Binding->RetryQueue);
    NdisReleaseSpinLock(&Binding->FreeLock);
    return pending;
}

/* Relinks a slot's NBs for a send of Frames frames and stamps their sequence numbers. */
static VOID PktgenPrepare(PPKTGEN_BINDING Binding, PPKTGEN_SLOT Slot, ULONG Frames)
{
    const ULONG region = Binding->Backfill + Binding->FrameSize;
    ULONG i, k;
    for (i = 0; i < Frames; ++i) {
        PUCHAR frame = Slot->Data + (SIZE_T)i * region + Binding->Backfill;
        const ULONG64 sequence = Binding->FramesIssued + i;
        for (k = 0; k < 8; ++k) {
            frame[PKTGEN_SEQUENCE_OFFSET + k] = (UCHAR)(sequence >> (56 - 8 * k));
        }
        NET_BUFFER_NEXT_NB(Slot->Nbs[i]) = (i + 1 < Frames) ? Slot->Nbs[i + 1] : NULL;
    }
    Slot->NbsUsed = Frames;
    NET_BUFFER_LIST_FIRST_NB(Slot->Nbl) = Slot->Nbs[0];
}

/* Hands Chain (Nbls NBLs, Frames frames) to NDIS. */
static VOID PktgenSend(PPKTGEN_BINDING Binding, PNET_BUFFER_LIST Chain, ULONG Nbls, ULONG64 Frames)
{
    PPKTGEN_RECORD record = Binding->Record;
    PNET_BUFFER_LIST nbl;
    for (nbl = Chain; nbl != NULL; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl)) {
        NET_BUFFER_LIST_STATUS(nbl) = NDIS_STATUS_SUCCESS;
    }
    /* The NBLs hold the binding until they come back (PS-19). */
    InterlockedAdd(&Binding->Busy, (LONG)Nbls);
    PktgenAdd(record, PkOutstandingNbls, Nbls);
    PktgenAdd(record, PkSendCalls, 1);
    PktgenAdd(record, PkNblsSent, Nbls);
    PktgenAdd(record, PkFramesSent, (LONG64)Frames);
    PktgenAdd(record, PkBytesSent, (LONG64)(Frames * Binding->FrameSize));
    /* PS-11: from here the chain is NDIS's until ProtocolSendNetBufferListsComplete, which may
     * run before this call returns (PS-15). */
    NdisSendNetBufferLists(Binding->BindingHandle, Chain, NDIS_DEFAULT_PORT_NUMBER, 0);
}

/* Waits (bounded) for a completion or a pause. The caller reset FreeEvent before it last
 * looked at what it waits for, so a completion in between is not missed. */
static VOID PktgenWaitForCompletions(PPKTGEN_BINDING Binding)
{
    if (ReadAcquire(&Binding->Stop) == 0) {
        NdisWaitEvent(&Binding->FreeEvent, PKTGEN_WAIT_MS);
    }
}

/*
 * The sender. Sends while the binding runs: first any NBLs that came back
 * NDIS_STATUS_PAUSED (the stack was not running yet or any more: the same frames go again, so
 * the receiver's sequence stays gap-free), then new frames, at most NblsPerSend NBLs per call
 * and MaxOutstanding in flight, paced by RatePps, until Count frames got through, DurationMs
 * passed or the binding pauses.
 */
static VOID PktgenWorker(PVOID WorkItemContext, NDIS_HANDLE NdisIoWorkItemHandle)
{
    PPKTGEN_BINDING binding = (PPKTGEN_BINDING)WorkItemContext;
    PPKTGEN_RECORD record = binding->Record;
    const ULONG64 start = PktgenNow100ns();
    const ULONG64 deadline =
        binding->DurationMs != 0 ? start + (ULONG64)binding->DurationMs * 10000 : 0;
    ULONG64 sentThisRun = 0;
    BOOLEAN retried = FALSE;

    UNREFERENCED_PARAMETER(NdisIoWorkItemHandle);
    while (ReadAcquire(&binding->Stop) == 0) {
        ULONG want = binding->NblsPerSend, got;
        ULONG64 frames = 0;
        PNET_BUFFER_LIST chain, nbl;
        const ULONG64 now = PktgenNow100ns();

        chain = PktgenTake(binding, &binding->RetryQueue, want, &got, &frames);
        if (got != 0) {
            if (retried) {
                NdisMSleep(100); /* refused again: give the stack time to start */
            }
            retried = TRUE;
            PktgenAdd(record, PkRetriedFrames, (LONG64)frames);
            PktgenSend(binding, chain, got, frames);
            continue;
        }
        retried = FALSE;
        if (binding->Count != 0 && binding->FramesIssued >= binding->Count) {
            /* Every frame is out; done when they are all back and none must go again. */
            if (PktgenRead(record, PkOutstandingNbls) == 0 && !PktgenRetryPending(binding)) {
                break;
            }
            NdisResetEvent(&binding->FreeEvent);
            if (PktgenRead(record, PkOutstandingNbls) != 0 && !PktgenRetryPending(binding)) {
                PktgenWaitForCompletions(binding);
            }
            continue;
        }
        if (deadline != 0 && now >= deadline) {
            break;
        }
        if (binding->Count != 0) {
            const ULONG64 nblsLeft =
                (binding->Count - binding->FramesIssued + binding->NbsPerNbl - 1) /
                binding->NbsPerNbl;
            if (nblsLeft < want) {
                want = (ULONG)nblsLeft;
            }
        }
        if (binding->RatePps != 0) {
            /* Frames allowed so far in this run; sleep until the next one is due. */
            const ULONG64 rate = binding->RatePps;
            const ULONG64 allowed = (now - start) / 10 * rate / 1000000 + 1;
            if (allowed <= sentThisRun) {
                /* When frame number sentThisRun is due, in 100 ns units after start. */
                const ULONG64 due =
                    start + sentThisRun / rate * 10000000 + sentThisRun % rate * 10000000 / rate;
                const ULONG64 waitUs = due > now ? (due - now) / 10 : 0;
                NdisMSleep((ULONG)(waitUs > 10000 ? 10000 : (waitUs == 0 ? 1 : waitUs)));
                continue;
            }
            if ((allowed - sentThisRun + binding->NbsPerNbl - 1) / binding->NbsPerNbl < want) {
                want =
                    (ULONG)((allowed - sentThisRun + binding->NbsPerNbl - 1) / binding->NbsPerNbl);
            }
        }
        chain = PktgenTake(binding, &binding->FreeQueue, want, &got, NULL);
        if (got == 0) {
            /* MaxOutstanding NBLs in flight: wait for completions (or a pause). */
            NdisResetEvent(&binding->FreeEvent);
            chain = PktgenTake(binding, &binding->FreeQueue, want, &got, NULL);
            if (got == 0) {
                PktgenWaitForCompletions(binding);
                continue;
            }
        }
        for (nbl = chain; nbl != NULL; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl)) {
            PPKTGEN_SLOT slot = (PPKTGEN_SLOT)nbl->ProtocolReserved[0];
            ULONG n = binding->NbsPerNbl;
            if (binding->Count != 0 && binding->Count - binding->FramesIssued < n) {
                n = (ULONG)(binding->Count - binding->FramesIssued);
            }
            PktgenPrepare(binding, slot, n);
            binding->FramesIssued += n;
            frames += n;
        }
        sentThisRun += frames;
        PktgenSend(binding, chain, got, frames);
    }
    /* Let the time cover the last completions, unless asked to stop. */
    while (ReadAcquire(&binding->Stop) == 0 && PktgenRead(record, PkOutstandingNbls) != 0) {
        NdisResetEvent(&binding->FreeEvent);
        if (PktgenRead(record, PkOutstandingNbls) != 0) {
            PktgenWaitForCompletions(binding);
        }
    }
    PktgenAdd(record, PkElapsedUs, (LONG64)((PktgenNow100ns() - start) / 10));
    InterlockedExchange(&record->Running, 0);
    PktgenRelease(binding, 1); /* the work item's reference: touch nothing after */
}

static VOID PktgenSendNetBufferListsComplete(NDIS_HANDLE ProtocolBindingContext,
                                             PNET_BUFFER_LIST NetBufferList,
                                             ULONG SendCompleteFlags)
{
    PPKTGEN_BINDING binding = (PPKTGEN_BINDING)ProtocolBindingContext;
    PPKTGEN_RECORD record = binding->Record;
    LONG64 byBucket[PKTGEN_STATUS_BUCKETS];
    NBL_COUNTED_QUEUE done, again;
    PNET_BUFFER_LIST nbl, next;
    LONG64 frames = 0;
    ULONG i, nbls;

    UNREFERENCED_PARAMETER(SendCompleteFlags);
    NdisZeroMemory(byBucket, sizeof byBucket);
    NdisInitializeNblCountedQueue(&done);
    NdisInitializeNblCountedQueue(&again);
    for (nbl = NetBufferList; nbl != NULL; nbl = next) {
        PPKTGEN_SLOT slot = (PPKTGEN_SLOT)nbl->ProtocolReserved[0];
        const NDIS_STATUS status = NET_BUFFER_LIST_STATUS(nbl);
        next = NET_BUFFER_LIST_NEXT_NBL(nbl);
        NET_BUFFER_LIST_NEXT_NBL(nbl) = NULL;
        for (i = 0; i + 1 < PKTGEN_STATUS_BUCKETS; ++i) {
            if (g_PktgenStatusBuckets[i].Status == status) {
                break;
            }
        }
        byBucket[i] += slot->NbsUsed;
        frames += slot->NbsUsed;
        NdisAppendSingleNblToNblCountedQueue(status == NDIS_STATUS_PAUSED ? &again : &done, nbl);
    }
    for (i = 0; i < PKTGEN_STATUS_BUCKETS; ++i) {
        PktgenAdd(record, g_PktgenStatusBuckets[i].Counter, byBucket[i]);
    }
    nbls = (ULONG)(done.NblCount + again.NblCount);
    PktgenAdd(record, PkCompletedFrames, frames);
    PktgenAdd(record, PkCompletedNbls, nbls);

    /* PS-16: the NBLs are ours again: refused because the stack was paused, on the retry list
     * to go again as they are (before the count drops, so that "nothing in flight" never hides
     * a pending retry); the others back on the free list for the next send (after the count
     * drops, so that it never exceeds MaxOutstanding). */
    if (again.NblCount != 0) {
        NdisAcquireSpinLock(&binding->FreeLock);
        NdisAppendNblCountedQueueToNblCountedQueue(&binding->RetryQueue, &again);
        NdisReleaseSpinLock(&binding->FreeLock);
    }
    PktgenAdd(record, PkOutstandingNbls, -(LONG64)nbls);
    NdisAcquireSpinLock(&binding->FreeLock);
    NdisAppendNblCountedQueueToNblCountedQueue(&binding->FreeQueue, &done);
    NdisReleaseSpinLock(&binding->FreeLock);
    NdisSetEvent(&binding->FreeEvent);
    PktgenRelease(binding, (LONG)nbls);
}

/* ---- Receive ------------------------------------------------------------------------------ */

/* Checks a pktgen frame past its header: pattern up to its length, zeros after (padding). */
static BOOLEAN PktgenCheckPayload(PNET_BUFFER Nb, ULONG FrameLength, ULONG DataLength)
{
    PMDL mdl = NET_BUFFER_CURRENT_MDL(Nb);
    ULONG offset = NET_BUFFER_CURRENT_MDL_OFFSET(Nb);
    ULONG position = 0;

    while (position < DataLength && mdl != NULL) {
        PUCHAR va = (PUCHAR)MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
        ULONG available = MmGetMdlByteCount(mdl) > offset ? MmGetMdlByteCount(mdl) - offset : 0;
        ULONG k;
        if (available > DataLength - position) {
            available = DataLength - position;
        }
        if (va == NULL) {
            return FALSE;
        }
        for (k = 0; k < available; ++k, ++position) {
            const UCHAR b = va[offset + k];
            if (position < PKTGEN_MIN_FRAME_SIZE) {
                continue;
            }
            if (b != (position < FrameLength ? PktgenPattern(position) : 0)) {
                return FALSE;
            }
        }
        mdl = NDIS_MDL_LINKAGE(mdl);
        offset = 0;
    }
    return position == DataLength;
}

typedef struct _PKTGEN_RX {
    LONG64 Frames, Bytes, Pktgen, SequenceErrors, PatternErrors;
    BOOLEAN Any;
    ULONG64 First, Last;
} PKTGEN_RX, *PPKTGEN_RX;

/* Under RxLock. */
static VOID PktgenInspectFrame(PPKTGEN_BINDING Binding, PNET_BUFFER Nb, PPKTGEN_RX Rx)
{
    UCHAR storage[PKTGEN_MIN_FRAME_SIZE];
    const ULONG length = NET_BUFFER_DATA_LENGTH(Nb);
    PUCHAR h;
    ULONG64 sequence = 0;
    ULONG frameLength, k;

    ++Rx->Frames;
    Rx->Bytes += length;
    if (length < PKTGEN_MIN_FRAME_SIZE) {
        return;
    }
    h = (PUCHAR)NdisGetDataBuffer(Nb, PKTGEN_MIN_FRAME_SIZE, storage, 1, 0);
    if (h == NULL || h[12] != (UCHAR)(PKTGEN_ETHERTYPE >> 8) ||
        h[13] != (UCHAR)(PKTGEN_ETHERTYPE & 0xFF) || h[PKTGEN_MAGIC_OFFSET] != 'P' ||
        h[PKTGEN_MAGIC_OFFSET + 1] != 'K' || h[PKTGEN_MAGIC_OFFSET + 2] != 'T' ||
        h[PKTGEN_MAGIC_OFFSET + 3] != 'G') {
        return;
    }
    ++Rx->Pktgen;
    for (k = 0; k < 8; ++k) {
        sequence = (sequence << 8) | h[PKTGEN_SEQUENCE_OFFSET + k];
    }
    frameLength = ((ULONG)h[PKTGEN_LENGTH_OFFSET] << 8) | h[PKTGEN_LENGTH_OFFSET + 1];
    if (frameLength < PKTGEN_MIN_FRAME_SIZE || frameLength > length ||
        !PktgenCheckPayload(Nb, frameLength, length)) {
        ++Rx->PatternErrors;
    }
    if (Binding->RxSeen && sequence != Binding->RxExpected) {
        ++Rx->SequenceErrors;
    }
    if (!Binding->RxSeen) {
        Binding->RxSeen = TRUE;
        Rx->Any = TRUE;
        Rx->First = sequence;
        InterlockedExchange64(&Binding->Record->Counters[PkFirstSequence], (LONG64)sequence);
    }
    Binding->RxExpected = sequence + 1;
    Rx->Last = sequence;
    Rx->Any = TRUE;
}

static VOID PktgenReceiveNetBufferLists(NDIS_HANDLE ProtocolBindingContext,
                                        PNET_BUFFER_LIST NetBufferLists,
                                        NDIS_PORT_NUMBER PortNumber, ULONG NumberOfNetBufferLists,
                                        ULONG ReceiveFlags)
{
    PPKTGEN_BINDING binding = (PPKTGEN_BINDING)ProtocolBindingContext;
    PPKTGEN_RECORD record = binding->Record;
    PKTGEN_RX rx;
    PNET_BUFFER_LIST nbl;
    PNET_BUFFER nb;

    UNREFERENCED_PARAMETER(PortNumber);
    UNREFERENCED_PARAMETER(NumberOfNetBufferLists);
    NdisZeroMemory(&rx, sizeof rx);
    NdisAcquireSpinLock(&binding->RxLock);
    for (nbl = NetBufferLists; nbl != NULL; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl)) {
        for (nb = NET_BUFFER_LIST_FIRST_NB(nbl); nb != NULL; nb = NET_BUFFER_NEXT_NB(nb)) {
            PktgenInspectFrame(binding, nb, &rx);
        }
    }
    if (rx.Any) {
        InterlockedExchange64(&record->Counters[PkLastSequence], (LONG64)rx.Last);
    }
    NdisReleaseSpinLock(&binding->RxLock);
    PktgenAdd(record, PkFramesReceived, rx.Frames);
    PktgenAdd(record, PkBytesReceived, rx.Bytes);
    PktgenAdd(record, PkPktgenReceived, rx.Pktgen);
    PktgenAdd(record, PkSequenceErrors, rx.SequenceErrors);
    PktgenAdd(record, PkPatternErrors, rx.PatternErrors);
    if (NDIS_TEST_RECEIVE_CANNOT_PEND(ReceiveFlags)) {
        /* PS-23: the NBLs go back to the miniport when we return; nothing kept. */
        PktgenAdd(record, PkResourcesIndications, 1);
        return;
    }
    NdisReturnNetBufferLists(
        binding->BindingHandle, NetBufferLists,
        NDIS_TEST_RECEIVE_AT_DISPATCH_LEVEL(ReceiveFlags) ? NDIS_RETURN_FLAGS_DISPATCH_LEVEL : 0);
}

/* ---- Binding -------------------------------------------------------------------------------- */

static VOID PktgenOpenAdapterCompleteEx(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS Status)
{
    PPKTGEN_BINDING binding = (PPKTGEN_BINDING)ProtocolBindingContext;
    ProtocolOpenCloseCompleted(&binding->Wait, Status);
}

static VOID PktgenCloseAdapterCompleteEx(NDIS_HANDLE ProtocolBindingContext)
{
    PPKTGEN_BINDING binding = (PPKTGEN_BINDING)ProtocolBindingContext;
    ProtocolOpenCloseCompleted(&binding->Wait, NDIS_STATUS_SUCCESS);
}

static VOID PktgenOidRequestComplete(NDIS_HANDLE ProtocolBindingContext,
                                     PNDIS_OID_REQUEST OidRequest, NDIS_STATUS Status)
{
    PPKTGEN_BINDING binding = (PPKTGEN_BINDING)ProtocolBindingContext;
    UNREFERENCED_PARAMETER(OidRequest);
    ProtocolOidCompleted(&binding->Wait, Status);
}

/* Directed, broadcast and all-multicast frames, so that pktgen frames reach us. */
static NDIS_STATUS PktgenSetPacketFilter(PPKTGEN_BINDING Binding)
{
    Binding->PacketFilter =
        NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST | NDIS_PACKET_TYPE_ALL_MULTICAST;
    return ProtocolOidRequest(Binding->BindingHandle, &Binding->Wait, NdisRequestSetInformation,
                              OID_GEN_CURRENT_PACKET_FILTER, &Binding->PacketFilter, sizeof(ULONG));
}

static VOID PktgenCloseAndFree(PPKTGEN_BINDING Binding)
{
    PktgenFreeSendResources(Binding);
    ProtocolCloseAdapter(Binding->BindingHandle, &Binding->Wait);
    NdisFreeSpinLock(&Binding->RxLock);
    NdisFreeSpinLock(&Binding->FreeLock);
    NdisFreeMemoryWithTagPriority(g_PktgenProtocolHandle, Binding, PKTGEN_TAG);
}

static NDIS_STATUS PktgenBindAdapterEx(NDIS_HANDLE ProtocolDriverContext, NDIS_HANDLE BindContext,
                                       PNDIS_BIND_PARAMETERS BindParameters)
{
    PPKTGEN_BINDING binding;
    CHAR name[PKTGEN_MAX_ADAPTER_NAME];
    NDIS_STATUS status;

    UNREFERENCED_PARAMETER(ProtocolDriverContext);
    if (BindParameters->MediaType != NdisMedium802_3) {
        return NDIS_STATUS_UNSUPPORTED_MEDIA;
    }
    ProtocolAdapterNameToAscii(BindParameters->AdapterName, name, sizeof name);

    binding = (PPKTGEN_BINDING)NdisAllocateMemoryWithTagPriority(
        g_PktgenProtocolHandle, sizeof(PKTGEN_BINDING), PKTGEN_TAG, NormalPoolPriority);
    if (binding == NULL) {
        return NDIS_STATUS_RESOURCES;
    }
    NdisZeroMemory(binding, sizeof *binding);
    binding->Record = PktgenGetRecord(name);
    if (binding->Record == NULL) {
        NdisFreeMemoryWithTagPriority(g_PktgenProtocolHandle, binding, PKTGEN_TAG);
        return NDIS_STATUS_RESOURCES;
    }
    ProtocolRequestWaitInitialize(&binding->Wait);
    NdisInitializeEvent(&binding->FreeEvent);
    NdisAllocateSpinLock(&binding->FreeLock);
    NdisAllocateSpinLock(&binding->RxLock);
    NdisInitializeNblCountedQueue(&binding->FreeQueue);
    NdisInitializeNblCountedQueue(&binding->RetryQueue);
    if (BindParameters->MacAddressLength == ETH_LENGTH_OF_ADDRESS) {
        ETH_COPY_NETWORK_ADDRESS(binding->Source, BindParameters->CurrentMacAddress);
    }
    binding->Backfill = BindParameters->DataBackFillSize <= PKTGEN_MAX_BACKFILL
                            ? BindParameters->DataBackFillSize
                            : PKTGEN_MAX_BACKFILL;

    status = ProtocolOpenAdapter(g_PktgenProtocolHandle, binding, BindContext, BindParameters,
                                 &binding->Wait, &binding->BindingHandle);
    if (status != NDIS_STATUS_SUCCESS) {
        NdisFreeSpinLock(&binding->RxLock);
        NdisFreeSpinLock(&binding->FreeLock);
        NdisFreeMemoryWithTagPriority(g_PktgenProtocolHandle, binding, PKTGEN_TAG);
        return status;
    }

    PktgenReadConfiguration(binding);
    if (binding->Backfill + binding->FrameSize > 65535) {
        binding->Backfill = 0;
    }
    status = PktgenSetPacketFilter(binding);
    if (status != NDIS_STATUS_SUCCESS) {
        DbgPrint("pktgen %s: setting the packet filter failed (0x%08lx); receiving may not "
                 "work\n",
                 name, (ULONG)status);
    }
    status = PktgenAllocateSendResources(binding);
    if (status != NDIS_STATUS_SUCCESS) {
        DbgPrint("pktgen %s: cannot allocate %lu send buffers of %lu x %lu bytes\n", name,
                 binding->SlotCount, binding->NbsPerNbl, binding->FrameSize);
        PktgenCloseAndFree(binding);
        return status;
    }

    NdisAcquireSpinLock(&g_PktgenLock);
    binding->Record->Config.FrameSize = binding->FrameSize;
    binding->Record->Config.NblsPerSend = binding->NblsPerSend;
    binding->Record->Config.NbsPerNbl = binding->NbsPerNbl;
    binding->Record->Config.MdlsPerNb = binding->MdlsPerNb;
    binding->Record->Config.MaxOutstanding = binding->MaxOutstanding;
    binding->Record->Config.Count = binding->Count;
    binding->Record->Config.DurationMs = binding->DurationMs;
    binding->Record->Config.RatePps = binding->RatePps;
    binding->Record->Config.Transmit = binding->Transmit;
    NdisReleaseSpinLock(&g_PktgenLock);
    InterlockedExchange(&binding->Record->Bound, 1);
    DbgPrint("pktgen %s: bound: %s%lu-byte frames, %lu NBL(s) per send, %lu NB(s) per NBL, %lu "
             "MDL(s) per NB, count %I64u, duration %lu ms, rate %lu pps, %lu NBLs in flight at "
             "most\n",
             name, binding->Transmit ? "" : "receive only; ", binding->FrameSize,
             binding->NblsPerSend, binding->NbsPerNbl, binding->MdlsPerNb, binding->Count,
             binding->DurationMs, binding->RatePps, binding->SlotCount);
    return NDIS_STATUS_SUCCESS;
}

static VOID PktgenReport(PPKTGEN_BINDING Binding)
{
    PPKTGEN_RECORD r = Binding->Record;
    CHAR completed[320];
    ULONG used = 0, i;
    const ULONG64 us = (ULONG64)PktgenRead(r, PkElapsedUs);
    const ULONG64 frames = (ULONG64)PktgenRead(r, PkFramesSent);

    completed[0] = '\0';
    for (i = 0; i < PKTGEN_STATUS_BUCKETS; ++i) {
        const ULONG64 n = (ULONG64)PktgenRead(r, g_PktgenStatusBuckets[i].Counter);
        if (i != 0 && n == 0) {
            continue; /* SUCCESS always, the others when they happened */
        }
        if (used != 0) {
            PktgenAppend(completed, sizeof completed, &used, ", ");
        }
        PktgenAppend(completed, sizeof completed, &used, g_PktgenStatusBuckets[i].Name);
        PktgenAppend(completed, sizeof completed, &used, " ");
        PktgenAppendNumber(completed, sizeof completed, &used, n);
        if (g_PktgenStatusBuckets[i].Counter == PkPaused && PktgenRead(r, PkRetriedFrames) != 0) {
            PktgenAppend(completed, sizeof completed, &used, " (");
            PktgenAppendNumber(completed, sizeof completed, &used,
                               (ULONG64)PktgenRead(r, PkRetriedFrames));
            PktgenAppend(completed, sizeof completed, &used, " resent)");
        }
    }
    DbgPrint("pktgen %s: sent %I64u frames (%I64u bytes) in %I64u.%03I64u ms (%I64u frames/s), "
             "completed: %s; received %I64u frames (%I64u pktgen, %I64u sequence errors, "
             "%I64u pattern errors)\n",
             r->AdapterName, frames, (ULONG64)PktgenRead(r, PkBytesSent), us / 1000, us % 1000,
             us != 0 ? frames * 1000000 / us : 0, completed,
             (ULONG64)PktgenRead(r, PkFramesReceived), (ULONG64)PktgenRead(r, PkPktgenReceived),
             (ULONG64)PktgenRead(r, PkSequenceErrors), (ULONG64)PktgenRead(r, PkPatternErrors));
}

static NDIS_STATUS PktgenUnbindAdapterEx(NDIS_HANDLE UnbindContext,
                                         NDIS_HANDLE ProtocolBindingContext)
{
    PPKTGEN_BINDING binding = (PPKTGEN_BINDING)ProtocolBindingContext;

    UNREFERENCED_PARAMETER(UnbindContext);
    /* NDIS pauses a binding before unbinding it, so the sender has stopped and every send has
     * completed; should it still run, stop it and wait (PS-22: no close with sends out). */
    InterlockedExchange(&binding->Stop, 1);
    NdisSetEvent(&binding->FreeEvent);
    while (ReadAcquire(&binding->Busy) != 0) {
        NdisMSleep(1000);
    }
    PktgenReport(binding);
    InterlockedExchange(&binding->Record->Bound, 0);
    PktgenCloseAndFree(binding);
    return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS PktgenNetPnPEvent(NDIS_HANDLE ProtocolBindingContext,
                                     PNET_PNP_EVENT_NOTIFICATION NetPnPEventNotification)
{
    PPKTGEN_BINDING binding = (PPKTGEN_BINDING)ProtocolBindingContext;

    if (binding == NULL) {
        return NDIS_STATUS_SUCCESS; /* events about the protocol as a whole */
    }
    switch (NetPnPEventNotification->NetPnPEvent.NetEvent) {
    case NetEventRestart:
        if (!binding->Transmit || binding->SlotCount == 0 ||
            (binding->Count != 0 && binding->FramesIssued >= binding->Count &&
             !PktgenRetryPending(binding))) {
            return NDIS_STATUS_SUCCESS; /* nothing (more) to send */
        }
        InterlockedExchange(&binding->Stop, 0);
        InterlockedIncrement(&binding->Busy); /* the work item's reference */
        InterlockedExchange(&binding->Record->Running, 1);
        NdisQueueIoWorkItem(binding->WorkItem, PktgenWorker, binding);
        return NDIS_STATUS_SUCCESS;
    case NetEventPause:
        binding->PauseNotification = NetPnPEventNotification;
        InterlockedIncrement(&binding->Busy); /* this call's own reference */
        InterlockedExchange(&binding->PausePending, 1);
        InterlockedExchange(&binding->Stop, 1);
        NdisSetEvent(&binding->FreeEvent); /* wake a sender waiting for free NBLs */
        if (InterlockedDecrement(&binding->Busy) == 0 &&
            InterlockedExchange(&binding->PausePending, 0) == 1) {
            return NDIS_STATUS_SUCCESS;
        }
        /* PS-19: the sender or sends still out; the last of them completes the pause. */
        return NDIS_STATUS_PENDING;
    default: return NDIS_STATUS_SUCCESS;
    }
}

/* ---- Driver entry / unload ---------------------------------------------------------------- */

static VOID PktgenUnload(PDRIVER_OBJECT DriverObject)
{
    LIST_ENTRY records;

    UNREFERENCED_PARAMETER(DriverObject);
    if (!g_PktgenLoaded) {
        return;
    }
    NdisDeregisterProtocolDriver(g_PktgenProtocolHandle); /* unbinds what is left */
    InitializeListHead(&records);
    NdisAcquireSpinLock(&g_PktgenLock);
    g_PktgenLoaded = FALSE;
    while (!IsListEmpty(&g_PktgenRecords)) {
        InsertTailList(&records, RemoveHeadList(&g_PktgenRecords));
    }
    NdisReleaseSpinLock(&g_PktgenLock);
    while (!IsListEmpty(&records)) {
        PPKTGEN_RECORD r = CONTAINING_RECORD(RemoveHeadList(&records), PKTGEN_RECORD, Link);
        NdisFreeMemoryWithTagPriority(NULL, r, PKTGEN_TAG);
    }
    NdisFreeSpinLock(&g_PktgenLock);
    g_PktgenProtocolHandle = NULL;
}

NTSTATUS PktgenProtocolDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NDIS_PROTOCOL_DRIVER_CHARACTERISTICS pc;
    NDIS_STATUS status;

    UNREFERENCED_PARAMETER(RegistryPath);
    if (g_PktgenLoaded) {
        DbgPrint("pktgen: already loaded\n");
        return STATUS_UNSUCCESSFUL;
    }
    NdisAllocateSpinLock(&g_PktgenLock);
    InitializeListHead(&g_PktgenRecords);

    ProtocolInitializeCharacteristics(&pc, &g_PktgenName);
    pc.BindAdapterHandlerEx = PktgenBindAdapterEx;
    pc.UnbindAdapterHandlerEx = PktgenUnbindAdapterEx;
    pc.OpenAdapterCompleteHandlerEx = PktgenOpenAdapterCompleteEx;
    pc.CloseAdapterCompleteHandlerEx = PktgenCloseAdapterCompleteEx;
    pc.NetPnPEventHandler = PktgenNetPnPEvent;
    pc.OidRequestCompleteHandler = PktgenOidRequestComplete;
    pc.StatusHandlerEx = ProtocolIgnoreStatus;
    pc.ReceiveNetBufferListsHandler = PktgenReceiveNetBufferLists;
    pc.SendNetBufferListsCompleteHandler = PktgenSendNetBufferListsComplete;
    status = NdisRegisterProtocolDriver(NULL, &pc, &g_PktgenProtocolHandle);
    if (status != NDIS_STATUS_SUCCESS) {
        g_PktgenProtocolHandle = NULL;
        NdisFreeSpinLock(&g_PktgenLock);
        DbgPrint("pktgen: NdisRegisterProtocolDriver failed: 0x%08lx\n", (ULONG)status);
        return (NTSTATUS)status;
    }
    g_PktgenLoaded = TRUE;
    DriverObject->DriverUnload = PktgenUnload;
    return STATUS_SUCCESS;
}
