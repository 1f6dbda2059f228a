/*
 * ndis/dpc.h — deferred procedure calls (KDPC).
 *
 * Abstract
 *   A KDPC (x64 layout: 64 bytes, driver-allocated) queued with KeInsertQueueDpc runs its
 *   DeferredRoutine once, at DISPATCH_LEVEL, on a runtime DPC thread. There is one DPC thread
 *   per processor (the CPUs this process may run on; OPENNDIS_DPC_THREADS=N overrides), each with
 *   its own FIFO queue: a DPC goes to the queue of its target processor
 *   (KeSetTargetProcessorDpc), else to the queue of the processor the caller runs on (a DPC
 *   thread queues to itself). DPCs of one queue run one at a time in queue order;
 *   HighImportance DPCs go to the front of the queue. The threads start on first use and stop
 *   when the host tears the runtime down.
 *     - KeInsertQueueDpc returns FALSE (and changes nothing) when the DPC is already queued; a
 *       routine may queue its own DPC again.
 *     - KeRemoveQueueDpc returns TRUE when it took the DPC out of its queue before it ran.
 *     - KeFlushQueuedDpcs (PASSIVE_LEVEL) returns once every DPC queued before the call has
 *       run; at DISPATCH_LEVEL it would deadlock: reported (IRQL-06), returns at once.
 *     - A routine must return at DISPATCH_LEVEL with every spin lock it took released
 *       (reported otherwise, IRQL-07).
 *   The runtime keeps its bookkeeping in DpcData and ProcessorHistory; treat KDPC as opaque.
 *   A threaded DPC (KeInitializeThreadedDpc) runs on the same threads at PASSIVE_LEVEL.
 *
 * Usage
 *     KDEFERRED_ROUTINE MyDpc;
 *     VOID MyDpc(PKDPC Dpc, PVOID Context, PVOID Arg1, PVOID Arg2) { ... }
 *
 *     KeInitializeDpc(&adapter->Dpc, MyDpc, adapter);
 *     KeInsertQueueDpc(&adapter->Dpc, NULL, NULL);
 *     ...
 *     KeRemoveQueueDpc(&adapter->Dpc);
 *     KeFlushQueuedDpcs();                  // before freeing adapter
 */
#ifndef OPENNDIS_NDIS_DPC_H
#define OPENNDIS_NDIS_DPC_H

#include <ndis/types.h>
#include <ndis/irql.h>

NDIS_EXTERN_C_BEGIN

typedef struct _KDPC KDPC, *PKDPC, *PRKDPC;

typedef VOID(KDEFERRED_ROUTINE)(_In_ struct _KDPC *Dpc, _In_opt_ PVOID DeferredContext,
                                _In_opt_ PVOID SystemArgument1, _In_opt_ PVOID SystemArgument2);
typedef KDEFERRED_ROUTINE *PKDEFERRED_ROUTINE;

typedef enum _KDPC_IMPORTANCE {
    LowImportance,
    MediumImportance,
    HighImportance,
    MediumHighImportance
} KDPC_IMPORTANCE;

#define DpcObject 0x13
#define ThreadedDpcObject 0x18

struct _KDPC {
    union {
        ULONG TargetInfoAsUlong;
        struct {
            UCHAR Type;
            UCHAR Importance;
            volatile USHORT Number; /* OpenNDIS: 0 untargeted, else target processor + 1 */
        };
    };
    SINGLE_LIST_ENTRY DpcListEntry;
    KAFFINITY ProcessorHistory; /* OpenNDIS: the driver that initialised the DPC */
    PKDEFERRED_ROUTINE DeferredRoutine;
    PVOID DeferredContext;
    PVOID SystemArgument1;
    PVOID SystemArgument2;
    volatile PVOID DpcData; /* OpenNDIS: the queue the DPC is in, NULL when not queued */
};

NDIS_EXPORTED_ROUTINE VOID KeInitializeDpc(_Out_ PRKDPC Dpc,
                                           _In_ PKDEFERRED_ROUTINE DeferredRoutine,
                                           _In_opt_ PVOID DeferredContext);
NDIS_EXPORTED_ROUTINE VOID KeInitializeThreadedDpc(_Out_ PRKDPC Dpc,
                                                   _In_ PKDEFERRED_ROUTINE DeferredRoutine,
                                                   _In_opt_ PVOID DeferredContext);
/* TRUE when queued; FALSE when the DPC already was in a queue. */
NDIS_EXPORTED_ROUTINE BOOLEAN KeInsertQueueDpc(_Inout_ PRKDPC Dpc, _In_opt_ PVOID SystemArgument1,
                                               _In_opt_ PVOID SystemArgument2);
/* TRUE when the DPC was in a queue and is no longer. */
NDIS_EXPORTED_ROUTINE BOOLEAN KeRemoveQueueDpc(_Inout_ PRKDPC Dpc);
NDIS_EXPORTED_ROUTINE VOID KeFlushQueuedDpcs(VOID);
NDIS_EXPORTED_ROUTINE VOID KeSetImportanceDpc(_Inout_ PRKDPC Dpc,
                                              _In_ KDPC_IMPORTANCE Importance);
/* Number: a processor index below KeQueryActiveProcessorCountEx(ALL_PROCESSOR_GROUPS). */
NDIS_EXPORTED_ROUTINE VOID KeSetTargetProcessorDpc(_Inout_ PRKDPC Dpc, _In_ CCHAR Number);
/* STATUS_SUCCESS, or STATUS_INVALID_PARAMETER for a group other than 0. */
NDIS_EXPORTED_ROUTINE NTSTATUS KeSetTargetProcessorDpcEx(_Inout_ PKDPC Dpc,
                                                         _In_ PPROCESSOR_NUMBER ProcNumber);
/* TRUE on a DPC thread running a (non-threaded) DPC routine. */
NDIS_EXPORTED_ROUTINE BOOLEAN KeIsExecutingDpc(VOID);

typedef struct _KDPC_WATCHDOG_INFORMATION {
    ULONG DpcTimeLimit;
    ULONG DpcTimeCount;
    ULONG DpcWatchdogLimit;
    ULONG DpcWatchdogCount;
    ULONG Reserved;
} KDPC_WATCHDOG_INFORMATION, *PKDPC_WATCHDOG_INFORMATION;

/* STATUS_SUCCESS at DISPATCH_LEVEL; OpenNDIS has no DPC watchdog, so the limits are 0
 * (disabled) and the counts 0. STATUS_UNSUCCESSFUL below DISPATCH_LEVEL. */
NDIS_EXPORTED_ROUTINE NTSTATUS KeQueryDpcWatchdogInformation(
    _Out_ PKDPC_WATCHDOG_INFORMATION WatchdogInformation);

NDIS_EXTERN_C_END

#endif /* OPENNDIS_NDIS_DPC_H */
