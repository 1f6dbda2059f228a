// core/faulty.cpp — the faulty miniport decorator (see faulty.hpp).
//
// Paths of an NBL through a decorated adapter:
//   send ──► inline_fraction hit: completed with SUCCESS inside the send call ────────► runtime
//        ──► fail "before" hit: Status = failure ──► take() ──────────────────────────► …
//        ──► inner MiniportSendNetBufferLists ──► inner NdisMSendNetBufferListsComplete
//              ──► faulty_take_completion ──► take(): fail "after", drop
//                    ──► held (delay / merge): the decorator thread delivers when due
//                    ──► else delivered at once (reorder / split applied)
// Locking: one mutex per decorator guards the PRNG, the held and dropped queues, the pending
// operations and the counters. It is never held across a call into the inner miniport or the
// runtime. Pending pause/restart/reset are completed by the decorator thread only, when due.
#include "core/faulty.hpp"

#include "core/stack.hpp"
#include "kernel/irql.hpp"
#include "verifier/verifier.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <strings.h>
#include <thread>

namespace ndis::core {

using verifier::failure;
using fclock = std::chrono::steady_clock;

namespace {

constexpr std::array<const char *, kFaultStatuses.size()> kStatusNames = {
    "INVALID_LENGTH", "RESOURCES", "FAILURE", "SEND_ABORTED", "RESET_IN_PROGRESS", "PAUSED",
    "LOW_POWER_STATE"};
constexpr std::size_t kDroppedListed = 64;

// xoshiro256** seeded through splitmix64.
class prng {
public:
    explicit prng(std::uint64_t seed) noexcept
    {
        for (auto &w : s_) {
            seed += 0x9E3779B97F4A7C15ULL;
            std::uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
            w = z ^ (z >> 31);
        }
    }
    std::uint64_t next() noexcept
    {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }
    // True with probability p.
    bool chance(double p) noexcept
    {
        return p > 0 && static_cast<double>(next() >> 11) * 0x1.0p-53 < p;
    }
    // Uniform in [0, n] (n small).
    std::uint64_t upto(std::uint64_t n) noexcept { return n == 0 ? 0 : next() % (n + 1); }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
    std::uint64_t s_[4];
};

std::int64_t to_ns(fclock::time_point t) noexcept
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// The decorator keeps a held NBL's due time and batch number in its MiniportReserved (the inner
// miniport has completed it: MS-05, it no longer touches it).
std::int64_t due_of(const NET_BUFFER_LIST *n) noexcept
{
    return static_cast<std::int64_t>(reinterpret_cast<std::intptr_t>(n->MiniportReserved[0]));
}
void set_due(PNET_BUFFER_LIST n, std::int64_t ns) noexcept
{
    n->MiniportReserved[0] = reinterpret_cast<PVOID>(static_cast<std::intptr_t>(ns));
}
std::uint64_t batch_of(const NET_BUFFER_LIST *n) noexcept
{
    return reinterpret_cast<std::uintptr_t>(n->MiniportReserved[1]);
}
void set_batch(PNET_BUFFER_LIST n, std::uint64_t batch) noexcept
{
    n->MiniportReserved[1] = reinterpret_cast<PVOID>(static_cast<std::uintptr_t>(batch));
}

ULONG complete_flags() noexcept
{
    return kernel::at_dispatch() ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL : 0;
}

} // namespace

const char *fault_status_name(std::size_t i) noexcept
{
    return i < kStatusNames.size() ? kStatusNames[i] : nullptr;
}

int fault_status_index(std::string_view name) noexcept
{
    if (name.size() > 12 && strncasecmp(name.data(), "NDIS_STATUS_", 12) == 0) {
        name.remove_prefix(12);
    }
    for (std::size_t i = 0; i < kStatusNames.size(); ++i) {
        if (name.size() == std::strlen(kStatusNames[i]) &&
            strncasecmp(name.data(), kStatusNames[i], name.size()) == 0) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

std::string fault_validate(const fault_config &c)
{
    auto fraction = [](double f) { return f >= 0 && f <= 1; };
    if (!fraction(c.fail_fraction)) {
        return fmt::format("fail_fraction {} is not between 0 and 1", c.fail_fraction);
    }
    if (!fraction(c.inline_fraction)) {
        return fmt::format("inline_fraction {} is not between 0 and 1", c.inline_fraction);
    }
    if (!fraction(c.drop_fraction)) {
        return fmt::format("drop_fraction {} is not between 0 and 1", c.drop_fraction);
    }
    for (NDIS_STATUS s : c.fail_statuses) {
        if (std::find(kFaultStatuses.begin(), kFaultStatuses.end(), s) == kFaultStatuses.end()) {
            return fmt::format("fail_statuses: 0x{:08x} is not a send completion failure status "
                               "(MS-08)",
                               static_cast<ULONG>(s));
        }
    }
    if (c.delay_us_max > 10'000'000) {
        return fmt::format("delay_us_max {} is over 10 s", c.delay_us_max);
    }
    if (c.merge_window_us > 1'000'000) {
        return fmt::format("merge_window_us {} is over 1 s", c.merge_window_us);
    }
    for (auto [v, name] : {std::pair{c.pend_pause_ms, "pend_pause_ms"},
                           std::pair{c.pend_restart_ms, "pend_restart_ms"},
                           std::pair{c.pend_reset_ms, "pend_reset_ms"}}) {
        if (v > 600'000) {
            return fmt::format("{} {} is over 600 s", name, v);
        }
    }
    return {};
}

class faulty_adapter {
public:
    faulty_adapter(adapter *a, const fault_config &c)
        : a_(a), inner_(a->handlers), inner_context_(a->context), cfg_(c), rng_(c.seed)
    {
        if (cfg_.fail_statuses.empty()) {
            cfg_.fail_statuses.assign(kFaultStatuses.begin(), kFaultStatuses.end());
        }
        // fail_fraction of the NBLs the decorator does not complete inline fail: all at send
        // ("before"), all at completion ("after"), or half the fraction at send and the rest
        // of it among those that reach the inner miniport ("mixed").
        const double f = cfg_.fail_fraction;
        switch (cfg_.fail_mode) {
        case fault_fail_mode::before: before_fraction_ = f; break;
        case fault_fail_mode::after: after_fraction_ = f; break;
        case fault_fail_mode::mixed:
            before_fraction_ = f / 2;
            after_fraction_ = f / 2 / (1 - f / 2);
            break;
        }
        NdisInitializeNblQueue(&held_);
        NdisInitializeNblQueue(&dropped_);
        table_ = *inner_;
        // Driver-wide handlers (SetOptions, InitializeEx, Unload) stay the inner driver's.
        table_.HaltHandlerEx = &halt;
        table_.PauseHandler = &pause;
        table_.RestartHandler = &restart;
        table_.OidRequestHandler = &oid;
        table_.SendNetBufferListsHandler = &send;
        table_.ReturnNetBufferListsHandler = &return_nbls;
        table_.CancelSendHandler = inner_->CancelSendHandler != nullptr ? &cancel_send : nullptr;
        table_.CheckForHangHandlerEx =
            inner_->CheckForHangHandlerEx != nullptr ? &check_for_hang : nullptr;
        table_.ResetHandlerEx = inner_->ResetHandlerEx != nullptr ? &reset : nullptr;
        table_.DevicePnPEventNotifyHandler = &pnp;
        table_.ShutdownHandlerEx = &shutdown;
        table_.CancelOidRequestHandler = &cancel_oid;
        table_.DirectOidRequestHandler =
            inner_->DirectOidRequestHandler != nullptr ? &direct_oid : nullptr;
        table_.CancelDirectOidRequestHandler =
            inner_->CancelDirectOidRequestHandler != nullptr ? &cancel_direct_oid : nullptr;
        table_.SynchronousOidRequestHandler =
            inner_->SynchronousOidRequestHandler != nullptr ? &synchronous_oid : nullptr;
    }

    void start()
    {
        a_->decorator = this;
        a_->handlers = &table_;
        a_->context = this;
        worker_ = std::thread([this] { worker_main(); });
    }

    // ---- hooks ----
    void take(PNET_BUFFER_LIST chain, bool from_inner)
    {
        NBL_QUEUE keep;
        NdisInitializeNblQueue(&keep);
        std::vector<PNET_BUFFER_LIST> pieces;
        {
            std::lock_guard<std::mutex> g(lock_);
            for (PNET_BUFFER_LIST n = chain, next; n != nullptr; n = next) {
                next = n->Next;
                n->Next = nullptr;
                if (from_inner && n->Status == NDIS_STATUS_SUCCESS) {
                    fail_draw_locked(n, after_fraction_); // overrides the inner's SUCCESS
                }
                ++seen_;
                if ((cfg_.drop_after != 0 && seen_ == cfg_.drop_after) ||
                    rng_.chance(cfg_.drop_fraction)) {
                    ++stats_.dropped;
                    if (stats_.dropped_nbls.size() < kDroppedListed) {
                        stats_.dropped_nbls.push_back(n);
                    }
                    NdisAppendSingleNblToNblQueue(&dropped_, n);
                    continue;
                }
                NdisAppendSingleNblToNblQueue(&keep, n);
            }
            if (NdisIsNblQueueEmpty(&keep)) {
                return;
            }
            if (cfg_.delay_us_max != 0 || cfg_.merge) {
                const std::int64_t now = to_ns(fclock::now());
                const std::uint64_t batch = ++batches_;
                for (PNET_BUFFER_LIST n = keep.First; n != nullptr; n = n->Next) {
                    std::uint64_t us = rng_.upto(cfg_.delay_us_max);
                    if (cfg_.delay_us_max == 0) {
                        us = cfg_.merge_window_us;
                    }
                    stats_.delayed += us != 0;
                    set_due(n, now + static_cast<std::int64_t>(us) * 1000);
                    set_batch(n, batch);
                    ++held_count_;
                }
                NdisAppendNblQueueToNblQueueFast(&held_, &keep);
                cv_.notify_all();
                return;
            }
            PNET_BUFFER_LIST list = NdisPopAllFromNblQueue(&keep);
            prepare_locked(list, pieces);
            ++delivering_;
        }
        deliver(pieces);
    }

    bool take_pause_complete()
    {
        std::lock_guard<std::mutex> g(lock_);
        if (!pause_.pending) {
            return false;
        }
        pause_.inner_done = true;
        cv_.notify_all();
        return true;
    }

    bool take_restart_complete(NDIS_STATUS status)
    {
        std::lock_guard<std::mutex> g(lock_);
        if (!restart_.pending) {
            return false;
        }
        restart_.inner_done = true;
        restart_.inner_status = status;
        cv_.notify_all();
        return true;
    }

    void stats(fault_stats &out)
    {
        std::lock_guard<std::mutex> g(lock_);
        out = stats_;
    }

    std::size_t release_dropped()
    {
        PNET_BUFFER_LIST list;
        std::size_t n;
        {
            std::lock_guard<std::mutex> g(lock_);
            list = NdisPopAllFromNblQueue(&dropped_);
            n = NdisCountNblChain(list);
            stats_.dropped_nbls.clear();
            stats_.completed += n;
            ++delivering_;
        }
        send_complete_direct(a_, list, complete_flags());
        finish_delivery();
        return n;
    }

private:
    struct operation {
        bool pending = false;
        bool inner_done = false;
        NDIS_STATUS inner_status = NDIS_STATUS_SUCCESS;
        fclock::time_point due{};
        BOOLEAN addressing_reset = FALSE;
    };

    static faulty_adapter *self(NDIS_HANDLE context) noexcept
    {
        return static_cast<faulty_adapter *>(context);
    }

    // Decides whether `n` fails; sets its Status and counts. Lock held.
    bool fail_draw_locked(PNET_BUFFER_LIST n, double fraction)
    {
        if (!rng_.chance(fraction)) {
            return false;
        }
        const NDIS_STATUS s = cfg_.fail_statuses[rng_.upto(cfg_.fail_statuses.size() - 1)];
        n->Status = s;
        const auto i = static_cast<std::size_t>(
            std::find(kFaultStatuses.begin(), kFaultStatuses.end(), s) - kFaultStatuses.begin());
        ++stats_.failed[i];
        return true;
    }

    // Cuts a list of NBLs to deliver into calls: one group per batch (all in one with merge),
    // shuffled with reorder, cut at random with split. Lock held (the PRNG).
    void prepare_locked(PNET_BUFFER_LIST list, std::vector<PNET_BUFFER_LIST> &pieces)
    {
        std::vector<PNET_BUFFER_LIST> all;
        std::vector<std::size_t> group_end; // exclusive ends of groups in `all`
        for (PNET_BUFFER_LIST n = list, next; n != nullptr; n = next) {
            next = n->Next;
            n->Next = nullptr;
            if (!all.empty() && !cfg_.merge && batch_of(n) != batch_of(all.back()) &&
                (cfg_.delay_us_max != 0)) {
                group_end.push_back(all.size());
            }
            all.push_back(n);
        }
        group_end.push_back(all.size());
        if (cfg_.merge && group_end.size() == 1) {
            // Did this call carry NBLs of several inner completions?
            for (std::size_t i = 1; i < all.size(); ++i) {
                if (batch_of(all[i]) != batch_of(all[0])) {
                    ++stats_.merged;
                    break;
                }
            }
        }
        std::size_t begin = 0;
        for (std::size_t end : group_end) {
            if (cfg_.reorder && end - begin > 1) {
                bool moved = false;
                for (std::size_t i = end - 1; i > begin; --i) {
                    const std::size_t j = begin + rng_.upto(i - begin);
                    if (j != i) {
                        std::swap(all[i], all[j]);
                        moved = true;
                    }
                }
                stats_.reordered += moved;
            }
            std::size_t i = begin;
            while (i < end) {
                std::size_t len = end - i;
                if (cfg_.split && len > 1) {
                    len = 1 + rng_.upto(len - 1);
                    if (len < end - i) {
                        ++stats_.split;
                    }
                }
                for (std::size_t k = i; k + 1 < i + len; ++k) {
                    all[k]->Next = all[k + 1];
                }
                all[i + len - 1]->Next = nullptr;
                pieces.push_back(all[i]);
                i += len;
            }
            begin = end;
        }
        stats_.completed += all.size();
    }

    // Hands prepared calls to the runtime (lock not held; delivering_ counted by the caller).
    void deliver(const std::vector<PNET_BUFFER_LIST> &pieces)
    {
        for (PNET_BUFFER_LIST p : pieces) {
            send_complete_direct(a_, p, complete_flags());
        }
        finish_delivery();
    }

    void finish_delivery()
    {
        std::lock_guard<std::mutex> g(lock_);
        --delivering_;
        if (pause_.pending) {
            cv_.notify_all();
        }
    }

    // ---- the decorator thread: held completions when due, pended operations when due ----
    void worker_main()
    {
        std::unique_lock<std::mutex> g(lock_);
        while (!stop_) {
            const fclock::time_point now = fclock::now();
            const std::int64_t now_ns = to_ns(now);
            // Held NBLs that are due, in held order.
            std::int64_t next_due = INT64_MAX;
            NBL_QUEUE due, later;
            NdisInitializeNblQueue(&due);
            NdisInitializeNblQueue(&later);
            for (PNET_BUFFER_LIST n = NdisPopAllFromNblQueue(&held_), next; n != nullptr;
                 n = next) {
                next = n->Next;
                n->Next = nullptr;
                if (due_of(n) <= now_ns) {
                    NdisAppendSingleNblToNblQueue(&due, n);
                    --held_count_;
                } else {
                    next_due = std::min(next_due, due_of(n));
                    NdisAppendSingleNblToNblQueue(&later, n);
                }
            }
            NdisInitializeNblQueue(&held_); // (a queue's Last may point into itself)
            NdisAppendNblQueueToNblQueue(&held_, &later);
            if (!NdisIsNblQueueEmpty(&due)) {
                std::vector<PNET_BUFFER_LIST> pieces;
                prepare_locked(NdisPopAllFromNblQueue(&due), pieces);
                ++delivering_;
                g.unlock();
                {
                    kernel::irql_guard dispatch; // delivered like a DPC would
                    for (PNET_BUFFER_LIST p : pieces) {
                        send_complete_direct(a_, p, complete_flags());
                    }
                }
                g.lock();
                --delivering_;
                continue;
            }
            // Pended operations whose time has come.
            fclock::time_point wake = next_due == INT64_MAX
                                          ? now + std::chrono::hours(1)
                                          : now + std::chrono::nanoseconds(next_due - now_ns);
            if (pause_.pending && pause_.inner_done && held_count_ == 0 && delivering_ == 0) {
                if (now >= pause_.due) {
                    pause_.pending = false;
                    g.unlock();
                    pause_complete(a_); // not pending in the decorator now: goes to the runtime
                    g.lock();
                    continue;
                }
                wake = std::min(wake, pause_.due);
            }
            if (restart_.pending && restart_.inner_done) {
                if (now >= restart_.due) {
                    restart_.pending = false;
                    const NDIS_STATUS s = restart_.inner_status;
                    g.unlock();
                    restart_complete(a_, s);
                    g.lock();
                    continue;
                }
                wake = std::min(wake, restart_.due);
            }
            if (reset_.pending) {
                if (now >= reset_.due) {
                    reset_.pending = false;
                    const NDIS_STATUS s = reset_.inner_status;
                    const BOOLEAN addressing = reset_.addressing_reset;
                    g.unlock();
                    NdisMResetComplete(a_->ndis_handle(), s, addressing);
                    g.lock();
                    continue;
                }
                wake = std::min(wake, reset_.due);
            }
            cv_.wait_until(g, wake);
        }
    }

    void stop_worker()
    {
        {
            std::lock_guard<std::mutex> g(lock_);
            stop_ = true;
            cv_.notify_all();
        }
        if (worker_.joinable()) {
            worker_.join();
        }
    }

    // ---- the handler table ----
    static void send(NDIS_HANDLE context, PNET_BUFFER_LIST chain, NDIS_PORT_NUMBER port,
                     ULONG flags)
    {
        faulty_adapter *f = self(context);
        NBL_QUEUE to_inner, failed, inlined;
        NdisInitializeNblQueue(&to_inner);
        NdisInitializeNblQueue(&failed);
        NdisInitializeNblQueue(&inlined);
        std::size_t inlined_count = 0;
        {
            std::lock_guard<std::mutex> g(f->lock_);
            for (PNET_BUFFER_LIST n = chain, next; n != nullptr; n = next) {
                next = n->Next;
                n->Next = nullptr;
                ++f->stats_.sent;
                if (f->rng_.chance(f->cfg_.inline_fraction)) {
                    n->Status = NDIS_STATUS_SUCCESS;
                    NdisAppendSingleNblToNblQueue(&inlined, n);
                    ++inlined_count;
                    continue;
                }
                if (f->fail_draw_locked(n, f->before_fraction_)) {
                    NdisAppendSingleNblToNblQueue(&failed, n);
                    continue;
                }
                NdisAppendSingleNblToNblQueue(&to_inner, n);
            }
            f->stats_.inlined += inlined_count;
            f->stats_.completed += inlined_count;
            if (inlined_count != 0) {
                ++f->delivering_;
            }
        }
        if (inlined_count != 0) {
            // PS-15: completed inside the send call.
            send_complete_direct(f->a_, NdisPopAllFromNblQueue(&inlined), complete_flags());
            f->finish_delivery();
        }
        if (!NdisIsNblQueueEmpty(&failed)) {
            f->take(NdisPopAllFromNblQueue(&failed), false);
        }
        if (!NdisIsNblQueueEmpty(&to_inner)) {
            f->inner_->SendNetBufferListsHandler(f->inner_context_,
                                                 NdisPopAllFromNblQueue(&to_inner), port, flags);
        }
    }

    static void return_nbls(NDIS_HANDLE context, PNET_BUFFER_LIST chain, ULONG flags)
    {
        faulty_adapter *f = self(context);
        f->inner_->ReturnNetBufferListsHandler(f->inner_context_, chain, flags);
    }

    static NDIS_STATUS pause(NDIS_HANDLE context, PNDIS_MINIPORT_PAUSE_PARAMETERS params)
    {
        faulty_adapter *f = self(context);
        {
            std::lock_guard<std::mutex> g(f->lock_);
            f->pause_ = operation{};
            f->pause_.pending = true; // before the call: the inner may complete at once
        }
        const NDIS_STATUS s = f->inner_->PauseHandler(f->inner_context_, params);
        std::lock_guard<std::mutex> g(f->lock_);
        if (s != NDIS_STATUS_PENDING) {
            f->pause_.inner_done = true;
        }
        f->pause_.due = fclock::now() + std::chrono::milliseconds(f->cfg_.pend_pause_ms);
        if (f->cfg_.pend_pause_ms == 0 && f->pause_.inner_done && f->held_count_ == 0 &&
            f->delivering_ == 0) {
            f->pause_.pending = false;
            return NDIS_STATUS_SUCCESS;
        }
        ++f->stats_.pended_pauses;
        f->cv_.notify_all();
        return NDIS_STATUS_PENDING; // ST-05: completed when the inner is done and nothing held
    }

    static NDIS_STATUS restart(NDIS_HANDLE context, PNDIS_MINIPORT_RESTART_PARAMETERS params)
    {
        faulty_adapter *f = self(context);
        {
            std::lock_guard<std::mutex> g(f->lock_);
            f->restart_ = operation{};
            f->restart_.pending = true;
        }
        const NDIS_STATUS s = f->inner_->RestartHandler(f->inner_context_, params);
        std::lock_guard<std::mutex> g(f->lock_);
        if (s != NDIS_STATUS_PENDING) {
            f->restart_.inner_done = true;
            f->restart_.inner_status = s;
        }
        f->restart_.due = fclock::now() + std::chrono::milliseconds(f->cfg_.pend_restart_ms);
        if (f->cfg_.pend_restart_ms == 0 && f->restart_.inner_done) {
            f->restart_.pending = false;
            return s;
        }
        ++f->stats_.pended_restarts;
        f->cv_.notify_all();
        return NDIS_STATUS_PENDING;
    }

    static NDIS_STATUS reset(NDIS_HANDLE context, PBOOLEAN addressing_reset)
    {
        // The runtime has no hook on NdisMResetComplete: a reset the inner miniport pends is
        // passed through; one it finishes at once is pended here when pend_reset_ms asks.
        faulty_adapter *f = self(context);
        const NDIS_STATUS s = f->inner_->ResetHandlerEx(f->inner_context_, addressing_reset);
        if (s == NDIS_STATUS_PENDING || f->cfg_.pend_reset_ms == 0) {
            return s;
        }
        std::lock_guard<std::mutex> g(f->lock_);
        f->reset_ = operation{};
        f->reset_.pending = true;
        f->reset_.inner_done = true;
        f->reset_.inner_status = s;
        f->reset_.addressing_reset = addressing_reset != nullptr ? *addressing_reset : FALSE;
        f->reset_.due = fclock::now() + std::chrono::milliseconds(f->cfg_.pend_reset_ms);
        ++f->stats_.pended_resets;
        f->cv_.notify_all();
        return NDIS_STATUS_PENDING;
    }

    static void halt(NDIS_HANDLE context, NDIS_HALT_ACTION action)
    {
        faulty_adapter *f = self(context);
        f->stop_worker();
        f->inner_->HaltHandlerEx(f->inner_context_, action);
        if (f->held_count_ != 0) {
            verifier::report(failure::faulty_held_at_halt, "MiniportHaltEx", f->a_,
                             "the faulty decorator of adapter '{}' still holds {} completed "
                             "NBL(s) at halt; they are delivered now",
                             f->a_->name, f->held_count_);
            send_complete_direct(f->a_, NdisPopAllFromNblQueue(&f->held_), complete_flags());
        }
        // Dropped NBLs stay lost on purpose: the teardown report shows them.
        adapter *a = f->a_;
        a->handlers = f->inner_;
        a->context = f->inner_context_;
        a->decorator = nullptr;
        delete f;
    }

    static NDIS_STATUS oid(NDIS_HANDLE context, PNDIS_OID_REQUEST request)
    {
        faulty_adapter *f = self(context);
        return f->inner_->OidRequestHandler(f->inner_context_, request);
    }
    static void cancel_oid(NDIS_HANDLE context, PVOID request_id)
    {
        faulty_adapter *f = self(context);
        f->inner_->CancelOidRequestHandler(f->inner_context_, request_id);
    }
    static NDIS_STATUS direct_oid(NDIS_HANDLE context, PNDIS_OID_REQUEST request)
    {
        faulty_adapter *f = self(context);
        return f->inner_->DirectOidRequestHandler(f->inner_context_, request);
    }
    static void cancel_direct_oid(NDIS_HANDLE context, PVOID request_id)
    {
        faulty_adapter *f = self(context);
        f->inner_->CancelDirectOidRequestHandler(f->inner_context_, request_id);
    }
    static NDIS_STATUS synchronous_oid(NDIS_HANDLE context, PNDIS_OID_REQUEST request)
    {
        faulty_adapter *f = self(context);
        return f->inner_->SynchronousOidRequestHandler(f->inner_context_, request);
    }
    static void cancel_send(NDIS_HANDLE context, PVOID cancel_id)
    {
        faulty_adapter *f = self(context);
        f->inner_->CancelSendHandler(f->inner_context_, cancel_id);
    }
    static BOOLEAN check_for_hang(NDIS_HANDLE context)
    {
        faulty_adapter *f = self(context);
        return f->inner_->CheckForHangHandlerEx(f->inner_context_);
    }
    static void pnp(NDIS_HANDLE context, PNET_DEVICE_PNP_EVENT event)
    {
        faulty_adapter *f = self(context);
        f->inner_->DevicePnPEventNotifyHandler(f->inner_context_, event);
    }
    static void shutdown(NDIS_HANDLE context, NDIS_SHUTDOWN_ACTION action)
    {
        faulty_adapter *f = self(context);
        f->inner_->ShutdownHandlerEx(f->inner_context_, action);
    }

    adapter *const a_;
    const NDIS_MINIPORT_DRIVER_CHARACTERISTICS *const inner_;
    const NDIS_HANDLE inner_context_;
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS table_{};
    fault_config cfg_;
    double before_fraction_ = 0, after_fraction_ = 0;

    std::mutex lock_;
    std::condition_variable cv_;
    prng rng_;
    NBL_QUEUE held_{};
    std::size_t held_count_ = 0;
    std::uint64_t batches_ = 0;
    std::size_t delivering_ = 0; // delivery calls in progress (a pause waits for them)
    NBL_QUEUE dropped_{};
    std::uint64_t seen_ = 0; // NBLs completed through take() (drop_after counts them)
    operation pause_, restart_, reset_;
    fault_stats stats_;
    bool stop_ = false;
    std::thread worker_;
};

bool faulty_attach(adapter *a, const fault_config &c, std::string *error)
{
    auto fail = [error](std::string e) {
        if (error != nullptr) {
            *error = std::move(e);
        }
        return false;
    };
    if (std::string e = fault_validate(c); !e.empty()) {
        return fail(std::move(e));
    }
    if (a->decorator != nullptr) {
        return fail(fmt::format("adapter '{}' already has a faulty decorator", a->name));
    }
    if (a->state.load() != adapter_state::paused) {
        return fail(fmt::format("adapter '{}' is {}: the faulty decorator is attached to a "
                                "Paused adapter (right after MiniportInitializeEx)",
                                a->name, to_string(a->state.load())));
    }
    auto *f = new faulty_adapter(a, c);
    f->start();
    return true;
}

bool faulty_attached(const adapter *a) noexcept
{
    return a->decorator != nullptr;
}

bool faulty_stats(const adapter *a, fault_stats &out)
{
    if (a->decorator == nullptr) {
        return false;
    }
    a->decorator->stats(out);
    return true;
}

std::size_t faulty_release_dropped(adapter *a)
{
    return a->decorator != nullptr ? a->decorator->release_dropped() : 0;
}

void faulty_take_completion(adapter *a, PNET_BUFFER_LIST chain, ULONG)
{
    a->decorator->take(chain, true);
}

bool faulty_take_pause_complete(adapter *a)
{
    return a->decorator->take_pause_complete();
}

bool faulty_take_restart_complete(adapter *a, NDIS_STATUS status)
{
    return a->decorator->take_restart_complete(status);
}

} // namespace ndis::core
