// api/kernel_sync_api.cpp — extern "C" entry points: IRQL, processors, spin locks, interlocked
// lists, read/write locks (<ndis/irql.h>, <ndis/sync.h>). Thin shells over src/kernel.
#include "kernel/dispatcher.hpp"
#include "kernel/irql.hpp"
#include "kernel/spinlock.hpp"
#include "kernel/sync.hpp"
#include "verifier/verifier.hpp"

#include <ndis.h>

namespace k = ndis::kernel;
using ndis::verifier::failure;

extern "C" {

// ---- IRQL ------------------------------------------------------------------------------------
NDIS_EXPORTED_ROUTINE KIRQL KeGetCurrentIrql(VOID) { return k::current_irql(); }

NDIS_EXPORTED_ROUTINE KIRQL KfRaiseIrql(KIRQL NewIrql)
{
    return k::raise_irql(NewIrql, "KeRaiseIrql");
}

NDIS_EXPORTED_ROUTINE KIRQL KeRaiseIrqlToDpcLevel(VOID)
{
    return k::raise_irql(DISPATCH_LEVEL, "KeRaiseIrqlToDpcLevel");
}

NDIS_EXPORTED_ROUTINE KIRQL KeRaiseIrqlToSynchLevel(VOID)
{
    return k::raise_irql(SYNCH_LEVEL, "KeRaiseIrqlToSynchLevel");
}

NDIS_EXPORTED_ROUTINE VOID KeLowerIrql(KIRQL NewIrql) { k::lower_irql(NewIrql, "KeLowerIrql"); }

NDIS_EXPORTED_ROUTINE BOOLEAN KeAreApcsDisabled(VOID)
{
    return k::current_irql() >= APC_LEVEL ? TRUE : FALSE;
}

NDIS_EXPORTED_ROUTINE BOOLEAN KeAreAllApcsDisabled(VOID)
{
    return k::current_irql() >= APC_LEVEL ? TRUE : FALSE;
}

// ---- Processors ------------------------------------------------------------------------------
NDIS_EXPORTED_ROUTINE ULONG KeGetCurrentProcessorNumberEx(PPROCESSOR_NUMBER ProcNumber)
{
    const unsigned index = k::current_processor();
    if (ProcNumber != nullptr) {
        ProcNumber->Group = 0;
        ProcNumber->Number = static_cast<UCHAR>(index);
        ProcNumber->Reserved = 0;
    }
    return index;
}

NDIS_EXPORTED_ROUTINE ULONG KeGetCurrentProcessorNumber(VOID) { return k::current_processor(); }

NDIS_EXPORTED_ROUTINE ULONG KeQueryActiveProcessorCountEx(USHORT GroupNumber)
{
    return (GroupNumber == 0 || GroupNumber == ALL_PROCESSOR_GROUPS) ? k::processor_count() : 0;
}

NDIS_EXPORTED_ROUTINE ULONG KeQueryMaximumProcessorCountEx(USHORT GroupNumber)
{
    return KeQueryActiveProcessorCountEx(GroupNumber);
}

NDIS_EXPORTED_ROUTINE ULONG KeQueryActiveProcessorCount(KAFFINITY *ActiveProcessors)
{
    const unsigned n = k::processor_count();
    if (ActiveProcessors != nullptr) {
        *ActiveProcessors = n >= 64 ? ~KAFFINITY{0} : ((KAFFINITY{1} << n) - 1);
    }
    return n;
}

NDIS_EXPORTED_ROUTINE USHORT KeQueryActiveGroupCount(VOID) { return 1; }

NDIS_EXPORTED_ROUTINE NTSTATUS KeGetProcessorNumberFromIndex(ULONG ProcIndex,
                                                             PPROCESSOR_NUMBER ProcNumber)
{
    if (ProcNumber == nullptr || ProcIndex >= k::processor_count()) {
        return STATUS_INVALID_PARAMETER;
    }
    ProcNumber->Group = 0;
    ProcNumber->Number = static_cast<UCHAR>(ProcIndex);
    ProcNumber->Reserved = 0;
    return STATUS_SUCCESS;
}

NDIS_EXPORTED_ROUTINE ULONG KeGetProcessorIndexFromNumber(PPROCESSOR_NUMBER ProcNumber)
{
    if (ProcNumber == nullptr || ProcNumber->Group != 0 ||
        ProcNumber->Number >= k::processor_count()) {
        return 0xFFFFFFFFu; // INVALID_PROCESSOR_INDEX
    }
    return ProcNumber->Number;
}

// ---- Spin locks ------------------------------------------------------------------------------
NDIS_EXPORTED_ROUTINE VOID KeInitializeSpinLock(PKSPIN_LOCK SpinLock) { *SpinLock = 0; }

NDIS_EXPORTED_ROUTINE KIRQL KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock)
{
    return k::spin_acquire_raise(SpinLock, "KeAcquireSpinLock");
}

NDIS_EXPORTED_ROUTINE VOID KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql)
{
    k::spin_release_lower(SpinLock, NewIrql, "KeReleaseSpinLock");
}

NDIS_EXPORTED_ROUTINE VOID KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)
{
    k::spin_acquire_at_dpc(SpinLock, "KeAcquireSpinLockAtDpcLevel");
}

NDIS_EXPORTED_ROUTINE VOID KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock)
{
    k::spin_release_at_dpc(SpinLock, "KeReleaseSpinLockFromDpcLevel");
}

NDIS_EXPORTED_ROUTINE BOOLEAN KeTryToAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)
{
    return k::spin_try_acquire(SpinLock, "KeTryToAcquireSpinLockAtDpcLevel") ? TRUE : FALSE;
}

NDIS_EXPORTED_ROUTINE BOOLEAN KeTestSpinLock(PKSPIN_LOCK SpinLock)
{
    return k::spin_is_held(SpinLock) ? TRUE : FALSE;
}

NDIS_EXPORTED_ROUTINE VOID NdisAllocateSpinLock(PNDIS_SPIN_LOCK SpinLock)
{
    SpinLock->SpinLock = 0;
    SpinLock->OldIrql = PASSIVE_LEVEL;
}

NDIS_EXPORTED_ROUTINE VOID NdisFreeSpinLock(PNDIS_SPIN_LOCK SpinLock)
{
    k::spin_check_free(&SpinLock->SpinLock, "NdisFreeSpinLock");
}

NDIS_EXPORTED_ROUTINE VOID NdisAcquireSpinLock(PNDIS_SPIN_LOCK SpinLock)
{
    const KIRQL old = k::spin_acquire_raise(&SpinLock->SpinLock, "NdisAcquireSpinLock");
    SpinLock->OldIrql = old; // written only while the lock is held
}

NDIS_EXPORTED_ROUTINE VOID NdisReleaseSpinLock(PNDIS_SPIN_LOCK SpinLock)
{
    if (!k::spin_held_by_caller(&SpinLock->SpinLock)) {
        k::spin_release_lower(&SpinLock->SpinLock, k::current_irql(), "NdisReleaseSpinLock");
        return; // reported; OldIrql belongs to the holder
    }
    const KIRQL old = SpinLock->OldIrql;
    k::spin_release_lower(&SpinLock->SpinLock, old, "NdisReleaseSpinLock");
}

NDIS_EXPORTED_ROUTINE VOID NdisDprAcquireSpinLock(PNDIS_SPIN_LOCK SpinLock)
{
    k::spin_acquire_at_dpc(&SpinLock->SpinLock, "NdisDprAcquireSpinLock");
    SpinLock->OldIrql = DISPATCH_LEVEL;
}

NDIS_EXPORTED_ROUTINE VOID NdisDprReleaseSpinLock(PNDIS_SPIN_LOCK SpinLock)
{
    k::spin_release_at_dpc(&SpinLock->SpinLock, "NdisDprReleaseSpinLock");
}

// ---- Lists and counters under a spin lock ------------------------------------------------
NDIS_EXPORTED_ROUTINE PLIST_ENTRY ExInterlockedInsertHeadList(PLIST_ENTRY ListHead,
                                                              PLIST_ENTRY ListEntry,
                                                              PKSPIN_LOCK Lock)
{
    return k::interlocked_insert_head(ListHead, ListEntry, Lock);
}

NDIS_EXPORTED_ROUTINE PLIST_ENTRY ExInterlockedInsertTailList(PLIST_ENTRY ListHead,
                                                              PLIST_ENTRY ListEntry,
                                                              PKSPIN_LOCK Lock)
{
    return k::interlocked_insert_tail(ListHead, ListEntry, Lock);
}

NDIS_EXPORTED_ROUTINE PLIST_ENTRY ExInterlockedRemoveHeadList(PLIST_ENTRY ListHead,
                                                              PKSPIN_LOCK Lock)
{
    return k::interlocked_remove_head(ListHead, Lock);
}

NDIS_EXPORTED_ROUTINE PSINGLE_LIST_ENTRY ExInterlockedPushEntryList(PSINGLE_LIST_ENTRY ListHead,
                                                                    PSINGLE_LIST_ENTRY ListEntry,
                                                                    PKSPIN_LOCK Lock)
{
    return k::interlocked_push(ListHead, ListEntry, Lock);
}

NDIS_EXPORTED_ROUTINE PSINGLE_LIST_ENTRY ExInterlockedPopEntryList(PSINGLE_LIST_ENTRY ListHead,
                                                                   PKSPIN_LOCK Lock)
{
    return k::interlocked_pop(ListHead, Lock);
}

NDIS_EXPORTED_ROUTINE ULONG ExInterlockedAddUlong(PULONG Addend, ULONG Increment,
                                                  PKSPIN_LOCK Lock)
{
    return k::interlocked_add_ulong(Addend, Increment, Lock);
}

// ---- Read/write locks ------------------------------------------------------------------------
NDIS_EXPORTED_ROUTINE PNDIS_RW_LOCK_EX NdisAllocateRWLock(NDIS_HANDLE NdisHandle)
{
    return k::rw_ex_allocate(NdisHandle);
}

NDIS_EXPORTED_ROUTINE VOID NdisFreeRWLock(PNDIS_RW_LOCK_EX Lock) { k::rw_ex_free(Lock); }

NDIS_EXPORTED_ROUTINE VOID NdisAcquireRWLockRead(PNDIS_RW_LOCK_EX Lock, PLOCK_STATE_EX LockState,
                                                 UCHAR Flags)
{
    k::rw_ex_acquire(Lock, LockState, Flags, false);
}

NDIS_EXPORTED_ROUTINE VOID NdisAcquireRWLockWrite(PNDIS_RW_LOCK_EX Lock, PLOCK_STATE_EX LockState,
                                                  UCHAR Flags)
{
    k::rw_ex_acquire(Lock, LockState, Flags, true);
}

NDIS_EXPORTED_ROUTINE VOID NdisReleaseRWLock(PNDIS_RW_LOCK_EX Lock, PLOCK_STATE_EX LockState)
{
    k::rw_ex_release(Lock, LockState);
}

NDIS_EXPORTED_ROUTINE VOID NdisInitializeReadWriteLock(PNDIS_RW_LOCK Lock)
{
    k::rw_initialize(Lock);
}

NDIS_EXPORTED_ROUTINE VOID NdisAcquireReadWriteLock(PNDIS_RW_LOCK Lock, BOOLEAN fWrite,
                                                    PLOCK_STATE LockState)
{
    k::rw_acquire(Lock, fWrite != FALSE, LockState);
}

NDIS_EXPORTED_ROUTINE VOID NdisReleaseReadWriteLock(PNDIS_RW_LOCK Lock, PLOCK_STATE LockState)
{
    k::rw_release(Lock, LockState);
}

} // extern "C"
