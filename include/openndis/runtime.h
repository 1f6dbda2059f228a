/*
 * openndis/runtime.h — the embedding API: what a host, a test or a tool asks of the runtime
 * itself (not part of the WDK surface).
 *
 * Abstract
 *   Live-object accounting (so every test binary can fail on leaked NBLs, NBs, MDLs, pools or
 *   memory), a human-readable leak report, and control of the verifier: what it does when a
 *   driver breaks a rule (abort, log, count) and a sink that receives each report.
 *
 * Usage
 *     OPENNDIS_STATS s;
 *     OpenNdisGetStats(&s);
 *     if (s.Nbls || s.NblPools) { char buf[4096]; OpenNdisLeakReport(buf, sizeof buf); ... }
 */
#ifndef OPENNDIS_RUNTIME_H
#define OPENNDIS_RUNTIME_H

#include <ndis/types.h>

NDIS_EXTERN_C_BEGIN

/* Live objects right now. Every count is 0 in a process that cleaned up after itself. */
typedef struct _OPENNDIS_STATS {
    ULONGLONG NblPools;     /* NBL pools not yet freed (including ones freed with objects out) */
    ULONGLONG NbPools;      /* NB pools not yet freed */
    ULONGLONG Nbls;         /* NBLs allocated and not freed, all pools */
    ULONGLONG Nbs;          /* separately allocated NBs not freed, all pools */
    ULONGLONG Mdls;         /* MDLs from NdisAllocateMdl / retreat not freed */
    ULONGLONG NblContexts;  /* NBL context blocks from NdisAllocateNetBufferListContext */
    ULONGLONG MemoryBlocks; /* tagged memory blocks not freed */
    ULONGLONG MemoryBytes;  /* bytes in those blocks */
    ULONGLONG SgLists;      /* scatter/gather lists not freed */
    ULONGLONG VerifierReports; /* rule breaks reported since start (never decreases) */
    ULONGLONG Timers;       /* NdisAllocateTimerObject timers not freed */
    ULONGLONG WorkItems;    /* NdisAllocateIoWorkItem work items not freed */
    ULONGLONG QueuedDpcs;   /* KDPCs queued whose routine has not started */
    ULONGLONG RwLocks;      /* NdisAllocateRWLock locks not freed */
} OPENNDIS_STATS, *POPENNDIS_STATS;

NDIS_EXPORTED_ROUTINE VOID OpenNdisGetStats(_Out_ POPENNDIS_STATS Stats);

/* Writes a report of every live object (pool, tag, count) to Buffer, NUL-terminated and
 * truncated to BufferSize. Returns the length the full report needs, excluding the NUL. */
NDIS_EXPORTED_ROUTINE SIZE_T OpenNdisLeakReport(_Out_writes_opt_(BufferSize) PCHAR Buffer,
                                                _In_ SIZE_T BufferSize);

/* Fault injection for tests: after Skip more pool/MDL/context allocations succeed, make the next
 * Count of them fail (as if memory ran out). Count 0 disarms. Process-wide. */
NDIS_EXPORTED_ROUTINE VOID OpenNdisInjectAllocationFailures(_In_ ULONG Skip, _In_ ULONG Count);

/* Makes NdisOpenAdapterEx and NdisCloseAdapterEx answer NDIS_STATUS_PENDING and finish later on
 * a runtime worker thread, through ProtocolOpenAdapterCompleteEx / ProtocolCloseAdapterCompleteEx
 * (NDIS may pend either; PS-04, PS-05). The binding handle and SelectedMediumIndex are written
 * just before ProtocolOpenAdapterCompleteEx. Off by default. Process-wide. */
NDIS_EXPORTED_ROUTINE VOID OpenNdisSetPendOpenClose(_In_ BOOLEAN Pend);

/* ---- Verifier ----------------------------------------------------------------------------
 * A report names the API, the object, the rule and its SPEC ID, e.g.
 *   "NdisFreeNetBufferList: NBL 0x...: freed twice (POOL-08)". */
typedef enum _OPENNDIS_VERIFIER_ACTION {
    OpenNdisVerifierCount = 0, /* count only */
    OpenNdisVerifierLog = 1,   /* count and print to stderr (default) */
    OpenNdisVerifierAbort = 2  /* count, print, then abort() — a "bug check" */
} OPENNDIS_VERIFIER_ACTION;

typedef struct _OPENNDIS_VERIFIER_REPORT {
    ULONG Code;         /* the failure code (src/verifier/failure.hpp, stable numbers) */
    PCSTR Name;         /* failure name, e.g. "nbl_double_free" */
    PCSTR SpecId;       /* e.g. "POOL-08" */
    PCSTR Api;          /* the API in which it was detected, e.g. "NdisFreeNetBufferList" */
    const void *Object; /* the object concerned (may be NULL) */
    PCSTR Message;      /* the whole one-line message */
} OPENNDIS_VERIFIER_REPORT, *POPENNDIS_VERIFIER_REPORT;

typedef VOID(OPENNDIS_VERIFIER_SINK)(_In_opt_ PVOID Context,
                                     _In_ const OPENNDIS_VERIFIER_REPORT *Report);

NDIS_EXPORTED_ROUTINE VOID OpenNdisVerifierSetAction(_In_ OPENNDIS_VERIFIER_ACTION Action);
NDIS_EXPORTED_ROUTINE OPENNDIS_VERIFIER_ACTION OpenNdisVerifierGetAction(VOID);
/* Installs a sink called for every report (NULL removes it). Returns the previous sink. */
NDIS_EXPORTED_ROUTINE OPENNDIS_VERIFIER_SINK *OpenNdisVerifierSetSink(
    _In_opt_ OPENNDIS_VERIFIER_SINK *Sink, _In_opt_ PVOID Context, _Out_opt_ PVOID *OldContext);
/* Turns the optional (costly) checks on or off: NBL geometry walks at every boundary. */
NDIS_EXPORTED_ROUTINE VOID OpenNdisVerifierEnable(_In_ BOOLEAN Enable);

NDIS_EXTERN_C_END

#endif /* OPENNDIS_RUNTIME_H */
