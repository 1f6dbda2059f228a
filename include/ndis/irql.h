/*
 * ndis/irql.h — the emulated IRQL and the processor queries (SPEC §13, IRQL-01 … IRQL-08).
 *
 * Abstract
 *   OpenNDIS emulates the IRQL per thread: every thread starts at PASSIVE_LEVEL; spin locks and
 *   KeRaiseIrql raise it, DPCs and timer callbacks run at DISPATCH_LEVEL on runtime threads, work
 *   items at PASSIVE_LEVEL. Nothing is masked for real (there are no interrupts): the level is
 *   what drivers see through KeGetCurrentIrql, what the runtime passes in the *_DISPATCH_LEVEL
 *   flags (IRQL-02 … IRQL-04), and what the verifier checks — a blocking wait at DISPATCH_LEVEL
 *   is reported instead of hanging (IRQL-06), raising to a lower level or lowering to a higher
 *   one is reported (IRQL-01).
 *
 *   Processors: a DPC thread reports the number of the processor whose DPC queue it serves; any
 *   other thread reports the CPU it runs on (sched_getcpu), clamped below
 *   KeQueryActiveProcessorCountEx(ALL_PROCESSOR_GROUPS). There is one processor group.
 *   Unlike Windows, two threads at DISPATCH_LEVEL may report the same processor: per-processor
 *   data touched at DISPATCH_LEVEL still needs a lock (or interlocked operations) here.
 *
 * Usage
 *     KIRQL old;
 *     KeRaiseIrql(DISPATCH_LEVEL, &old);        // or NDIS_RAISE_IRQL_TO_DISPATCH(&old)
 *     ... code that must not block ...
 *     KeLowerIrql(old);                          // or NDIS_LOWER_IRQL(old, DISPATCH_LEVEL)
 */
#ifndef OPENNDIS_NDIS_IRQL_H
#define OPENNDIS_NDIS_IRQL_H

#include <ndis/types.h>

NDIS_EXTERN_C_BEGIN

/* ---- IRQL ------------------------------------------------------------------------------- */
#ifndef CLOCK_LEVEL
#define CLOCK_LEVEL 13
#endif
#ifndef IPI_LEVEL
#define IPI_LEVEL 14
#endif
#ifndef PROFILE_LEVEL
#define PROFILE_LEVEL 15
#endif
#ifndef POWER_LEVEL
#define POWER_LEVEL 14
#endif
#ifndef SYNCH_LEVEL
#define SYNCH_LEVEL 12
#endif

/* The current thread's IRQL. */
NDIS_EXPORTED_ROUTINE KIRQL KeGetCurrentIrql(VOID);

/* Raises the IRQL to NewIrql and returns the previous one. NewIrql below the current IRQL is
 * reported (IRQL-01, bug check 0x9 on Windows) and the IRQL is left unchanged. */
NDIS_EXPORTED_ROUTINE KIRQL KfRaiseIrql(_In_ KIRQL NewIrql);
#define KeRaiseIrql(NewIrql, OldIrql) (*(OldIrql) = KfRaiseIrql(NewIrql))

/* Raises to DISPATCH_LEVEL and returns the previous IRQL. */
NDIS_EXPORTED_ROUTINE KIRQL KeRaiseIrqlToDpcLevel(VOID);
NDIS_EXPORTED_ROUTINE KIRQL KeRaiseIrqlToSynchLevel(VOID);

/* Lowers the IRQL to NewIrql. NewIrql above the current IRQL is reported (IRQL-01, bug check
 * 0xA on Windows) and the IRQL is left unchanged. */
NDIS_EXPORTED_ROUTINE VOID KeLowerIrql(_In_ KIRQL NewIrql);

#define NDIS_CURRENT_IRQL() KeGetCurrentIrql()
#define NDIS_RAISE_IRQL_TO_DISPATCH(_pIrql_) (*(_pIrql_) = KeRaiseIrqlToDpcLevel())
#define NDIS_LOWER_IRQL(_OldIrql_, _CurIrql_) \
    do {                                      \
        if ((_OldIrql_) != (_CurIrql_)) {     \
            KeLowerIrql(_OldIrql_);           \
        }                                     \
    } while (0)

/* KeAreApcsDisabled / KeAreAllApcsDisabled: TRUE at APC_LEVEL and above. */
NDIS_EXPORTED_ROUTINE BOOLEAN KeAreApcsDisabled(VOID);
NDIS_EXPORTED_ROUTINE BOOLEAN KeAreAllApcsDisabled(VOID);

/* ---- Processors ------------------------------------------------------------------------- */
#ifndef MAXIMUM_PROCESSORS
#define MAXIMUM_PROCESSORS 64
#endif
#define ALL_PROCESSOR_GROUPS 0xffff

typedef struct _PROCESSOR_NUMBER {
    USHORT Group;
    UCHAR Number;
    UCHAR Reserved;
} PROCESSOR_NUMBER, *PPROCESSOR_NUMBER;

typedef const PROCESSOR_NUMBER *PCPROCESSOR_NUMBER;

/* The current processor's system-wide index; fills ProcNumber (group 0) when not NULL. */
NDIS_EXPORTED_ROUTINE ULONG KeGetCurrentProcessorNumberEx(_Out_opt_ PPROCESSOR_NUMBER ProcNumber);
NDIS_EXPORTED_ROUTINE ULONG KeGetCurrentProcessorNumber(VOID);
#define KeGetCurrentProcessorIndex() KeGetCurrentProcessorNumberEx(NULL)

/* Number of active processors in GroupNumber (0 or ALL_PROCESSOR_GROUPS; other groups: 0). */
NDIS_EXPORTED_ROUTINE ULONG KeQueryActiveProcessorCountEx(_In_ USHORT GroupNumber);
NDIS_EXPORTED_ROUTINE ULONG KeQueryMaximumProcessorCountEx(_In_ USHORT GroupNumber);
/* Number of active processors; their affinity mask in *ActiveProcessors when not NULL. */
NDIS_EXPORTED_ROUTINE ULONG KeQueryActiveProcessorCount(_Out_opt_ KAFFINITY *ActiveProcessors);
NDIS_EXPORTED_ROUTINE USHORT KeQueryActiveGroupCount(VOID);
/* Fills ProcNumber for system-wide index ProcIndex: STATUS_SUCCESS or STATUS_INVALID_PARAMETER. */
NDIS_EXPORTED_ROUTINE NTSTATUS KeGetProcessorNumberFromIndex(_In_ ULONG ProcIndex,
                                                             _Out_ PPROCESSOR_NUMBER ProcNumber);
NDIS_EXPORTED_ROUTINE ULONG KeGetProcessorIndexFromNumber(_In_ PPROCESSOR_NUMBER ProcNumber);
#define NdisSystemProcessorCount() KeQueryActiveProcessorCountEx(ALL_PROCESSOR_GROUPS)
#define NdisGroupActiveProcessorCount(Group) KeQueryActiveProcessorCountEx(Group)
#define NdisCurrentProcessorIndex() KeGetCurrentProcessorNumberEx(NULL)

NDIS_EXTERN_C_END

#endif /* OPENNDIS_NDIS_IRQL_H */
