// core/reset_power.cpp — reset, check-for-hang, power, shutdown, and the OIDs and status
// indications the runtime makes itself (SPEC ST-14 … ST-19, ST-23).
//
// Reset (ST-14 … ST-17). Only the runtime starts a reset (protocols cannot in NDIS 6): from the
// host's control API or when MiniportCheckForHangEx answers TRUE. The runtime indicates
// NDIS_STATUS_RESET_START to every open binding, calls MiniportResetEx at DISPATCH_LEVEL, waits
// for NdisMResetComplete when it pended, replays the packet filter (and multicast list) by OID
// after an addressing reset, and indicates NDIS_STATUS_RESET_END with the reset's status. A
// reset does not change the adapter state and may overlap a pause (ST-14). While it runs, new
// sends are completed by the runtime with NDIS_STATUS_RESET_IN_PROGRESS, so "every send pending
// at the reset" is a set that only shrinks: a miniport of NDIS 6.30 or later must have completed
// all of them before the reset completes (ST-16, checked with a short grace period for sends
// that raced the start), an older one may hold them across the reset.
//
// Check-for-hang (ST-18). A runtime timer per adapter with a CheckForHangHandlerEx, every
// CheckForHangTimeInSeconds (2 s by default, or the process-wide override tests use); the
// handler runs at DISPATCH_LEVEL and a TRUE answer queues a reset on a worker thread (a reset
// waits, a timer callback may not). Skipped while a reset runs or the adapter is not between
// Paused and Pausing.
//
// Power (ST-19). adapter_set_power sends OID_PNP_SET_POWER; what a powered-down miniport does
// with sends (complete them NDIS_STATUS_LOW_POWER_STATE) is the miniport's part. The host's
// power cycle pauses the stack first, as NDIS 6 does.
#include "core/loopback.hpp"
#include "core/stack.hpp"

#include "kernel/dispatcher.hpp"
#include "kernel/timer.hpp"
#include "verifier/verifier.hpp"

#include <fmt/format.h>

#include <array>
#include <cstring>
#include <thread>
#include <vector>

namespace ndis::core {

using verifier::failure;

namespace {

constexpr ULONG kRuntimeTimerTag = 0x6B684E52; // "RNhk"
constexpr ULONG_PTR kRuntimeOidMarker = 0x4F696452; // "RdiO" (oid_slot::runtime_marker)

std::atomic<std::int64_t> g_cfh_interval_ms{0};

// A runtime OID in flight: the request and its completion.
struct runtime_request {
    NDIS_OID_REQUEST request{};
    completion done;
};

std::string who(const adapter *a)
{
    return "adapter '" + a->name + "' (miniport '" + a->driver->name + "')";
}

bool legal_for_reset(adapter_state s) noexcept
{
    return s == adapter_state::paused || s == adapter_state::restarting ||
           s == adapter_state::running || s == adapter_state::pausing;
}

bool allowed_reset_status(NDIS_STATUS s) noexcept
{
    return s == NDIS_STATUS_SUCCESS || s == NDIS_STATUS_PENDING ||
           s == NDIS_STATUS_RESET_IN_PROGRESS || s == NDIS_STATUS_SOFT_ERRORS ||
           s == NDIS_STATUS_HARD_ERRORS;
}

// The filter and multicast list NDIS hands the miniport again after an addressing reset: the
// merge of what the open bindings asked for (as core/loopback.cpp computes it for their OIDs),
// without the bits NDIS keeps for itself.
void replay_addressing(adapter *a)
{
    ULONG filter = 0;
    std::vector<UCHAR> list;
    {
        std::shared_lock<std::shared_mutex> g(a->bindings_lock);
        for (binding *b : a->bindings) {
            filter |= b->packet_filter.load(std::memory_order_relaxed);
            std::array<UCHAR, kMaxBindingMulticast * kMacLength> macs{};
            const std::size_t n = b->filter.multicast.snapshot(macs.data(), kMaxBindingMulticast);
            for (std::size_t i = 0; i < n; ++i) {
                const UCHAR *mac = macs.data() + i * kMacLength;
                bool seen = false;
                for (std::size_t j = 0; j < list.size() && !seen; j += kMacLength) {
                    seen = std::memcmp(list.data() + j, mac, kMacLength) == 0;
                }
                if (!seen && list.size() / kMacLength < a->max_multicast) {
                    list.insert(list.end(), mac, mac + kMacLength);
                }
            }
        }
    }
    filter &= ~kNdisOnlyFilterBits;
    runtime_oid(a, NdisRequestSetInformation, OID_GEN_CURRENT_PACKET_FILTER, &filter,
                sizeof filter);
    if (!list.empty()) {
        runtime_oid(a, NdisRequestSetInformation, OID_802_3_MULTICAST_LIST, list.data(),
                    static_cast<ULONG>(list.size()));
    }
}

void check_for_hang_tick(PVOID system1, PVOID context, PVOID system2, PVOID system3);

} // namespace

// ================================ runtime OIDs and status =========================================

NDIS_STATUS runtime_oid(adapter *a, NDIS_REQUEST_TYPE type, NDIS_OID oid, void *buffer,
                        ULONG length)
{
    auto r = std::make_unique<runtime_request>();
    NDIS_OID_REQUEST &q = r->request;
    q.Header.Type = NDIS_OBJECT_TYPE_OID_REQUEST;
    q.Header.Revision = NDIS_OID_REQUEST_REVISION_1;
    q.Header.Size = NDIS_SIZEOF_OID_REQUEST_REVISION_1;
    q.RequestType = type;
    q.PortNumber = NDIS_DEFAULT_PORT_NUMBER;
    q.Timeout = 0;
    q.RequestId = r.get();
    if (type == NdisRequestSetInformation) {
        q.DATA.SET_INFORMATION.Oid = oid;
        q.DATA.SET_INFORMATION.InformationBuffer = buffer;
        q.DATA.SET_INFORMATION.InformationBufferLength = length;
    } else {
        q.DATA.QUERY_INFORMATION.Oid = oid;
        q.DATA.QUERY_INFORMATION.InformationBuffer = buffer;
        q.DATA.QUERY_INFORMATION.InformationBufferLength = length;
    }
    PVOID *slots = oid_reserved(&q);
    slots[oid_slot::binding] = nullptr; // the runtime's own
    slots[oid_slot::runtime_marker] = reinterpret_cast<PVOID>(kRuntimeOidMarker);
    slots[oid_slot::runtime_request] = r.get();
    NDIS_STATUS status;
    {
        kernel::driver_scope scope(a->driver->identity);
        status = a->handlers->OidRequestHandler(a->context, &q);
    }
    if (status == NDIS_STATUS_PENDING &&
        !wait_for(r->done, &status, "MiniportOidRequest",
                  fmt::format("{} (OID 0x{:08x} from the runtime)", who(a), oid), a)) {
        // The request stays valid for a late completion: it is leaked on purpose.
        (void)r.release();
        return NDIS_STATUS_FAILURE;
    }
    return status;
}

bool runtime_oid_complete(adapter *a, PNDIS_OID_REQUEST request, NDIS_STATUS status)
{
    if (request == nullptr) {
        return false;
    }
    PVOID *slots = oid_reserved(request);
    if (slots[oid_slot::runtime_marker] != reinterpret_cast<PVOID>(kRuntimeOidMarker)) {
        return false;
    }
    (void)a;
    auto *r = static_cast<runtime_request *>(slots[oid_slot::runtime_request]);
    slots[oid_slot::runtime_marker] = nullptr; // a second completion is not a runtime one any more
    r->done.complete(status);
    return true;
}

void indicate_runtime_status(adapter *a, NDIS_STATUS code, void *buffer, ULONG length)
{
    NDIS_STATUS_INDICATION si{};
    si.Header.Type = NDIS_OBJECT_TYPE_STATUS_INDICATION;
    si.Header.Revision = NDIS_STATUS_INDICATION_REVISION_1;
    si.Header.Size = NDIS_SIZEOF_STATUS_INDICATION_REVISION_1;
    si.SourceHandle = a->ndis_handle();
    si.PortNumber = NDIS_DEFAULT_PORT_NUMBER;
    si.StatusCode = code;
    si.StatusBuffer = buffer;
    si.StatusBufferSize = length;
    indicate_status(a, &si);
}

// ================================ reset ==========================================================

NDIS_STATUS adapter_reset(adapter *a)
{
    constexpr const char *api = "MiniportResetEx";
    if (a->handlers->ResetHandlerEx == nullptr) {
        return NDIS_STATUS_NOT_SUPPORTED;
    }
    std::unique_lock<std::mutex> one(a->reset_lock, std::try_to_lock);
    if (!one.owns_lock()) {
        return NDIS_STATUS_RESET_IN_PROGRESS; // one at a time; the running one covers this
    }
    const adapter_state st = a->state.load();
    if (!legal_for_reset(st)) {
        verifier::report(failure::state_transition_illegal, api, a,
                         "{} cannot be reset while {}", who(a), to_string(st));
        return NDIS_STATUS_INVALID_STATE;
    }
    a->resetting.store(true, std::memory_order_seq_cst);
    indicate_runtime_status(a, NDIS_STATUS_RESET_START, nullptr, 0);
    a->reset_done.reset();
    a->reset_addressing.store(FALSE);
    a->reset_pending.store(true);
    BOOLEAN addressing = FALSE;
    NDIS_STATUS status;
    {
        kernel::irql_guard dispatch; // MiniportResetEx runs at DISPATCH_LEVEL (ST-15)
        kernel::driver_scope scope(a->driver->identity);
        status = a->handlers->ResetHandlerEx(a->context, &addressing);
    }
    if (!allowed_reset_status(status)) {
        verifier::report(failure::reset_return_bad, api, a,
                         "{}: MiniportResetEx returned 0x{:08x}; allowed are SUCCESS, PENDING, "
                         "RESET_IN_PROGRESS, SOFT_ERRORS, HARD_ERRORS",
                         who(a), static_cast<ULONG>(status));
    }
    if (status == NDIS_STATUS_PENDING) {
        if (!wait_for(a->reset_done, &status, api, who(a) + " (NdisMResetComplete)", a)) {
            a->reset_pending.store(false);
            status = NDIS_STATUS_FAILURE;
        }
        addressing = a->reset_addressing.load();
    } else {
        a->reset_pending.store(false);
    }
    // ST-16: from NDIS 6.30 every send pending at the reset is back before it completes. New
    // sends are refused while `resetting`, so the outstanding count only shrinks; a send that
    // was between the runtime's check and the miniport when the reset began may still be on its
    // way in, so the count is given control_timeout() to reach zero before a miniport is blamed.
    const auto &c = a->driver->chars;
    if ((c.MajorNdisVersion > 6 || (c.MajorNdisVersion == 6 && c.MinorNdisVersion >= 30)) &&
        !wait_zero(a->sends_outstanding, control_timeout())) {
        verifier::report(failure::reset_left_sends, api, a,
                         "{} (NDIS 6.{}) completed a reset still holding {} send(s) after {} ms; "
                         "from NDIS 6.30 they come back (RESET_IN_PROGRESS) first",
                         who(a), c.MinorNdisVersion, a->sends_outstanding.load(),
                         control_timeout().count());
    }
    if (status == NDIS_STATUS_SUCCESS && addressing) {
        replay_addressing(a);
    }
    a->resets.fetch_add(1, std::memory_order_relaxed);
    a->resetting.store(false, std::memory_order_seq_cst);
    indicate_runtime_status(a, NDIS_STATUS_RESET_END, &status, sizeof status);
    return status;
}

void reset_complete(adapter *a, NDIS_STATUS status, BOOLEAN addressing_reset)
{
    if (!a->reset_pending.exchange(false)) {
        verifier::report(failure::reset_complete_unexpected, "NdisMResetComplete", a,
                         "{} completes a reset that is not pending (0x7C/0x0F)", who(a));
        return;
    }
    a->reset_addressing.store(addressing_reset);
    a->reset_done.complete(status);
}

// ================================ check-for-hang =================================================

void set_check_for_hang_interval(std::chrono::milliseconds interval) noexcept
{
    g_cfh_interval_ms.store(interval.count(), std::memory_order_relaxed);
}

namespace {

void check_for_hang_tick(PVOID, PVOID context, PVOID, PVOID)
{
    auto *a = static_cast<adapter *>(context);
    if (a->resetting.load() || !legal_for_reset(a->state.load())) {
        return;
    }
    BOOLEAN hung;
    {
        kernel::driver_scope scope(a->driver->identity);
        hung = a->handlers->CheckForHangHandlerEx(a->context);
    }
    if (!hung) {
        return;
    }
    a->hangs.fetch_add(1, std::memory_order_relaxed);
    // ST-18: a hang triggers a reset, which waits — so on a worker thread. The adapter cannot be
    // halted before it has finished (deferred_in_flight, check_for_hang_stop).
    a->deferred_in_flight.fetch_add(1);
    if (!run_on_worker([a] {
            adapter_reset(a);
            a->deferred_in_flight.fetch_sub(1);
        })) {
        a->deferred_in_flight.fetch_sub(1);
    }
}

} // namespace

void check_for_hang_start(adapter *a)
{
    if (a->handlers->CheckForHangHandlerEx == nullptr || a->check_for_hang_timer != nullptr) {
        return;
    }
    std::int64_t ms = g_cfh_interval_ms.load(std::memory_order_relaxed);
    if (ms <= 0) {
        ms = 1000LL * (a->check_for_hang_seconds != 0 ? a->check_for_hang_seconds : 2);
    }
    NDIS_TIMER_CHARACTERISTICS tc{};
    tc.Header.Type = NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS;
    tc.Header.Revision = NDIS_TIMER_CHARACTERISTICS_REVISION_1;
    tc.Header.Size = NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1;
    tc.AllocationTag = kRuntimeTimerTag;
    tc.TimerFunction = check_for_hang_tick;
    tc.FunctionContext = a;
    kernel::driver_scope runtime(nullptr);
    NDIS_HANDLE timer = nullptr;
    if (kernel::timer_allocate(nullptr, &tc, &timer) != NDIS_STATUS_SUCCESS) {
        return;
    }
    a->check_for_hang_timer = timer;
    kernel::timer_set(timer, -ms * 10000, static_cast<LONG>(ms), a, "check-for-hang");
}

void check_for_hang_stop(adapter *a)
{
    if (a->check_for_hang_timer == nullptr) {
        return;
    }
    kernel::timer_cancel(a->check_for_hang_timer);
    kernel::timer_free(a->check_for_hang_timer); // waits for a running callback
    kernel::dpc_flush();
    a->check_for_hang_timer = nullptr;
    // Resets a hang started are finished before the adapter can go (each is bounded by the
    // control timeouts it waits with).
    while (!wait_zero(a->deferred_in_flight, control_timeout())) {
    }
}

// ================================ power and shutdown =============================================

NDIS_STATUS adapter_set_power(adapter *a, NDIS_DEVICE_POWER_STATE state)
{
    constexpr const char *api = "OID_PNP_SET_POWER";
    std::lock_guard<std::recursive_mutex> g(a->control_lock);
    const adapter_state st = a->state.load();
    if (st == adapter_state::pausing || st == adapter_state::restarting ||
        st == adapter_state::halted || st == adapter_state::initializing ||
        st == adapter_state::shutdown) {
        verifier::report(failure::state_transition_illegal, api, a,
                         "{}: no power request while {} (ST-07)", who(a), to_string(st));
        return NDIS_STATUS_INVALID_STATE;
    }
    NDIS_DEVICE_POWER_STATE value = state;
    const NDIS_STATUS status =
        runtime_oid(a, NdisRequestSetInformation, OID_PNP_SET_POWER, &value, sizeof value);
    if (status == NDIS_STATUS_SUCCESS) {
        a->power.store(state);
    }
    return status;
}

NDIS_STATUS adapter_shutdown(adapter *a, NDIS_SHUTDOWN_ACTION action)
{
    constexpr const char *api = "MiniportShutdownEx";
    std::lock_guard<std::recursive_mutex> g(a->control_lock);
    const adapter_state st = a->state.load();
    if (!legal_for_reset(st)) { // ST-23: Paused, Restarting, Running, Pausing
        verifier::report(failure::state_transition_illegal, api, a,
                         "{} cannot shut down from {} (ST-23)", who(a), to_string(st));
        return NDIS_STATUS_INVALID_STATE;
    }
    a->state.store(adapter_state::shutdown); // sends complete with PAUSED from now on
    kernel::driver_scope scope(a->driver->identity);
    a->handlers->ShutdownHandlerEx(a->context, action);
    return NDIS_STATUS_SUCCESS;
}

} // namespace ndis::core
