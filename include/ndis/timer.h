/*
 * ndis/timer.h — NDIS timer objects, system time and delays.
 *
 * Abstract
 *   Timer objects (NdisAllocateTimerObject …). NdisSetTimerObject arms a timer to fire once
 *   after DueTime (negative: relative, in 100 ns units; positive: absolute system time as from
 *   NdisGetCurrentSystemTime) and then, when MillisecondsPeriod is not 0, every
 *   MillisecondsPeriod ms until cancelled. Each expiry runs the NetTimerCallback at
 *   DISPATCH_LEVEL on a runtime DPC thread; the callbacks of one timer never overlap (a
 *   periodic expiry that comes while the previous callback still runs is merged into one more
 *   call). The timer's memory is pool memory under the characteristics' AllocationTag, so a
 *   leaked timer object shows in the leak report.
 *     - NdisSetTimerObject returns TRUE when the timer was already armed (the new due time and
 *       period replace the old ones).
 *     - NdisCancelTimerObject returns TRUE when it disarmed the timer before an expiry it
 *       would have run: either the due time had not come, or the expiry was queued and its
 *       callback had not started. FALSE when nothing was pending (the callback may be running).
 *       Cancelling a periodic timer must be done at PASSIVE_LEVEL (PeriodicTimer rule;
 *       reported otherwise) and then also waits for a running callback to return.
 *     - NdisFreeTimerObject cancels the timer and, when its callback is running on another
 *       thread, waits for it to return: afterwards nothing of the timer runs, so the driver may
 *       free the callback's context. Called from the timer's own callback, the object is freed
 *       when the callback returns. Freeing a timer that is still armed is reported
 *       (CancelTimerObject rule, VER-05): cancel it first.
 *   A handle that is not a live timer is reported and the call does nothing.
 *
 *   Time. NdisGetCurrentSystemTime / KeQuerySystemTime: 100 ns units since 1601-01-01 UTC.
 *   KeQueryPerformanceCounter: a monotonic counter at 10 MHz. KeQueryInterruptTime: 100 ns
 *   units since boot; KeQueryTickCount counts ticks of KeQueryTimeIncrement() (15.625 ms).
 *
 *   Delays. NdisMSleep sleeps (PASSIVE_LEVEL only: at DISPATCH_LEVEL it is reported, IRQL-06,
 *   and returns at once). NdisStallExecution busy-waits; more than 50 µs is reported (IRQL-08)
 *   but still honoured.
 *
 * Usage
 *     NDIS_TIMER_CHARACTERISTICS tc = {0};
 *     tc.Header.Type = NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS;
 *     tc.Header.Revision = NDIS_TIMER_CHARACTERISTICS_REVISION_1;
 *     tc.Header.Size = NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1;
 *     tc.AllocationTag = 'rmTX';
 *     tc.TimerFunction = MyTimer;           // VOID MyTimer(PVOID, PVOID Ctx, PVOID, PVOID)
 *     tc.FunctionContext = adapter;
 *     NdisAllocateTimerObject(MiniportAdapterHandle, &tc, &adapter->Timer);
 *     LARGE_INTEGER due; due.QuadPart = -10 * 1000 * 10;   // 10 ms from now
 *     NdisSetTimerObject(adapter->Timer, due, 100, NULL);   // then every 100 ms
 *     ...
 *     NdisCancelTimerObject(adapter->Timer);
 *     NdisFreeTimerObject(adapter->Timer);
 */
#ifndef OPENNDIS_NDIS_TIMER_H
#define OPENNDIS_NDIS_TIMER_H

#include <ndis/types.h>
#include <ndis/constants.h>
#include <ndis/status.h>

NDIS_EXTERN_C_BEGIN

/* ---- Timer objects ------------------------------------------------------------------------ */
typedef VOID(NDIS_TIMER_FUNCTION)(_In_ PVOID SystemSpecific1, _In_ PVOID FunctionContext,
                                  _In_ PVOID SystemSpecific2, _In_ PVOID SystemSpecific3);
typedef NDIS_TIMER_FUNCTION *PNDIS_TIMER_FUNCTION;
typedef NDIS_TIMER_FUNCTION NETWORK_TIMER_FUNCTION; /* older name of the role type */

#define NDIS_TIMER_CHARACTERISTICS_REVISION_1 1

typedef struct _NDIS_TIMER_CHARACTERISTICS {
    NDIS_OBJECT_HEADER Header;
    ULONG AllocationTag;
    PNDIS_TIMER_FUNCTION TimerFunction;
    PVOID FunctionContext;
} NDIS_TIMER_CHARACTERISTICS, *PNDIS_TIMER_CHARACTERISTICS;

#define NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_TIMER_CHARACTERISTICS, FunctionContext)

/* NDIS_STATUS_SUCCESS; NDIS_STATUS_BAD_CHARACTERISTICS (header or TimerFunction invalid,
 * reported); NDIS_STATUS_RESOURCES. */
NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisAllocateTimerObject(
    _In_ NDIS_HANDLE NdisHandle, _In_ PNDIS_TIMER_CHARACTERISTICS TimerCharacteristics,
    _Out_ PNDIS_HANDLE pTimerObject);
/* FunctionContext NULL: the characteristics' FunctionContext. */
NDIS_EXPORTED_ROUTINE BOOLEAN NdisSetTimerObject(_In_ NDIS_HANDLE TimerObject,
                                                 _In_ LARGE_INTEGER DueTime,
                                                 _In_opt_ LONG MillisecondsPeriod,
                                                 _In_opt_ PVOID FunctionContext);
/* As NdisSetTimerObject; Tolerance (ms) is accepted and ignored. */
NDIS_EXPORTED_ROUTINE BOOLEAN NdisSetCoalescableTimerObject(_In_ NDIS_HANDLE TimerObject,
                                                            _In_ LARGE_INTEGER DueTime,
                                                            _In_opt_ LONG MillisecondsPeriod,
                                                            _In_opt_ PVOID FunctionContext,
                                                            _In_opt_ ULONG Tolerance);
NDIS_EXPORTED_ROUTINE BOOLEAN NdisCancelTimerObject(_In_ NDIS_HANDLE TimerObject);
NDIS_EXPORTED_ROUTINE VOID NdisFreeTimerObject(_In_ NDIS_HANDLE TimerObject);

/* ---- Time --------------------------------------------------------------------------------- */
NDIS_EXPORTED_ROUTINE VOID NdisGetCurrentSystemTime(_Out_ PLARGE_INTEGER pSystemTime);
NDIS_EXPORTED_ROUTINE VOID KeQuerySystemTime(_Out_ PLARGE_INTEGER CurrentTime);
NDIS_EXPORTED_ROUTINE VOID KeQuerySystemTimePrecise(_Out_ PLARGE_INTEGER CurrentTime);
/* The counter; its frequency (10 MHz) in *PerformanceFrequency when not NULL. */
NDIS_EXPORTED_ROUTINE LARGE_INTEGER KeQueryPerformanceCounter(
    _Out_opt_ PLARGE_INTEGER PerformanceFrequency);
NDIS_EXPORTED_ROUTINE VOID KeQueryTickCount(_Out_ PLARGE_INTEGER CurrentCount);
NDIS_EXPORTED_ROUTINE ULONG KeQueryTimeIncrement(VOID);
NDIS_EXPORTED_ROUTINE ULONGLONG KeQueryInterruptTime(VOID);
NDIS_EXPORTED_ROUTINE ULONGLONG KeQueryInterruptTimePrecise(_Out_ PULONG64 QpcTimeStamp);
NDIS_EXPORTED_ROUTINE ULONGLONG KeQueryUnbiasedInterruptTime(VOID);
/* Milliseconds since the system started. */
NDIS_EXPORTED_ROUTINE VOID NdisGetSystemUpTime(_Out_ PULONG pSystemUpTime);
NDIS_EXPORTED_ROUTINE VOID NdisGetSystemUpTimeEx(_Out_ PLARGE_INTEGER pSystemUpTime);

/* ---- Delays ------------------------------------------------------------------------------- */
NDIS_EXPORTED_ROUTINE VOID NdisMSleep(_In_ ULONG MicrosecondsToSleep);
NDIS_EXPORTED_ROUTINE VOID NdisStallExecution(_In_ UINT MicrosecondsToStall);
NDIS_EXPORTED_ROUTINE VOID KeStallExecutionProcessor(_In_ ULONG MicroSeconds);

typedef CCHAR KPROCESSOR_MODE;
typedef enum _MODE { KernelMode, UserMode, MaximumMode } MODE;
/* Sleeps for Interval (negative: relative 100 ns units; positive: absolute system time);
 * STATUS_SUCCESS. Above PASSIVE_LEVEL: reported (IRQL-06), returns at once. */
NDIS_EXPORTED_ROUTINE NTSTATUS KeDelayExecutionThread(_In_ KPROCESSOR_MODE WaitMode,
                                                      _In_ BOOLEAN Alertable,
                                                      _In_ PLARGE_INTEGER Interval);

NDIS_EXTERN_C_END

#endif /* OPENNDIS_NDIS_TIMER_H */
