// kernel/timer.cpp — see timer.hpp.
//
// States of a timer (all under g.lock):
//   armed        in g.armed (due time → timer); `position` is its entry
//   expiry queued its internal KDPC is in a DPC queue (the DPC engine knows: dpc_remove)
//   running      its callback runs on the DPC thread of `dpc`'s queue
//   freed        NdisFreeTimerObject was called: no longer in g.live, cannot be armed again;
//                the memory goes once the callback (if running) has returned
// The timer thread moves armed → expiry queued (re-arming periodic timers at due + k·period);
// the DPC thread moves expiry queued → running → idle.
#include "kernel/timer.hpp"

#include "kernel/dispatcher.hpp"
#include "kernel/irql.hpp"
#include "kernel/memory.hpp"
#include "kernel/services.hpp"
#include "kernel/time.hpp"
#include "verifier/verifier.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fmt/format.h>
#include <map>
#include <mutex>
#include <new>
#include <thread>
#include <unordered_set>

namespace ndis::kernel {
namespace {

using clock = std::chrono::steady_clock;
using verifier::failure;

constexpr std::uint64_t kTimerMagic = 0x52454D4954534944ULL; // "DISTIMER"

struct timer_object;
using armed_map = std::multimap<clock::time_point, timer_object *>;

struct timer_object {
    std::uint64_t magic = kTimerMagic;
    PNDIS_TIMER_FUNCTION function = nullptr;
    void *default_context = nullptr;
    ULONG tag = 0;
    NDIS_HANDLE owner = nullptr;
    const driver_identity *driver = nullptr;
    KDPC dpc{};
    // Under g.lock:
    void *context = nullptr;
    LONG period_ms = 0;
    clock::time_point due{};
    bool armed = false;
    armed_map::iterator position{};
    bool freed = false;
    bool free_pending = false; // freed from its own callback: destroy when it returns
};

struct timer_state {
    std::mutex lock;
    std::condition_variable changed; // timer thread: the earliest due time may have changed
    armed_map armed;
    std::unordered_set<timer_object *> live;
    bool stop = false;
    std::thread thread;
    unsigned next_queue = 0;
    std::atomic<std::uint64_t> live_count{0};
    std::atomic<std::uint64_t> armed_count{0};
};

timer_state &g_state()
{
    static auto *s = new timer_state; // never destroyed
    return *s;
}

void destroy(timer_object *t) noexcept
{
    t->magic = 0;
    t->~timer_object();
    tagged_free(t);
    g_state().live_count.fetch_sub(1, std::memory_order_relaxed);
}

// Takes `t` out of the armed map (g.lock held). Returns whether it was armed.
bool disarm_locked(timer_state &g, timer_object *t)
{
    if (!t->armed) {
        return false;
    }
    g.armed.erase(t->position);
    t->armed = false;
    g.armed_count.fetch_sub(1, std::memory_order_relaxed);
    return true;
}

// The live timer behind `handle` (g.lock held), or nullptr after reporting.
timer_object *resolve_locked(timer_state &g, NDIS_HANDLE handle, const char *api)
{
    auto *t = static_cast<timer_object *>(handle);
    if (handle == nullptr || g.live.count(t) == 0) {
        verifier::report(failure::kernel_invalid_handle, api, handle,
                         "{}{} is not a live timer object (never allocated, or freed already)",
                         driver_prefix(), handle);
        return nullptr;
    }
    return t;
}

// The internal DPC routine of every timer: runs the driver's callback.
void timer_dpc(KDPC *, void *context, void *, void *)
{
    auto *t = static_cast<timer_object *>(context);
    auto &g = g_state();
    PNDIS_TIMER_FUNCTION function;
    void *function_context;
    {
        std::lock_guard<std::mutex> guard(g.lock);
        function = t->function;
        function_context = t->context;
    }
    {
        callback_frame frame;
        function(nullptr, function_context, nullptr, nullptr);
        frame.check("NetTimerCallback", reinterpret_cast<const void *>(function));
    }
    bool destroy_now = false;
    {
        std::lock_guard<std::mutex> guard(g.lock);
        destroy_now = t->free_pending;
    }
    if (destroy_now) {
        destroy(t);
    }
}

void timer_thread_main()
{
    auto &g = g_state();
    t_thread.role = thread_role::timer;
    std::unique_lock<std::mutex> lk(g.lock);
    while (!g.stop) {
        if (g.armed.empty()) {
            g.changed.wait(lk);
            continue;
        }
        auto first = g.armed.begin();
        const auto now = clock::now();
        if (first->first > now) {
            const clock::time_point due = first->first; // a copy: the entry may go while we wait
            g.changed.wait_until(lk, due);
            continue;
        }
        timer_object *t = first->second;
        g.armed.erase(first);
        if (t->period_ms > 0) {
            const auto period = std::chrono::milliseconds(t->period_ms);
            t->due += period;
            if (t->due <= now) { // fell behind: skip the missed periods, keep the phase
                t->due += period * ((now - t->due) / period + 1);
            }
            t->position = g.armed.emplace(t->due, t);
        } else {
            t->armed = false;
            g.armed_count.fetch_sub(1, std::memory_order_relaxed);
        }
        // A callback still queued absorbs this expiry (as on Windows: a DPC is queued once).
        dpc_insert_started(&t->dpc, nullptr, nullptr);
    }
}

} // namespace

// ---- Service ---------------------------------------------------------------------------------
void detail::timer_service_start()
{
    auto &g = g_state();
    {
        std::lock_guard<std::mutex> guard(g.lock);
        g.stop = false;
    }
    g.thread = std::thread(timer_thread_main);
}

void detail::timer_service_stop() noexcept
{
    auto &g = g_state();
    {
        std::lock_guard<std::mutex> guard(g.lock);
        g.stop = true;
        g.changed.notify_all();
    }
    if (g.thread.joinable()) {
        g.thread.join();
    }
}

// ---- Timer objects ---------------------------------------------------------------------------
NDIS_STATUS timer_allocate(NDIS_HANDLE owner, const NDIS_TIMER_CHARACTERISTICS *c,
                           NDIS_HANDLE *timer) noexcept
{
    constexpr const char *api = "NdisAllocateTimerObject";
    if (c == nullptr || timer == nullptr) {
        verifier::report(failure::null_argument, api, c, "{}TimerCharacteristics or "
                         "pTimerObject is NULL", driver_prefix());
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    *timer = nullptr;
    if (c->Header.Type != NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS ||
        c->Header.Revision < NDIS_TIMER_CHARACTERISTICS_REVISION_1 ||
        c->Header.Size < NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1 ||
        c->TimerFunction == nullptr) {
        verifier::report(failure::timer_bad_characteristics, api, c,
                         "{}NDIS_TIMER_CHARACTERISTICS invalid: Header {{Type 0x{:02X}, Revision "
                         "{}, Size {}}} (want 0x{:02X}, >= {}, >= {}), TimerFunction {}",
                         driver_prefix(), c->Header.Type, c->Header.Revision, c->Header.Size,
                         NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS,
                         NDIS_TIMER_CHARACTERISTICS_REVISION_1,
                         NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1,
                         reinterpret_cast<const void *>(c->TimerFunction));
        return NDIS_STATUS_BAD_CHARACTERISTICS;
    }
    if (c->AllocationTag == 0) {
        verifier::report(failure::memory_tag_missing, api, c,
                         "{}NDIS_TIMER_CHARACTERISTICS.AllocationTag is 0 (a tag is required)",
                         driver_prefix());
    }
    void *memory = tagged_alloc(sizeof(timer_object), c->AllocationTag, true);
    if (memory == nullptr) {
        return NDIS_STATUS_RESOURCES;
    }
    auto *t = new (memory) timer_object;
    t->function = c->TimerFunction;
    t->default_context = c->FunctionContext;
    t->context = c->FunctionContext;
    t->tag = c->AllocationTag;
    t->owner = owner;
    t->driver = current_driver();
    dpc_initialize(&t->dpc, timer_dpc, t, false);
    const unsigned queues = dispatcher::dpc_threads(); // not under g.lock: lock order
    auto &g = g_state();
    {
        std::lock_guard<std::mutex> guard(g.lock);
        // One queue per timer, round robin: its callbacks are serialised by that DPC thread.
        t->dpc.Number = static_cast<USHORT>(g.next_queue++ % queues + 1);
        try {
            g.live.insert(t);
        } catch (...) {
            t->~timer_object();
            tagged_free(t);
            return NDIS_STATUS_RESOURCES;
        }
    }
    g.live_count.fetch_add(1, std::memory_order_relaxed);
    *timer = t;
    return NDIS_STATUS_SUCCESS;
}

BOOLEAN timer_set(NDIS_HANDLE handle, LONGLONG due_time, LONG period_ms, void *context,
                  const char *api) noexcept
{
    if (period_ms < 0) {
        verifier::report(failure::timer_bad_characteristics, api, handle,
                         "{}MillisecondsPeriod {} is negative; the timer is set as one-shot",
                         driver_prefix(), period_ms);
        period_ms = 0;
    }
    dispatcher::ensure_started();
    const auto due = steady_due_time(due_time);
    auto &g = g_state();
    std::lock_guard<std::mutex> guard(g.lock);
    timer_object *t = resolve_locked(g, handle, api);
    if (t == nullptr) {
        return FALSE;
    }
    const bool was_armed = disarm_locked(g, t);
    t->context = context != nullptr ? context : t->default_context;
    t->period_ms = period_ms;
    t->due = due;
    t->position = g.armed.emplace(due, t);
    t->armed = true;
    g.armed_count.fetch_add(1, std::memory_order_relaxed);
    if (t->position == g.armed.begin()) {
        g.changed.notify_one();
    }
    return was_armed ? TRUE : FALSE;
}

BOOLEAN timer_cancel(NDIS_HANDLE handle) noexcept
{
    constexpr const char *api = "NdisCancelTimerObject";
    auto &g = g_state();
    bool was_armed = false;
    bool periodic = false;
    timer_object *t = nullptr;
    {
        std::lock_guard<std::mutex> guard(g.lock);
        t = resolve_locked(g, handle, api);
        if (t == nullptr) {
            return FALSE;
        }
        was_armed = disarm_locked(g, t);
        periodic = t->period_ms > 0;
    }
    // An expiry already handed to the DPC queue but not started is cancelled too.
    const bool dequeued = dpc_remove(&t->dpc);
    if (periodic) {
        if (current_irql() != PASSIVE_LEVEL) {
            verifier::report(failure::irql_too_high, api, handle,
                             "{}periodic timer {} cancelled at IRQL {}: the caller must be at "
                             "PASSIVE_LEVEL (PeriodicTimer rule); not waiting for a running "
                             "callback",
                             driver_prefix(), handle, current_irql());
        } else if (!dpc_running_on_caller(&t->dpc)) {
            // As NDIS does with KeFlushQueuedDpcs: the callback is not running on return.
            dpc_wait_not_running(&t->dpc);
        }
    }
    return (was_armed || dequeued) ? TRUE : FALSE;
}

void timer_free(NDIS_HANDLE handle) noexcept
{
    constexpr const char *api = "NdisFreeTimerObject";
    auto &g = g_state();
    timer_object *t = nullptr;
    bool was_armed = false;
    {
        std::lock_guard<std::mutex> guard(g.lock);
        t = resolve_locked(g, handle, api);
        if (t == nullptr) {
            return;
        }
        was_armed = disarm_locked(g, t);
        g.live.erase(t);
        t->freed = true;
    }
    const bool dequeued = dpc_remove(&t->dpc);
    if (was_armed || dequeued) {
        verifier::report(failure::timer_freed_while_set, api, handle,
                         "{}timer {} (tag '{}') freed while still set: cancel it with "
                         "NdisCancelTimerObject first (CancelTimerObject rule); cancelled now",
                         driver_prefix(), handle, tag_to_string(t->tag));
    }
    if (dpc_running_on_caller(&t->dpc)) {
        std::lock_guard<std::mutex> guard(g.lock);
        t->free_pending = true; // timer_dpc destroys it when the callback returns
        return;
    }
    dpc_wait_not_running(&t->dpc);
    destroy(t);
}

// ---- Accounting ------------------------------------------------------------------------------
std::uint64_t live_timers() noexcept
{
    return g_state().live_count.load(std::memory_order_relaxed);
}

std::uint64_t armed_timers() noexcept
{
    return g_state().armed_count.load(std::memory_order_relaxed);
}

std::uint64_t live_timers_of(const driver_identity *driver) noexcept
{
    auto &g = g_state();
    std::lock_guard<std::mutex> guard(g.lock);
    std::uint64_t n = 0;
    for (const timer_object *t : g.live) {
        n += t->driver == driver ? 1 : 0;
    }
    return n;
}

void timers_append_report(std::string &out, const driver_identity *driver, bool all)
{
    auto &g = g_state();
    std::lock_guard<std::mutex> guard(g.lock);
    for (const timer_object *t : g.live) {
        if (!all && t->driver != driver) {
            continue;
        }
        out += fmt::format("  timer {} tag '{}' callback {}{}{}\n", static_cast<const void *>(t),
                           tag_to_string(t->tag), reinterpret_cast<const void *>(t->function),
                           t->armed ? " armed" : "",
                           t->driver != nullptr ? " driver " + t->driver->name : std::string());
    }
}

std::uint64_t report_leaked_timers(const driver_identity *driver, const char *api) noexcept
{
    std::string lines;
    std::uint64_t n = 0;
    try {
        auto &g = g_state();
        std::lock_guard<std::mutex> guard(g.lock);
        for (const timer_object *t : g.live) {
            if (t->driver != driver) {
                continue;
            }
            ++n;
            verifier::report(failure::timer_leaked, api, t,
                             "timer object {} (tag '{}', callback {}{}) of driver '{}' was never "
                             "freed (NdisFreeTimerObject)",
                             static_cast<const void *>(t), tag_to_string(t->tag),
                             reinterpret_cast<const void *>(t->function),
                             t->armed ? ", still armed" : "",
                             driver != nullptr ? driver->name : std::string("?"));
        }
    } catch (...) {
    }
    return n;
}

} // namespace ndis::kernel
