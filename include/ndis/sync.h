/*
 * ndis/sync.h — spin locks, read/write locks and interlocked operations (SPEC IRQL-02, IRQL-07).
 *
 * Abstract
 *   Spin locks. KSPIN_LOCK is the WDK's pointer-sized word and NDIS_SPIN_LOCK is
 *   { KSPIN_LOCK SpinLock; KIRQL OldIrql; }, so drivers embed them as on Windows. A held lock
 *   word stores an owner token (unique per thread), which lets OpenNDIS check the locking rules
 *   (IRQL-07, SDV SpinLock* rules):
 *     - acquiring a lock the thread already holds is reported (spinlock_recursive) and then the
 *       process is ABORTED: on Windows it is a deadlock that hangs the processor forever;
 *     - releasing a lock the thread does not hold is reported and ignored (the lock, if another
 *       thread holds it, stays held);
 *     - NdisDprAcquireSpinLock / KeAcquireSpinLockAtDpcLevel below DISPATCH_LEVEL is reported;
 *     - a DPC, timer callback or work item that returns with a spin lock held or at another
 *       IRQL than it was called at is reported.
 *   A contended acquire spins briefly, then sleeps on the lock word (futex): the holder may be
 *   preempted, since nothing real is masked at the emulated DISPATCH_LEVEL.
 *   NdisAcquireSpinLock raises to DISPATCH_LEVEL and saves the previous IRQL in OldIrql;
 *   KeAcquireSpinLock returns it through its second argument.
 *
 *   Read/write locks. NDIS_RW_LOCK_EX (NDIS 6.20: NdisAllocateRWLock, NdisAcquireRWLockRead /
 *   Write with a LOCK_STATE_EX per acquisition, NdisReleaseRWLock) and the older NDIS_RW_LOCK
 *   (NdisInitializeReadWriteLock, NdisAcquireReadWriteLock with a LOCK_STATE). Both raise to
 *   DISPATCH_LEVEL (unless NDIS_RWL_AT_DISPATCH_LEVEL says the caller already is there: a false
 *   flag is reported, IRQL-02), admit many readers or one writer, prefer a waiting writer over
 *   new readers, and allow a thread to take the read lock recursively. Write-after-read or
 *   write-after-write by the same thread deadlocks on Windows: reported, then abort().
 *
 *   Interlocked operations are inline (compiler atomics, sequentially consistent, full barrier),
 *   with the WDK's names and argument orders; the Ex/NdisInterlocked list and counter helpers
 *   take the caller's spin lock, so they combine with NdisAcquireSpinLock on the same lock.
 *
 * Usage
 *     NDIS_SPIN_LOCK lock;
 *     NdisAllocateSpinLock(&lock);
 *     NdisAcquireSpinLock(&lock);          // IRQL now DISPATCH_LEVEL
 *     InsertTailList(&queue, &entry);
 *     NdisReleaseSpinLock(&lock);          // IRQL back to what it was
 *     NdisFreeSpinLock(&lock);
 *
 *     PNDIS_RW_LOCK_EX rw = NdisAllocateRWLock(NdisHandle);
 *     LOCK_STATE_EX st;
 *     NdisAcquireRWLockRead(rw, &st, 0);
 *     ...
 *     NdisReleaseRWLock(rw, &st);
 *     NdisFreeRWLock(rw);
 */
#ifndef OPENNDIS_NDIS_SYNC_H
#define OPENNDIS_NDIS_SYNC_H

#include <ndis/types.h>
#include <ndis/irql.h>

NDIS_EXTERN_C_BEGIN

/* ---- Barriers --------------------------------------------------------------------------- */
/* A full barrier. Under ThreadSanitizer (which does not support fences; GCC warns about them
 * with -Wtsan) it is a sequentially consistent exchange, which is a full barrier on x86-64 and
 * arm64 too. */
#if defined(__SANITIZE_THREAD__)
#define OPENNDIS_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define OPENNDIS_TSAN 1
#endif
#endif
FORCEINLINE VOID OpenNdisFullBarrier(VOID)
{
#ifdef OPENNDIS_TSAN
    LONG volatile openndis_barrier = 0;
    (void)__atomic_exchange_n(&openndis_barrier, 0, __ATOMIC_SEQ_CST);
#else
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}
#define KeMemoryBarrier() OpenNdisFullBarrier()
#define MemoryBarrier() OpenNdisFullBarrier()
#define KeMemoryBarrierWithoutFence() __asm__ __volatile__("" ::: "memory")
#define _ReadWriteBarrier() __asm__ __volatile__("" ::: "memory")
#if defined(__x86_64__) || defined(__i386__)
#define YieldProcessor() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define YieldProcessor() __asm__ __volatile__("yield" ::: "memory")
#else
#define YieldProcessor() ((void)0)
#endif
#define KeYieldProcessor() YieldProcessor()

/* ---- Interlocked operations (LONG) ------------------------------------------------------ */
/* Each returns what the WDK documents: Increment/Decrement/Add the new value; Exchange,
 * CompareExchange, ExchangeAdd, Or, And, Xor the initial value. */
FORCEINLINE LONG InterlockedIncrement(_Inout_ LONG volatile *Addend)
{
    return __atomic_add_fetch(Addend, 1, __ATOMIC_SEQ_CST);
}
FORCEINLINE LONG InterlockedDecrement(_Inout_ LONG volatile *Addend)
{
    return __atomic_sub_fetch(Addend, 1, __ATOMIC_SEQ_CST);
}
FORCEINLINE LONG InterlockedExchange(_Inout_ LONG volatile *Target, _In_ LONG Value)
{
    return __atomic_exchange_n(Target, Value, __ATOMIC_SEQ_CST);
}
FORCEINLINE LONG InterlockedCompareExchange(_Inout_ LONG volatile *Destination,
                                            _In_ LONG ExChange, _In_ LONG Comperand)
{
    __atomic_compare_exchange_n(Destination, &Comperand, ExChange, 0, __ATOMIC_SEQ_CST,
                                __ATOMIC_SEQ_CST);
    return Comperand;
}
FORCEINLINE LONG InterlockedExchangeAdd(_Inout_ LONG volatile *Addend, _In_ LONG Value)
{
    return __atomic_fetch_add(Addend, Value, __ATOMIC_SEQ_CST);
}
FORCEINLINE LONG InterlockedAdd(_Inout_ LONG volatile *Addend, _In_ LONG Value)
{
    return __atomic_add_fetch(Addend, Value, __ATOMIC_SEQ_CST);
}
FORCEINLINE LONG InterlockedOr(_Inout_ LONG volatile *Destination, _In_ LONG Value)
{
    return __atomic_fetch_or(Destination, Value, __ATOMIC_SEQ_CST);
}
FORCEINLINE LONG InterlockedAnd(_Inout_ LONG volatile *Destination, _In_ LONG Value)
{
    return __atomic_fetch_and(Destination, Value, __ATOMIC_SEQ_CST);
}
FORCEINLINE LONG InterlockedXor(_Inout_ LONG volatile *Destination, _In_ LONG Value)
{
    return __atomic_fetch_xor(Destination, Value, __ATOMIC_SEQ_CST);
}

/* ---- Interlocked operations (SHORT, CHAR) ------------------------------------------------ */
FORCEINLINE SHORT InterlockedIncrement16(_Inout_ SHORT volatile *Addend)
{
    return __atomic_add_fetch(Addend, 1, __ATOMIC_SEQ_CST);
}
FORCEINLINE SHORT InterlockedDecrement16(_Inout_ SHORT volatile *Addend)
{
    return __atomic_sub_fetch(Addend, 1, __ATOMIC_SEQ_CST);
}
FORCEINLINE SHORT InterlockedCompareExchange16(_Inout_ SHORT volatile *Destination,
                                               _In_ SHORT ExChange, _In_ SHORT Comperand)
{
    __atomic_compare_exchange_n(Destination, &Comperand, ExChange, 0, __ATOMIC_SEQ_CST,
                                __ATOMIC_SEQ_CST);
    return Comperand;
}
FORCEINLINE CHAR InterlockedExchange8(_Inout_ CHAR volatile *Target, _In_ CHAR Value)
{
    return __atomic_exchange_n(Target, Value, __ATOMIC_SEQ_CST);
}
FORCEINLINE CHAR InterlockedOr8(_Inout_ CHAR volatile *Destination, _In_ CHAR Value)
{
    return __atomic_fetch_or(Destination, Value, __ATOMIC_SEQ_CST);
}
FORCEINLINE CHAR InterlockedAnd8(_Inout_ CHAR volatile *Destination, _In_ CHAR Value)
{
    return __atomic_fetch_and(Destination, Value, __ATOMIC_SEQ_CST);
}

/* ---- Interlocked operations (LONG64) ---------------------------------------------------- */
FORCEINLINE LONG64 InterlockedIncrement64(_Inout_ LONG64 volatile *Addend)
{
    return __atomic_add_fetch(Addend, 1, __ATOMIC_SEQ_CST);
}
FORCEINLINE LONG64 InterlockedDecrement64(_Inout_ LONG64 volatile *Addend)
{
    return __atomic_sub_fetch(Addend, 1, __ATOMIC_SEQ_CST);
}
FORCEINLINE LONG64 InterlockedExchange64(_Inout_ LONG64 volatile *Target, _In_ LONG64 Value)
{
    return __atomic_exchange_n(Target, Value, __ATOMIC_SEQ_CST);
}
FORCEINLINE LONG64 InterlockedCompareExchange64(_Inout_ LONG64 volatile *Destination,
                                                _In_ LONG64 ExChange, _In_ LONG64 Comperand)
{
    __atomic_compare_exchange_n(Destination, &Comperand, ExChange, 0, __ATOMIC_SEQ_CST,
                                __ATOMIC_SEQ_CST);
    return Comperand;
}
FORCEINLINE LONG64 InterlockedExchangeAdd64(_Inout_ LONG64 volatile *Addend, _In_ LONG64 Value)
{
    return __atomic_fetch_add(Addend, Value, __ATOMIC_SEQ_CST);
}
FORCEINLINE LONG64 InterlockedAdd64(_Inout_ LONG64 volatile *Addend, _In_ LONG64 Value)
{
    return __atomic_add_fetch(Addend, Value, __ATOMIC_SEQ_CST);
}
FORCEINLINE LONG64 InterlockedOr64(_Inout_ LONG64 volatile *Destination, _In_ LONG64 Value)
{
    return __atomic_fetch_or(Destination, Value, __ATOMIC_SEQ_CST);
}
FORCEINLINE LONG64 InterlockedAnd64(_Inout_ LONG64 volatile *Destination, _In_ LONG64 Value)
{
    return __atomic_fetch_and(Destination, Value, __ATOMIC_SEQ_CST);
}
FORCEINLINE LONG64 InterlockedXor64(_Inout_ LONG64 volatile *Destination, _In_ LONG64 Value)
{
    return __atomic_fetch_xor(Destination, Value, __ATOMIC_SEQ_CST);
}

/* ---- Interlocked operations (pointers, pointer-sized) ----------------------------------- */
FORCEINLINE PVOID InterlockedExchangePointer(_Inout_ PVOID volatile *Target, _In_opt_ PVOID Value)
{
    return __atomic_exchange_n(Target, Value, __ATOMIC_SEQ_CST);
}
FORCEINLINE PVOID InterlockedCompareExchangePointer(_Inout_ PVOID volatile *Destination,
                                                    _In_opt_ PVOID ExChange,
                                                    _In_opt_ PVOID Comperand)
{
    __atomic_compare_exchange_n(Destination, &Comperand, ExChange, 0, __ATOMIC_SEQ_CST,
                                __ATOMIC_SEQ_CST);
    return Comperand;
}
FORCEINLINE LONG_PTR InterlockedIncrementPtr(_Inout_ LONG_PTR volatile *Addend)
{
    return __atomic_add_fetch(Addend, 1, __ATOMIC_SEQ_CST);
}
FORCEINLINE LONG_PTR InterlockedDecrementPtr(_Inout_ LONG_PTR volatile *Addend)
{
    return __atomic_sub_fetch(Addend, 1, __ATOMIC_SEQ_CST);
}
FORCEINLINE SIZE_T InterlockedExchangeAddSizeT(_Inout_ SIZE_T volatile *Addend, _In_ SIZE_T Value)
{
    return __atomic_fetch_add(Addend, Value, __ATOMIC_SEQ_CST);
}
#define InterlockedIncrementSizeT(a) ((SIZE_T)InterlockedIncrementPtr((LONG_PTR volatile *)(a)))
#define InterlockedDecrementSizeT(a) ((SIZE_T)InterlockedDecrementPtr((LONG_PTR volatile *)(a)))

/* ---- Plain reads/writes with explicit ordering (WDK ReadNoFence / ReadAcquire / ...) ---- */
FORCEINLINE LONG ReadNoFence(_In_ LONG const volatile *Source)
{
    return __atomic_load_n(Source, __ATOMIC_RELAXED);
}
FORCEINLINE LONG ReadAcquire(_In_ LONG const volatile *Source)
{
    return __atomic_load_n(Source, __ATOMIC_ACQUIRE);
}
FORCEINLINE VOID WriteNoFence(_Out_ LONG volatile *Destination, _In_ LONG Value)
{
    __atomic_store_n(Destination, Value, __ATOMIC_RELAXED);
}
FORCEINLINE VOID WriteRelease(_Out_ LONG volatile *Destination, _In_ LONG Value)
{
    __atomic_store_n(Destination, Value, __ATOMIC_RELEASE);
}
FORCEINLINE PVOID ReadPointerAcquire(_In_ PVOID const volatile *Source)
{
    return __atomic_load_n(Source, __ATOMIC_ACQUIRE);
}
FORCEINLINE VOID WritePointerRelease(_Out_ PVOID volatile *Destination, _In_ PVOID Value)
{
    __atomic_store_n(Destination, Value, __ATOMIC_RELEASE);
}

/* NdisInterlockedIncrement / Decrement: the LONG operations under their NDIS names. */
#define NdisInterlockedIncrement(Addend) InterlockedIncrement(Addend)
#define NdisInterlockedDecrement(Addend) InterlockedDecrement(Addend)
#define NdisInterlockedAddLargeStatistic(_Addend, _Increment) \
    ((void)InterlockedAdd64(&((PLARGE_INTEGER)(_Addend))->QuadPart, (LONG64)(_Increment)))
#define ExInterlockedAddLargeStatistic(_Addend, _Increment) \
    NdisInterlockedAddLargeStatistic(_Addend, _Increment)

/* ---- Spin locks --------------------------------------------------------------------------- */
typedef ULONG_PTR KSPIN_LOCK, *PKSPIN_LOCK;

typedef struct _NDIS_SPIN_LOCK {
    KSPIN_LOCK SpinLock;
    KIRQL OldIrql;
} NDIS_SPIN_LOCK, *PNDIS_SPIN_LOCK;

NDIS_EXPORTED_ROUTINE VOID KeInitializeSpinLock(_Out_ PKSPIN_LOCK SpinLock);
/* Raises to DISPATCH_LEVEL, acquires, returns the previous IRQL. */
NDIS_EXPORTED_ROUTINE KIRQL KeAcquireSpinLockRaiseToDpc(_Inout_ PKSPIN_LOCK SpinLock);
#define KeAcquireSpinLock(SpinLock, OldIrql) (*(OldIrql) = KeAcquireSpinLockRaiseToDpc(SpinLock))
/* Releases and lowers the IRQL to NewIrql (the value KeAcquireSpinLock returned). */
NDIS_EXPORTED_ROUTINE VOID KeReleaseSpinLock(_Inout_ PKSPIN_LOCK SpinLock, _In_ KIRQL NewIrql);
/* Caller already at DISPATCH_LEVEL (reported otherwise); the IRQL is not changed. */
NDIS_EXPORTED_ROUTINE VOID KeAcquireSpinLockAtDpcLevel(_Inout_ PKSPIN_LOCK SpinLock);
NDIS_EXPORTED_ROUTINE VOID KeReleaseSpinLockFromDpcLevel(_Inout_ PKSPIN_LOCK SpinLock);
/* TRUE and the lock acquired, or FALSE at once when another thread holds it. */
NDIS_EXPORTED_ROUTINE BOOLEAN KeTryToAcquireSpinLockAtDpcLevel(_Inout_ PKSPIN_LOCK SpinLock);
/* TRUE when the lock is held by some thread (a snapshot). */
NDIS_EXPORTED_ROUTINE BOOLEAN KeTestSpinLock(_In_ PKSPIN_LOCK SpinLock);

NDIS_EXPORTED_ROUTINE VOID NdisAllocateSpinLock(_Out_ PNDIS_SPIN_LOCK SpinLock);
/* A no-op as on Windows, except that freeing a held lock is reported (IRQL-07). */
NDIS_EXPORTED_ROUTINE VOID NdisFreeSpinLock(_In_ PNDIS_SPIN_LOCK SpinLock);
NDIS_EXPORTED_ROUTINE VOID NdisAcquireSpinLock(_Inout_ PNDIS_SPIN_LOCK SpinLock);
NDIS_EXPORTED_ROUTINE VOID NdisReleaseSpinLock(_Inout_ PNDIS_SPIN_LOCK SpinLock);
NDIS_EXPORTED_ROUTINE VOID NdisDprAcquireSpinLock(_Inout_ PNDIS_SPIN_LOCK SpinLock);
NDIS_EXPORTED_ROUTINE VOID NdisDprReleaseSpinLock(_Inout_ PNDIS_SPIN_LOCK SpinLock);

/* ---- Lists and counters under a spin lock (ExInterlocked*, NdisInterlocked*) ------------- */
/* Insert/Remove return the previous first entry / the removed entry, or NULL if the list was
 * empty. Each raises to DISPATCH_LEVEL around the operation. */
NDIS_EXPORTED_ROUTINE PLIST_ENTRY ExInterlockedInsertHeadList(_Inout_ PLIST_ENTRY ListHead,
                                                              _Inout_ PLIST_ENTRY ListEntry,
                                                              _Inout_ PKSPIN_LOCK Lock);
NDIS_EXPORTED_ROUTINE PLIST_ENTRY ExInterlockedInsertTailList(_Inout_ PLIST_ENTRY ListHead,
                                                              _Inout_ PLIST_ENTRY ListEntry,
                                                              _Inout_ PKSPIN_LOCK Lock);
NDIS_EXPORTED_ROUTINE PLIST_ENTRY ExInterlockedRemoveHeadList(_Inout_ PLIST_ENTRY ListHead,
                                                              _Inout_ PKSPIN_LOCK Lock);
NDIS_EXPORTED_ROUTINE PSINGLE_LIST_ENTRY ExInterlockedPushEntryList(
    _Inout_ PSINGLE_LIST_ENTRY ListHead, _Inout_ PSINGLE_LIST_ENTRY ListEntry,
    _Inout_ PKSPIN_LOCK Lock);
NDIS_EXPORTED_ROUTINE PSINGLE_LIST_ENTRY ExInterlockedPopEntryList(
    _Inout_ PSINGLE_LIST_ENTRY ListHead, _Inout_ PKSPIN_LOCK Lock);
/* Adds Increment to *Addend under Lock; returns the initial value. */
NDIS_EXPORTED_ROUTINE ULONG ExInterlockedAddUlong(_Inout_ PULONG Addend, _In_ ULONG Increment,
                                                  _Inout_ PKSPIN_LOCK Lock);

#define NdisInterlockedInsertHeadList(_ListHead, _ListEntry, _SpinLock) \
    ExInterlockedInsertHeadList(_ListHead, _ListEntry, &(_SpinLock)->SpinLock)
#define NdisInterlockedInsertTailList(_ListHead, _ListEntry, _SpinLock) \
    ExInterlockedInsertTailList(_ListHead, _ListEntry, &(_SpinLock)->SpinLock)
#define NdisInterlockedRemoveHeadList(_ListHead, _SpinLock) \
    ExInterlockedRemoveHeadList(_ListHead, &(_SpinLock)->SpinLock)
#define NdisInterlockedPushEntryList(ListHead, ListEntry, Lock) \
    ExInterlockedPushEntryList(ListHead, ListEntry, &(Lock)->SpinLock)
#define NdisInterlockedPopEntryList(ListHead, Lock) \
    ExInterlockedPopEntryList(ListHead, &(Lock)->SpinLock)
#define NdisInterlockedAddUlong(_Addend, _Increment, _SpinLock) \
    ((void)ExInterlockedAddUlong(_Addend, _Increment, &(_SpinLock)->SpinLock))

/* ---- NDIS_RW_LOCK_EX (NDIS 6.20) ---------------------------------------------------------- */
typedef struct _NDIS_RW_LOCK_EX NDIS_RW_LOCK_EX, *PNDIS_RW_LOCK_EX; /* opaque, runtime-owned */

typedef struct _LOCK_STATE_EX {
    KIRQL OldIrql;
    UCHAR LockState;
    UCHAR Flags;
} LOCK_STATE_EX, *PLOCK_STATE_EX;

#define NDIS_RWL_AT_DISPATCH_LEVEL 1

/* NULL when out of memory. NdisHandle is the caller's driver, adapter, binding or filter
 * handle (used to attribute the lock in leak reports). */
NDIS_EXPORTED_ROUTINE PNDIS_RW_LOCK_EX NdisAllocateRWLock(_In_ NDIS_HANDLE NdisHandle);
NDIS_EXPORTED_ROUTINE VOID NdisFreeRWLock(_In_ PNDIS_RW_LOCK_EX Lock);
NDIS_EXPORTED_ROUTINE VOID NdisAcquireRWLockRead(_Inout_ PNDIS_RW_LOCK_EX Lock,
                                                 _Out_ PLOCK_STATE_EX LockState,
                                                 _In_ UCHAR Flags);
NDIS_EXPORTED_ROUTINE VOID NdisAcquireRWLockWrite(_Inout_ PNDIS_RW_LOCK_EX Lock,
                                                  _Out_ PLOCK_STATE_EX LockState,
                                                  _In_ UCHAR Flags);
NDIS_EXPORTED_ROUTINE VOID NdisReleaseRWLock(_Inout_ PNDIS_RW_LOCK_EX Lock,
                                             _In_ PLOCK_STATE_EX LockState);

/* ---- NDIS_RW_LOCK (NDIS 5 and later; driver-allocated, x64 layout: 1040 bytes) ------------ */
typedef union _NDIS_RW_LOCK_REFCOUNT {
    ULONG RefCount;
    UCHAR cacheLine[16];
} NDIS_RW_LOCK_REFCOUNT;

typedef struct _NDIS_RW_LOCK {
    union {
        struct {
            KSPIN_LOCK SpinLock;
            PVOID Context;
        };
        UCHAR Reserved[16];
    };
    union {
        NDIS_RW_LOCK_REFCOUNT RefCount[MAXIMUM_PROCESSORS];
        ULONG RefCountEx[sizeof(NDIS_RW_LOCK_REFCOUNT) / sizeof(ULONG) * MAXIMUM_PROCESSORS];
        struct {
            KSPIN_LOCK RefCountLock;
            volatile ULONG SharedRefCount;
            volatile BOOLEAN WriterWaiting;
        };
    };
} NDIS_RW_LOCK, *PNDIS_RW_LOCK;

typedef struct _LOCK_STATE {
    USHORT LockState;
    KIRQL OldIrql;
} LOCK_STATE, *PLOCK_STATE;

NDIS_EXPORTED_ROUTINE VOID NdisInitializeReadWriteLock(_Out_ PNDIS_RW_LOCK Lock);
NDIS_EXPORTED_ROUTINE VOID NdisAcquireReadWriteLock(_Inout_ PNDIS_RW_LOCK Lock,
                                                    _In_ BOOLEAN fWrite,
                                                    _Out_ PLOCK_STATE LockState);
NDIS_EXPORTED_ROUTINE VOID NdisReleaseReadWriteLock(_Inout_ PNDIS_RW_LOCK Lock,
                                                    _In_ PLOCK_STATE LockState);

NDIS_EXTERN_C_END

#endif /* OPENNDIS_NDIS_SYNC_H */
