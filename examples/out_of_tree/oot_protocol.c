/*
 * oot_protocol.c — an out-of-tree NDIS 6 protocol in plain C, built as a shared object
 * (liboot_protocol.so) against an OpenNDIS build tree and loaded by `ndisctl run` by path.
 *
 * Abstract
 *   Binds to every Ethernet adapter, and once a binding runs, sends `Count` broadcast frames of
 *   `FrameSize` bytes on it, one NBL per NdisSendNetBufferLists, from a work item. It counts the
 *   completions by status and the frames it receives, and prints a report when it is unbound.
 *   Parameters: [driver.params] Count (default 64) and FrameSize (default 60), which a
 *   [binding.params] of the same name overrides for one binding.
 *
 * Ownership
 *   An NBL belongs to the protocol until NdisSendNetBufferLists; NDIS (then the miniport) owns
 *   it until ProtocolSendNetBufferListsComplete gives it back, where it is freed. Received NBLs
 *   are returned with NdisReturnNetBufferLists unless indicated with NDIS_RECEIVE_FLAGS_RESOURCES.
 *
 * Pause and restart
 *   NDIS runs a binding only after ProtocolNetPnPEvent(NetEventRestart) returns, so the sender
 *   (a work item queued there) may see its first sends completed with NDIS_STATUS_PAUSED; it
 *   waits a little and sends them again. On NetEventPause it stops and waits for the work item
 *   and every outstanding send before it returns.
 *
 * Shared fields are written with Interlocked* and read with ReadAcquire (as the WDK's
 * ReadAcquire does), so the sender, the completion path and the PnP handler never race.
 */
#define NDIS60 1
#include <ndis.h>

#define OOT_TAG ((ULONG)'tooP') /* "Poot" */

typedef struct _OOT_BINDING {
    NDIS_HANDLE BindingHandle;
    NDIS_HANDLE NblPool;
    NDIS_HANDLE WorkItem;
    NDIS_STRING AdapterName;
    WCHAR AdapterNameBuffer[128];
    ULONG Count;
    ULONG FrameSize;
    volatile LONG Running;       /* set on restart, cleared on pause */
    volatile LONG SenderBusy;    /* the work item is queued or running */
    volatile LONG Outstanding;   /* sent, not yet completed */
    volatile LONG LastWasPaused; /* the runtime completed a send with NDIS_STATUS_PAUSED */
    volatile LONG Sent, CompletedOk, CompletedFailed, Retried, Received;
    ULONG Next;                  /* frames sent so far (sender only) */
} OOT_BINDING, *POOT_BINDING;

static NDIS_HANDLE OotProtocolHandle;

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD OotUnload;
PROTOCOL_BIND_ADAPTER_EX OotBind;
PROTOCOL_UNBIND_ADAPTER_EX OotUnbind;
PROTOCOL_OPEN_ADAPTER_COMPLETE_EX OotOpenComplete;
PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX OotCloseComplete;
PROTOCOL_NET_PNP_EVENT OotPnpEvent;
PROTOCOL_OID_REQUEST_COMPLETE OotOidComplete;
PROTOCOL_STATUS_EX OotStatus;
PROTOCOL_RECEIVE_NET_BUFFER_LISTS OotReceive;
PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE OotSendComplete;
NDIS_IO_WORKITEM_FUNCTION OotSender;

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NDIS_PROTOCOL_DRIVER_CHARACTERISTICS pc;
    NDIS_STRING name = NDIS_STRING_CONST("oot_protocol");

    UNREFERENCED_PARAMETER(RegistryPath);
    NdisZeroMemory(&pc, sizeof pc);
    pc.Header.Type = NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS;
    pc.Header.Revision = NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1;
    pc.Header.Size = NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1;
    pc.MajorNdisVersion = NDIS_PROTOCOL_MAJOR_VERSION;
    pc.MinorNdisVersion = NDIS_PROTOCOL_MINOR_VERSION;
    pc.Name = name;
    pc.BindAdapterHandlerEx = OotBind;
    pc.UnbindAdapterHandlerEx = OotUnbind;
    pc.OpenAdapterCompleteHandlerEx = OotOpenComplete;
    pc.CloseAdapterCompleteHandlerEx = OotCloseComplete;
    pc.NetPnPEventHandler = OotPnpEvent;
    pc.OidRequestCompleteHandler = OotOidComplete;
    pc.StatusHandlerEx = OotStatus;
    pc.ReceiveNetBufferListsHandler = OotReceive;
    pc.SendNetBufferListsCompleteHandler = OotSendComplete;
    DriverObject->DriverUnload = OotUnload;
    return NdisRegisterProtocolDriver(NULL, &pc, &OotProtocolHandle);
}

VOID OotUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    NdisDeregisterProtocolDriver(OotProtocolHandle);
}

/* Reads an integer parameter from `Handle`'s configuration; keeps *Value when absent. */
static VOID OotReadInteger(NDIS_HANDLE Handle, PNDIS_STRING Keyword, PULONG Value)
{
    NDIS_CONFIGURATION_OBJECT co;
    NDIS_HANDLE config = NULL;
    PNDIS_CONFIGURATION_PARAMETER p = NULL;
    NDIS_STATUS status;

    co.Header.Type = NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT;
    co.Header.Revision = NDIS_CONFIGURATION_OBJECT_REVISION_1;
    co.Header.Size = NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1;
    co.NdisHandle = Handle;
    co.Flags = 0;
    if (NdisOpenConfigurationEx(&co, &config) != NDIS_STATUS_SUCCESS)
        return;
    NdisReadConfiguration(&status, &p, config, Keyword, NdisParameterInteger);
    if (status == NDIS_STATUS_SUCCESS)
        *Value = p->ParameterData.IntegerData;
    NdisCloseConfiguration(config);
}

static VOID OotReadParameters(NDIS_HANDLE Handle, POOT_BINDING b)
{
    NDIS_STRING count = NDIS_STRING_CONST("Count");
    NDIS_STRING size = NDIS_STRING_CONST("FrameSize");
    OotReadInteger(Handle, &count, &b->Count);
    OotReadInteger(Handle, &size, &b->FrameSize);
}

static VOID OotFree(POOT_BINDING b)
{
    if (b->WorkItem != NULL)
        NdisFreeIoWorkItem(b->WorkItem);
    if (b->NblPool != NULL)
        NdisFreeNetBufferListPool(b->NblPool);
    NdisFreeMemoryWithTagPriority(OotProtocolHandle, b, OOT_TAG);
}

NDIS_STATUS OotBind(NDIS_HANDLE ProtocolDriverContext, NDIS_HANDLE BindContext,
                    PNDIS_BIND_PARAMETERS BindParameters)
{
    NDIS_OPEN_PARAMETERS op;
    NDIS_MEDIUM media[] = {NdisMedium802_3};
    UINT selected = 0;
    NET_BUFFER_LIST_POOL_PARAMETERS pp;
    POOT_BINDING b;
    NDIS_STATUS status;
    USHORT chars;

    UNREFERENCED_PARAMETER(ProtocolDriverContext);
    if (BindParameters->MediaType != NdisMedium802_3)
        return NDIS_STATUS_UNSUPPORTED_MEDIA;
    b = (POOT_BINDING)NdisAllocateMemoryWithTagPriority(OotProtocolHandle, sizeof *b, OOT_TAG,
                                                        NormalPoolPriority);
    if (b == NULL)
        return NDIS_STATUS_RESOURCES;
    NdisZeroMemory(b, sizeof *b);
    b->Count = 64;
    b->FrameSize = 60;
    OotReadParameters(OotProtocolHandle, b); /* [driver.params] */
    chars = BindParameters->AdapterName->Length / sizeof(WCHAR);
    if (chars > 127)
        chars = 127;
    NdisMoveMemory(b->AdapterNameBuffer, BindParameters->AdapterName->Buffer, chars * sizeof(WCHAR));
    b->AdapterName.Buffer = b->AdapterNameBuffer;
    b->AdapterName.Length = (USHORT)(chars * sizeof(WCHAR));
    b->AdapterName.MaximumLength = sizeof b->AdapterNameBuffer;

    NdisZeroMemory(&op, sizeof op);
    op.Header.Type = NDIS_OBJECT_TYPE_OPEN_PARAMETERS;
    op.Header.Revision = NDIS_OPEN_PARAMETERS_REVISION_1;
    op.Header.Size = NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1;
    op.AdapterName = BindParameters->AdapterName;
    op.MediumArray = media;
    op.MediumArraySize = 1;
    op.SelectedMediumIndex = &selected;
    status = NdisOpenAdapterEx(OotProtocolHandle, b, &op, BindContext, &b->BindingHandle);
    if (status != NDIS_STATUS_SUCCESS) {
        /* This example does not pend its open (OotOpenComplete never runs). */
        OotFree(b);
        return status;
    }
    OotReadParameters(b->BindingHandle, b); /* [binding.params] override */
    if (b->FrameSize < 14)
        b->FrameSize = 14;

    NdisZeroMemory(&pp, sizeof pp);
    pp.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    pp.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    pp.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    pp.ProtocolId = NDIS_PROTOCOL_ID_DEFAULT;
    pp.fAllocateNetBuffer = TRUE;
    pp.DataSize = b->FrameSize;
    pp.PoolTag = OOT_TAG;
    b->NblPool = NdisAllocateNetBufferListPool(OotProtocolHandle, &pp);
    b->WorkItem = NdisAllocateIoWorkItem(b->BindingHandle);
    if (b->NblPool == NULL || b->WorkItem == NULL) {
        NdisCloseAdapterEx(b->BindingHandle);
        OotFree(b);
        return NDIS_STATUS_RESOURCES;
    }
    DbgPrint("oot_protocol: bound to %wZ (Count %u, FrameSize %u)\n", &b->AdapterName,
             (unsigned)b->Count, (unsigned)b->FrameSize);
    return NDIS_STATUS_SUCCESS;
}

VOID OotOpenComplete(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS Status)
{
    UNREFERENCED_PARAMETER(ProtocolBindingContext);
    UNREFERENCED_PARAMETER(Status);
}

/* The work item: sends what is left of Count while the binding runs. */
VOID OotSender(PVOID WorkItemContext, NDIS_HANDLE NdisIoWorkItemHandle)
{
    POOT_BINDING b = (POOT_BINDING)WorkItemContext;
    ULONG waits = 0;

    UNREFERENCED_PARAMETER(NdisIoWorkItemHandle);
    while (ReadAcquire(&b->Running) && b->Next < b->Count) {
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(b->NblPool, 0, 0);
        PUCHAR frame;
        if (nbl == NULL)
            break;
        frame = (PUCHAR)NdisGetDataBuffer(NET_BUFFER_LIST_FIRST_NB(nbl), 14, NULL, 1, 0);
        if (frame != NULL) {
            NdisFillMemory(frame, 6, 0xff);                  /* broadcast */
            NdisFillMemory(frame + 6, 6, 0x02);              /* a local source address */
            frame[12] = 0x88;                                /* EtherType 0x88b5 (local */
            frame[13] = 0xb5;                                /* experimental) */
        }
        nbl->SourceHandle = b->BindingHandle;
        InterlockedExchange(&b->LastWasPaused, 0);
        InterlockedIncrement(&b->Outstanding);
        NdisSendNetBufferLists(b->BindingHandle, nbl, NDIS_DEFAULT_PORT_NUMBER, 0);
        if (ReadAcquire(&b->LastWasPaused)) {
            /* Not running yet (restart still returning) or pausing: try again shortly. */
            if (++waits > 2000)
                break;
            NdisMSleep(500);
            continue;
        }
        b->Next++;
        InterlockedIncrement(&b->Sent);
    }
    InterlockedExchange(&b->SenderBusy, 0);
}

VOID OotSendComplete(NDIS_HANDLE ProtocolBindingContext, PNET_BUFFER_LIST NetBufferLists,
                     ULONG SendCompleteFlags)
{
    POOT_BINDING b = (POOT_BINDING)ProtocolBindingContext;
    PNET_BUFFER_LIST nbl, next;

    UNREFERENCED_PARAMETER(SendCompleteFlags);
    for (nbl = NetBufferLists; nbl != NULL; nbl = next) {
        next = NET_BUFFER_LIST_NEXT_NBL(nbl);
        NET_BUFFER_LIST_NEXT_NBL(nbl) = NULL;
        if (NET_BUFFER_LIST_STATUS(nbl) == NDIS_STATUS_SUCCESS) {
            InterlockedIncrement(&b->CompletedOk);
        } else if (NET_BUFFER_LIST_STATUS(nbl) == NDIS_STATUS_PAUSED) {
            InterlockedIncrement(&b->Retried);
            InterlockedExchange(&b->LastWasPaused, 1);
        } else {
            InterlockedIncrement(&b->CompletedFailed);
        }
        NdisFreeNetBufferList(nbl);
        InterlockedDecrement(&b->Outstanding);
    }
}

NDIS_STATUS OotPnpEvent(NDIS_HANDLE ProtocolBindingContext,
                        PNET_PNP_EVENT_NOTIFICATION NetPnPEventNotification)
{
    POOT_BINDING b = (POOT_BINDING)ProtocolBindingContext;

    if (b == NULL)
        return NDIS_STATUS_SUCCESS;
    switch (NetPnPEventNotification->NetPnPEvent.NetEvent) {
    case NetEventRestart:
        InterlockedExchange(&b->Running, 1);
        if (b->Next < b->Count && InterlockedExchange(&b->SenderBusy, 1) == 0)
            NdisQueueIoWorkItem(b->WorkItem, OotSender, b);
        break;
    case NetEventPause:
        InterlockedExchange(&b->Running, 0);
        while (ReadAcquire(&b->SenderBusy) || ReadAcquire(&b->Outstanding) != 0)
            NdisMSleep(100);
        break;
    default:
        break;
    }
    return NDIS_STATUS_SUCCESS;
}

NDIS_STATUS OotUnbind(NDIS_HANDLE UnbindContext, NDIS_HANDLE ProtocolBindingContext)
{
    POOT_BINDING b = (POOT_BINDING)ProtocolBindingContext;
    NDIS_STATUS status;

    UNREFERENCED_PARAMETER(UnbindContext);
    InterlockedExchange(&b->Running, 0);
    while (ReadAcquire(&b->SenderBusy) || ReadAcquire(&b->Outstanding) != 0)
        NdisMSleep(100);
    DbgPrint("oot_protocol: report for %wZ: sent %ld of %u, completed %ld ok, %ld failed, "
             "%ld retried after PAUSED, received %ld\n",
             &b->AdapterName, (long)ReadAcquire(&b->Sent), (unsigned)b->Count,
             (long)ReadAcquire(&b->CompletedOk), (long)ReadAcquire(&b->CompletedFailed),
             (long)ReadAcquire(&b->Retried), (long)ReadAcquire(&b->Received));
    status = NdisCloseAdapterEx(b->BindingHandle);
    /* This example's close completes at once; a pended close would finish in
     * OotCloseComplete with NdisCompleteUnbindAdapterEx. */
    OotFree(b);
    return status == NDIS_STATUS_PENDING ? NDIS_STATUS_SUCCESS : status;
}

VOID OotCloseComplete(NDIS_HANDLE ProtocolBindingContext)
{
    UNREFERENCED_PARAMETER(ProtocolBindingContext);
}

VOID OotOidComplete(NDIS_HANDLE ProtocolBindingContext, PNDIS_OID_REQUEST OidRequest,
                    NDIS_STATUS Status)
{
    UNREFERENCED_PARAMETER(ProtocolBindingContext);
    UNREFERENCED_PARAMETER(OidRequest);
    UNREFERENCED_PARAMETER(Status);
}

VOID OotStatus(NDIS_HANDLE ProtocolBindingContext, PNDIS_STATUS_INDICATION StatusIndication)
{
    UNREFERENCED_PARAMETER(ProtocolBindingContext);
    UNREFERENCED_PARAMETER(StatusIndication);
}

VOID OotReceive(NDIS_HANDLE ProtocolBindingContext, PNET_BUFFER_LIST NetBufferLists,
                NDIS_PORT_NUMBER PortNumber, ULONG NumberOfNetBufferLists, ULONG ReceiveFlags)
{
    POOT_BINDING b = (POOT_BINDING)ProtocolBindingContext;

    UNREFERENCED_PARAMETER(PortNumber);
    InterlockedAdd(&b->Received, (LONG)NumberOfNetBufferLists);
    if (!NDIS_TEST_RECEIVE_CANNOT_PEND(ReceiveFlags))
        NdisReturnNetBufferLists(b->BindingHandle, NetBufferLists,
                                 NDIS_TEST_RECEIVE_AT_DISPATCH_LEVEL(ReceiveFlags)
                                     ? NDIS_RETURN_FLAGS_DISPATCH_LEVEL
                                     : 0);
}
