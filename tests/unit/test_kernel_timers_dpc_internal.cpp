// test_kernel_timers_dpc_internal.cpp — DPCs, NDIS timer objects, work items, events, delays and
// time (SPEC IRQL-01, IRQL-06, IRQL-07, IRQL-08, VER-05, VER-07; API_SURFACE "Synchronisation,
// IRQL, timers, DPCs, work items, events").
//
// White-box (links openndis_internal): besides the exported API it uses the runtime's internal
// counters (ndis::kernel::live_timers(), live_work_items(), queued_dpcs()) — every test must
// leave none behind (checked in TearDown) — plus driver_scope and dispatcher::shutdown().
//
// Timing: real times of a few milliseconds; every wait has a generous upper bound (seconds) and
// no test asserts that something was fast.
#include "openndis_test.hpp"

#include "kernel/dispatcher.hpp"
#include "kernel/irql.hpp"
#include "kernel/timer.hpp"
#include "kernel/workitem.hpp"

#include <ndis.h>
#include <openndis/runtime.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using openndis::test::VerifierCapture;
namespace k = ndis::kernel;

constexpr ULONG kTimerTag = 'rmTT'; // "TTmr"

bool WaitFor(const std::function<bool()> &done, std::chrono::milliseconds limit = 10s)
{
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

LARGE_INTEGER RelativeMs(LONGLONG ms)
{
    LARGE_INTEGER due;
    due.QuadPart = -ms * 10000;
    return due;
}

class KernelDispatch : public ::testing::Test {
protected:
    void TearDown() override
    {
        EXPECT_TRUE(WaitFor([] {
            return k::live_timers() == 0 && k::live_work_items() == 0 &&
                   k::queued_dpcs() == 0 && k::running_dpcs() == 0 &&
                   k::queued_work_items() == 0;
        })) << "left behind: " << k::live_timers() << " timers, " << k::live_work_items()
            << " work items, " << k::queued_dpcs() << " queued DPCs";
        EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    }
};

// What a callback saw.
struct Probe {
    std::atomic<int> calls{0};
    std::atomic<int> irql{-1};
    std::atomic<bool> executing_dpc{false};
    std::atomic<std::thread::id> thread{};
    std::mutex lock;
    std::string driver;
    std::vector<void *> args;
    NDIS_EVENT done;

    Probe() { NdisInitializeEvent(&done); }

    void Record(std::initializer_list<void *> a)
    {
        irql = KeGetCurrentIrql();
        executing_dpc = KeIsExecutingDpc() != FALSE;
        thread = std::this_thread::get_id();
        {
            std::lock_guard<std::mutex> g(lock);
            driver = std::string(k::current_driver_name());
            args.assign(a);
        }
        ++calls;
        NdisSetEvent(&done);
    }
};

VOID ProbeDpc(PKDPC, PVOID context, PVOID a1, PVOID a2)
{
    static_cast<Probe *>(context)->Record({a1, a2});
}

// ---- DPCs ------------------------------------------------------------------------------------
TEST_F(KernelDispatch, DpcRunsOnceAtDispatchOnARuntimeThread) // IRQL-01
{
    Probe p;
    KDPC dpc;
    {
        k::driver_scope scope("dpcdrv");
        KeInitializeDpc(&dpc, ProbeDpc, &p);
    }
    int a = 1;
    int b = 2;
    EXPECT_TRUE(KeInsertQueueDpc(&dpc, &a, &b));
    ASSERT_TRUE(NdisWaitEvent(&p.done, 10000));
    KeFlushQueuedDpcs();
    EXPECT_EQ(p.calls.load(), 1);
    EXPECT_EQ(p.irql.load(), DISPATCH_LEVEL);
    EXPECT_TRUE(p.executing_dpc.load());
    EXPECT_NE(p.thread.load(), std::this_thread::get_id());
    EXPECT_EQ(p.driver, "dpcdrv") << "the DPC runs in the scope of the driver that made it";
    EXPECT_EQ(p.args, (std::vector<void *>{&a, &b}));
    EXPECT_FALSE(KeIsExecutingDpc());
}

// Holds one DPC queue busy until released.
struct Gate {
    std::atomic<bool> entered{false};
    std::atomic<bool> open{false};
    static VOID Routine(PKDPC, PVOID context, PVOID, PVOID)
    {
        auto *g = static_cast<Gate *>(context);
        g->entered = true;
        while (!g->open.load()) {
            std::this_thread::sleep_for(100us);
        }
    }
};

TEST_F(KernelDispatch, InsertWhileQueuedReturnsFalseAndRemoveDequeues)
{
    Gate gate;
    KDPC blocker;
    KeInitializeDpc(&blocker, Gate::Routine, &gate);
    KeSetTargetProcessorDpc(&blocker, 0);
    ASSERT_TRUE(KeInsertQueueDpc(&blocker, nullptr, nullptr));
    ASSERT_TRUE(WaitFor([&] { return gate.entered.load(); }));

    Probe p;
    KDPC dpc;
    KeInitializeDpc(&dpc, ProbeDpc, &p);
    KeSetTargetProcessorDpc(&dpc, 0);
    EXPECT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
    EXPECT_FALSE(KeInsertQueueDpc(&dpc, nullptr, nullptr)) << "already queued";
    EXPECT_EQ(k::queued_dpcs(), 1u);
    EXPECT_TRUE(KeRemoveQueueDpc(&dpc));
    EXPECT_FALSE(KeRemoveQueueDpc(&dpc)) << "no longer queued";
    EXPECT_EQ(k::queued_dpcs(), 0u);
    gate.open = true;
    KeFlushQueuedDpcs();
    EXPECT_EQ(p.calls.load(), 0) << "a removed DPC never runs";
    EXPECT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr)) << "can be queued again";
    KeFlushQueuedDpcs();
    EXPECT_EQ(p.calls.load(), 1);
}

TEST_F(KernelDispatch, FlushWaitsForEveryDpcQueuedBefore)
{
    constexpr int kDpcs = 64;
    std::atomic<int> ran{0};
    struct Slot {
        KDPC dpc;
        std::atomic<int> *ran;
    };
    std::vector<Slot> slots(kDpcs);
    const ULONG processors = KeQueryActiveProcessorCountEx(ALL_PROCESSOR_GROUPS);
    for (int i = 0; i < kDpcs; ++i) {
        slots[i].ran = &ran;
        KeInitializeDpc(
            &slots[i].dpc,
            [](PKDPC, PVOID c, PVOID, PVOID) {
                std::this_thread::sleep_for(100us);
                static_cast<Slot *>(c)->ran->fetch_add(1);
            },
            &slots[i]);
        KeSetTargetProcessorDpc(&slots[i].dpc, static_cast<CCHAR>(i % processors));
        ASSERT_TRUE(KeInsertQueueDpc(&slots[i].dpc, nullptr, nullptr));
    }
    KeFlushQueuedDpcs();
    EXPECT_EQ(ran.load(), kDpcs) << "every DPC queued before the flush has run";
}

TEST_F(KernelDispatch, RoutineMayQueueItselfAgain)
{
    struct Self {
        KDPC dpc;
        std::atomic<int> runs{0};
    } self;
    KeInitializeDpc(
        &self.dpc,
        [](PKDPC d, PVOID c, PVOID, PVOID) {
            auto *s = static_cast<Self *>(c);
            if (++s->runs < 10) {
                EXPECT_TRUE(KeInsertQueueDpc(d, nullptr, nullptr));
            }
        },
        &self);
    ASSERT_TRUE(KeInsertQueueDpc(&self.dpc, nullptr, nullptr));
    ASSERT_TRUE(WaitFor([&] { return self.runs.load() == 10; }));
    KeFlushQueuedDpcs();
    EXPECT_EQ(self.runs.load(), 10);
}

TEST_F(KernelDispatch, HighImportanceGoesToTheFront)
{
    Gate gate;
    KDPC blocker;
    KeInitializeDpc(&blocker, Gate::Routine, &gate);
    KeSetTargetProcessorDpc(&blocker, 0);
    ASSERT_TRUE(KeInsertQueueDpc(&blocker, nullptr, nullptr));
    ASSERT_TRUE(WaitFor([&] { return gate.entered.load(); }));

    std::mutex m;
    std::vector<char> order;
    struct Tagged {
        KDPC dpc;
        char name;
        std::mutex *m;
        std::vector<char> *order;
    } a{{}, 'a', &m, &order}, b{{}, 'b', &m, &order};
    auto routine = [](PKDPC, PVOID c, PVOID, PVOID) {
        auto *t = static_cast<Tagged *>(c);
        std::lock_guard<std::mutex> g(*t->m);
        t->order->push_back(t->name);
    };
    KeInitializeDpc(&a.dpc, routine, &a);
    KeInitializeDpc(&b.dpc, routine, &b);
    KeSetTargetProcessorDpc(&a.dpc, 0);
    KeSetTargetProcessorDpc(&b.dpc, 0);
    KeSetImportanceDpc(&b.dpc, HighImportance);
    ASSERT_TRUE(KeInsertQueueDpc(&a.dpc, nullptr, nullptr));
    ASSERT_TRUE(KeInsertQueueDpc(&b.dpc, nullptr, nullptr));
    gate.open = true;
    KeFlushQueuedDpcs();
    EXPECT_EQ(order, (std::vector<char>{'b', 'a'}));
}

TEST_F(KernelDispatch, ThreadedDpcRunsAtPassive)
{
    Probe p;
    KDPC dpc;
    KeInitializeThreadedDpc(&dpc, ProbeDpc, &p);
    ASSERT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
    ASSERT_TRUE(NdisWaitEvent(&p.done, 10000));
    KeFlushQueuedDpcs();
    EXPECT_EQ(p.irql.load(), PASSIVE_LEVEL);
    EXPECT_FALSE(p.executing_dpc.load());
}

TEST_F(KernelDispatch, DpcReturningWithLockHeldOrIrqlChangedIsReported) // IRQL-07
{
    VerifierCapture cap;
    static KSPIN_LOCK abandoned;
    KeInitializeSpinLock(&abandoned);
    KDPC holds;
    KeInitializeDpc(
        &holds, [](PKDPC, PVOID, PVOID, PVOID) { KeAcquireSpinLockAtDpcLevel(&abandoned); },
        nullptr);
    KDPC lowers;
    KeInitializeDpc(
        &lowers, [](PKDPC, PVOID, PVOID, PVOID) { KeLowerIrql(PASSIVE_LEVEL); }, nullptr);
    ASSERT_TRUE(KeInsertQueueDpc(&holds, nullptr, nullptr));
    ASSERT_TRUE(KeInsertQueueDpc(&lowers, nullptr, nullptr));
    KeFlushQueuedDpcs();
    EXPECT_VERIFIER_REPORTS(cap, "IRQL-07", "IRQL-07");
    // The lock word still names the DPC thread: forget it (test-only).
    abandoned = 0;
}

TEST_F(KernelDispatch, FlushAtDispatchIsReportedAndReturns) // IRQL-06, VER-07
{
    VerifierCapture cap;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KeFlushQueuedDpcs();
    KeLowerIrql(old);
    EXPECT_VERIFIER_REPORTS(cap, "IRQL-06");
}

TEST_F(KernelDispatch, ProcessorOfADpcThreadIsItsTarget)
{
    const ULONG n = KeQueryActiveProcessorCountEx(ALL_PROCESSOR_GROUPS);
    for (ULONG target = 0; target < n; ++target) {
        struct Seen {
            std::atomic<ULONG> processor{~0u};
        } seen;
        KDPC dpc;
        KeInitializeDpc(
            &dpc,
            [](PKDPC, PVOID c, PVOID, PVOID) {
                static_cast<Seen *>(c)->processor = KeGetCurrentProcessorNumberEx(nullptr);
            },
            &seen);
        PROCESSOR_NUMBER pn{0, static_cast<UCHAR>(target), 0};
        ASSERT_EQ(KeSetTargetProcessorDpcEx(&dpc, &pn), STATUS_SUCCESS);
        ASSERT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
        KeFlushQueuedDpcs();
        EXPECT_EQ(seen.processor.load(), target % k::dispatcher::dpc_threads());
    }
    PROCESSOR_NUMBER bad{1, 0, 0};
    KDPC dpc;
    KeInitializeDpc(&dpc, ProbeDpc, nullptr);
    EXPECT_EQ(KeSetTargetProcessorDpcEx(&dpc, &bad), STATUS_INVALID_PARAMETER);
    KDPC_WATCHDOG_INFORMATION wd;
    EXPECT_EQ(KeQueryDpcWatchdogInformation(&wd), STATUS_UNSUCCESSFUL) << "below DISPATCH";
}

// ---- Timers ----------------------------------------------------------------------------------
struct TimerProbe : Probe {
    NDIS_HANDLE timer = nullptr;
};

VOID ProbeTimer(PVOID s1, PVOID context, PVOID s2, PVOID s3)
{
    static_cast<Probe *>(context)->Record({s1, s2, s3});
}

NDIS_TIMER_CHARACTERISTICS Characteristics(PNDIS_TIMER_FUNCTION fn, PVOID context,
                                           ULONG tag = kTimerTag)
{
    NDIS_TIMER_CHARACTERISTICS tc{};
    tc.Header.Type = NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS;
    tc.Header.Revision = NDIS_TIMER_CHARACTERISTICS_REVISION_1;
    tc.Header.Size = NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1;
    tc.AllocationTag = tag;
    tc.TimerFunction = fn;
    tc.FunctionContext = context;
    return tc;
}

TEST_F(KernelDispatch, OneShotTimerFiresOnceAtDispatch) // IRQL-01
{
    Probe p;
    NDIS_TIMER_CHARACTERISTICS tc = Characteristics(ProbeTimer, &p);
    NDIS_HANDLE timer = nullptr;
    {
        k::driver_scope scope("tmrdrv");
        ASSERT_EQ(NdisAllocateTimerObject(nullptr, &tc, &timer), NDIS_STATUS_SUCCESS);
    }
    ASSERT_NE(timer, nullptr);
    EXPECT_EQ(k::live_timers(), 1u);
    EXPECT_NE(openndis::test::leak_report().find("tag 'TTmr'"), std::string::npos)
        << "a timer object is pool memory under its AllocationTag";
    EXPECT_FALSE(NdisSetTimerObject(timer, RelativeMs(2), 0, nullptr));
    EXPECT_EQ(k::armed_timers(), 1u);
    ASSERT_TRUE(NdisWaitEvent(&p.done, 10000));
    std::this_thread::sleep_for(20ms);
    EXPECT_EQ(p.calls.load(), 1) << "one-shot";
    EXPECT_EQ(p.irql.load(), DISPATCH_LEVEL);
    EXPECT_EQ(p.driver, "tmrdrv");
    EXPECT_EQ(p.args, (std::vector<void *>{nullptr, nullptr, nullptr}));
    EXPECT_EQ(k::armed_timers(), 0u);
    EXPECT_FALSE(NdisCancelTimerObject(timer)) << "nothing pending";
    NdisFreeTimerObject(timer);
    EXPECT_EQ(k::live_timers(), 0u);
}

TEST_F(KernelDispatch, TimerContextDefaultsToTheCharacteristics)
{
    Probe a;
    Probe b;
    NDIS_TIMER_CHARACTERISTICS tc = Characteristics(ProbeTimer, &a);
    NDIS_HANDLE timer = nullptr;
    ASSERT_EQ(NdisAllocateTimerObject(nullptr, &tc, &timer), NDIS_STATUS_SUCCESS);
    NdisSetTimerObject(timer, RelativeMs(1), 0, &b);
    ASSERT_TRUE(NdisWaitEvent(&b.done, 10000));
    NdisSetTimerObject(timer, RelativeMs(1), 0, nullptr);
    ASSERT_TRUE(NdisWaitEvent(&a.done, 10000));
    KeFlushQueuedDpcs();
    EXPECT_EQ(a.calls.load(), 1);
    EXPECT_EQ(b.calls.load(), 1);
    NdisFreeTimerObject(timer);
}

TEST_F(KernelDispatch, AbsoluteDueTime)
{
    Probe p;
    NDIS_TIMER_CHARACTERISTICS tc = Characteristics(ProbeTimer, &p);
    NDIS_HANDLE timer = nullptr;
    ASSERT_EQ(NdisAllocateTimerObject(nullptr, &tc, &timer), NDIS_STATUS_SUCCESS);
    LARGE_INTEGER due;
    NdisGetCurrentSystemTime(&due);
    due.QuadPart += 3 * 10000; // 3 ms from now, absolute
    NdisSetTimerObject(timer, due, 0, nullptr);
    ASSERT_TRUE(NdisWaitEvent(&p.done, 10000));
    LARGE_INTEGER now;
    NdisGetCurrentSystemTime(&now);
    EXPECT_GE(now.QuadPart, due.QuadPart - 10000) << "not (much) before its due time";
    NdisFreeTimerObject(timer);
}

TEST_F(KernelDispatch, PeriodicTimerUntilCancelled)
{
    Probe p;
    NDIS_TIMER_CHARACTERISTICS tc = Characteristics(ProbeTimer, &p);
    NDIS_HANDLE timer = nullptr;
    ASSERT_EQ(NdisAllocateTimerObject(nullptr, &tc, &timer), NDIS_STATUS_SUCCESS);
    NdisSetTimerObject(timer, RelativeMs(1), 2, nullptr);
    ASSERT_TRUE(WaitFor([&] { return p.calls.load() >= 5; }));
    EXPECT_TRUE(NdisCancelTimerObject(timer)) << "a periodic timer stays armed";
    const int after_cancel = p.calls.load();
    std::this_thread::sleep_for(30ms);
    EXPECT_EQ(p.calls.load(), after_cancel)
        << "cancel of a periodic timer returns when no callback runs, and none comes after";
    NdisFreeTimerObject(timer);
}

TEST_F(KernelDispatch, SetReturnsWhetherArmedAndCancelDisarms)
{
    Probe p;
    NDIS_TIMER_CHARACTERISTICS tc = Characteristics(ProbeTimer, &p);
    NDIS_HANDLE timer = nullptr;
    ASSERT_EQ(NdisAllocateTimerObject(nullptr, &tc, &timer), NDIS_STATUS_SUCCESS);
    EXPECT_FALSE(NdisSetTimerObject(timer, RelativeMs(60000), 0, nullptr));
    EXPECT_TRUE(NdisSetTimerObject(timer, RelativeMs(50), 0, nullptr)) << "was armed";
    EXPECT_TRUE(NdisCancelTimerObject(timer));
    EXPECT_FALSE(NdisCancelTimerObject(timer));
    std::this_thread::sleep_for(80ms);
    EXPECT_EQ(p.calls.load(), 0) << "cancelled before its due time: never runs";
    NdisFreeTimerObject(timer);
}

TEST_F(KernelDispatch, CancelDequeuesAnExpiryWhoseCallbackHasNotStarted)
{
    // Block the timer's DPC queue, let the timer expire, cancel: the queued expiry is dropped.
    Probe p;
    NDIS_TIMER_CHARACTERISTICS tc = Characteristics(ProbeTimer, &p);
    std::vector<NDIS_HANDLE> timers;
    const unsigned queues = k::dispatcher::dpc_threads();
    std::vector<std::unique_ptr<Gate>> gates;
    std::vector<KDPC> blockers(queues);
    for (unsigned q = 0; q < queues; ++q) {
        gates.push_back(std::make_unique<Gate>());
        KeInitializeDpc(&blockers[q], Gate::Routine, gates.back().get());
        KeSetTargetProcessorDpc(&blockers[q], static_cast<CCHAR>(q));
        ASSERT_TRUE(KeInsertQueueDpc(&blockers[q], nullptr, nullptr));
    }
    for (auto &g : gates) {
        ASSERT_TRUE(WaitFor([&] { return g->entered.load(); }));
    }
    NDIS_HANDLE timer = nullptr;
    ASSERT_EQ(NdisAllocateTimerObject(nullptr, &tc, &timer), NDIS_STATUS_SUCCESS);
    NdisSetTimerObject(timer, RelativeMs(1), 0, nullptr);
    ASSERT_TRUE(WaitFor([] { return k::queued_dpcs() == 1 && k::armed_timers() == 0; }));
    EXPECT_TRUE(NdisCancelTimerObject(timer)) << "the expiry was pending";
    for (auto &g : gates) {
        g->open = true;
    }
    KeFlushQueuedDpcs();
    EXPECT_EQ(p.calls.load(), 0);
    NdisFreeTimerObject(timer);
}

struct SlowTimer {
    std::atomic<bool> entered{false};
    std::atomic<bool> finished{false};
    std::atomic<int> calls{0};
    static VOID Callback(PVOID, PVOID context, PVOID, PVOID)
    {
        auto *s = static_cast<SlowTimer *>(context);
        ++s->calls;
        s->entered = true;
        std::this_thread::sleep_for(30ms);
        s->finished = true;
    }
};

TEST_F(KernelDispatch, FreeWaitsForARunningCallback)
{
    SlowTimer s;
    NDIS_TIMER_CHARACTERISTICS tc = Characteristics(SlowTimer::Callback, &s);
    NDIS_HANDLE timer = nullptr;
    ASSERT_EQ(NdisAllocateTimerObject(nullptr, &tc, &timer), NDIS_STATUS_SUCCESS);
    LARGE_INTEGER now{};
    NdisSetTimerObject(timer, now, 0, nullptr); // 0: absolute time in the past = now
    ASSERT_TRUE(WaitFor([&] { return s.entered.load(); }));
    NdisFreeTimerObject(timer); // not armed any more: no report
    EXPECT_TRUE(s.finished.load()) << "NdisFreeTimerObject returned while the callback ran";
    EXPECT_EQ(k::live_timers(), 0u);
}

TEST_F(KernelDispatch, FreeFromItsOwnCallback)
{
    struct Self {
        NDIS_HANDLE timer = nullptr;
        std::atomic<bool> freed{false};
    } self;
    NDIS_TIMER_CHARACTERISTICS tc = Characteristics(
        [](PVOID, PVOID context, PVOID, PVOID) {
            auto *s = static_cast<Self *>(context);
            NdisFreeTimerObject(s->timer);
            s->freed = true;
        },
        &self);
    ASSERT_EQ(NdisAllocateTimerObject(nullptr, &tc, &self.timer), NDIS_STATUS_SUCCESS);
    NdisSetTimerObject(self.timer, RelativeMs(1), 0, nullptr);
    ASSERT_TRUE(WaitFor([&] { return self.freed.load(); }));
    ASSERT_TRUE(WaitFor([] { return k::live_timers() == 0; }));
}

TEST_F(KernelDispatch, FreeWhileArmedIsReported) // VER-05
{
    VerifierCapture cap;
    Probe p;
    NDIS_TIMER_CHARACTERISTICS tc = Characteristics(ProbeTimer, &p);
    NDIS_HANDLE timer = nullptr;
    ASSERT_EQ(NdisAllocateTimerObject(nullptr, &tc, &timer), NDIS_STATUS_SUCCESS);
    NdisSetTimerObject(timer, RelativeMs(60000), 0, nullptr);
    NdisFreeTimerObject(timer);
    EXPECT_VERIFIER_REPORTS(cap, "VER-05");
    EXPECT_EQ(cap.records()[0].name, "timer_freed_while_set");
    EXPECT_EQ(k::armed_timers(), 0u);
}

TEST_F(KernelDispatch, PeriodicCancelAtDispatchIsReported) // IRQL-01
{
    VerifierCapture cap;
    Probe p;
    NDIS_TIMER_CHARACTERISTICS tc = Characteristics(ProbeTimer, &p);
    NDIS_HANDLE timer = nullptr;
    ASSERT_EQ(NdisAllocateTimerObject(nullptr, &tc, &timer), NDIS_STATUS_SUCCESS);
    NdisSetTimerObject(timer, RelativeMs(60000), 1000, nullptr);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    EXPECT_TRUE(NdisCancelTimerObject(timer));
    KeLowerIrql(old);
    NdisFreeTimerObject(timer);
    EXPECT_VERIFIER_REPORTS(cap, "IRQL-01");
}

TEST_F(KernelDispatch, BadCharacteristicsAndHandlesAreReported) // VER-01, VER-05
{
    VerifierCapture cap;
    Probe p;
    NDIS_HANDLE timer = reinterpret_cast<NDIS_HANDLE>(1);
    NDIS_TIMER_CHARACTERISTICS bad = Characteristics(ProbeTimer, &p);
    bad.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    EXPECT_EQ(NdisAllocateTimerObject(nullptr, &bad, &timer), NDIS_STATUS_BAD_CHARACTERISTICS);
    EXPECT_EQ(timer, nullptr);
    NDIS_TIMER_CHARACTERISTICS nofn = Characteristics(nullptr, &p);
    EXPECT_EQ(NdisAllocateTimerObject(nullptr, &nofn, &timer), NDIS_STATUS_BAD_CHARACTERISTICS);
    NDIS_TIMER_CHARACTERISTICS untagged = Characteristics(ProbeTimer, &p, 0);
    ASSERT_EQ(NdisAllocateTimerObject(nullptr, &untagged, &timer), NDIS_STATUS_SUCCESS);
    NdisFreeTimerObject(timer);
    NdisFreeTimerObject(timer);                                   // twice
    EXPECT_FALSE(NdisSetTimerObject(timer, RelativeMs(1), 0, nullptr)); // after free
    EXPECT_VERIFIER_REPORTS(cap, "VER-01", "VER-01", "VER-05", "VER-01", "VER-01");
}

// ---- Work items ------------------------------------------------------------------------------
VOID ProbeWork(PVOID context, NDIS_HANDLE item)
{
    auto *p = static_cast<Probe *>(context);
    p->Record({item});
}

TEST_F(KernelDispatch, WorkItemRunsAtPassiveOnAWorkerThread)
{
    Probe p;
    NDIS_HANDLE item = nullptr;
    {
        k::driver_scope scope("wrkdrv");
        item = NdisAllocateIoWorkItem(nullptr);
    }
    ASSERT_NE(item, nullptr);
    EXPECT_EQ(k::live_work_items(), 1u);
    NdisQueueIoWorkItem(item, ProbeWork, &p);
    ASSERT_TRUE(NdisWaitEvent(&p.done, 10000));
    ASSERT_TRUE(WaitFor([] { return k::queued_work_items() == 0; }));
    EXPECT_EQ(p.irql.load(), PASSIVE_LEVEL);
    EXPECT_NE(p.thread.load(), std::this_thread::get_id());
    EXPECT_EQ(p.driver, "wrkdrv");
    EXPECT_EQ(p.args, (std::vector<void *>{item}));
    // Queue again after it ran.
    NdisResetEvent(&p.done);
    NdisQueueIoWorkItem(item, ProbeWork, &p);
    ASSERT_TRUE(NdisWaitEvent(&p.done, 10000));
    ASSERT_TRUE(WaitFor([&] { return p.calls.load() == 2; }));
    NdisFreeIoWorkItem(item);
}

TEST_F(KernelDispatch, WorkItemMayBlockAndFreeItself)
{
    struct Ctx {
        NDIS_EVENT go;
        std::atomic<bool> done{false};
    } ctx;
    NdisInitializeEvent(&ctx.go);
    NDIS_HANDLE item = NdisAllocateIoWorkItem(nullptr);
    NdisQueueIoWorkItem(
        item,
        [](PVOID c, NDIS_HANDLE self) {
            auto *x = static_cast<Ctx *>(c);
            EXPECT_TRUE(NdisWaitEvent(&x->go, 10000)) << "work items may wait";
            NdisMSleep(100);
            NdisFreeIoWorkItem(self);
            x->done = true;
        },
        &ctx);
    std::this_thread::sleep_for(5ms);
    NdisSetEvent(&ctx.go);
    ASSERT_TRUE(WaitFor([&] { return ctx.done.load(); }));
    ASSERT_TRUE(WaitFor([] { return k::live_work_items() == 0; }));
}

TEST_F(KernelDispatch, BlockedWorkItemsDoNotStarveOthers)
{
    struct Ctx {
        NDIS_EVENT release;
        std::atomic<int> finished{0};
    } ctx;
    NdisInitializeEvent(&ctx.release);
    std::vector<NDIS_HANDLE> items;
    for (int i = 0; i < 4; ++i) {
        items.push_back(NdisAllocateIoWorkItem(nullptr));
        NdisQueueIoWorkItem(
            items.back(),
            [](PVOID c, NDIS_HANDLE) {
                auto *x = static_cast<Ctx *>(c);
                NdisWaitEvent(&x->release, 10000);
                ++x->finished;
            },
            &ctx);
    }
    NDIS_HANDLE releaser = NdisAllocateIoWorkItem(nullptr);
    NdisQueueIoWorkItem(
        releaser, [](PVOID c, NDIS_HANDLE) { NdisSetEvent(&static_cast<Ctx *>(c)->release); },
        &ctx);
    ASSERT_TRUE(WaitFor([&] { return ctx.finished.load() == 4; }))
        << "the releasing item ran although four items were blocked";
    ASSERT_TRUE(WaitFor([] { return k::queued_work_items() == 0; }));
    for (NDIS_HANDLE i : items) {
        NdisFreeIoWorkItem(i);
    }
    NdisFreeIoWorkItem(releaser);
}

TEST_F(KernelDispatch, DoubleQueueAndFreeWhileQueuedAreReported) // VER-01, VER-05
{
    VerifierCapture cap;
    struct Ctx {
        NDIS_EVENT release;
        std::atomic<int> runs{0};
    } ctx;
    NdisInitializeEvent(&ctx.release);
    auto blocked = [](PVOID c, NDIS_HANDLE) {
        auto *x = static_cast<Ctx *>(c);
        NdisWaitEvent(&x->release, 10000);
        ++x->runs;
    };
    // Keep every worker busy so the next item stays queued.
    std::vector<NDIS_HANDLE> blockers;
    for (int i = 0; i < 40; ++i) {
        blockers.push_back(NdisAllocateIoWorkItem(nullptr));
        NdisQueueIoWorkItem(blockers.back(), blocked, &ctx);
    }
    ASSERT_TRUE(WaitFor([] { return k::queued_work_items() > 0; }));
    NDIS_HANDLE item = nullptr;
    // The last blockers are queued (there are at most 32 workers): use one of them.
    item = blockers.back();
    NdisQueueIoWorkItem(item, blocked, &ctx); // queued twice
    NdisFreeIoWorkItem(item);                  // freed while queued: never runs
    blockers.pop_back();
    NdisSetEvent(&ctx.release);
    ASSERT_TRUE(WaitFor([&] { return ctx.runs.load() == 39; }));
    ASSERT_TRUE(WaitFor([] { return k::queued_work_items() == 0; }));
    for (NDIS_HANDLE b : blockers) {
        NdisFreeIoWorkItem(b);
    }
    NdisQueueIoWorkItem(item, blocked, &ctx); // freed handle
    EXPECT_VERIFIER_REPORTS(cap, "VER-01", "VER-05", "VER-01");
    EXPECT_EQ(ctx.runs.load(), 39);
}

// ---- Events ----------------------------------------------------------------------------------
TEST_F(KernelDispatch, EventSetResetAndTimeouts)
{
    NDIS_EVENT e;
    NdisInitializeEvent(&e);
    EXPECT_FALSE(NdisWaitEvent(&e, 5)) << "times out";
    NdisSetEvent(&e);
    EXPECT_TRUE(NdisWaitEvent(&e, 5));
    EXPECT_TRUE(NdisWaitEvent(&e, 0)) << "a notification event stays signalled";
    NdisResetEvent(&e);
    EXPECT_FALSE(NdisWaitEvent(&e, 1));
    static_assert(sizeof(NDIS_EVENT) == 24, "KEVENT-sized");
}

TEST_F(KernelDispatch, EventWakesEveryWaiter)
{
    NDIS_EVENT e;
    NdisInitializeEvent(&e);
    std::atomic<int> woken{0};
    std::vector<std::thread> waiters;
    for (int i = 0; i < 3; ++i) {
        waiters.emplace_back([&] {
            if (NdisWaitEvent(&e, 0)) { // forever
                ++woken;
            }
        });
    }
    std::this_thread::sleep_for(10ms);
    // Set from a DPC (DISPATCH_LEVEL is allowed for NdisSetEvent).
    KDPC dpc;
    KeInitializeDpc(
        &dpc, [](PKDPC, PVOID c, PVOID, PVOID) { NdisSetEvent(static_cast<PNDIS_EVENT>(c)); }, &e);
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
    for (auto &t : waiters) {
        t.join();
    }
    KeFlushQueuedDpcs();
    EXPECT_EQ(woken.load(), 3);
}

TEST_F(KernelDispatch, WaitsAtDispatchAreReportedAndDoNotHang) // IRQL-06, VER-07
{
    VerifierCapture cap;
    NDIS_EVENT e;
    NdisInitializeEvent(&e);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    EXPECT_FALSE(NdisWaitEvent(&e, 0)) << "0 = forever: must return at once";
    NdisMSleep(1000000); // one second: must not sleep
    KeLowerIrql(old);

    // The same from a DPC routine and a timer callback.
    KDPC dpc;
    KeInitializeDpc(
        &dpc,
        [](PKDPC, PVOID c, PVOID, PVOID) {
            EXPECT_FALSE(NdisWaitEvent(static_cast<PNDIS_EVENT>(c), 0));
        },
        &e);
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
    KeFlushQueuedDpcs();
    EXPECT_FALSE(NdisWaitEvent(&e, 1)) << "nobody set it";
    ASSERT_TRUE(cap.wait_for(3));
    EXPECT_VERIFIER_REPORTS(cap, "IRQL-06", "IRQL-06", "IRQL-06");
    for (const auto &m : cap.messages()) {
        EXPECT_NE(m.find("0x7C/0x14"), std::string::npos) << m;
    }
}

// ---- Delays and time -------------------------------------------------------------------------
TEST_F(KernelDispatch, SleepAndStall) // IRQL-08
{
    VerifierCapture cap;
    const auto t0 = std::chrono::steady_clock::now();
    NdisMSleep(2000);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 2ms);
    NdisStallExecution(10);
    EXPECT_VERIFIER_REPORTS(cap);
    NdisStallExecution(60);
    KeStallExecutionProcessor(100);
    EXPECT_VERIFIER_REPORTS(cap, "IRQL-08", "IRQL-08");
    LARGE_INTEGER interval;
    interval.QuadPart = -10000; // 1 ms
    EXPECT_EQ(KeDelayExecutionThread(KernelMode, FALSE, &interval), STATUS_SUCCESS);
}

TEST_F(KernelDispatch, Clocks)
{
    LARGE_INTEGER sys;
    NdisGetCurrentSystemTime(&sys);
    const long long expected = (static_cast<long long>(std::time(nullptr)) + 11644473600LL) *
                               10000000LL;
    EXPECT_LT(std::llabs(sys.QuadPart - expected), 50000000LL) << "within 5 s of time()";
    LARGE_INTEGER ke;
    KeQuerySystemTime(&ke);
    EXPECT_GE(ke.QuadPart, sys.QuadPart);

    LARGE_INTEGER freq;
    const LARGE_INTEGER c1 = KeQueryPerformanceCounter(&freq);
    EXPECT_EQ(freq.QuadPart, 10000000);
    std::this_thread::sleep_for(2ms);
    const LARGE_INTEGER c2 = KeQueryPerformanceCounter(nullptr);
    EXPECT_GE(c2.QuadPart - c1.QuadPart, 20000) << "2 ms at 10 MHz";

    EXPECT_EQ(KeQueryTimeIncrement(), 156250u);
    LARGE_INTEGER ticks;
    KeQueryTickCount(&ticks);
    const ULONGLONG interrupt = KeQueryInterruptTime();
    EXPECT_NEAR(static_cast<double>(ticks.QuadPart),
                static_cast<double>(interrupt / KeQueryTimeIncrement()), 2.0);
    EXPECT_GE(KeQueryInterruptTime(), interrupt);
    ULONG up = 0;
    NdisGetSystemUpTime(&up);
    EXPECT_GT(up, 0u);
}

// ---- Dispatcher lifecycle ----------------------------------------------------------------
TEST_F(KernelDispatch, ShutdownDrainsIsIdempotentAndRestarts)
{
    Probe p;
    KDPC dpc;
    KeInitializeDpc(&dpc, ProbeDpc, &p);
    ASSERT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
    Probe t;
    NDIS_TIMER_CHARACTERISTICS tc = Characteristics(ProbeTimer, &t);
    NDIS_HANDLE timer = nullptr;
    ASSERT_EQ(NdisAllocateTimerObject(nullptr, &tc, &timer), NDIS_STATUS_SUCCESS);
    NdisSetTimerObject(timer, RelativeMs(30), 0, nullptr);

    k::dispatcher::shutdown();
    EXPECT_FALSE(k::dispatcher::running());
    EXPECT_EQ(p.calls.load(), 1) << "queued DPCs ran before the threads stopped";
    k::dispatcher::shutdown(); // idempotent
    EXPECT_EQ(k::armed_timers(), 1u) << "armed timers stay armed";

    // The next use restarts the threads; the armed timer fires then.
    ASSERT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
    EXPECT_TRUE(k::dispatcher::running());
    ASSERT_TRUE(NdisWaitEvent(&t.done, 10000));
    KeFlushQueuedDpcs();
    EXPECT_EQ(p.calls.load(), 2);
    NdisFreeTimerObject(timer);
}

} // namespace
