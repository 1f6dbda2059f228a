// core/watchdog.cpp — see watchdog.hpp. One thread, one scan per period:
//   1. overdue sends: every live NBL of every pool whose route is "sending" and whose sent_at
//      is older than send_timeout, not reported yet → one report per (adapter, binding) group,
//      listing the NBLs (pointer, age);
//   2. adapters: sends outstanding and no completion for hang_timeout (NdisTimedDataHang);
//      Pausing / Restarting for longer than operation_timeout (0x7C/0x25);
//      bindings: Pausing for longer than operation_timeout (0x7C/0x25 sub-code 0x01);
//   3. OID requests pending for longer than oid_timeout (NdisTimedOidComplete).
// Reports are formatted under the locks that keep the objects alive (pool registry, stack
// registry) and made after they are released, so a report sink may do anything.
#include "core/watchdog.hpp"

#include "core/object.hpp"
#include "core/pools.hpp"
#include "core/stack.hpp"
#include "verifier/verifier.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ndis::core::watchdog {

using verifier::failure;
using clock = std::chrono::steady_clock;

std::atomic<std::uint32_t> g_epoch{1};

namespace {

std::uint32_t clock_ms() noexcept
{
    static const clock::time_point origin = clock::now();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - origin);
    return static_cast<std::uint32_t>(ms.count()) + 1; // never 0 ("not stamped")
}

void advance_epoch() noexcept
{
    g_epoch.store(clock_ms(), std::memory_order_relaxed);
}

struct oid_record {
    PNDIS_OID_REQUEST request;
    NDIS_OID oid;
    std::string adapter, driver, protocol;
    clock::time_point started;
    bool reported = false;
};

// An adapter operation the runtime waits for (0x7C/0x25): a reset may overlap a pause (ST-14);
// the one reported is the one started last.
enum class slow_op : std::uint8_t { none, pause, restart, reset, halt };

slow_op current_op(const adapter *a) noexcept
{
    if (a->halting.load(std::memory_order_relaxed)) {
        return slow_op::halt;
    }
    if (a->resetting.load(std::memory_order_relaxed)) {
        return slow_op::reset;
    }
    switch (a->state.load(std::memory_order_relaxed)) {
    case adapter_state::pausing: return slow_op::pause;
    case adapter_state::restarting: return slow_op::restart;
    default: return slow_op::none;
    }
}

// Why an operation of `a` has not finished, and the API and bug-check sub-code to name.
struct slow_op_text {
    const char *api, *name, *subcode;
    std::string why;
};
slow_op_text describe(slow_op op, const adapter *a)
{
    const std::string held = fmt::format("waiting for {} send(s) and {} indicated receive(s) to "
                                         "come back",
                                         a->sends_outstanding.load(),
                                         a->receives_outstanding.load());
    switch (op) {
    case slow_op::pause:
        return {"MiniportPause", "pause", " sub-code 0x21",
                a->pause_pending.load() ? "the miniport pended MiniportPause and has not called "
                                          "NdisMPauseComplete"
                                        : held};
    case slow_op::restart:
        return {"MiniportRestart", "restart", "",
                a->restart_pending.load() ? "the miniport pended MiniportRestart and has not "
                                            "called NdisMRestartComplete"
                                          : held};
    case slow_op::reset:
        return {"MiniportResetEx", "reset", "",
                a->reset_pending.load() ? "the miniport pended MiniportResetEx and has not "
                                          "called NdisMResetComplete"
                                        : "MiniportResetEx has not returned"};
    case slow_op::halt:
        return {"MiniportHaltEx", "halt", " sub-code 0x22", "MiniportHaltEx has not returned"};
    case slow_op::none: break;
    }
    return {"", "", "", ""};
}

// What the scans remember between periods (under scan_lock).
struct adapter_watch {
    bool seen = false;
    // NdisTimedDataHang
    bool busy = false, hang_reported = false;
    std::uint64_t last_completed = 0;
    clock::time_point progress{};
    // pause / restart / reset / halt in progress
    slow_op op = slow_op::none;
    clock::time_point op_since{};
    bool op_reported = false;
};
struct binding_watch {
    bool seen = false;
    bool pausing = false, reported = false;
    clock::time_point since{};
};

struct watchdog_state {
    std::mutex lock; // limits, users, thread
    limits lim;
    int users = 0;
    bool stopping = false;
    std::condition_variable cv;
    std::thread thread;

    std::mutex scan_lock;
    std::map<ULONG, adapter_watch> adapters;        // by IfIndex (unique per adapter)
    std::map<const binding *, binding_watch> bindings;

    std::mutex oid_lock;
    std::vector<oid_record> oids;
};

watchdog_state &state()
{
    static watchdog_state *s = new watchdog_state; // lives until exit (reports during exit)
    return *s;
}

std::atomic<bool> g_running{false};

struct pending_report {
    failure code;
    const char *api;
    const void *object;
    std::string text;
    const void *adapter = nullptr; // a slow operation of this adapter: name its NBLs …
    NDIS_HANDLE source = nullptr;  // … (only those this binding sent, when set)
};

long long ms_between(clock::time_point from, clock::time_point to)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

struct overdue {
    PNET_BUFFER_LIST nbl;
    const void *adapter;
    NDIS_HANDLE source;
    std::uint32_t age_ms;
};

void scan_sends(const limits &lim, std::vector<pending_report> &out)
{
    if (!verifier::checks_enabled()) {
        return; // routes and send stamps are kept only with the checks on
    }
    const std::uint32_t now = epoch();
    const auto limit = static_cast<std::uint32_t>(lim.send_timeout.count());
    std::vector<overdue> found;
    for_each_live_nbl([&](object_header *h) {
        if (h->route.load(std::memory_order_acquire) != kRouteSending) {
            return;
        }
        const std::uint32_t at = h->sent_at.load(std::memory_order_relaxed);
        const std::uint32_t age = now - at;
        if (at == 0 || age > 0x80000000u || age < limit ||
            h->overdue_reported.load(std::memory_order_relaxed) == at) {
            return;
        }
        h->overdue_reported.store(at, std::memory_order_relaxed);
        auto *nbl = object_after<NET_BUFFER_LIST>(h);
        // (Overdue: nobody writes these fields while the NBL sits in a miniport.)
        found.push_back({nbl, sent_to(nbl).load(std::memory_order_relaxed), nbl->SourceHandle,
                         age});
    });
    if (found.empty()) {
        return;
    }
    std::stable_sort(found.begin(), found.end(), [](const overdue &a, const overdue &b) {
        return a.adapter != b.adapter ? a.adapter < b.adapter : a.source < b.source;
    });
    auto &r = registry();
    std::lock_guard<std::recursive_mutex> g(r.lock);
    for (std::size_t i = 0; i < found.size();) {
        std::size_t j = i;
        std::uint32_t oldest = 0;
        std::string list;
        while (j < found.size() && found[j].adapter == found[i].adapter &&
               found[j].source == found[i].source) {
            oldest = std::max(oldest, found[j].age_ms);
            if (j - i < 16) {
                list += fmt::format("{}{} ({} ms)", list.empty() ? "" : ", ",
                                    static_cast<const void *>(found[j].nbl), found[j].age_ms);
            }
            ++j;
        }
        if (j - i > 16) {
            list += fmt::format(", … {} more", j - i - 16);
        }
        std::string where = "an adapter no longer in the stack";
        for (const auto &a : r.adapters) {
            if (a.get() == found[i].adapter) {
                where = fmt::format("adapter '{}' (driver '{}')", a->name, a->driver->name);
            }
        }
        std::string from = fmt::format("SourceHandle {}", found[i].source);
        for (const auto &b : r.bindings) {
            if (b->ndis_handle() == found[i].source) {
                from = fmt::format("the binding of protocol '{}' to '{}'", b->protocol->name,
                                   b->target->name);
            }
        }
        out.push_back({failure::watchdog_send_overdue, "MiniportSendNetBufferLists", found[i].nbl,
                       fmt::format("{} has not completed {} NBL(s) sent by {} within {} ms "
                                   "(NdisTimedDataSend, 0x9200D; oldest {} ms): {}",
                                   where, j - i, from, lim.send_timeout.count(), oldest, list)});
        i = j;
    }
}

// Appends to each slow-operation report of an adapter the NBLs that adapter still holds
// (pointer and age), walking the pools once; outside the stack registry's lock.
void name_outstanding(std::vector<pending_report> &out, std::size_t first)
{
    std::vector<std::pair<pending_report *, std::string>> wanted;
    for (std::size_t i = first; i < out.size(); ++i) {
        if (out[i].code == failure::watchdog_operation_slow && out[i].adapter != nullptr) {
            wanted.push_back({&out[i], std::string()});
        }
    }
    if (wanted.empty() || !verifier::checks_enabled()) {
        return;
    }
    const std::uint32_t now = epoch();
    std::vector<std::size_t> counts(wanted.size());
    for_each_live_nbl([&](object_header *h) {
        if (h->route.load(std::memory_order_acquire) != kRouteSending) {
            return;
        }
        auto *nbl = object_after<NET_BUFFER_LIST>(h);
        const void *to = sent_to(nbl).load(std::memory_order_relaxed);
        for (std::size_t i = 0; i < wanted.size(); ++i) {
            const pending_report &p = *wanted[i].first;
            if (p.adapter == to && (p.source == nullptr || p.source == nbl->SourceHandle) &&
                ++counts[i] <= 16) {
                const std::uint32_t at = h->sent_at.load(std::memory_order_relaxed);
                wanted[i].second += fmt::format("{}{} ({} ms)", wanted[i].second.empty() ? "" : ", ",
                                                static_cast<const void *>(nbl),
                                                at == 0 ? 0u : now - at);
            }
        }
    });
    for (std::size_t i = 0; i < wanted.size(); ++i) {
        if (counts[i] != 0) {
            wanted[i].first->text += fmt::format("; NBLs outstanding: {}{}", wanted[i].second,
                                                 counts[i] > 16
                                                     ? fmt::format(", … {} more", counts[i] - 16)
                                                     : std::string());
        }
    }
}

void scan_objects(watchdog_state &s, const limits &lim, std::vector<pending_report> &out)
{
    const clock::time_point now = clock::now();
    for (auto &[k, w] : s.adapters) {
        w.seen = false;
    }
    for (auto &[k, w] : s.bindings) {
        w.seen = false;
    }
    auto &r = registry();
    std::lock_guard<std::recursive_mutex> g(r.lock);
    for (const auto &up : r.adapters) {
        adapter *a = up.get();
        adapter_watch &w = s.adapters[a->if_index];
        w.seen = true;
        // NdisTimedDataHang: sends outstanding and no completion for hang_timeout.
        const std::int64_t out_now = a->sends_outstanding.load(std::memory_order_relaxed);
        const std::uint64_t done = a->completed.load(std::memory_order_relaxed);
        if (out_now <= 0) {
            w.busy = false;
            w.hang_reported = false;
        } else if (!w.busy || done != w.last_completed) {
            w.busy = true;
            w.hang_reported = false;
            w.last_completed = done;
            w.progress = now;
        } else if (!w.hang_reported && now - w.progress >= lim.hang_timeout) {
            w.hang_reported = true;
            out.push_back({failure::watchdog_send_hang, "NdisMSendNetBufferListsComplete", a,
                           fmt::format("adapter '{}' (driver '{}') has {} send(s) outstanding "
                                       "and completed nothing for {} ms (NdisTimedDataHang, "
                                       "0x9200F; limit {} ms)",
                                       a->name, a->driver->name, out_now,
                                       ms_between(w.progress, now), lim.hang_timeout.count())});
        }
        // 0x7C/0x25: a pause, restart, reset or halt that does not finish.
        const slow_op op = current_op(a);
        if (op == slow_op::none || w.op != op) {
            w.op = op;
            w.op_since = now;
            w.op_reported = false;
        } else if (!w.op_reported && now - w.op_since >= lim.operation_timeout) {
            w.op_reported = true;
            const slow_op_text t = describe(op, a);
            out.push_back({failure::watchdog_operation_slow, t.api, a,
                           fmt::format("{} of adapter '{}' (driver '{}') has not finished after "
                                       "{} ms: {} (0x7C/0x25{}; limit {} ms)",
                                       t.name, a->name, a->driver->name,
                                       ms_between(w.op_since, now), t.why, t.subcode,
                                       lim.operation_timeout.count()),
                           a});
        }
    }
    for (const auto &up : r.bindings) {
        binding *b = up.get();
        binding_watch &w = s.bindings[b];
        w.seen = true;
        if (b->state.load(std::memory_order_relaxed) != binding_state::pausing) {
            w.pausing = false;
            w.reported = false;
        } else if (!w.pausing) {
            w.pausing = true;
            w.since = now;
        } else if (!w.reported && now - w.since >= lim.operation_timeout) {
            w.reported = true;
            out.push_back({failure::watchdog_operation_slow, "ProtocolNetPnPEvent(NetEventPause)",
                           b,
                           fmt::format("pause of the binding of protocol '{}' to adapter '{}' "
                                       "(driver '{}') has not finished after {} ms: {} send(s) "
                                       "outstanding (0x7C/0x25 sub-code 0x01; limit {} ms)",
                                       b->protocol->name, b->target->name,
                                       b->target->driver->name, ms_between(w.since, now),
                                       b->sends_outstanding.load(),
                                       lim.operation_timeout.count()),
                           b->target, b->ndis_handle()});
        }
    }
    std::erase_if(s.adapters, [](const auto &e) { return !e.second.seen; });
    std::erase_if(s.bindings, [](const auto &e) { return !e.second.seen; });
}

void scan_oids(watchdog_state &s, const limits &lim, std::vector<pending_report> &out)
{
    const clock::time_point now = clock::now();
    std::lock_guard<std::mutex> g(s.oid_lock);
    for (oid_record &o : s.oids) {
        if (!o.reported && now - o.started >= lim.oid_timeout) {
            o.reported = true;
            out.push_back({failure::watchdog_oid_overdue, "MiniportOidRequest", o.request,
                           fmt::format("adapter '{}' (driver '{}') has not completed OID "
                                       "0x{:08x} (request {}) of protocol '{}' after {} ms "
                                       "(NdisTimedOidComplete, 0x92003; limit {} ms)",
                                       o.adapter, o.driver, static_cast<ULONG>(o.oid),
                                       static_cast<const void *>(o.request), o.protocol,
                                       ms_between(o.started, now), lim.oid_timeout.count())});
        }
    }
}

void thread_main()
{
    watchdog_state &s = state();
    std::unique_lock<std::mutex> g(s.lock);
    while (!s.stopping) {
        s.cv.wait_for(g, s.lim.period);
        if (s.stopping) {
            break;
        }
        g.unlock();
        scan();
        g.lock();
    }
}

} // namespace

bool configure(const limits &l) noexcept
{
    using ms = std::chrono::milliseconds;
    if (l.send_timeout <= ms(0) || l.hang_timeout <= ms(0) || l.oid_timeout <= ms(0) ||
        l.operation_timeout <= ms(0) || l.period <= ms(0)) {
        return false;
    }
    watchdog_state &s = state();
    std::lock_guard<std::mutex> g(s.lock);
    s.lim = l;
    s.cv.notify_all(); // a shorter period takes effect now
    return true;
}

limits current() noexcept
{
    watchdog_state &s = state();
    std::lock_guard<std::mutex> g(s.lock);
    return s.lim;
}

void start()
{
    watchdog_state &s = state();
    std::lock_guard<std::mutex> g(s.lock);
    if (s.users++ != 0) {
        return;
    }
    advance_epoch();
    s.stopping = false;
    g_running.store(true, std::memory_order_release);
    s.thread = std::thread(thread_main);
}

void stop()
{
    watchdog_state &s = state();
    std::thread t;
    {
        std::lock_guard<std::mutex> g(s.lock);
        if (s.users == 0 || --s.users != 0) {
            return;
        }
        s.stopping = true;
        s.cv.notify_all();
        t = std::move(s.thread);
    }
    if (t.joinable()) {
        t.join();
    }
    g_running.store(false, std::memory_order_release);
    {
        std::lock_guard<std::mutex> g(s.scan_lock);
        s.adapters.clear();
        s.bindings.clear();
    }
    std::lock_guard<std::mutex> g(s.oid_lock);
    s.oids.clear();
}

bool running() noexcept
{
    return g_running.load(std::memory_order_acquire);
}

void scan()
{
    watchdog_state &s = state();
    const limits lim = current();
    std::vector<pending_report> out;
    {
        std::lock_guard<std::mutex> g(s.scan_lock);
        advance_epoch();
        scan_sends(lim, out);
        const std::size_t first = out.size();
        scan_objects(s, lim, out);
        name_outstanding(out, first);
        scan_oids(s, lim, out);
    }
    for (pending_report &p : out) {
        verifier::report(p.code, p.api, p.object, "{}", p.text);
    }
}

void oid_started(adapter *a, binding *b, PNDIS_OID_REQUEST request)
{
    if (!running()) {
        return;
    }
    watchdog_state &s = state();
    oid_record o{request, request->DATA.QUERY_INFORMATION.Oid, a->name, a->driver->name,
                 b->protocol->name, clock::now()};
    std::lock_guard<std::mutex> g(s.oid_lock);
    s.oids.push_back(std::move(o));
}

void oid_finished(PNDIS_OID_REQUEST request)
{
    if (!running()) {
        return;
    }
    watchdog_state &s = state();
    std::lock_guard<std::mutex> g(s.oid_lock);
    std::erase_if(s.oids, [request](const oid_record &o) { return o.request == request; });
}

} // namespace ndis::core::watchdog
