/*
 * openndis/host.h — the C embedding API of the host: build a stack of drivers, adapters and
 * bindings in code (or from a topology file), run it, tear it down, read its counters.
 *
 * Abstract
 *   A stack is what `ndisctl run` runs: drivers (built-in by service name, external shared
 *   objects exporting DriverEntry, or a DriverEntry function of the caller's own), adapters of
 *   miniport drivers with their parameters, and protocol bindings. OpenNdisStackStart brings it
 *   up in NDIS order (DriverEntry → MiniportInitializeEx → ProtocolBindAdapterEx →
 *   MiniportRestart → NetEventRestart); OpenNdisStackStop tears it down in NDIS order
 *   (NetEventPause → MiniportPause → ProtocolUnbindAdapterEx → MiniportHaltEx → unload) and
 *   reports what was left behind (NBLs, NBs, MDLs, pools, memory by tag, timers, work items,
 *   open bindings) and every verifier report made while the stack lived.
 *
 *   Every function returns an NDIS_STATUS (never throws, never aborts). On failure the stack
 *   keeps a one-line-or-more message (with FILE:LINE:COLUMN for topology errors) that
 *   OpenNdisStackGetLastError copies out; the topology loaders also copy it to their buffer.
 *   Nothing is started when a topology is bad: the stack stays as it was before the call.
 *   Building, starting and stopping a stack: one thread at a time, at PASSIVE_LEVEL (a plain
 *   thread). The run-time control calls (OpenNdisStackPauseAdapter … OpenNdisStackRebind) and the
 *   counter readers may come from any plain thread while the stack runs: control operations run
 *   one at a time per stack and OpenNdisStackStop waits for one in progress.
 *
 * Usage
 *     POPENNDIS_STACK s;
 *     char err[1024];
 *     OpenNdisStackCreate(&s);
 *     OpenNdisStackAddDriverEntry(s, "mymp", MyMiniportDriverEntry);   // or AddDriver(s, "null", NULL)
 *     OpenNdisStackAddDriverEntry(s, "myproto", MyProtocolDriverEntry);
 *     OPENNDIS_PARAM p[] = {{"Pair", OpenNdisParamString, 0, "lo1"}};
 *     OpenNdisStackAddAdapter(s, "lo0", "mymp", p, 1);
 *     if (OpenNdisStackStart(s) != NDIS_STATUS_SUCCESS) { OpenNdisStackGetLastError(s, err, sizeof err); ... }
 *     ... traffic ...
 *     OPENNDIS_TEARDOWN_REPORT r;
 *     OpenNdisStackStop(s, &r);                  // r.Clean: nothing left behind, no report
 *     OpenNdisStackDestroy(s);
 *
 *   Topology files: see README.md ("Topology files") and examples/topologies/.
 *   Compiles alone as C11 and as C++20. C++ callers may prefer <openndis/host.hpp>.
 */
#ifndef OPENNDIS_HOST_H
#define OPENNDIS_HOST_H

#include <ndis/status.h>
#include <ndis/types.h>
#include <ndis/wdm.h>

NDIS_EXTERN_C_BEGIN

typedef struct _OPENNDIS_STACK OPENNDIS_STACK, *POPENNDIS_STACK;

/* ---- Parameters ([driver.params], [adapter.params], [binding.params]) --------------------
 * Read by drivers with NdisOpenConfigurationEx / NdisReadConfiguration; keys compare
 * case-insensitively. Integers must fit in 32 bits (NDIS_CONFIGURATION_PARAMETER). */
typedef enum _OPENNDIS_PARAM_TYPE {
    OpenNdisParamInteger = 0, /* NdisParameterInteger: Integer */
    OpenNdisParamString = 1   /* NdisParameterString: String (UTF-8, copied) */
} OPENNDIS_PARAM_TYPE;

typedef struct _OPENNDIS_PARAM {
    PCSTR Key;
    OPENNDIS_PARAM_TYPE Type;
    LONGLONG Integer;
    PCSTR String;
} OPENNDIS_PARAM, *POPENNDIS_PARAM;

/* ---- Counters (NBLs, not frames) --------------------------------------------------------
 * Live while the stack runs; after OpenNdisStackStop, the values at teardown. */
typedef struct _OPENNDIS_ADAPTER_COUNTERS {
    ULONGLONG Sent;        /* NBLs handed to MiniportSendNetBufferLists */
    ULONGLONG Completed;   /* NBLs the miniport completed (NdisMSendNetBufferListsComplete) */
    ULONGLONG Indicated;   /* NBLs the miniport indicated (NdisMIndicateReceiveNetBufferLists) */
    ULONGLONG Returned;    /* indicated NBLs returned to it (MiniportReturnNetBufferLists) */
    LONGLONG SendsOutstanding;    /* sent, not yet completed */
    LONGLONG ReceivesOutstanding; /* indicated, not yet returned */
    CHAR State[16];        /* "Running", "Paused", "Halted", … */
    ULONGLONG Resets;      /* MiniportResetEx calls (by the host, or after a hang) */
    ULONGLONG Hangs;       /* MiniportCheckForHangEx answers TRUE */
    ULONG PowerState;      /* NDIS_DEVICE_POWER_STATE value: 1 (D0) … 4 (D3) */
} OPENNDIS_ADAPTER_COUNTERS, *POPENNDIS_ADAPTER_COUNTERS;

typedef struct _OPENNDIS_BINDING_COUNTERS {
    ULONGLONG Sent;        /* NBLs the protocol sent (NdisSendNetBufferLists) */
    ULONGLONG Completed;   /* NBLs completed back to it (ProtocolSendNetBufferListsComplete) */
    ULONGLONG Received;    /* NBLs indicated to it (ProtocolReceiveNetBufferLists) */
    LONGLONG SendsOutstanding;
    LONGLONG ReceivesOutstanding;
    CHAR State[16];        /* "Running", "Paused", "Unbound", … */
} OPENNDIS_BINDING_COUNTERS, *POPENNDIS_BINDING_COUNTERS;

/* What OpenNdisStackStop found. Each count is what the stack's drivers left behind (objects
 * alive after teardown that were not alive before start). */
typedef struct _OPENNDIS_TEARDOWN_REPORT {
    BOOLEAN Clean;            /* nothing left behind and no verifier report */
    ULONGLONG Nbls, Nbs, Mdls, NblPools, NbPools, NblContexts;
    ULONGLONG MemoryBlocks, MemoryBytes; /* tagged memory (driver pool memory included) */
    ULONGLONG Timers, WorkItems;         /* kernel objects of the stack's drivers not freed */
    ULONGLONG OpenBindings, LiveAdapters; /* bindings/adapters teardown could not remove */
    ULONGLONG VerifierReports;           /* rule breaks reported between start and stop */
} OPENNDIS_TEARDOWN_REPORT, *POPENNDIS_TEARDOWN_REPORT;

/* ---- Built-in drivers ------------------------------------------------------------------
 * [[driver]] entries without `path` are looked up by service name (case-insensitively) in a
 * process-wide table: the drivers built into libopenndis.so (drivers/: null, loopback, pktgen …)
 * plus those an embedder or a test registers here. A registered name takes precedence over a
 * built-in one of the same name; registering a name again replaces the entry. */
NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisHostRegisterBuiltinDriver(_In_ PCSTR Name,
                                                                    _In_ PDRIVER_INITIALIZE Entry);

/* ---- Privileges -------------------------------------------------------------------------
 * OpenNdisDropCapabilities: gives up every Linux capability of every thread of the process for
 * good (effective, permitted, inheritable and ambient sets cleared, PR_SET_NO_NEW_PRIVS set).
 * Call it after OpenNdisStackStart: the afpacket and tap miniports need CAP_NET_RAW /
 * CAP_NET_ADMIN only while their adapters initialize. Capabilities are per thread on Linux, so
 * each thread is asked, with a real-time signal (SIGRTMIN+7) whose handler drops its own, and
 * the result is checked in /proc/self/task; threads created afterwards inherit the empty sets.
 * Irreversible: starting a stack of afpacket/tap adapters again in this process fails.
 * `ndisctl run` calls it (unless --keep-caps). NDIS_STATUS_SUCCESS, or NDIS_STATUS_FAILURE when
 * a thread still holds capabilities (one that blocks the signal). */
NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisDropCapabilities(VOID);

/* ---- Building a stack -------------------------------------------------------------------- */
NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackCreate(_Out_ POPENNDIS_STACK *Stack);
/* Stops the stack if it runs, then frees it. NULL is ignored. */
NDIS_EXPORTED_ROUTINE VOID OpenNdisStackDestroy(_In_opt_ POPENNDIS_STACK Stack);

/* Adds a topology file's drivers, adapters and bindings. Errors ("FILE:LINE:COL: what") go to
 * ErrorBuffer (NUL-terminated, truncated; may be NULL). SourceName names the text in messages
 * (NULL: "<string>"). */
NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackLoadTopologyFile(
    _In_ POPENNDIS_STACK Stack, _In_ PCSTR Path, _Out_writes_opt_(ErrorBufferSize) PCHAR ErrorBuffer,
    _In_ SIZE_T ErrorBufferSize);
NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackLoadTopologyString(
    _In_ POPENNDIS_STACK Stack, _In_ PCSTR Text, _In_opt_ PCSTR SourceName,
    _Out_writes_opt_(ErrorBufferSize) PCHAR ErrorBuffer, _In_ SIZE_T ErrorBufferSize);

/* A driver by service name: built-in when Path is NULL, else an ELF shared object exporting
 * DriverEntry (C linkage). */
NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackAddDriver(_In_ POPENNDIS_STACK Stack,
                                                         _In_ PCSTR Name, _In_opt_ PCSTR Path);
/* A driver whose DriverEntry is a function of the caller (tests, embedders). */
NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackAddDriverEntry(_In_ POPENNDIS_STACK Stack,
                                                              _In_ PCSTR Name,
                                                              _In_ PDRIVER_INITIALIZE Entry);
/* [driver.params] of a driver added before. */
NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackSetDriverParams(
    _In_ POPENNDIS_STACK Stack, _In_ PCSTR Driver, _In_reads_opt_(Count) const OPENNDIS_PARAM *Params,
    _In_ ULONG Count);
NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackAddAdapter(
    _In_ POPENNDIS_STACK Stack, _In_ PCSTR Name, _In_ PCSTR Driver,
    _In_reads_opt_(Count) const OPENNDIS_PARAM *Params, _In_ ULONG Count);
/* An explicit binding. With none, every protocol binds to every adapter (by medium). */
NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackAddBinding(
    _In_ POPENNDIS_STACK Stack, _In_ PCSTR Protocol, _In_ PCSTR Adapter,
    _In_reads_opt_(Count) const OPENNDIS_PARAM *Params, _In_ ULONG Count);

/* ---- Running ----------------------------------------------------------------------------- */
/* Loads the drivers and checks the topology against what they registered (adapters name
 * miniports, bindings name registered protocols), then unloads them. Starts nothing. */
NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackCheck(_In_ POPENNDIS_STACK Stack);
NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackStart(_In_ POPENNDIS_STACK Stack);
/* Tears down and fills Report (may be NULL). Returns NDIS_STATUS_SUCCESS when the teardown
 * was clean, NDIS_STATUS_FAILURE when something was left behind or reported (the text is in
 * OpenNdisStackGetTeardownText), NDIS_STATUS_INVALID_STATE when the stack was not started. */
NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackStop(_In_ POPENNDIS_STACK Stack,
                                                    _Out_opt_ POPENNDIS_TEARDOWN_REPORT Report);
NDIS_EXPORTED_ROUTINE BOOLEAN OpenNdisStackIsRunning(_In_ POPENNDIS_STACK Stack);

/* Run-time control: pause or restart one adapter (with its bindings) or one binding. Each
 * returns NDIS_STATUS_SUCCESS, or NDIS_STATUS_FAILURE with the reason (unknown adapter or
 * binding, a state the operation is not legal in, a driver's failure) in
 * OpenNdisStackGetLastError; NDIS_STATUS_INVALID_PARAMETER for NULL arguments. */
NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackPauseAdapter(_In_ POPENNDIS_STACK Stack,
                                                            _In_ PCSTR Adapter);
NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackRestartAdapter(_In_ POPENNDIS_STACK Stack,
                                                              _In_ PCSTR Adapter);
NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackPauseBinding(_In_ POPENNDIS_STACK Stack,
                                                            _In_ PCSTR Protocol, _In_ PCSTR Adapter);
NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackRestartBinding(_In_ POPENNDIS_STACK Stack,
                                                              _In_ PCSTR Protocol,
                                                              _In_ PCSTR Adapter);
/* MiniportResetEx, with NDIS_STATUS_RESET_START / RESET_END to the bindings (ST-14 … ST-17). */
NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackResetAdapter(_In_ POPENNDIS_STACK Stack,
                                                            _In_ PCSTR Adapter);
/* Pause the bindings above and the adapter, OID_PNP_SET_POWER D3 then D0, restart the adapter
 * and the bindings that were running (ST-19, ST-20). */
NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackPowerCycleAdapter(_In_ POPENNDIS_STACK Stack,
                                                                 _In_ PCSTR Adapter);
/* ProtocolUnbindAdapterEx of one binding; its counters then read "Unbound" (values at the
 * unbind) until OpenNdisStackRebind opens it again with its parameters. */
NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackUnbind(_In_ POPENNDIS_STACK Stack,
                                                      _In_ PCSTR Protocol, _In_ PCSTR Adapter);
NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackRebind(_In_ POPENNDIS_STACK Stack,
                                                      _In_ PCSTR Protocol, _In_ PCSTR Adapter);

/* ---- Reading it -------------------------------------------------------------------------- */
/* NDIS_STATUS_ADAPTER_NOT_FOUND / NDIS_STATUS_FILE_NOT_FOUND when no such adapter / binding. */
NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackGetAdapterCounters(
    _In_ POPENNDIS_STACK Stack, _In_ PCSTR Adapter, _Out_ POPENNDIS_ADAPTER_COUNTERS Counters);
NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackGetBindingCounters(
    _In_ POPENNDIS_STACK Stack, _In_ PCSTR Protocol, _In_ PCSTR Adapter,
    _Out_ POPENNDIS_BINDING_COUNTERS Counters);

/* The last error message, NUL-terminated and truncated to BufferSize ("" when none). Returns
 * the length the full message needs, excluding the NUL. */
NDIS_EXPORTED_ROUTINE SIZE_T OpenNdisStackGetLastError(_In_ POPENNDIS_STACK Stack,
                                                       _Out_writes_opt_(BufferSize) PCHAR Buffer,
                                                       _In_ SIZE_T BufferSize);
/* The last teardown's report as text (one line per thing left behind or reported). */
NDIS_EXPORTED_ROUTINE SIZE_T OpenNdisStackGetTeardownText(_In_ POPENNDIS_STACK Stack,
                                                          _Out_writes_opt_(BufferSize) PCHAR Buffer,
                                                          _In_ SIZE_T BufferSize);

NDIS_EXTERN_C_END

#endif /* OPENNDIS_HOST_H */
