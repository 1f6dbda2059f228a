// api/kernel_dispatch_api.cpp — extern "C" entry points: DPCs, timer objects, work items,
// events, time and delays (<ndis/dpc.h>, <ndis/timer.h>, <ndis/workitem.h>, <ndis/event.h>).
// Thin shells over src/kernel; the IRQL rules of waits (IRQL-06, IRQL-08) are checked here.
#include "kernel/dispatcher.hpp"
#include "kernel/event.hpp"
#include "kernel/irql.hpp"
#include "kernel/time.hpp"
#include "kernel/timer.hpp"
#include "kernel/workitem.hpp"
#include "verifier/verifier.hpp"

#include <ndis.h>

namespace k = ndis::kernel;
using ndis::verifier::failure;

namespace {

// IRQL-06: a blocking wait above PASSIVE_LEVEL. Reports and returns true when the caller
// must not wait.
bool wait_forbidden(const char *api, const void *object)
{
    const KIRQL irql = k::current_irql();
    if (irql < DISPATCH_LEVEL) {
        return false;
    }
    ndis::verifier::report(failure::irql_wait_at_dispatch, api, object,
                           "{}wait at IRQL {}: waits are allowed only below DISPATCH_LEVEL "
                           "(bug check 0x7C/0x14 BUGCODE_NDIS_DRIVER on Windows, VER-07); "
                           "returning at once without waiting",
                           k::driver_prefix(), irql);
    return true;
}

} // namespace

extern "C" {

// ---- DPCs ------------------------------------------------------------------------------------
NDIS_EXPORTED_ROUTINE VOID KeInitializeDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine,
                                           PVOID DeferredContext)
{
    k::dpc_initialize(Dpc, DeferredRoutine, DeferredContext, false);
}

NDIS_EXPORTED_ROUTINE VOID KeInitializeThreadedDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine,
                                                   PVOID DeferredContext)
{
    k::dpc_initialize(Dpc, DeferredRoutine, DeferredContext, true);
}

NDIS_EXPORTED_ROUTINE BOOLEAN KeInsertQueueDpc(PRKDPC Dpc, PVOID SystemArgument1,
                                               PVOID SystemArgument2)
{
    if (Dpc == nullptr || Dpc->DeferredRoutine == nullptr) {
        ndis::verifier::report(failure::null_argument, "KeInsertQueueDpc", Dpc,
                               "{}KDPC {} is NULL or not initialised (KeInitializeDpc)",
                               k::driver_prefix(), static_cast<const void *>(Dpc));
        return FALSE;
    }
    return k::dpc_insert(Dpc, SystemArgument1, SystemArgument2) ? TRUE : FALSE;
}

NDIS_EXPORTED_ROUTINE BOOLEAN KeRemoveQueueDpc(PRKDPC Dpc)
{
    return k::dpc_remove(Dpc) ? TRUE : FALSE;
}

NDIS_EXPORTED_ROUTINE VOID KeFlushQueuedDpcs(VOID)
{
    if (wait_forbidden("KeFlushQueuedDpcs", nullptr)) {
        return;
    }
    k::dpc_flush();
}

NDIS_EXPORTED_ROUTINE VOID KeSetImportanceDpc(PRKDPC Dpc, KDPC_IMPORTANCE Importance)
{
    Dpc->Importance = static_cast<UCHAR>(Importance);
}

NDIS_EXPORTED_ROUTINE VOID KeSetTargetProcessorDpc(PRKDPC Dpc, CCHAR Number)
{
    Dpc->Number = static_cast<USHORT>(static_cast<UCHAR>(Number) + 1u);
}

NDIS_EXPORTED_ROUTINE NTSTATUS KeSetTargetProcessorDpcEx(PKDPC Dpc, PPROCESSOR_NUMBER ProcNumber)
{
    if (ProcNumber == nullptr || ProcNumber->Group != 0) {
        return STATUS_INVALID_PARAMETER;
    }
    Dpc->Number = static_cast<USHORT>(ProcNumber->Number + 1u);
    return STATUS_SUCCESS;
}

NDIS_EXPORTED_ROUTINE BOOLEAN KeIsExecutingDpc(VOID)
{
    return k::this_thread().in_dpc_routine ? TRUE : FALSE;
}

NDIS_EXPORTED_ROUTINE NTSTATUS KeQueryDpcWatchdogInformation(
    PKDPC_WATCHDOG_INFORMATION WatchdogInformation)
{
    *WatchdogInformation = KDPC_WATCHDOG_INFORMATION{};
    return k::current_irql() >= DISPATCH_LEVEL ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL;
}

// ---- Timer objects ---------------------------------------------------------------------------
NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisAllocateTimerObject(
    NDIS_HANDLE NdisHandle, PNDIS_TIMER_CHARACTERISTICS TimerCharacteristics,
    PNDIS_HANDLE pTimerObject)
{
    return k::timer_allocate(NdisHandle, TimerCharacteristics, pTimerObject);
}

NDIS_EXPORTED_ROUTINE BOOLEAN NdisSetTimerObject(NDIS_HANDLE TimerObject, LARGE_INTEGER DueTime,
                                                 LONG MillisecondsPeriod, PVOID FunctionContext)
{
    return k::timer_set(TimerObject, DueTime.QuadPart, MillisecondsPeriod, FunctionContext,
                        "NdisSetTimerObject");
}

NDIS_EXPORTED_ROUTINE BOOLEAN NdisSetCoalescableTimerObject(NDIS_HANDLE TimerObject,
                                                            LARGE_INTEGER DueTime,
                                                            LONG MillisecondsPeriod,
                                                            PVOID FunctionContext,
                                                            ULONG Tolerance)
{
    (void)Tolerance;
    return k::timer_set(TimerObject, DueTime.QuadPart, MillisecondsPeriod, FunctionContext,
                        "NdisSetCoalescableTimerObject");
}

NDIS_EXPORTED_ROUTINE BOOLEAN NdisCancelTimerObject(NDIS_HANDLE TimerObject)
{
    return k::timer_cancel(TimerObject);
}

NDIS_EXPORTED_ROUTINE VOID NdisFreeTimerObject(NDIS_HANDLE TimerObject)
{
    k::timer_free(TimerObject);
}

// ---- Work items ------------------------------------------------------------------------------
NDIS_EXPORTED_ROUTINE NDIS_HANDLE NdisAllocateIoWorkItem(NDIS_HANDLE NdisObjectHandle)
{
    return k::workitem_allocate(NdisObjectHandle);
}

NDIS_EXPORTED_ROUTINE VOID NdisQueueIoWorkItem(NDIS_HANDLE NdisIoWorkItemHandle,
                                               NDIS_IO_WORKITEM_ROUTINE Routine,
                                               PVOID WorkItemContext)
{
    k::workitem_queue(NdisIoWorkItemHandle, Routine, WorkItemContext);
}

NDIS_EXPORTED_ROUTINE VOID NdisFreeIoWorkItem(NDIS_HANDLE NdisIoWorkItemHandle)
{
    k::workitem_free(NdisIoWorkItemHandle);
}

// ---- Events ----------------------------------------------------------------------------------
NDIS_EXPORTED_ROUTINE VOID NdisInitializeEvent(PNDIS_EVENT Event) { k::event_initialize(Event); }
NDIS_EXPORTED_ROUTINE VOID NdisSetEvent(PNDIS_EVENT Event) { k::event_set(Event); }
NDIS_EXPORTED_ROUTINE VOID NdisResetEvent(PNDIS_EVENT Event) { k::event_reset(Event); }

NDIS_EXPORTED_ROUTINE BOOLEAN NdisWaitEvent(PNDIS_EVENT Event, UINT MsToWait)
{
    if (wait_forbidden("NdisWaitEvent", Event)) {
        return FALSE;
    }
    return k::event_wait(Event, MsToWait) ? TRUE : FALSE;
}

// ---- Time ------------------------------------------------------------------------------------
NDIS_EXPORTED_ROUTINE VOID NdisGetCurrentSystemTime(PLARGE_INTEGER pSystemTime)
{
    pSystemTime->QuadPart = k::system_time();
}

NDIS_EXPORTED_ROUTINE VOID KeQuerySystemTime(PLARGE_INTEGER CurrentTime)
{
    CurrentTime->QuadPart = k::system_time();
}

NDIS_EXPORTED_ROUTINE VOID KeQuerySystemTimePrecise(PLARGE_INTEGER CurrentTime)
{
    CurrentTime->QuadPart = k::system_time();
}

NDIS_EXPORTED_ROUTINE LARGE_INTEGER KeQueryPerformanceCounter(PLARGE_INTEGER PerformanceFrequency)
{
    if (PerformanceFrequency != nullptr) {
        PerformanceFrequency->QuadPart = k::kPerformanceFrequency;
    }
    LARGE_INTEGER counter;
    counter.QuadPart = k::performance_counter();
    return counter;
}

NDIS_EXPORTED_ROUTINE VOID KeQueryTickCount(PLARGE_INTEGER CurrentCount)
{
    CurrentCount->QuadPart = k::interrupt_time() / k::kTimeIncrement;
}

NDIS_EXPORTED_ROUTINE ULONG KeQueryTimeIncrement(VOID) { return k::kTimeIncrement; }

NDIS_EXPORTED_ROUTINE ULONGLONG KeQueryInterruptTime(VOID)
{
    return static_cast<ULONGLONG>(k::interrupt_time());
}

NDIS_EXPORTED_ROUTINE ULONGLONG KeQueryInterruptTimePrecise(PULONG64 QpcTimeStamp)
{
    if (QpcTimeStamp != nullptr) {
        *QpcTimeStamp = static_cast<ULONG64>(k::performance_counter());
    }
    return static_cast<ULONGLONG>(k::interrupt_time());
}

NDIS_EXPORTED_ROUTINE ULONGLONG KeQueryUnbiasedInterruptTime(VOID)
{
    return static_cast<ULONGLONG>(k::performance_counter());
}

NDIS_EXPORTED_ROUTINE VOID NdisGetSystemUpTime(PULONG pSystemUpTime)
{
    *pSystemUpTime = static_cast<ULONG>(k::interrupt_time() / 10000);
}

NDIS_EXPORTED_ROUTINE VOID NdisGetSystemUpTimeEx(PLARGE_INTEGER pSystemUpTime)
{
    pSystemUpTime->QuadPart = k::interrupt_time() / 10000;
}

// ---- Delays ----------------------------------------------------------------------------------
NDIS_EXPORTED_ROUTINE VOID NdisMSleep(ULONG MicrosecondsToSleep)
{
    if (wait_forbidden("NdisMSleep", nullptr)) {
        return;
    }
    k::sleep_for_100ns(static_cast<std::int64_t>(MicrosecondsToSleep) * 10);
}

NDIS_EXPORTED_ROUTINE VOID NdisStallExecution(UINT MicrosecondsToStall)
{
    if (MicrosecondsToStall > 50) {
        ndis::verifier::report(failure::stall_too_long, "NdisStallExecution", nullptr,
                               "{}stall of {} us: NdisStallExecution must not stall for more "
                               "than 50 us (NdisStallExecution_Delay rule; use a timer)",
                               k::driver_prefix(), MicrosecondsToStall);
    }
    k::stall_microseconds(MicrosecondsToStall);
}

NDIS_EXPORTED_ROUTINE VOID KeStallExecutionProcessor(ULONG MicroSeconds)
{
    if (MicroSeconds > 50) {
        ndis::verifier::report(failure::stall_too_long, "KeStallExecutionProcessor", nullptr,
                               "{}stall of {} us (more than 50 us)", k::driver_prefix(),
                               MicroSeconds);
    }
    k::stall_microseconds(MicroSeconds);
}

NDIS_EXPORTED_ROUTINE NTSTATUS KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
                                                      PLARGE_INTEGER Interval)
{
    (void)WaitMode;
    (void)Alertable;
    if (wait_forbidden("KeDelayExecutionThread", nullptr)) {
        return STATUS_SUCCESS;
    }
    if (Interval != nullptr) {
        const LONGLONG v = Interval->QuadPart;
        k::sleep_for_100ns(v < 0 ? -v : v - k::system_time());
    }
    return STATUS_SUCCESS;
}

} // extern "C"
