/*
 * ndis/event.h — NDIS_EVENT: a notification event drivers wait on at PASSIVE_LEVEL.
 *
 * Abstract
 *   NDIS_EVENT wraps a KEVENT (x64 layout: 24 bytes), so drivers embed it as on Windows.
 *   NdisInitializeEvent makes it not signalled; NdisSetEvent signals it and releases every
 *   waiter (it stays signalled until NdisResetEvent); NdisWaitEvent waits up to MsToWait
 *   milliseconds (0: forever) and returns TRUE when the event is signalled, FALSE on timeout.
 *   Set and Reset may be called at IRQL <= DISPATCH_LEVEL. A wait at DISPATCH_LEVEL would be a
 *   bug check 0x7C/0x14 on Windows: OpenNDIS reports it (IRQL-06) and returns FALSE at once,
 *   without waiting.
 *
 * Usage
 *     NDIS_EVENT done;
 *     NdisInitializeEvent(&done);
 *     ... hand &done to a work item, which calls NdisSetEvent(&done) ...
 *     if (!NdisWaitEvent(&done, 5000)) { ... timed out ... }
 */
#ifndef OPENNDIS_NDIS_EVENT_H
#define OPENNDIS_NDIS_EVENT_H

#include <ndis/types.h>

NDIS_EXTERN_C_BEGIN

typedef struct _DISPATCHER_HEADER {
    union {
        struct {
            UCHAR Type;
            UCHAR Signalling;
            UCHAR Size;
            UCHAR Reserved1;
        };
        volatile LONG Lock; /* OpenNDIS: number of threads waiting */
    };
    LONG SignalState;
    LIST_ENTRY WaitListHead;
} DISPATCHER_HEADER, *PDISPATCHER_HEADER;

typedef struct _KEVENT {
    DISPATCHER_HEADER Header;
} KEVENT, *PKEVENT, *PRKEVENT;

typedef enum _EVENT_TYPE { NotificationEvent, SynchronizationEvent } EVENT_TYPE;

typedef struct _NDIS_EVENT {
    KEVENT Event;
} NDIS_EVENT, *PNDIS_EVENT;

NDIS_EXPORTED_ROUTINE VOID NdisInitializeEvent(_Out_ PNDIS_EVENT Event);
NDIS_EXPORTED_ROUTINE VOID NdisSetEvent(_Inout_ PNDIS_EVENT Event);
NDIS_EXPORTED_ROUTINE VOID NdisResetEvent(_Inout_ PNDIS_EVENT Event);
NDIS_EXPORTED_ROUTINE BOOLEAN NdisWaitEvent(_Inout_ PNDIS_EVENT Event, _In_ UINT MsToWait);

NDIS_EXTERN_C_END

#endif /* OPENNDIS_NDIS_EVENT_H */
