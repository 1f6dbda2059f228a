// test_kernel_dispatch.cpp — the emulated kernel under contention: spin locks, read/write
// locks, DPCs queued from many threads, timers firing while they are cancelled and freed, work
// items (SPEC IRQL-01, IRQL-06, IRQL-07, VER-05).
//
// Black-box, through libopenndis.so. Each test runs a fixed amount of work or stops at a time
// budget, whichever comes first, so that the whole binary stays well under 30 s also under
// TSan. Correctness is checked with counters only the lock protects (exact totals), with
// invariants readers check under the lock, and with the harness's leak check (timer objects and
// work items are pool memory: one left behind fails the test). Context structures are freed
// right after NdisFreeTimerObject returns, so a callback that ran late would be a use after
// free (ASan/TSan presets).
//
// Environment: OPENNDIS_STRESS_SCALE (default 1) multiplies the work; OPENNDIS_STRESS_SEED fixes
// the random choices (printed).
#include "openndis_test.hpp"

#include <ndis.h>
#include <openndis/runtime.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

constexpr ULONG kTag = 'sKtS'; // "StKs"
constexpr int kThreads = 8;

double stress_scale()
{
    const char *s = std::getenv("OPENNDIS_STRESS_SCALE");
    if (s == nullptr || *s == '\0') {
        return 1.0;
    }
    char *end = nullptr;
    const double v = std::strtod(s, &end);
    return end != s && v > 0 ? v : 1.0;
}

std::uint64_t announce_seed()
{
    std::uint64_t seed;
    if (const char *s = std::getenv("OPENNDIS_STRESS_SEED"); s != nullptr && *s != '\0') {
        seed = std::strtoull(s, nullptr, 0);
    } else {
        std::random_device rd;
        seed = (std::uint64_t{rd()} << 32) ^ rd();
    }
    std::printf("[   SEED   ] OPENNDIS_STRESS_SEED=%" PRIu64 " OPENNDIS_STRESS_SCALE=%g\n", seed,
                stress_scale());
    std::fflush(stdout);
    ::testing::Test::RecordProperty("seed", std::to_string(seed));
    return seed;
}

std::uint64_t scaled(double base)
{
    return std::max<std::uint64_t>(1, static_cast<std::uint64_t>(base * stress_scale()));
}

// Work loops stop at their count or at this budget (per test).
struct budget {
    clock_type::time_point end = clock_type::now() + 5s;
    bool over() const { return clock_type::now() > end; }
};

template <typename F>
void run_threads(int n, F body)
{
    std::vector<std::thread> threads;
    for (int t = 0; t < n; ++t) {
        threads.emplace_back(body, t);
    }
    for (auto &t : threads) {
        t.join();
    }
}

LARGE_INTEGER relative_us(LONGLONG us)
{
    LARGE_INTEGER due;
    due.QuadPart = -us * 10;
    return due;
}

// ---- Spin locks ------------------------------------------------------------------------------
TEST(KernelStress, SpinLocksUnderContention) // IRQL-07
{
    const std::uint64_t seed = announce_seed();
    const std::uint64_t iterations = scaled(20000);
    constexpr int kLocks = 4;
    struct guarded {
        NDIS_SPIN_LOCK lock;
        std::uint64_t a = 0; // both only under `lock`
        std::uint64_t b = 0;
        LIST_ENTRY list;
    };
    std::vector<guarded> g(kLocks);
    for (auto &x : g) {
        NdisAllocateSpinLock(&x.lock);
        InitializeListHead(&x.list);
    }
    std::atomic<std::uint64_t> done_total{0};
    std::atomic<std::uint64_t> mismatches{0};
    budget b;
    run_threads(kThreads, [&](int t) {
        std::mt19937_64 r(seed + static_cast<std::uint64_t>(t));
        LIST_ENTRY entries[4];
        std::uint64_t done = 0;
        for (; done < iterations && !(done % 256 == 0 && b.over()); ++done) {
            guarded &x = g[r() % kLocks];
            switch (r() % 4) {
            case 0: // NdisAcquireSpinLock
                NdisAcquireSpinLock(&x.lock);
                mismatches += x.a != x.b;
                ++x.a;
                if (r() % 64 == 0) {
                    std::this_thread::yield(); // a "preempted" holder
                }
                ++x.b;
                NdisReleaseSpinLock(&x.lock);
                break;
            case 1: { // KeAcquireSpinLock
                KIRQL old;
                KeAcquireSpinLock(&x.lock.SpinLock, &old);
                mismatches += x.a != x.b;
                ++x.a;
                ++x.b;
                KeReleaseSpinLock(&x.lock.SpinLock, old);
                break;
            }
            case 2: { // at DISPATCH: the Dpr forms
                KIRQL old;
                KeRaiseIrql(DISPATCH_LEVEL, &old);
                NdisDprAcquireSpinLock(&x.lock);
                mismatches += x.a != x.b;
                ++x.a;
                ++x.b;
                NdisDprReleaseSpinLock(&x.lock);
                KeLowerIrql(old);
                break;
            }
            default: { // interlocked list on the same lock
                LIST_ENTRY *e = &entries[r() % 4];
                NdisInterlockedInsertTailList(&x.list, e, &x.lock);
                NdisAcquireSpinLock(&x.lock);
                RemoveEntryList(e);
                mismatches += x.a != x.b;
                ++x.a;
                ++x.b;
                NdisReleaseSpinLock(&x.lock);
                break;
            }
            }
            ASSERT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
        }
        done_total += done;
    });
    std::uint64_t total = 0;
    for (auto &x : g) {
        EXPECT_EQ(x.a, x.b);
        EXPECT_TRUE(IsListEmpty(&x.list));
        EXPECT_FALSE(KeTestSpinLock(&x.lock.SpinLock));
        total += x.a;
        NdisFreeSpinLock(&x.lock);
    }
    EXPECT_EQ(total, done_total.load()) << "every increment happened under its lock";
    EXPECT_EQ(mismatches.load(), 0u);
    std::printf("spin lock acquisitions: %" PRIu64 "\n", total);
}

// ---- Read/write locks ------------------------------------------------------------------------
TEST(KernelStress, ReadWriteLocksUnderContention) // IRQL-02, IRQL-07
{
    const std::uint64_t seed = announce_seed();
    const std::uint64_t iterations = scaled(20000);
    PNDIS_RW_LOCK_EX ex = NdisAllocateRWLock(nullptr);
    ASSERT_NE(ex, nullptr);
    NDIS_RW_LOCK old_lock;
    NdisInitializeReadWriteLock(&old_lock);
    std::uint64_t ex_a = 0, ex_b = 0, old_a = 0, old_b = 0;
    std::atomic<std::uint64_t> writes{0};
    std::atomic<std::uint64_t> torn{0};
    budget b;
    run_threads(kThreads, [&](int t) {
        std::mt19937_64 r(seed ^ (0x9E37u * static_cast<std::uint64_t>(t + 1)));
        for (std::uint64_t i = 0; i < iterations && !(i % 256 == 0 && b.over()); ++i) {
            const bool write = r() % 8 == 0;
            if (r() % 2 == 0) {
                LOCK_STATE_EX s;
                const bool at_dispatch = r() % 2 == 0;
                KIRQL old = PASSIVE_LEVEL;
                if (at_dispatch) {
                    KeRaiseIrql(DISPATCH_LEVEL, &old);
                }
                const UCHAR flags = at_dispatch ? NDIS_RWL_AT_DISPATCH_LEVEL : 0;
                if (write) {
                    NdisAcquireRWLockWrite(ex, &s, flags);
                    ++ex_a;
                    ++ex_b;
                    ++writes;
                } else {
                    NdisAcquireRWLockRead(ex, &s, flags);
                    if (r() % 16 == 0) { // recursive read
                        LOCK_STATE_EX s2;
                        NdisAcquireRWLockRead(ex, &s2, NDIS_RWL_AT_DISPATCH_LEVEL);
                        torn += ex_a != ex_b;
                        NdisReleaseRWLock(ex, &s2);
                    }
                    torn += ex_a != ex_b;
                }
                NdisReleaseRWLock(ex, &s);
                if (at_dispatch) {
                    KeLowerIrql(old);
                }
            } else {
                LOCK_STATE s;
                NdisAcquireReadWriteLock(&old_lock, write ? TRUE : FALSE, &s);
                if (write) {
                    ++old_a;
                    ++old_b;
                    ++writes;
                } else {
                    torn += old_a != old_b;
                }
                NdisReleaseReadWriteLock(&old_lock, &s);
            }
            ASSERT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
        }
    });
    EXPECT_EQ(torn.load(), 0u) << "a reader saw a half-done write";
    EXPECT_EQ(ex_a + old_a, writes.load());
    NdisFreeRWLock(ex);
}

// ---- DPCs ------------------------------------------------------------------------------------
TEST(KernelStress, DpcsQueuedAndRemovedFromManyThreads)
{
    const std::uint64_t seed = announce_seed();
    const std::uint64_t iterations = scaled(5000);
    constexpr int kDpcsPerThread = 16;
    struct slot {
        KDPC dpc;
        std::atomic<std::uint64_t> runs{0};
        std::atomic<std::uint64_t> queued{0};
        std::atomic<std::uint64_t> removed{0};
        std::atomic<int> bad_irql{0};
    };
    std::vector<std::unique_ptr<slot>> slots;
    const ULONG processors = KeQueryActiveProcessorCountEx(ALL_PROCESSOR_GROUPS);
    for (int i = 0; i < kThreads * kDpcsPerThread; ++i) {
        auto s = std::make_unique<slot>();
        KeInitializeDpc(
            &s->dpc,
            [](PKDPC, PVOID c, PVOID, PVOID) {
                auto *x = static_cast<slot *>(c);
                if (KeGetCurrentIrql() != DISPATCH_LEVEL) {
                    ++x->bad_irql;
                }
                ++x->runs;
            },
            s.get());
        if (i % 3 == 0) {
            KeSetTargetProcessorDpc(&s->dpc, static_cast<CCHAR>(i % processors));
        }
        if (i % 7 == 0) {
            KeSetImportanceDpc(&s->dpc, HighImportance);
        }
        slots.push_back(std::move(s));
    }
    budget b;
    run_threads(kThreads, [&](int t) {
        std::mt19937_64 r(seed + 7u * static_cast<std::uint64_t>(t));
        for (std::uint64_t i = 0; i < iterations && !(i % 128 == 0 && b.over()); ++i) {
            // Any thread may queue or remove any DPC (DPCs are shared objects).
            slot &s = *slots[r() % slots.size()];
            if (r() % 4 == 0) {
                if (KeRemoveQueueDpc(&s.dpc)) {
                    ++s.removed;
                }
            } else if (KeInsertQueueDpc(&s.dpc, nullptr, nullptr)) {
                ++s.queued;
            }
            if (r() % 1024 == 0) {
                KeFlushQueuedDpcs();
            }
        }
    });
    KeFlushQueuedDpcs();
    std::uint64_t runs = 0;
    for (auto &s : slots) {
        EXPECT_EQ(s->runs.load(), s->queued.load() - s->removed.load())
            << "each successful insert runs exactly once unless removed";
        EXPECT_EQ(s->bad_irql.load(), 0);
        runs += s->runs.load();
    }
    std::printf("DPC runs: %" PRIu64 "\n", runs);
}

// ---- Timers ----------------------------------------------------------------------------------
struct timer_context {
    static constexpr std::uint64_t kAlive = 0xA11CEA11CEULL;
    std::atomic<std::uint64_t> magic{kAlive};
    std::atomic<std::uint64_t> calls{0};
    std::atomic<std::uint64_t> *total = nullptr;
    std::atomic<std::uint64_t> *bad = nullptr;
    NDIS_HANDLE timer = nullptr;
    std::atomic<bool> self_free{false};
    std::atomic<bool> freed_by_callback{false};
};

VOID stress_timer(PVOID, PVOID context, PVOID, PVOID)
{
    auto *c = static_cast<timer_context *>(context);
    if (c->magic.load() != timer_context::kAlive || KeGetCurrentIrql() != DISPATCH_LEVEL) {
        ++*c->bad;
    }
    ++c->calls;
    ++*c->total;
    if (c->self_free.load() && !c->freed_by_callback.exchange(true)) {
        NdisFreeTimerObject(c->timer); // freed from its own callback
    }
}

TEST(KernelStress, TimersFireWhileCancelledAndFreed) // VER-05
{
    const std::uint64_t seed = announce_seed();
    const std::uint64_t iterations = scaled(1500);
    std::atomic<std::uint64_t> total{0};
    std::atomic<std::uint64_t> bad{0};
    std::atomic<std::uint64_t> cancelled_pending{0};
    budget b;
    run_threads(kThreads, [&](int t) {
        std::mt19937_64 r(seed * 31 + static_cast<std::uint64_t>(t));
        for (std::uint64_t i = 0; i < iterations && !(i % 16 == 0 && b.over()); ++i) {
            auto ctx = std::make_unique<timer_context>();
            ctx->total = &total;
            ctx->bad = &bad;
            NDIS_TIMER_CHARACTERISTICS tc{};
            tc.Header.Type = NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS;
            tc.Header.Revision = NDIS_TIMER_CHARACTERISTICS_REVISION_1;
            tc.Header.Size = NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1;
            tc.AllocationTag = kTag;
            tc.TimerFunction = stress_timer;
            tc.FunctionContext = ctx.get();
            ASSERT_EQ(NdisAllocateTimerObject(nullptr, &tc, &ctx->timer), NDIS_STATUS_SUCCESS);
            const bool periodic = r() % 3 == 0;
            const int mode = static_cast<int>(r() % 3); // 0 cancel+free, 1 wait+free, 2 self
            ctx->self_free = mode == 2 && !periodic;
            NdisSetTimerObject(ctx->timer, relative_us(static_cast<LONGLONG>(r() % 1500)),
                               periodic ? 1 : 0, nullptr);
            if (mode != 2 && r() % 2 == 0) {
                // Re-arm while armed or firing.
                NdisSetTimerObject(ctx->timer, relative_us(static_cast<LONGLONG>(r() % 500)),
                                   periodic ? 1 : 0, nullptr);
            }
            std::this_thread::sleep_for(std::chrono::microseconds(r() % 2000));
            if (mode == 2 && !periodic) {
                // The callback frees the timer; wait for it, then the context may go.
                const auto deadline = clock_type::now() + 10s;
                while (!ctx->freed_by_callback.load() && clock_type::now() < deadline) {
                    std::this_thread::sleep_for(100us);
                }
                ASSERT_TRUE(ctx->freed_by_callback.load());
                // The callback may still be returning: wait until its timer is gone (the
                // harness's memory count sees it), by flushing the DPC queues.
                KeFlushQueuedDpcs();
            } else {
                if (NdisCancelTimerObject(ctx->timer)) {
                    ++cancelled_pending;
                }
                if (mode == 1) {
                    std::this_thread::sleep_for(std::chrono::microseconds(r() % 500));
                }
                NdisFreeTimerObject(ctx->timer);
            }
            ctx->magic = 0; // from here on, a callback of this timer would count as bad
        }
    });
    EXPECT_EQ(bad.load(), 0u) << "a callback ran after NdisFreeTimerObject returned, or not at "
                                 "DISPATCH_LEVEL";
    std::printf("timer callbacks: %" PRIu64 ", cancels that dequeued: %" PRIu64 "\n",
                total.load(), cancelled_pending.load());
}

// ---- Work items ------------------------------------------------------------------------------
TEST(KernelStress, WorkItemsFromManyThreads)
{
    const std::uint64_t iterations = scaled(2000);
    std::atomic<std::uint64_t> ran{0};
    std::atomic<std::uint64_t> bad{0};
    std::atomic<std::uint64_t> queued{0};
    budget b;
    run_threads(kThreads, [&](int) {
        for (std::uint64_t i = 0; i < iterations && !(i % 64 == 0 && b.over()); ++i) {
            NDIS_HANDLE item = NdisAllocateIoWorkItem(nullptr);
            ASSERT_NE(item, nullptr);
            struct ctx {
                std::atomic<std::uint64_t> *ran;
                std::atomic<std::uint64_t> *bad;
            };
            auto *c = new ctx{&ran, &bad};
            NdisQueueIoWorkItem(
                item,
                [](PVOID context, NDIS_HANDLE self) {
                    auto *x = static_cast<ctx *>(context);
                    if (KeGetCurrentIrql() != PASSIVE_LEVEL) {
                        ++*x->bad;
                    }
                    ++*x->ran;
                    NdisFreeIoWorkItem(self);
                    delete x;
                },
                c);
            ++queued;
        }
    });
    const auto deadline = clock_type::now() + 20s;
    while (ran.load() != queued.load() && clock_type::now() < deadline) {
        std::this_thread::sleep_for(1ms);
    }
    EXPECT_EQ(ran.load(), queued.load());
    EXPECT_EQ(bad.load(), 0u);
}

} // namespace
