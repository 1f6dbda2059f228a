// test_kernel_irql_locks.cpp — emulated IRQL, spin locks, read/write locks, interlocked
// operations and processor queries (SPEC IRQL-01, IRQL-02, IRQL-07; API_SURFACE
// "Synchronisation, IRQL, …").
//
// Black-box tests against libopenndis.so through <ndis.h>. Rule breaks are checked with a
// VerifierCapture and their SPEC IDs; the two deadlocks the verifier turns into an abort
// (recursive spin lock acquire, write acquire by a reader) are death tests.
#include "openndis_test.hpp"

#include <ndis.h>
#include <openndis/runtime.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

namespace {

using openndis::test::VerifierCapture;

// ---- IRQL ----------------------------------------------------------------------------------
TEST(KernelIrql, PassiveByDefaultOnEveryThread) // IRQL-01
{
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    KIRQL other = 0xFF;
    std::thread([&] { other = KeGetCurrentIrql(); }).join();
    EXPECT_EQ(other, PASSIVE_LEVEL);
}

TEST(KernelIrql, RaiseAndLowerArePerThread) // IRQL-01
{
    KIRQL old = 0xFF;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    EXPECT_EQ(old, PASSIVE_LEVEL);
    EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KIRQL other = 0xFF;
    std::thread([&] { other = KeGetCurrentIrql(); }).join();
    EXPECT_EQ(other, PASSIVE_LEVEL) << "another thread is not raised";
    KeLowerIrql(old);
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);

    EXPECT_EQ(KeRaiseIrqlToDpcLevel(), PASSIVE_LEVEL);
    EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    EXPECT_EQ(KeRaiseIrqlToDpcLevel(), DISPATCH_LEVEL) << "raising to the same level is fine";
    KeLowerIrql(PASSIVE_LEVEL);
}

TEST(KernelIrql, NdisMacros) // IRQL-01
{
    KIRQL old = 0xFF;
    NDIS_RAISE_IRQL_TO_DISPATCH(&old);
    EXPECT_EQ(old, PASSIVE_LEVEL);
    EXPECT_EQ(NDIS_CURRENT_IRQL(), DISPATCH_LEVEL);
    NDIS_LOWER_IRQL(old, DISPATCH_LEVEL);
    EXPECT_EQ(NDIS_CURRENT_IRQL(), PASSIVE_LEVEL);
    NDIS_LOWER_IRQL(PASSIVE_LEVEL, PASSIVE_LEVEL); // equal: no call, no report
    EXPECT_TRUE(KeAreApcsDisabled() == FALSE);
}

TEST(KernelIrql, RaiseBelowOrLowerAboveIsReported) // IRQL-01
{
    VerifierCapture cap;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KIRQL again = 0xFF;
    KeRaiseIrql(PASSIVE_LEVEL, &again); // below the current IRQL
    EXPECT_EQ(again, DISPATCH_LEVEL);
    EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL) << "left unchanged";
    KeLowerIrql(old);
    KeLowerIrql(DISPATCH_LEVEL); // above the current IRQL
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    EXPECT_VERIFIER_REPORTS(cap, "IRQL-01", "IRQL-01");
}

// ---- Processors ---------------------------------------------------------------------------
TEST(KernelProcessors, CountAndCurrentAreConsistent)
{
    const ULONG n = KeQueryActiveProcessorCountEx(ALL_PROCESSOR_GROUPS);
    ASSERT_GE(n, 1u);
    EXPECT_EQ(KeQueryActiveProcessorCountEx(0), n);
    EXPECT_EQ(KeQueryActiveProcessorCountEx(1), 0u);
    KAFFINITY mask = 0;
    EXPECT_EQ(KeQueryActiveProcessorCount(&mask), n);
    EXPECT_EQ(RtlNumberOfSetBitsUlongPtr(mask), n < 64 ? n : 64u);
    for (int i = 0; i < 100; ++i) {
        PROCESSOR_NUMBER pn{};
        pn.Reserved = 7;
        const ULONG index = KeGetCurrentProcessorNumberEx(&pn);
        ASSERT_LT(index, n);
        EXPECT_EQ(pn.Group, 0);
        EXPECT_EQ(pn.Number, index);
        EXPECT_EQ(pn.Reserved, 0);
    }
    PROCESSOR_NUMBER pn{};
    EXPECT_EQ(KeGetProcessorNumberFromIndex(n - 1, &pn), STATUS_SUCCESS);
    EXPECT_EQ(KeGetProcessorIndexFromNumber(&pn), n - 1);
    EXPECT_EQ(KeGetProcessorNumberFromIndex(n, &pn), STATUS_INVALID_PARAMETER);
}

// ---- Spin locks -----------------------------------------------------------------------------
TEST(KernelSpinLock, LayoutIsTheWdks)
{
    static_assert(sizeof(KSPIN_LOCK) == sizeof(void *));
    static_assert(sizeof(NDIS_SPIN_LOCK) == 16);
    static_assert(offsetof(NDIS_SPIN_LOCK, OldIrql) == 8);
    static_assert(sizeof(LOCK_STATE_EX) == 3);
    static_assert(sizeof(LOCK_STATE) == 4);
    static_assert(sizeof(NDIS_RW_LOCK) == 1040);
}

TEST(KernelSpinLock, NdisAcquireRaisesAndReleaseRestores) // IRQL-07
{
    NDIS_SPIN_LOCK lock;
    NdisAllocateSpinLock(&lock);
    EXPECT_FALSE(KeTestSpinLock(&lock.SpinLock));
    NdisAcquireSpinLock(&lock);
    EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    EXPECT_EQ(lock.OldIrql, PASSIVE_LEVEL);
    EXPECT_TRUE(KeTestSpinLock(&lock.SpinLock));
    NdisReleaseSpinLock(&lock);
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    EXPECT_FALSE(KeTestSpinLock(&lock.SpinLock));

    // Nested locks at DISPATCH: the inner one saves DISPATCH.
    NDIS_SPIN_LOCK inner;
    NdisAllocateSpinLock(&inner);
    NdisAcquireSpinLock(&lock);
    NdisAcquireSpinLock(&inner);
    EXPECT_EQ(inner.OldIrql, DISPATCH_LEVEL);
    NdisReleaseSpinLock(&inner);
    EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    NdisReleaseSpinLock(&lock);
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    NdisFreeSpinLock(&inner);
    NdisFreeSpinLock(&lock);
}

TEST(KernelSpinLock, DprFormsAtDispatch) // IRQL-07
{
    NDIS_SPIN_LOCK lock;
    NdisAllocateSpinLock(&lock);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    NdisDprAcquireSpinLock(&lock);
    EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    NdisDprReleaseSpinLock(&lock);
    EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL) << "the Dpr forms do not change the IRQL";
    KeAcquireSpinLockAtDpcLevel(&lock.SpinLock);
    KeReleaseSpinLockFromDpcLevel(&lock.SpinLock);
    KeLowerIrql(old);
}

TEST(KernelSpinLock, DprAcquireBelowDispatchIsReported) // IRQL-07
{
    VerifierCapture cap;
    NDIS_SPIN_LOCK lock;
    NdisAllocateSpinLock(&lock);
    NdisDprAcquireSpinLock(&lock); // at PASSIVE
    NdisDprReleaseSpinLock(&lock);
    KSPIN_LOCK k;
    KeInitializeSpinLock(&k);
    KeAcquireSpinLockAtDpcLevel(&k);
    KeReleaseSpinLockFromDpcLevel(&k);
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    EXPECT_VERIFIER_REPORTS(cap, "IRQL-07", "IRQL-07");
}

TEST(KernelSpinLock, KeAcquireReturnsOldIrql)
{
    KSPIN_LOCK lock;
    KeInitializeSpinLock(&lock);
    EXPECT_EQ(lock, 0u);
    KIRQL old = 0xFF;
    KeAcquireSpinLock(&lock, &old);
    EXPECT_EQ(old, PASSIVE_LEVEL);
    EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    EXPECT_NE(lock, 0u) << "the lock word holds the owner";
    KeReleaseSpinLock(&lock, old);
    EXPECT_EQ(lock, 0u);
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

TEST(KernelSpinLock, TryAcquire)
{
    KSPIN_LOCK lock;
    KeInitializeSpinLock(&lock);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ASSERT_TRUE(KeTryToAcquireSpinLockAtDpcLevel(&lock));
    BOOLEAN other = TRUE;
    std::thread([&] {
        KIRQL o;
        KeRaiseIrql(DISPATCH_LEVEL, &o);
        other = KeTryToAcquireSpinLockAtDpcLevel(&lock);
        KeLowerIrql(o);
    }).join();
    EXPECT_FALSE(other) << "held by another thread";
    KeReleaseSpinLockFromDpcLevel(&lock);
    KeLowerIrql(old);
}

TEST(KernelSpinLock, ReleaseByNonHolderIsReportedAndIgnored) // IRQL-07
{
    VerifierCapture cap;
    NDIS_SPIN_LOCK lock;
    NdisAllocateSpinLock(&lock);
    NdisReleaseSpinLock(&lock); // not held at all
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);

    std::atomic<int> step{0};
    std::thread holder([&] {
        NdisAcquireSpinLock(&lock);
        step = 1;
        while (step.load() != 2) {
            std::this_thread::yield();
        }
        NdisReleaseSpinLock(&lock);
    });
    while (step.load() != 1) {
        std::this_thread::yield();
    }
    NdisReleaseSpinLock(&lock); // held by the other thread
    EXPECT_TRUE(KeTestSpinLock(&lock.SpinLock)) << "still held by its owner";
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    step = 2;
    holder.join();
    EXPECT_FALSE(KeTestSpinLock(&lock.SpinLock));
    EXPECT_VERIFIER_REPORTS(cap, "IRQL-07", "IRQL-07");
}

TEST(KernelSpinLock, FreeWhileHeldIsReported) // IRQL-07
{
    VerifierCapture cap;
    NDIS_SPIN_LOCK lock;
    NdisAllocateSpinLock(&lock);
    NdisAcquireSpinLock(&lock);
    NdisFreeSpinLock(&lock);
    NdisReleaseSpinLock(&lock);
    EXPECT_VERIFIER_REPORTS(cap, "IRQL-07");
}

TEST(KernelSpinLockDeathTest, RecursiveAcquireAborts) // IRQL-07
{
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_DEATH(
        {
            NDIS_SPIN_LOCK lock;
            NdisAllocateSpinLock(&lock);
            NdisAcquireSpinLock(&lock);
            NdisAcquireSpinLock(&lock);
        },
        "recursive acquire of spin lock");
}

TEST(KernelSpinLock, ContendedCounterIsExact) // IRQL-07
{
    NDIS_SPIN_LOCK lock;
    NdisAllocateSpinLock(&lock);
    std::uint64_t counter = 0; // protected by the lock only
    constexpr int kThreads = 4;
    constexpr int kIterations = 20000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < kIterations; ++i) {
                NdisAcquireSpinLock(&lock);
                ASSERT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
                ++counter;
                NdisReleaseSpinLock(&lock);
            }
        });
    }
    for (auto &t : threads) {
        t.join();
    }
    EXPECT_EQ(counter, std::uint64_t{kThreads} * kIterations);
}

TEST(KernelSpinLock, HolderPreemptedWaitersSleep) // IRQL-07
{
    // The holder sleeps (a preempted "spin lock" holder); the waiters must get the lock after
    // it and not spin forever.
    KSPIN_LOCK lock;
    KeInitializeSpinLock(&lock);
    KIRQL old;
    KeAcquireSpinLock(&lock, &old);
    std::atomic<int> got{0};
    std::vector<std::thread> waiters;
    for (int i = 0; i < 3; ++i) {
        waiters.emplace_back([&] {
            KIRQL o;
            KeAcquireSpinLock(&lock, &o);
            got.fetch_add(1);
            KeReleaseSpinLock(&lock, o);
        });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(got.load(), 0);
    KeReleaseSpinLock(&lock, old);
    for (auto &t : waiters) {
        t.join();
    }
    EXPECT_EQ(got.load(), 3);
    EXPECT_EQ(lock, 0u);
}

// ---- Interlocked ----------------------------------------------------------------------------
TEST(KernelInterlocked, ReturnValuesAreTheWdks)
{
    volatile LONG v = 5;
    EXPECT_EQ(InterlockedIncrement(&v), 6);
    EXPECT_EQ(InterlockedDecrement(&v), 5);
    EXPECT_EQ(InterlockedExchange(&v, 9), 5);
    EXPECT_EQ(InterlockedCompareExchange(&v, 1, 8), 9) << "no exchange: returns current";
    EXPECT_EQ(v, 9);
    EXPECT_EQ(InterlockedCompareExchange(&v, 1, 9), 9);
    EXPECT_EQ(v, 1);
    EXPECT_EQ(InterlockedExchangeAdd(&v, 4), 1);
    EXPECT_EQ(InterlockedAdd(&v, 4), 9);
    EXPECT_EQ(InterlockedOr(&v, 6), 9);
    EXPECT_EQ(v, 15);
    EXPECT_EQ(InterlockedAnd(&v, 3), 15);
    EXPECT_EQ(v, 3);
    EXPECT_EQ(InterlockedXor(&v, 1), 3);
    EXPECT_EQ(v, 2);
    EXPECT_EQ(NdisInterlockedIncrement(const_cast<LONG *>(&v)), 3);
    EXPECT_EQ(NdisInterlockedDecrement(const_cast<LONG *>(&v)), 2);

    volatile LONG64 w = 1LL << 40;
    EXPECT_EQ(InterlockedIncrement64(&w), (1LL << 40) + 1);
    EXPECT_EQ(InterlockedExchangeAdd64(&w, 1), (1LL << 40) + 1);
    EXPECT_EQ(InterlockedCompareExchange64(&w, 7, (1LL << 40) + 2), (1LL << 40) + 2);
    EXPECT_EQ(w, 7);
    EXPECT_EQ(InterlockedExchange64(&w, 8), 7);
    EXPECT_EQ(InterlockedDecrement64(&w), 7);

    int a = 0;
    int b = 0;
    PVOID volatile p = &a;
    EXPECT_EQ(InterlockedExchangePointer(&p, &b), &a);
    EXPECT_EQ(InterlockedCompareExchangePointer(&p, &a, &a), &b) << "no exchange";
    EXPECT_EQ(InterlockedCompareExchangePointer(&p, &a, &b), &b);
    EXPECT_EQ(p, &a);

    LARGE_INTEGER stat;
    stat.QuadPart = 0xFFFFFFFFLL;
    NdisInterlockedAddLargeStatistic(&stat, 1);
    EXPECT_EQ(stat.QuadPart, 0x100000000LL);
    KeMemoryBarrier();
}

TEST(KernelInterlocked, ListsUnderSpinLock)
{
    NDIS_SPIN_LOCK lock;
    NdisAllocateSpinLock(&lock);
    LIST_ENTRY head;
    InitializeListHead(&head);
    LIST_ENTRY e[3];
    EXPECT_EQ(NdisInterlockedInsertTailList(&head, &e[0], &lock), nullptr) << "was empty";
    EXPECT_EQ(NdisInterlockedInsertTailList(&head, &e[1], &lock), &e[0]) << "previous tail";
    EXPECT_EQ(NdisInterlockedInsertHeadList(&head, &e[2], &lock), &e[0]) << "previous head";
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    EXPECT_EQ(NdisInterlockedRemoveHeadList(&head, &lock), &e[2]);
    EXPECT_EQ(NdisInterlockedRemoveHeadList(&head, &lock), &e[0]);
    EXPECT_EQ(NdisInterlockedRemoveHeadList(&head, &lock), &e[1]);
    EXPECT_EQ(NdisInterlockedRemoveHeadList(&head, &lock), nullptr);

    SINGLE_LIST_ENTRY stack{nullptr};
    SINGLE_LIST_ENTRY s[2];
    EXPECT_EQ(NdisInterlockedPushEntryList(&stack, &s[0], &lock), nullptr);
    EXPECT_EQ(NdisInterlockedPushEntryList(&stack, &s[1], &lock), &s[0]);
    EXPECT_EQ(NdisInterlockedPopEntryList(&stack, &lock), &s[1]);
    EXPECT_EQ(NdisInterlockedPopEntryList(&stack, &lock), &s[0]);
    EXPECT_EQ(NdisInterlockedPopEntryList(&stack, &lock), nullptr);

    ULONG counter = 5;
    NdisInterlockedAddUlong(&counter, 3, &lock);
    EXPECT_EQ(counter, 8u);
    EXPECT_EQ(ExInterlockedAddUlong(&counter, 2, &lock.SpinLock), 8u);
    EXPECT_EQ(counter, 10u);
    EXPECT_FALSE(KeTestSpinLock(&lock.SpinLock));
}

// ---- NDIS_RW_LOCK_EX ------------------------------------------------------------------------
TEST(KernelRwLockEx, ReadersShareWritersExclude) // IRQL-02
{
    PNDIS_RW_LOCK_EX rw = NdisAllocateRWLock(nullptr);
    ASSERT_NE(rw, nullptr);
    LOCK_STATE_EX s1;
    LOCK_STATE_EX s2;
    NdisAcquireRWLockRead(rw, &s1, 0);
    EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    EXPECT_EQ(s1.OldIrql, PASSIVE_LEVEL);
    NdisAcquireRWLockRead(rw, &s2, NDIS_RWL_AT_DISPATCH_LEVEL); // recursive read, truthful flag

    std::atomic<bool> other_read{false};
    std::atomic<bool> writer_in{false};
    std::thread reader([&] {
        LOCK_STATE_EX s;
        NdisAcquireRWLockRead(rw, &s, 0);
        other_read = true;
        NdisReleaseRWLock(rw, &s);
        EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    });
    reader.join();
    EXPECT_TRUE(other_read.load()) << "readers share";

    std::thread writer([&] {
        LOCK_STATE_EX s;
        NdisAcquireRWLockWrite(rw, &s, 0);
        writer_in = true;
        NdisReleaseRWLock(rw, &s);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_FALSE(writer_in.load()) << "a writer waits for the readers";
    // A writer is waiting: a recursive read by a holder must still get in (no deadlock).
    LOCK_STATE_EX s3;
    NdisAcquireRWLockRead(rw, &s3, NDIS_RWL_AT_DISPATCH_LEVEL);
    NdisReleaseRWLock(rw, &s3);
    NdisReleaseRWLock(rw, &s2);
    EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL) << "the flag said: do not lower";
    NdisReleaseRWLock(rw, &s1);
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    writer.join();
    EXPECT_TRUE(writer_in.load());
    NdisFreeRWLock(rw);
}

TEST(KernelRwLockEx, FalseDispatchFlagIsReported) // IRQL-02
{
    VerifierCapture cap;
    PNDIS_RW_LOCK_EX rw = NdisAllocateRWLock(nullptr);
    LOCK_STATE_EX s;
    NdisAcquireRWLockWrite(rw, &s, NDIS_RWL_AT_DISPATCH_LEVEL); // at PASSIVE: the flag lies
    EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL) << "raised anyway";
    NdisReleaseRWLock(rw, &s);
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    NdisFreeRWLock(rw);
    EXPECT_VERIFIER_REPORTS(cap, "IRQL-02");
}

TEST(KernelRwLockEx, ReleaseTwiceAndBadHandlesAreReported) // IRQL-07, VER-01
{
    VerifierCapture cap;
    PNDIS_RW_LOCK_EX rw = NdisAllocateRWLock(nullptr);
    LOCK_STATE_EX s;
    NdisAcquireRWLockWrite(rw, &s, 0);
    NdisReleaseRWLock(rw, &s);
    NdisReleaseRWLock(rw, &s); // again
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    NdisAcquireRWLockRead(rw, &s, 0);
    NdisFreeRWLock(rw); // held
    NdisFreeRWLock(rw); // freed already
    EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeLowerIrql(PASSIVE_LEVEL);
    EXPECT_VERIFIER_REPORTS(cap, "IRQL-07", "IRQL-07", "VER-01");
}

TEST(KernelRwLockExDeathTest, WriteByReaderAborts) // IRQL-07
{
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_DEATH(
        {
            PNDIS_RW_LOCK_EX rw = NdisAllocateRWLock(nullptr);
            LOCK_STATE_EX r;
            LOCK_STATE_EX w;
            NdisAcquireRWLockRead(rw, &r, 0);
            NdisAcquireRWLockWrite(rw, &w, NDIS_RWL_AT_DISPATCH_LEVEL);
        },
        "deadlock");
}

TEST(KernelRwLockEx, ContendedReadersAndWriters)
{
    PNDIS_RW_LOCK_EX rw = NdisAllocateRWLock(nullptr);
    std::uint64_t a = 0;
    std::uint64_t b = 0; // invariant under the lock: a == b
    std::atomic<std::uint64_t> bad{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 5000; ++i) {
                LOCK_STATE_EX s;
                if ((i + t) % 4 == 0) {
                    NdisAcquireRWLockWrite(rw, &s, 0);
                    ++a;
                    ++b;
                } else {
                    NdisAcquireRWLockRead(rw, &s, 0);
                    if (a != b) {
                        bad.fetch_add(1);
                    }
                }
                NdisReleaseRWLock(rw, &s);
            }
        });
    }
    for (auto &t : threads) {
        t.join();
    }
    EXPECT_EQ(bad.load(), 0u);
    EXPECT_EQ(a, 5000u);
    NdisFreeRWLock(rw);
}

// ---- NDIS_RW_LOCK (older) -----------------------------------------------------------------
TEST(KernelRwLock, ReadWriteAndIrql)
{
    NDIS_RW_LOCK lock;
    NdisInitializeReadWriteLock(&lock);
    LOCK_STATE r1;
    LOCK_STATE r2;
    NdisAcquireReadWriteLock(&lock, FALSE, &r1);
    EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    NdisAcquireReadWriteLock(&lock, FALSE, &r2); // recursive read
    NdisReleaseReadWriteLock(&lock, &r2);
    NdisReleaseReadWriteLock(&lock, &r1);
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);

    std::uint64_t counter = 0;
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 5000; ++i) {
                LOCK_STATE s;
                NdisAcquireReadWriteLock(&lock, TRUE, &s);
                ++counter;
                NdisReleaseReadWriteLock(&lock, &s);
            }
        });
    }
    for (auto &t : threads) {
        t.join();
    }
    EXPECT_EQ(counter, 15000u);
}

TEST(KernelRwLock, ReleaseWithoutAcquireIsReported) // IRQL-07
{
    VerifierCapture cap;
    NDIS_RW_LOCK lock;
    NdisInitializeReadWriteLock(&lock);
    LOCK_STATE s{};
    NdisReleaseReadWriteLock(&lock, &s);
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    EXPECT_VERIFIER_REPORTS(cap, "IRQL-07");
}

} // namespace
