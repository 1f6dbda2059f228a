// kernel/dispatcher.cpp — DPC queues and threads, processor numbering, and the lifecycle of
// every runtime thread (see dispatcher.hpp).
//
// A DPC queue is a FIFO of KDPCs linked through DpcListEntry, guarded by the queue's mutex.
// KDPC::DpcData holds the queue the DPC is in (nullptr when not queued) and only changes under
// that queue's mutex, with atomic operations because KeInsertQueueDpc on another queue may
// read it at the same time. The DPC thread pops a DPC, clears DpcData (so the routine may
// queue it again), records it as `running` and runs the routine without the lock. `running`
// is what KeFlushQueuedDpcs' barriers, timer cancel/free and dpc_wait_not_running rely on: a
// DPC is never "in limbo" between queue and routine.
#include "kernel/dispatcher.hpp"

#include "kernel/irql.hpp"
#include "kernel/services.hpp"
#include "verifier/verifier.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <sched.h>
#include <string>
#include <thread>
#include <vector>

namespace ndis::kernel {
namespace {

constexpr UCHAR kBarrierType = 0xFE; // KeFlushQueuedDpcs marker (never seen by drivers)
constexpr unsigned kMaxQueues = 64;

struct dpc_queue {
    std::mutex lock;
    std::condition_variable wake; // a DPC arrived, or stop
    std::condition_variable done; // a routine returned (for dpc_wait_not_running)
    KDPC *head = nullptr;
    KDPC *tail = nullptr;
    const KDPC *running = nullptr;
    bool sleeping = false;
    bool stop = false;
    unsigned done_waiters = 0;
    unsigned index = 0;
    std::thread thread;
};

struct processor_map {
    unsigned cpus = 1;
    std::vector<int> dense; // CPU id → index in the affinity mask, -1 if not in it
};

struct dispatcher_state {
    std::mutex lifecycle;
    std::atomic<bool> started{false};
    bool atexit_registered = false;
    unsigned requested_queues = 0;
    // Created once, at the first start, and kept for the process lifetime (DpcData points
    // into it).
    std::vector<std::unique_ptr<dpc_queue>> queues;
    std::atomic<unsigned> queue_count{0};
    std::atomic<std::uint64_t> queued{0};
    std::atomic<std::uint64_t> running{0};
};

dispatcher_state &state()
{
    static auto *s = new dispatcher_state; // never destroyed: threads may use it at exit
    return *s;
}

const processor_map &processors()
{
    static const processor_map *map = [] {
        auto *m = new processor_map;
        cpu_set_t set;
        CPU_ZERO(&set);
        if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) {
            int highest = 0;
            for (int c = 0; c < CPU_SETSIZE; ++c) {
                if (CPU_ISSET(c, &set)) {
                    highest = c;
                }
            }
            m->dense.assign(static_cast<std::size_t>(highest) + 1, -1);
            unsigned n = 0;
            for (int c = 0; c <= highest; ++c) {
                if (CPU_ISSET(c, &set)) {
                    m->dense[static_cast<std::size_t>(c)] = static_cast<int>(n++);
                }
            }
            m->cpus = n;
        } else {
            const unsigned hw = std::thread::hardware_concurrency();
            m->cpus = hw != 0 ? hw : 1;
        }
        return m;
    }();
    return *map;
}

unsigned desired_queue_count(const dispatcher_state &s)
{
    unsigned n = s.requested_queues;
    if (n == 0) {
        if (const char *env = std::getenv("OPENNDIS_DPC_THREADS"); env != nullptr) {
            n = static_cast<unsigned>(std::strtoul(env, nullptr, 10));
        }
    }
    if (n == 0) {
        n = processors().cpus;
    }
    return n < 1 ? 1 : (n > kMaxQueues ? kMaxQueues : n);
}

dpc_queue *queue_from_data(void *data)
{
    auto &s = state();
    const unsigned n = s.queue_count.load(std::memory_order_acquire);
    for (unsigned i = 0; i < n; ++i) {
        if (s.queues[i].get() == data) {
            return s.queues[i].get();
        }
    }
    return nullptr;
}

dpc_queue &queue_for(const KDPC *dpc)
{
    auto &s = state();
    const unsigned n = s.queue_count.load(std::memory_order_acquire);
    unsigned target;
    if (dpc->Number != 0) {
        target = (dpc->Number - 1u) % n;
    } else if (t_thread.role == thread_role::dpc) {
        target = static_cast<unsigned>(t_thread.processor) % n;
    } else {
        target = current_processor() % n;
    }
    return *s.queues[target];
}

// Links `dpc` into `q` (q.lock held). False when it already is in a queue.
bool link_locked(dpc_queue &q, KDPC *dpc, void *argument1, void *argument2)
{
    void *expected = nullptr;
    if (!__atomic_compare_exchange_n(&dpc->DpcData, &expected, static_cast<void *>(&q), false,
                                     __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        return false;
    }
    dpc->SystemArgument1 = argument1;
    dpc->SystemArgument2 = argument2;
    dpc->DpcListEntry.Next = nullptr;
    if (q.head == nullptr) {
        q.head = q.tail = dpc;
    } else if (dpc->Importance == HighImportance) {
        dpc->DpcListEntry.Next = &q.head->DpcListEntry;
        q.head = dpc;
    } else {
        q.tail->DpcListEntry.Next = &dpc->DpcListEntry;
        q.tail = dpc;
    }
    if (dpc->Type != kBarrierType) {
        state().queued.fetch_add(1, std::memory_order_relaxed);
    }
    return true;
}

KDPC *next_of(const KDPC *dpc)
{
    return dpc->DpcListEntry.Next != nullptr
               ? CONTAINING_RECORD(dpc->DpcListEntry.Next, KDPC, DpcListEntry)
               : nullptr;
}

bool insert(KDPC *dpc, void *argument1, void *argument2)
{
    dpc_queue &q = queue_for(dpc);
    std::lock_guard<std::mutex> guard(q.lock);
    if (!link_locked(q, dpc, argument1, argument2)) {
        return false;
    }
    if (q.sleeping) {
        q.wake.notify_one();
    }
    return true;
}

void dpc_thread_main(dpc_queue *q)
{
    auto &s = state();
    t_thread.role = thread_role::dpc;
    t_thread.processor = static_cast<std::int32_t>(q->index);
    set_irql(DISPATCH_LEVEL);
    std::unique_lock<std::mutex> lk(q->lock);
    for (;;) {
        if (q->head == nullptr) {
            if (q->stop) {
                break;
            }
            q->sleeping = true;
            q->wake.wait(lk);
            q->sleeping = false;
            continue;
        }
        KDPC *dpc = q->head;
        q->head = next_of(dpc);
        if (q->head == nullptr) {
            q->tail = nullptr;
        }
        dpc->DpcListEntry.Next = nullptr;
        const PKDEFERRED_ROUTINE routine = dpc->DeferredRoutine;
        void *const context = dpc->DeferredContext;
        void *const argument1 = dpc->SystemArgument1;
        void *const argument2 = dpc->SystemArgument2;
        const auto *driver = reinterpret_cast<const driver_identity *>(dpc->ProcessorHistory);
        const bool barrier = dpc->Type == kBarrierType;
        const bool threaded = dpc->Type == ThreadedDpcObject;
        __atomic_store_n(&dpc->DpcData, nullptr, __ATOMIC_SEQ_CST);
        q->running = dpc;
        if (!barrier) {
            s.queued.fetch_sub(1, std::memory_order_relaxed);
            s.running.fetch_add(1, std::memory_order_relaxed);
        }
        lk.unlock();
        if (barrier) {
            routine(dpc, context, argument1, argument2);
        } else {
            driver_scope scope(driver);
            set_irql(threaded ? PASSIVE_LEVEL : DISPATCH_LEVEL);
            t_thread.in_dpc_routine = !threaded;
            callback_frame frame;
            routine(dpc, context, argument1, argument2); // `dpc` may be freed from here on
            frame.check(threaded ? "threaded DPC routine" : "DPC routine",
                        reinterpret_cast<const void *>(routine));
            t_thread.in_dpc_routine = false;
            set_irql(DISPATCH_LEVEL);
        }
        lk.lock();
        q->running = nullptr;
        if (!barrier) {
            s.running.fetch_sub(1, std::memory_order_relaxed);
        }
        if (q->done_waiters != 0) {
            q->done.notify_all();
        }
    }
}

struct flush_barrier {
    std::mutex lock;
    std::condition_variable done;
    unsigned pending = 0;
};

void barrier_routine(KDPC *, void *context, void *, void *)
{
    auto *f = static_cast<flush_barrier *>(context);
    std::lock_guard<std::mutex> guard(f->lock);
    if (--f->pending == 0) {
        f->done.notify_all();
    }
}

void at_exit() { dispatcher::shutdown(); }

} // namespace

// ---- Lifecycle -------------------------------------------------------------------------------
void dispatcher::ensure_started() noexcept
{
    auto &s = state();
    if (s.started.load(std::memory_order_acquire)) [[likely]] {
        return;
    }
    std::lock_guard<std::mutex> guard(s.lifecycle);
    if (s.started.load(std::memory_order_relaxed)) {
        return;
    }
    try {
        if (s.queues.empty()) {
            const unsigned n = desired_queue_count(s);
            for (unsigned i = 0; i < n; ++i) {
                auto q = std::make_unique<dpc_queue>();
                q->index = i;
                s.queues.push_back(std::move(q));
            }
            s.queue_count.store(n, std::memory_order_release);
        }
        for (auto &q : s.queues) {
            q->stop = false;
            q->thread = std::thread(dpc_thread_main, q.get());
        }
        detail::timer_service_start();
        detail::worker_service_start();
    } catch (const std::exception &e) {
        std::fprintf(stderr, "openndis: cannot start the runtime threads: %s\n", e.what());
        std::abort();
    }
    if (!s.atexit_registered) {
        s.atexit_registered = true;
        std::atexit(at_exit);
    }
    s.started.store(true, std::memory_order_release);
}

void dispatcher::shutdown() noexcept
{
    if (t_thread.role != thread_role::none) {
        std::fprintf(stderr, "openndis: dispatcher::shutdown called from a runtime thread: "
                             "ignored\n");
        return;
    }
    auto &s = state();
    std::lock_guard<std::mutex> guard(s.lifecycle);
    if (!s.started.load(std::memory_order_acquire)) {
        return;
    }
    detail::timer_service_stop();
    // Let what is queued run (it may queue more); give up waiting after 10 s (a DPC that keeps
    // queueing itself), the threads still drain their queues before they exit.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        if (s.queued.load() == 0 && s.running.load() == 0 && detail::worker_service_idle()) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    for (auto &q : s.queues) {
        std::lock_guard<std::mutex> qguard(q->lock);
        q->stop = true;
        q->wake.notify_all();
    }
    for (auto &q : s.queues) {
        if (q->thread.joinable()) {
            q->thread.join();
        }
    }
    detail::worker_service_stop();
    s.started.store(false, std::memory_order_release);
}

bool dispatcher::running() noexcept { return state().started.load(std::memory_order_acquire); }

bool dispatcher::set_dpc_threads(unsigned count) noexcept
{
    auto &s = state();
    std::lock_guard<std::mutex> guard(s.lifecycle);
    if (!s.queues.empty()) {
        return false;
    }
    s.requested_queues = count;
    return true;
}

unsigned dispatcher::dpc_threads() noexcept
{
    auto &s = state();
    const unsigned n = s.queue_count.load(std::memory_order_acquire);
    if (n != 0) {
        return n;
    }
    std::lock_guard<std::mutex> guard(s.lifecycle);
    return desired_queue_count(s);
}

// ---- Processors ------------------------------------------------------------------------------
unsigned processor_count() noexcept
{
    const unsigned cpus = processors().cpus;
    const unsigned queues = dispatcher::dpc_threads();
    return cpus > queues ? cpus : queues;
}

unsigned current_processor() noexcept
{
    if (t_thread.role == thread_role::dpc) {
        return static_cast<unsigned>(t_thread.processor);
    }
    const processor_map &m = processors();
    const int cpu = sched_getcpu();
    unsigned index = 0;
    if (cpu >= 0 && static_cast<std::size_t>(cpu) < m.dense.size() &&
        m.dense[static_cast<std::size_t>(cpu)] >= 0) {
        index = static_cast<unsigned>(m.dense[static_cast<std::size_t>(cpu)]);
    } else if (cpu >= 0) {
        index = static_cast<unsigned>(cpu) % m.cpus;
    }
    return index;
}

// ---- DPCs ------------------------------------------------------------------------------------
void dpc_initialize(KDPC *dpc, PKDEFERRED_ROUTINE routine, void *context, bool threaded) noexcept
{
    *dpc = KDPC{};
    dpc->Type = threaded ? ThreadedDpcObject : DpcObject;
    dpc->Importance = MediumImportance;
    dpc->Number = 0;
    dpc->ProcessorHistory = reinterpret_cast<KAFFINITY>(current_driver());
    dpc->DeferredRoutine = routine;
    dpc->DeferredContext = context;
    dpc->DpcData = nullptr;
}

bool dpc_insert(KDPC *dpc, void *argument1, void *argument2) noexcept
{
    dispatcher::ensure_started();
    return insert(dpc, argument1, argument2);
}

bool dpc_insert_started(KDPC *dpc, void *argument1, void *argument2) noexcept
{
    return insert(dpc, argument1, argument2);
}

bool dpc_remove(KDPC *dpc) noexcept
{
    auto &s = state();
    for (;;) {
        void *data = __atomic_load_n(&dpc->DpcData, __ATOMIC_SEQ_CST);
        if (data == nullptr) {
            return false;
        }
        dpc_queue *q = queue_from_data(data);
        if (q == nullptr) {
            return false; // not a queue of ours: the KDPC was never initialised
        }
        std::lock_guard<std::mutex> guard(q->lock);
        if (__atomic_load_n(&dpc->DpcData, __ATOMIC_SEQ_CST) != q) {
            continue; // it ran (or moved) meanwhile
        }
        KDPC *previous = nullptr;
        for (KDPC *d = q->head; d != nullptr; previous = d, d = next_of(d)) {
            if (d != dpc) {
                continue;
            }
            KDPC *next = next_of(d);
            if (previous == nullptr) {
                q->head = next;
            } else {
                previous->DpcListEntry.Next = next != nullptr ? &next->DpcListEntry : nullptr;
            }
            if (q->tail == d) {
                q->tail = previous;
            }
            d->DpcListEntry.Next = nullptr;
            __atomic_store_n(&dpc->DpcData, nullptr, __ATOMIC_SEQ_CST);
            s.queued.fetch_sub(1, std::memory_order_relaxed);
            return true;
        }
        return false; // DpcData says queued but the queue does not have it: not ours
    }
}

void dpc_flush() noexcept
{
    auto &s = state();
    if (!s.started.load(std::memory_order_acquire)) {
        return;
    }
    const unsigned n = s.queue_count.load(std::memory_order_acquire);
    flush_barrier f;
    std::unique_ptr<KDPC[]> barriers(new (std::nothrow) KDPC[n]);
    if (!barriers) {
        return;
    }
    {
        std::lock_guard<std::mutex> guard(f.lock);
        f.pending = 0;
    }
    for (unsigned i = 0; i < n; ++i) {
        // A DPC thread cannot wait for its own queue (the caller is what it is running).
        if (t_thread.role == thread_role::dpc && static_cast<unsigned>(t_thread.processor) == i) {
            continue;
        }
        KDPC &b = barriers[i];
        b = KDPC{};
        b.Type = kBarrierType;
        b.Importance = LowImportance;
        b.Number = static_cast<USHORT>(i + 1);
        b.DeferredRoutine = barrier_routine;
        b.DeferredContext = &f;
        {
            std::lock_guard<std::mutex> guard(f.lock);
            ++f.pending;
        }
        if (!insert(&b, nullptr, nullptr)) {
            std::lock_guard<std::mutex> guard(f.lock);
            --f.pending;
        }
    }
    std::unique_lock<std::mutex> lk(f.lock);
    f.done.wait(lk, [&] { return f.pending == 0; });
}

bool dpc_running_on_caller(const KDPC *dpc) noexcept
{
    if (t_thread.role != thread_role::dpc) {
        return false;
    }
    auto &s = state();
    dpc_queue &q = *s.queues[static_cast<std::size_t>(t_thread.processor)];
    return q.running == dpc; // written only by this thread
}

void dpc_wait_not_running(const KDPC *dpc) noexcept
{
    auto &s = state();
    const unsigned n = s.queue_count.load(std::memory_order_acquire);
    for (unsigned i = 0; i < n; ++i) {
        dpc_queue &q = *s.queues[i];
        if (t_thread.role == thread_role::dpc && static_cast<unsigned>(t_thread.processor) == i) {
            continue;
        }
        std::unique_lock<std::mutex> lk(q.lock);
        while (q.running == dpc) {
            ++q.done_waiters;
            q.done.wait(lk);
            --q.done_waiters;
        }
    }
}

std::uint64_t queued_dpcs() noexcept { return state().queued.load(std::memory_order_relaxed); }
std::uint64_t running_dpcs() noexcept { return state().running.load(std::memory_order_relaxed); }

} // namespace ndis::kernel
