// kernel/workitem.cpp — see workitem.hpp.
#include "kernel/workitem.hpp"

#include "kernel/dispatcher.hpp"
#include "kernel/irql.hpp"
#include "kernel/memory.hpp"
#include "kernel/services.hpp"
#include "verifier/verifier.hpp"

#include <atomic>
#include <condition_variable>
#include <fmt/format.h>
#include <mutex>
#include <new>
#include <thread>
#include <unordered_set>
#include <vector>

namespace ndis::kernel {
namespace {

using verifier::failure;

constexpr ULONG kWorkItemTag = 'kwdN'; // "Ndwk" in memory order
constexpr unsigned kMaxWorkers = 32;

struct work_item {
    NDIS_HANDLE owner = nullptr;
    const driver_identity *driver = nullptr;
    // Under g.lock:
    NDIS_IO_WORKITEM_ROUTINE routine = nullptr;
    void *context = nullptr;
    work_item *next = nullptr; // queue link
    bool queued = false;
    bool freed = false;
    unsigned running = 0;
};

struct worker_state {
    std::mutex lock;
    std::condition_variable wake;
    work_item *head = nullptr;
    work_item *tail = nullptr;
    std::unordered_set<work_item *> live; // not freed
    std::vector<std::thread> threads;
    unsigned idle = 0;
    unsigned running = 0;
    bool stop = false;
    std::atomic<std::uint64_t> live_count{0}; // not destroyed
    std::atomic<std::uint64_t> queued_count{0};
};

worker_state &g_state()
{
    static auto *s = new worker_state; // never destroyed
    return *s;
}

void destroy(work_item *w) noexcept
{
    w->~work_item();
    tagged_free(w);
    g_state().live_count.fetch_sub(1, std::memory_order_relaxed);
}

work_item *resolve_locked(worker_state &g, NDIS_HANDLE handle, const char *api)
{
    auto *w = static_cast<work_item *>(handle);
    if (handle == nullptr || g.live.count(w) == 0) {
        verifier::report(failure::kernel_invalid_handle, api, handle,
                         "{}{} is not a live work item (never allocated, or freed already)",
                         driver_prefix(), handle);
        return nullptr;
    }
    return w;
}

// Unlinks `w` from the queue (g.lock held, w->queued).
void unlink_locked(worker_state &g, work_item *w)
{
    work_item *previous = nullptr;
    for (work_item *i = g.head; i != nullptr; previous = i, i = i->next) {
        if (i != w) {
            continue;
        }
        if (previous == nullptr) {
            g.head = i->next;
        } else {
            previous->next = i->next;
        }
        if (g.tail == i) {
            g.tail = previous;
        }
        i->next = nullptr;
        w->queued = false;
        g.queued_count.fetch_sub(1, std::memory_order_relaxed);
        return;
    }
}

void worker_main()
{
    auto &g = g_state();
    t_thread.role = thread_role::worker;
    set_irql(PASSIVE_LEVEL);
    std::unique_lock<std::mutex> lk(g.lock);
    for (;;) {
        if (g.head == nullptr) {
            if (g.stop) {
                break;
            }
            ++g.idle;
            g.wake.wait(lk);
            --g.idle;
            continue;
        }
        work_item *w = g.head;
        g.head = w->next;
        if (g.head == nullptr) {
            g.tail = nullptr;
        }
        w->next = nullptr;
        w->queued = false;
        ++w->running;
        ++g.running;
        g.queued_count.fetch_sub(1, std::memory_order_relaxed);
        const NDIS_IO_WORKITEM_ROUTINE routine = w->routine;
        void *const context = w->context;
        const driver_identity *const driver = w->driver;
        lk.unlock();
        {
            driver_scope scope(driver);
            callback_frame frame;
            routine(context, w);
            frame.check("NDIS_IO_WORKITEM_ROUTINE", reinterpret_cast<const void *>(routine));
        }
        lk.lock();
        --g.running;
        if (--w->running == 0 && w->freed && !w->queued) {
            destroy(w);
        }
    }
}

} // namespace

// ---- Service ---------------------------------------------------------------------------------
void detail::worker_service_start()
{
    auto &g = g_state();
    std::lock_guard<std::mutex> guard(g.lock);
    g.stop = false;
    g.threads.emplace_back(worker_main);
}

bool detail::worker_service_idle() noexcept
{
    auto &g = g_state();
    std::lock_guard<std::mutex> guard(g.lock);
    return g.head == nullptr && g.running == 0;
}

void detail::worker_service_stop() noexcept
{
    auto &g = g_state();
    std::vector<std::thread> threads;
    {
        std::lock_guard<std::mutex> guard(g.lock);
        g.stop = true;
        g.wake.notify_all();
    }
    // Workers may still add threads while draining: collect under the lock until none is left.
    for (;;) {
        {
            std::lock_guard<std::mutex> guard(g.lock);
            if (g.threads.empty()) {
                break;
            }
            threads.swap(g.threads);
        }
        for (auto &t : threads) {
            t.join();
        }
        threads.clear();
    }
}

// ---- Work items ------------------------------------------------------------------------------
NDIS_HANDLE workitem_allocate(NDIS_HANDLE owner) noexcept
{
    void *memory = tagged_alloc(sizeof(work_item), kWorkItemTag, true);
    if (memory == nullptr) {
        return nullptr;
    }
    auto *w = new (memory) work_item;
    w->owner = owner;
    w->driver = current_driver();
    auto &g = g_state();
    {
        std::lock_guard<std::mutex> guard(g.lock);
        try {
            g.live.insert(w);
        } catch (...) {
            w->~work_item();
            tagged_free(w);
            return nullptr;
        }
    }
    g.live_count.fetch_add(1, std::memory_order_relaxed);
    return w;
}

void workitem_queue(NDIS_HANDLE handle, NDIS_IO_WORKITEM_ROUTINE routine, void *context) noexcept
{
    constexpr const char *api = "NdisQueueIoWorkItem";
    if (routine == nullptr) {
        verifier::report(failure::null_argument, api, handle, "{}Routine is NULL",
                         driver_prefix());
        return;
    }
    dispatcher::ensure_started();
    auto &g = g_state();
    std::lock_guard<std::mutex> guard(g.lock);
    work_item *w = resolve_locked(g, handle, api);
    if (w == nullptr) {
        return;
    }
    if (w->queued) {
        verifier::report(failure::workitem_double_queue, api, handle,
                         "{}work item {} queued again before its routine started; the second "
                         "queue request is ignored",
                         driver_prefix(), handle);
        return;
    }
    w->routine = routine;
    w->context = context;
    w->queued = true;
    w->next = nullptr;
    if (g.tail == nullptr) {
        g.head = g.tail = w;
    } else {
        g.tail->next = w;
        g.tail = w;
    }
    g.queued_count.fetch_add(1, std::memory_order_relaxed);
    // Every queued item needs a worker that is not busy: idle workers each take one; beyond
    // that, start another (busy workers may be blocked for a long time).
    if (g.queued_count.load(std::memory_order_relaxed) > g.idle &&
        g.threads.size() < kMaxWorkers && !g.stop) {
        try {
            g.threads.emplace_back(worker_main);
        } catch (...) {
            // The running workers will get to it.
        }
    }
    g.wake.notify_one();
}

void workitem_free(NDIS_HANDLE handle) noexcept
{
    constexpr const char *api = "NdisFreeIoWorkItem";
    auto &g = g_state();
    std::lock_guard<std::mutex> guard(g.lock);
    work_item *w = resolve_locked(g, handle, api);
    if (w == nullptr) {
        return;
    }
    g.live.erase(w);
    w->freed = true;
    if (w->queued) {
        verifier::report(failure::workitem_freed_while_queued, api, handle,
                         "{}work item {} freed while queued: its routine will not run",
                         driver_prefix(), handle);
        unlink_locked(g, w);
    }
    if (w->running == 0) {
        destroy(w);
    }
}

// ---- Accounting ------------------------------------------------------------------------------
std::uint64_t live_work_items() noexcept
{
    return g_state().live_count.load(std::memory_order_relaxed);
}

std::uint64_t queued_work_items() noexcept
{
    return g_state().queued_count.load(std::memory_order_relaxed);
}

std::uint64_t live_work_items_of(const driver_identity *driver) noexcept
{
    auto &g = g_state();
    std::lock_guard<std::mutex> guard(g.lock);
    std::uint64_t n = 0;
    for (const work_item *w : g.live) {
        n += w->driver == driver ? 1 : 0;
    }
    return n;
}

void work_items_append_report(std::string &out, const driver_identity *driver, bool all)
{
    auto &g = g_state();
    std::lock_guard<std::mutex> guard(g.lock);
    for (const work_item *w : g.live) {
        if (!all && w->driver != driver) {
            continue;
        }
        out += fmt::format("  work item {}{}{}\n", static_cast<const void *>(w),
                           w->queued ? " queued" : "",
                           w->driver != nullptr ? " driver " + w->driver->name : std::string());
    }
}

std::uint64_t report_leaked_work_items(const driver_identity *driver, const char *api) noexcept
{
    std::uint64_t n = 0;
    try {
        auto &g = g_state();
        std::lock_guard<std::mutex> guard(g.lock);
        for (const work_item *w : g.live) {
            if (w->driver != driver) {
                continue;
            }
            ++n;
            verifier::report(failure::workitem_leaked, api, w,
                             "work item {} of driver '{}' was never freed (NdisFreeIoWorkItem)",
                             static_cast<const void *>(w),
                             driver != nullptr ? driver->name : std::string("?"));
        }
    } catch (...) {
    }
    return n;
}

} // namespace ndis::kernel
