// core/faulty.hpp — the `faulty` miniport decorator: seeded, reproducible fault injection around
// any miniport adapter (DESIGN.md principle 10: fault injection is a wrapper).
//
// Attached to an adapter right after a successful MiniportInitializeEx (the adapter is Paused),
// it puts its own handler table and context in adapter::handlers / adapter::context, keeping the
// inner miniport's: every call the runtime makes into the miniport (send, return, pause,
// restart, reset, OID, cancel, PnP, shutdown, halt) goes through it and on to the inner
// miniport. The inner miniport's completions (NdisMSendNetBufferListsComplete,
// NdisMPauseComplete, NdisMRestartComplete) reach it through three one-line hooks in the
// runtime (send_complete, pause_complete, restart_complete); it hands completions on through
// send_complete_direct, which bypasses the hook. At MiniportHaltEx it halts the inner miniport,
// puts the inner table and context back and frees itself.
//
// Behaviours (each a knob; all drawn from one xoshiro256** PRNG per adapter seeded with `seed`,
// so one sending thread over an inline-completing miniport gives the same run every time):
//   fail_fraction / fail_statuses / fail_mode   complete that fraction of NBLs with a status drawn
//       from fail_statuses (the MS-08 failures); "before": without passing them to the inner
//       miniport; "after": overriding the inner miniport's SUCCESS; "mixed": either, at random
//   delay_us_max        hold each completion for a random 0 … N µs (delivered by the decorator's
//                       thread at DISPATCH_LEVEL, like a DPC)
//   reorder             deliver held or completed NBLs in random order (MS-07 allows it)
//   merge               one delivery call for everything due, across the inner miniport's calls
//                       (held for merge_window_us when there is no delay)
//   split               cut each delivery into several calls of random length
//   inline_fraction     complete that fraction of NBLs with SUCCESS inside the send call (PS-15),
//                       without the inner miniport
//   pend_pause_ms / pend_restart_ms / pend_reset_ms
//                       answer NDIS_STATUS_PENDING and complete after that long (and, for a
//                       pause, only once the inner miniport finished its pause and every NBL the
//                       decorator holds was delivered, ST-05)
//   drop_after / drop_fraction   never complete the N-th NBL (1-based) / that fraction: a bug on
//                       purpose, for the watchdog (VER-06) and the teardown leftover report
// Each NBL is completed exactly once (MS-06) unless dropped; NB lists are never touched (MS-07).
// While the decorator holds an NBL the inner miniport has completed it, so the decorator uses the
// NBL's MiniportReserved[0..1] (due time, batch number).
#pragma once

#include <ndis.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace ndis::core {

class adapter;

enum class fault_fail_mode : std::uint8_t { mixed, before, after };

// The failure statuses a miniport may complete a send with (MS-08), in counter order.
inline constexpr std::array<NDIS_STATUS, 7> kFaultStatuses = {
    NDIS_STATUS_INVALID_LENGTH,    NDIS_STATUS_RESOURCES, NDIS_STATUS_FAILURE,
    NDIS_STATUS_SEND_ABORTED,      NDIS_STATUS_RESET_IN_PROGRESS, NDIS_STATUS_PAUSED,
    NDIS_STATUS_LOW_POWER_STATE};
// "INVALID_LENGTH" … for kFaultStatuses[i]; nullptr past the end.
const char *fault_status_name(std::size_t i) noexcept;
// Index in kFaultStatuses of a name ("RESOURCES" or "NDIS_STATUS_RESOURCES", any case); -1.
int fault_status_index(std::string_view name) noexcept;

struct fault_config {
    std::uint64_t seed = 1;
    double fail_fraction = 0;
    std::vector<NDIS_STATUS> fail_statuses; // empty: every one of kFaultStatuses
    fault_fail_mode fail_mode = fault_fail_mode::mixed;
    std::uint32_t delay_us_max = 0;
    bool reorder = false, merge = false, split = false;
    std::uint32_t merge_window_us = 500;
    double inline_fraction = 0;
    std::uint32_t pend_pause_ms = 0, pend_restart_ms = 0, pend_reset_ms = 0;
    std::uint64_t drop_after = 0; // 0: never
    double drop_fraction = 0;
};
// "" when valid, else what is wrong (names the key).
std::string fault_validate(const fault_config &c);

struct fault_stats {
    std::uint64_t sent = 0;      // NBLs the decorator received in MiniportSendNetBufferLists
    std::uint64_t completed = 0; // NBLs it delivered to the runtime
    std::array<std::uint64_t, kFaultStatuses.size()> failed{}; // by kFaultStatuses index
    std::uint64_t delayed = 0, reordered = 0, merged = 0, split = 0, inlined = 0, dropped = 0;
    std::uint64_t pended_pauses = 0, pended_restarts = 0, pended_resets = 0;
    std::vector<PNET_BUFFER_LIST> dropped_nbls; // the first 64 dropped, not released
};

// Decorates an initialized (Paused) adapter. False, with `error`, when the configuration is
// invalid, the adapter is not Paused or already decorated.
bool faulty_attach(adapter *a, const fault_config &c, std::string *error);
bool faulty_attached(const adapter *a) noexcept;
// The decorator's counters; false when the adapter is not decorated.
bool faulty_stats(const adapter *a, fault_stats &out);
// Completes (late) every NBL the decorator dropped so far; returns how many. For tests that
// provoke a drop and then want a clean teardown.
std::size_t faulty_release_dropped(adapter *a);

// ---- hooks (runtime → decorator), only for decorated adapters ----
// NdisMSendNetBufferListsComplete of the inner miniport.
void faulty_take_completion(adapter *a, PNET_BUFFER_LIST chain, ULONG flags);
// NdisMPauseComplete / NdisMRestartComplete of the inner miniport: true when the decorator
// pended that operation and takes the completion (it completes the operation itself later).
bool faulty_take_pause_complete(adapter *a);
bool faulty_take_restart_complete(adapter *a, NDIS_STATUS status);

} // namespace ndis::core
