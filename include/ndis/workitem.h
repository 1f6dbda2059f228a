/*
 * ndis/workitem.h — NDIS I/O work items: driver routines run at PASSIVE_LEVEL on worker threads.
 *
 * Abstract
 *   NdisAllocateIoWorkItem makes a work item for an NDIS handle (pool memory, counted as live
 *   until freed); NdisQueueIoWorkItem queues it, and the routine runs once, at PASSIVE_LEVEL, on
 *   a runtime worker thread (threads are added while every one is busy, up to a bound, so a
 *   routine that waits does not starve the others). The routine may block (NdisWaitEvent,
 *   NdisMSleep), may queue its own work item again and may free it with NdisFreeIoWorkItem:
 *   the memory goes when the routine returns.
 *     - Queuing a work item that is already queued (not yet started) is reported and ignored.
 *     - Freeing a queued work item is reported; it is taken out of the queue and never runs.
 *     - A routine must return at PASSIVE_LEVEL with no spin lock held (reported otherwise).
 *   A handle that is not a live work item is reported and the call does nothing.
 *
 * Usage
 *     NDIS_IO_WORKITEM_FUNCTION MyWork;
 *     VOID MyWork(PVOID Context, NDIS_HANDLE WorkItem) { ...; NdisFreeIoWorkItem(WorkItem); }
 *
 *     NDIS_HANDLE wi = NdisAllocateIoWorkItem(MiniportAdapterHandle);
 *     if (wi != NULL) NdisQueueIoWorkItem(wi, MyWork, adapter);
 */
#ifndef OPENNDIS_NDIS_WORKITEM_H
#define OPENNDIS_NDIS_WORKITEM_H

#include <ndis/types.h>

NDIS_EXTERN_C_BEGIN

typedef VOID(NDIS_IO_WORKITEM_FUNCTION)(_In_opt_ PVOID WorkItemContext,
                                        _In_ NDIS_HANDLE NdisIoWorkItemHandle);
typedef NDIS_IO_WORKITEM_FUNCTION *NDIS_IO_WORKITEM_ROUTINE;

/* A work item handle, or NULL when out of memory. */
NDIS_EXPORTED_ROUTINE NDIS_HANDLE NdisAllocateIoWorkItem(_In_ NDIS_HANDLE NdisObjectHandle);
NDIS_EXPORTED_ROUTINE VOID NdisQueueIoWorkItem(_In_ NDIS_HANDLE NdisIoWorkItemHandle,
                                               _In_ NDIS_IO_WORKITEM_ROUTINE Routine,
                                               _In_opt_ PVOID WorkItemContext);
NDIS_EXPORTED_ROUTINE VOID NdisFreeIoWorkItem(_In_ NDIS_HANDLE NdisIoWorkItemHandle);

NDIS_EXTERN_C_END

#endif /* OPENNDIS_NDIS_WORKITEM_H */
