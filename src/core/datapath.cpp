// core/datapath.cpp — send, send completion, receive indication, return, OIDs, status.
//
// Send (PS-07 … PS-15): the chain goes to the binding's adapter in one call, in the order
// given (PS-10), with the port number and flags passed through (PS-18, PORT-07). Accounting
// happens before the state check, so a pause that starts concurrently either sees this send
// counted (and waits for it) or the send sees the pause (and is completed by the runtime with
// NDIS_STATUS_PAUSED, ST-04). The runtime's own completions may happen inside the send call
// (PS-15): no runtime lock is held across any call into a driver.
//
// Completion (PS-13, PS-14, MS-07, MS-11): one ordered pass over the chain cuts it into runs of
// consecutive NBLs with the same SourceHandle (nblqueue.h); each run goes to its binding's
// ProtocolSendNetBufferListsComplete. Completions of several sends may be merged or split in
// any way by the miniport; the runtime never reorders within a run.
//
// Receive (PS-23, MS-18 … MS-20): every running binding of the adapter sees the NBLs of the
// indication its packet filter accepts (LB-05, core/loopback.hpp). With
// NDIS_RECEIVE_FLAGS_RESOURCES each binding gets its part of the same chain in turn and must
// leave it intact. Without it, ownership passes to the protocols: the first binding that
// accepts an NBL gets the miniport's NBL and every further one gets a clone (same data, same
// MDLs), all made before anyone is called, so no protocol can relink or return an NBL another
// one is still reading; an NBL nobody accepts goes straight back to the miniport. Each
// indicated NBL carries a count of bindings still holding it (in NdisReserved[0], which belongs
// to NDIS); when the last one returns it, it goes back in MiniportReturnNetBufferLists.
//
// IRQL (IRQL-02 … IRQL-04): the *_DISPATCH_LEVEL flags the runtime passes tell the truth about
// the emulated IRQL of the calling thread; a caller's flag that claims DISPATCH below it is
// reported.
#include "core/faulty.hpp"
#include "core/loopback.hpp"
#include "core/nb_geometry.hpp"
#include "core/nbl_derive.hpp"
#include "core/object.hpp"
#include "core/stack.hpp"
#include "core/watchdog.hpp"
#include "kernel/irql.hpp"
#include "verifier/verifier.hpp"

#include <ndis.h>

#include <array>
#include <bit>

namespace ndis::core {

using verifier::failure;

namespace {

constexpr std::size_t kMaxReceiveBindings = 64;
constexpr ULONG_PTR kReceiveCloneMarker = 0x52636C6E; // "Rcln" in NdisReserved[1] of a clone

bool checks() noexcept
{
    return verifier::checks_enabled();
}

// Reports a *_DISPATCH_LEVEL flag that claims DISPATCH while the caller is below it (IRQL-02).
void check_dispatch_flag(const char *api, ULONG flags, ULONG dispatch_flag) noexcept
{
    if ((flags & dispatch_flag) != 0 && !kernel::at_dispatch()) [[unlikely]] {
        verifier::report(failure::irql_flag_mismatch, api, nullptr,
                         "flags 0x{:x} claim DISPATCH_LEVEL but the caller runs at IRQL {}",
                         flags, static_cast<int>(kernel::current_irql()));
    }
}

ULONG truthful(ULONG flags, ULONG dispatch_flag) noexcept
{
    return kernel::at_dispatch() ? (flags | dispatch_flag) : (flags & ~dispatch_flag);
}

bool allowed_send_status(NDIS_STATUS s) noexcept
{
    switch (s) {
    case NDIS_STATUS_SUCCESS:
    case NDIS_STATUS_INVALID_LENGTH:
    case NDIS_STATUS_RESOURCES:
    case NDIS_STATUS_PAUSED:
    case NDIS_STATUS_SEND_ABORTED:
    case NDIS_STATUS_RESET_IN_PROGRESS:
    case NDIS_STATUS_FAILURE:
    case NDIS_STATUS_LOW_POWER_STATE:
    case NDIS_STATUS_REQUEST_ABORTED: // §16 point 2: accepted as a reset completion
        return true;
    default:
        return false;
    }
}

// Calls a protocol's send-complete handler for one run of a binding's NBLs.
// `counted`: the NBLs were counted as sent on the binding (they reached the miniport), so they
// count as completed too; the runtime's own completions (PAUSED …) count in neither.
void deliver_send_complete(binding *b, PNET_BUFFER_LIST run, std::size_t count, bool counted)
{
    if (counted) {
        b->completed.fetch_add(count, std::memory_order_relaxed);
    }
    kernel::driver_scope scope(b->protocol->identity);
    b->protocol->chars.SendNetBufferListsCompleteHandler(
        b->context, run, truthful(0, NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL));
}

// Splits a chain into runs by SourceHandle and completes each to its binding. `counted`: the
// NBLs were counted as outstanding on their bindings (a send that reached the miniport).
void complete_runs(PNET_BUFFER_LIST chain, bool counted, const char *api)
{
    ndis::for_each_run_by_source_handle(chain, [&](NDIS_HANDLE source, PNET_BUFFER_LIST run,
                                                   SIZE_T count) {
        binding *b = binding::from_handle(source);
        if (b == nullptr) [[unlikely]] {
            verifier::report(failure::completion_source_unknown, api, run,
                             "{} completed NBL(s) starting at {} carry SourceHandle {}, which is "
                             "no binding: they cannot be returned to an originator",
                             count, static_cast<const void *>(run), source);
            return;
        }
        deliver_send_complete(b, run, count, counted);
        if (counted) {
            b->sends_outstanding.fetch_sub(static_cast<std::int64_t>(count),
                                           std::memory_order_acq_rel);
        }
    });
}

// Hands a chain back to its miniport (MiniportReturnNetBufferLists).
void deliver_return(adapter *a, PNET_BUFFER_LIST chain, std::size_t count)
{
    {
        kernel::driver_scope scope(a->driver->identity);
        a->handlers->ReturnNetBufferListsHandler(a->context, chain,
                                                     truthful(0, NDIS_RETURN_FLAGS_DISPATCH_LEVEL));
    }
    a->returned.fetch_add(count, std::memory_order_relaxed);
}

// How many bindings still hold an indicated NBL, kept in its NdisReserved[0] (NDIS's field).
// The slot is a PVOID, so it is accessed as one (atomic_ref<PVOID>), holding a small integer.
std::atomic_ref<PVOID> holders_slot(PNET_BUFFER_LIST nbl) noexcept
{
    return std::atomic_ref<PVOID>(nbl->NdisReserved[0]);
}
void holders_set(PNET_BUFFER_LIST nbl, ULONG_PTR n) noexcept
{
    holders_slot(nbl).store(reinterpret_cast<PVOID>(n), std::memory_order_relaxed);
}
// Drops one holder; true when it was the last.
bool holders_release(PNET_BUFFER_LIST nbl) noexcept
{
    auto slot = holders_slot(nbl);
    PVOID v = slot.load(std::memory_order_acquire);
    while (!slot.compare_exchange_weak(v, reinterpret_cast<PVOID>(reinterpret_cast<ULONG_PTR>(v) - 1),
                                       std::memory_order_acq_rel)) {
    }
    return reinterpret_cast<ULONG_PTR>(v) == 1;
}

bool is_receive_clone(const NET_BUFFER_LIST *nbl) noexcept
{
    return reinterpret_cast<ULONG_PTR>(nbl->NdisReserved[1]) == kReceiveCloneMarker;
}

// A clone of an indicated NBL for one more binding (same MDLs, same data), or null.
PNET_BUFFER_LIST make_receive_clone(PNET_BUFFER_LIST original)
{
    PNET_BUFFER_LIST c = clone_allocate(original, nbl_pool::runtime_bare(),
                                        nb_pool::runtime_pool(), true,
                                        "NdisMIndicateReceiveNetBufferLists");
    if (c == nullptr) {
        return nullptr;
    }
    c->SourceHandle = original->SourceHandle;
    c->NblFlags = original->NblFlags;
    c->Status = original->Status;
    c->ParentNetBufferList = original;
    copy_info_slots(c, original, kReceiveInfoSlots);
    c->NdisReserved[0] = original;
    c->NdisReserved[1] = reinterpret_cast<PVOID>(kReceiveCloneMarker);
    return c;
}

} // namespace

// ================================ send ===========================================================

void complete_to_originators(PNET_BUFFER_LIST chain, NDIS_STATUS status)
{
    for (PNET_BUFFER_LIST n = chain; n != nullptr; n = n->Next) {
        n->Status = status;
        if (object_header *h = probe_header(n, object_kind::nbl)) {
            h->route.store(kRouteWithOwner, std::memory_order_release);
        }
    }
    complete_runs(chain, false, "NdisSendNetBufferLists");
}

void send(binding *b, PNET_BUFFER_LIST chain, NDIS_PORT_NUMBER port, ULONG flags)
{
    constexpr const char *api = "NdisSendNetBufferLists";
    if (chain == nullptr) {
        return;
    }
    check_dispatch_flag(api, flags, NDIS_SEND_FLAGS_DISPATCH_LEVEL);
    std::size_t count = 0;
    if (checks()) {
        // Walk once: every NBL must be a pool NBL (PS-09) that this binding originated
        // (PS-08), not already in flight (PS-14), with sane geometry (DS-04). A bad NBL is
        // taken out of the chain; one that is merely mislabelled or malformed is completed
        // back to the caller with NDIS_STATUS_FAILURE, one already in flight is left alone
        // (its first send still owns it).
        NBL_QUEUE good, rejected;
        NdisInitializeNblQueue(&good);
        NdisInitializeNblQueue(&rejected);
        for (PNET_BUFFER_LIST n = chain, next; n != nullptr; n = next) {
            next = n->Next;
            object_header *h = probe_header(n, object_kind::nbl);
            if (h == nullptr) {
                verifier::report(failure::nbl_sent_not_from_pool, api, n,
                                 "NBL {} was not allocated from an NDIS pool; dropped",
                                 static_cast<const void *>(n));
                continue;
            }
            h->sent_at.store(watchdog::epoch(), std::memory_order_relaxed); // before route
            std::uint8_t expected = kRouteWithOwner;
            if (!h->route.compare_exchange_strong(expected, kRouteSending,
                                                  std::memory_order_acq_rel)) {
                // (NdisReserved belongs to NDIS: [1] remembers the adapter a send went to.)
                verifier::report(failure::nbl_already_outstanding, api, n,
                                 "NBL {} is sent again while its previous send (or indication) "
                                 "has not completed; the second send is dropped",
                                 static_cast<const void *>(n));
                continue;
            }
            std::string why;
            if (n->SourceHandle != b->ndis_handle()) {
                verifier::report(failure::nbl_source_handle_mismatch, api, n,
                                 "NBL {} has SourceHandle {} but is sent on binding {}; "
                                 "completed with NDIS_STATUS_FAILURE",
                                 static_cast<const void *>(n), n->SourceHandle,
                                 b->ndis_handle());
                n->SourceHandle = b->ndis_handle();
                NdisAppendSingleNblToNblQueue(&rejected, n);
            } else if (!nbl_check(n, &why)) {
                verifier::report(failure::nbl_geometry_at_boundary, api, n,
                                 "NBL {}: {}; completed with NDIS_STATUS_FAILURE",
                                 static_cast<const void *>(n), why);
                NdisAppendSingleNblToNblQueue(&rejected, n);
            } else {
                sent_to(n).store(b->target, std::memory_order_relaxed);
                NdisAppendSingleNblToNblQueue(&good, n);
                ++count;
            }
        }
        if (!NdisIsNblQueueEmpty(&rejected)) {
            complete_to_originators(NdisPopAllFromNblQueue(&rejected), NDIS_STATUS_FAILURE);
        }
        chain = NdisPopAllFromNblQueue(&good);
        if (chain == nullptr) {
            return;
        }
    } else {
        count = NdisCountNblChain(chain);
    }

    adapter *a = b->target;
    const auto n = static_cast<std::int64_t>(count);
    b->sends_outstanding.fetch_add(n, std::memory_order_seq_cst);
    a->sends_outstanding.fetch_add(n, std::memory_order_seq_cst);
    // A binding takes sends while Running, and while Restarting (a protocol may start sending
    // from another thread before its NetEventRestart handler has returned); never while
    // Pausing or Paused (ST-04, PS-19). The adapter must be Running.
    const binding_state bs = b->state.load(std::memory_order_seq_cst);
    if ((bs != binding_state::running && bs != binding_state::restarting) ||
        a->state.load(std::memory_order_seq_cst) != adapter_state::running ||
        a->resetting.load(std::memory_order_seq_cst)) [[unlikely]] {
        // Completed by the runtime (ST-04, PS-19; during a reset with RESET_IN_PROGRESS, see
        // reset_power.cpp); still counted on the binding until the protocol has had it back, so
        // a pause cannot finish in the middle of this completion.
        const bool paused = bs != binding_state::running && bs != binding_state::restarting;
        const NDIS_STATUS why =
            !paused && a->state.load() == adapter_state::running && a->resetting.load()
                ? NDIS_STATUS_RESET_IN_PROGRESS
                : NDIS_STATUS_PAUSED;
        a->sends_outstanding.fetch_sub(n, std::memory_order_acq_rel);
        complete_to_originators(chain, why);
        b->sends_outstanding.fetch_sub(n, std::memory_order_acq_rel);
        return;
    }
    b->sent.fetch_add(count, std::memory_order_relaxed);
    a->sent.fetch_add(count, std::memory_order_relaxed);
    // Software loopback (LB-01 … LB-07, core/loopback.hpp): copies are indicated before the
    // miniport, which may complete the chain inside its call, gets it.
    if (loopback_possible(a->filter, flags)) [[unlikely]] {
        loopback_send(b, chain, port, flags);
    }
    kernel::driver_scope scope(a->driver->identity);
    a->handlers->SendNetBufferListsHandler(a->context, chain, port,
                                               truthful(flags, NDIS_SEND_FLAGS_DISPATCH_LEVEL));
}

void send_complete(adapter *a, PNET_BUFFER_LIST chain, ULONG flags)
{
    if (a->decorator != nullptr && chain != nullptr) [[unlikely]] {
        check_dispatch_flag("NdisMSendNetBufferListsComplete", flags,
                            NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL);
        faulty_take_completion(a, chain, flags); // back through send_complete_direct
        return;
    }
    send_complete_direct(a, chain, flags);
}

void send_complete_direct(adapter *a, PNET_BUFFER_LIST chain, ULONG flags)
{
    constexpr const char *api = "NdisMSendNetBufferListsComplete";
    if (chain == nullptr) {
        return;
    }
    check_dispatch_flag(api, flags, NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL);
    std::size_t count = 0;
    if (checks()) {
        NBL_QUEUE good;
        NdisInitializeNblQueue(&good);
        for (PNET_BUFFER_LIST n = chain, next; n != nullptr; n = next) {
            next = n->Next;
            object_header *h = probe_header(n, object_kind::nbl);
            std::uint8_t expected = kRouteSending;
            if (h != nullptr && sent_to(n).load(std::memory_order_relaxed) != a &&
                h->route.load(std::memory_order_acquire) == kRouteSending) {
                verifier::report(failure::nbl_completed_not_outstanding, api, n,
                                 "adapter '{}' completes NBL {}, which was sent to another "
                                 "adapter; ignored",
                                 a->name, static_cast<const void *>(n));
                continue;
            }
            if (h == nullptr || !h->route.compare_exchange_strong(expected, kRouteWithOwner,
                                                                  std::memory_order_acq_rel)) {
                verifier::report(failure::nbl_completed_not_outstanding, api, n,
                                 "adapter '{}' completes NBL {}, which is not outstanding "
                                 "(completed twice, or never sent); ignored",
                                 a->name, static_cast<const void *>(n));
                continue;
            }
            if (!allowed_send_status(n->Status)) {
                verifier::report(failure::send_complete_bad_status, api, n,
                                 "adapter '{}' completes NBL {} with Status 0x{:08x}, which is "
                                 "not a send completion status",
                                 a->name, static_cast<const void *>(n),
                                 static_cast<ULONG>(n->Status));
            }
            sent_to(n).store(nullptr, std::memory_order_relaxed);
            NdisAppendSingleNblToNblQueue(&good, n);
            ++count;
        }
        chain = NdisPopAllFromNblQueue(&good);
    } else {
        count = NdisCountNblChain(chain);
    }
    a->completed.fetch_add(count, std::memory_order_relaxed);
    complete_runs(chain, true, api);
    a->sends_outstanding.fetch_sub(static_cast<std::int64_t>(count), std::memory_order_acq_rel);
}

// ================================ receive ========================================================

void indicate_receive(adapter *a, PNET_BUFFER_LIST chain, NDIS_PORT_NUMBER port, ULONG count,
                      ULONG flags)
{
    constexpr const char *api = "NdisMIndicateReceiveNetBufferLists";
    if (chain == nullptr) {
        return;
    }
    check_dispatch_flag(api, flags, NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL);
    const bool resources = (flags & NDIS_RECEIVE_FLAGS_RESOURCES) != 0;
    const std::size_t n = NdisCountNblChain(chain);
    if (checks()) {
        if (n != count) {
            verifier::report(failure::receive_source_handle, api, chain,
                             "adapter '{}' indicates {} NBLs but NumberOfNetBufferLists is {}",
                             a->name, n, count);
        }
        for (PNET_BUFFER_LIST nbl = chain; nbl != nullptr; nbl = nbl->Next) {
            if (nbl->SourceHandle != a->ndis_handle()) {
                verifier::report(failure::receive_source_handle, api, nbl,
                                 "adapter '{}' indicates NBL {} with SourceHandle {} instead of "
                                 "its NdisMiniportHandle {}",
                                 a->name, static_cast<const void *>(nbl), nbl->SourceHandle,
                                 a->ndis_handle());
                nbl->SourceHandle = a->ndis_handle();
            }
        }
    }
    const adapter_state st = a->state.load(std::memory_order_acquire);
    if (st != adapter_state::running && st != adapter_state::pausing &&
        st != adapter_state::restarting) {
        verifier::report(failure::receive_while_paused, api, chain,
                         "adapter '{}' indicates receives while {} (ST-08); they are returned",
                         a->name, to_string(st));
        if (!resources) {
            deliver_return(a, chain, n);
        }
        return;
    }
    a->indicated.fetch_add(n, std::memory_order_relaxed);

    // The bindings that receive: running ones (a paused binding gets nothing, PS-20).
    std::array<binding *, kMaxReceiveBindings> targets;
    std::size_t k = 0;
    {
        std::shared_lock<std::shared_mutex> guard(a->bindings_lock);
        for (binding *b : a->bindings) {
            if (k < targets.size() && b->state.load(std::memory_order_acquire) ==
                                          binding_state::running) {
                b->upcalls_in_flight.fetch_add(1, std::memory_order_acq_rel);
                targets[k++] = b;
            }
        }
    }
    // Every target is released (upcalls_in_flight) once its call has returned, whatever path.
    struct release_targets {
        std::array<binding *, kMaxReceiveBindings> &t;
        std::size_t &k;
        ~release_targets()
        {
            for (std::size_t i = 0; i < k; ++i) {
                t[i]->upcalls_in_flight.fetch_sub(1, std::memory_order_acq_rel);
            }
        }
    } release{targets, k};
    const ULONG up_flags = truthful(flags, NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL);
    // Each binding gets only the NBLs its packet filter accepts (LB-05, accept_mask()).
    if (resources) {
        // The chain is relinked for each binding and restored after it; the miniport's order
        // is kept in NdisReserved[1] (NDIS's field, unused on this path) meanwhile.
        for (PNET_BUFFER_LIST nbl = chain; nbl != nullptr; nbl = nbl->Next) {
            nbl->NdisReserved[1] = nbl->Next;
        }
        auto saved_next = [](PNET_BUFFER_LIST nbl) {
            return static_cast<PNET_BUFFER_LIST>(nbl->NdisReserved[1]);
        };
        for (std::size_t i = 0; i < k; ++i) {
            NBL_QUEUE q;
            NdisInitializeNblQueue(&q);
            ULONG m = 0;
            for (PNET_BUFFER_LIST nbl = chain; nbl != nullptr; nbl = saved_next(nbl)) {
                if (accept_mask(&targets[i], 1, nbl) != 0) {
                    NdisAppendSingleNblToNblQueue(&q, nbl);
                    ++m;
                }
            }
            if (PNET_BUFFER_LIST sub = NdisPopAllFromNblQueue(&q)) {
                kernel::driver_scope scope(targets[i]->protocol->identity);
                targets[i]->protocol->chars.ReceiveNetBufferListsHandler(
                    targets[i]->context, sub, port, m == n ? count : m, up_flags);
                targets[i]->received.fetch_add(m, std::memory_order_relaxed);
            }
            for (PNET_BUFFER_LIST nbl = chain; nbl != nullptr; nbl = saved_next(nbl)) {
                nbl->Next = saved_next(nbl);
            }
        }
        for (PNET_BUFFER_LIST nbl = chain; nbl != nullptr; nbl = nbl->Next) {
            nbl->NdisReserved[1] = nullptr;
        }
        return; // ownership goes back to the miniport as this call returns (MS-19)
    }
    if (k == 0) {
        deliver_return(a, chain, n);
        return;
    }
    // Each NBL goes to the bindings that accept it: the first of them gets the miniport's NBL,
    // every further one a clone, all made before anyone is called; an NBL no binding accepts
    // goes back to the miniport at once.
    std::array<NBL_QUEUE, kMaxReceiveBindings> queues;
    std::array<ULONG, kMaxReceiveBindings> counts{};
    for (std::size_t i = 0; i < k; ++i) {
        NdisInitializeNblQueue(&queues[i]);
    }
    NBL_QUEUE unwanted;
    NdisInitializeNblQueue(&unwanted);
    std::size_t unwanted_count = 0;
    for (PNET_BUFFER_LIST nbl = chain, next; nbl != nullptr; nbl = next) {
        next = nbl->Next;
        const std::uint64_t mask = accept_mask(targets.data(), k, nbl);
        if (mask == 0) {
            NdisAppendSingleNblToNblQueue(&unwanted, nbl);
            ++unwanted_count;
            continue;
        }
        ULONG_PTR holders = 1;
        for (std::uint64_t rest = mask & (mask - 1); rest != 0; rest &= rest - 1) {
            const auto j = static_cast<std::size_t>(std::countr_zero(rest));
            PNET_BUFFER_LIST c = make_receive_clone(nbl);
            if (c == nullptr) {
                continue; // out of memory: this binding misses this NBL
            }
            ++holders;
            c->MiniportReserved[0] = targets[j]; // runtime-made copy: no miniport uses it
            NdisAppendSingleNblToNblQueue(&queues[j], c);
            ++counts[j];
        }
        const auto first = static_cast<std::size_t>(std::countr_zero(mask));
        holders_set(nbl, holders);
        nbl->NdisReserved[1] = targets[first]; // the binding holding the miniport's own NBL
        if (object_header *h = probe_header(nbl, object_kind::nbl)) {
            h->route.store(kRouteIndicated, std::memory_order_relaxed);
        }
        NdisAppendSingleNblToNblQueue(&queues[first], nbl);
        ++counts[first];
    }
    a->receives_outstanding.fetch_add(static_cast<std::int64_t>(n - unwanted_count),
                                      std::memory_order_acq_rel);
    if (unwanted_count != 0) {
        deliver_return(a, NdisPopAllFromNblQueue(&unwanted), unwanted_count);
    }
    for (std::size_t i = 0; i < k; ++i) {
        PNET_BUFFER_LIST mine = NdisPopAllFromNblQueue(&queues[i]);
        if (mine == nullptr) {
            continue;
        }
        binding *b = targets[i];
        b->receives_outstanding.fetch_add(counts[i], std::memory_order_acq_rel);
        b->received.fetch_add(counts[i], std::memory_order_relaxed);
        kernel::driver_scope scope(b->protocol->identity);
        b->protocol->chars.ReceiveNetBufferListsHandler(b->context, mine, port, counts[i],
                                                        up_flags);
    }
}

void return_nbls(binding *b, PNET_BUFFER_LIST chain, ULONG flags)
{
    constexpr const char *api = "NdisReturnNetBufferLists";
    check_dispatch_flag(api, flags, NDIS_RETURN_FLAGS_DISPATCH_LEVEL);
    NBL_QUEUE back; // NBLs whose last holder this was, for their miniports
    NdisInitializeNblQueue(&back);
    std::int64_t returned = 0;
    for (PNET_BUFFER_LIST n = chain, next; n != nullptr; n = next) {
        next = n->Next;
        n->Next = nullptr;
        PNET_BUFFER_LIST original = n;
        if (is_receive_clone(n)) {
            original = static_cast<PNET_BUFFER_LIST>(n->NdisReserved[0]);
            object_header *ch = probe_header(n, object_kind::nbl);
            if (ch == nullptr || ch->state.load(std::memory_order_acquire) != object_state::live ||
                n->MiniportReserved[0] != b) {
                verifier::report(failure::return_not_indicated, api, n,
                                 "binding returns NBL {}, a receive copy it no longer holds",
                                 static_cast<const void *>(n));
                continue;
            }
            n->NdisReserved[1] = nullptr;
            clone_free(ch, n, api);
        } else {
            object_header *h = probe_header(n, object_kind::nbl);
            if (checks() && (h == nullptr ||
                             h->route.load(std::memory_order_acquire) != kRouteIndicated ||
                             n->NdisReserved[1] != b)) {
                verifier::report(failure::return_not_indicated, api, n,
                                 "binding of '{}' returns NBL {}, which is not an indicated "
                                 "receive it holds; ignored",
                                 b->protocol->name, static_cast<const void *>(n));
                continue;
            }
        }
        ++returned;
        if (n == original) {
            original->NdisReserved[1] = nullptr; // this binding no longer holds it
        }
        if (holders_release(original)) {
            if (object_header *h = probe_header(original, object_kind::nbl)) {
                h->route.store(kRouteWithOwner, std::memory_order_release);
            }
            NdisAppendSingleNblToNblQueue(&back, original);
        }
    }
    b->receives_outstanding.fetch_sub(returned, std::memory_order_acq_rel);
    ndis::for_each_run_by_source_handle(
        NdisPopAllFromNblQueue(&back), [&](NDIS_HANDLE source, PNET_BUFFER_LIST run, SIZE_T k) {
            adapter *a = adapter::from_handle(source);
            if (a == nullptr) {
                verifier::report(failure::return_not_indicated, api, run,
                                 "returned NBL {} has SourceHandle {}, which is no adapter",
                                 static_cast<const void *>(run), source);
                return;
            }
            deliver_return(a, run, k);
            a->receives_outstanding.fetch_sub(static_cast<std::int64_t>(k),
                                              std::memory_order_acq_rel);
        });
}

// ================================ OIDs and status ================================================

namespace {

binding *&oid_binding(PNDIS_OID_REQUEST r) noexcept
{
    return *reinterpret_cast<binding **>(&oid_reserved(r)[oid_slot::binding]);
}

} // namespace

NDIS_STATUS oid_request(binding *b, PNDIS_OID_REQUEST request)
{
    constexpr const char *api = "NdisOidRequest";
    if (request == nullptr || request->Header.Type != NDIS_OBJECT_TYPE_OID_REQUEST) {
        verifier::report(failure::null_argument, api, request,
                         "OidRequest is NULL or its Header.Type is not "
                         "NDIS_OBJECT_TYPE_OID_REQUEST");
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    const binding_state st = b->state.load(std::memory_order_acquire);
    if (st == binding_state::closing || st == binding_state::unbound) {
        return NDIS_STATUS_CLOSING;
    }
    adapter *a = b->target;
    // Packet filter / multicast list: the miniport gets the merge of every binding's value
    // (core/loopback.hpp), in a request of the runtime's own.
    PNDIS_OID_REQUEST down = request;
    if (is_filter_oid(request)) {
        NDIS_STATUS answered = NDIS_STATUS_SUCCESS;
        down = filter_oid_prepare(b, request, &answered);
        if (down == nullptr) {
            return answered;
        }
    }
    oid_binding(down) = b;
    oid_reserved(down)[oid_slot::runtime_marker] = nullptr; // not a runtime_oid
    watchdog::oid_started(a, b, down); // NdisTimedOidComplete (VER-06)
    NDIS_STATUS status;
    {
        kernel::driver_scope scope(a->driver->identity);
        status = a->handlers->OidRequestHandler(a->context, down);
    }
    if (status != NDIS_STATUS_PENDING) {
        watchdog::oid_finished(down);
        oid_binding(down) = nullptr; // completed: a later NdisMOidRequestComplete is a bug
        if (down != request) {
            return filter_oid_finish(b, down, status);
        }
    }
    return status;
}

void oid_complete(adapter *a, PNDIS_OID_REQUEST request, NDIS_STATUS status)
{
    constexpr const char *api = "NdisMOidRequestComplete";
    if (runtime_oid_complete(a, request, status)) {
        return; // one the runtime made itself (power, replay after a reset)
    }
    watchdog::oid_finished(request);
    binding *b = request != nullptr ? oid_binding(request) : nullptr;
    if (b == nullptr || binding::from_handle(b->ndis_handle()) != b || b->target != a) {
        verifier::report(failure::oid_complete_unexpected, api, request,
                         "adapter '{}' completes OID request {} that is not pending on it",
                         a->name, static_cast<const void *>(request));
        return;
    }
    oid_binding(request) = nullptr;
    if (PNDIS_OID_REQUEST outer = filter_oid_outer(request)) {
        status = filter_oid_finish(b, request, status); // frees the runtime's request
        request = outer;
    }
    kernel::driver_scope scope(b->protocol->identity);
    b->protocol->chars.OidRequestCompleteHandler(b->context, request, status);
}

void indicate_status(adapter *a, PNDIS_STATUS_INDICATION indication)
{
    if (indication->StatusCode == NDIS_STATUS_LINK_STATE && indication->StatusBuffer != nullptr &&
        indication->StatusBufferSize >= sizeof(NDIS_LINK_STATE)) {
        const auto *ls = static_cast<const NDIS_LINK_STATE *>(indication->StatusBuffer);
        a->connect_state.store(ls->MediaConnectState, std::memory_order_relaxed);
        a->xmit_speed = ls->XmitLinkSpeed;
        a->rcv_speed = ls->RcvLinkSpeed;
    }
    std::array<binding *, kMaxReceiveBindings> targets;
    std::size_t k = 0;
    {
        std::shared_lock<std::shared_mutex> guard(a->bindings_lock);
        for (binding *b : a->bindings) {
            const binding_state st = b->state.load(std::memory_order_acquire);
            if (k < targets.size() && st != binding_state::closing &&
                st != binding_state::unbound && b->protocol->chars.StatusHandlerEx != nullptr) {
                targets[k++] = b;
            }
        }
    }
    for (std::size_t i = 0; i < k; ++i) {
        kernel::driver_scope scope(targets[i]->protocol->identity);
        targets[i]->protocol->chars.StatusHandlerEx(targets[i]->context, indication);
    }
}

} // namespace ndis::core
