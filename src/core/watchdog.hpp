// core/watchdog.hpp — the data and operation watchdog: NDIS's timed rules, checked at run time.
//
// One runtime thread (started by the host when a stack starts, stopped with the last stack)
// wakes every `period` and checks, in the spirit of Driver Verifier's NDIS/WIFI rules (VER-06)
// and NDIS's own watchdog (VER-07, bug check 0x7C/0x25):
//   NdisTimedDataSend   every NBL handed to a miniport is completed within send_timeout (30 s)
//   NdisTimedDataHang   an adapter with sends outstanding completes something at least every
//                       hang_timeout (22 s)
//   NdisTimedOidComplete  a pended OID request completes within oid_timeout (12 s)
//   0x7C/0x25           a miniport pause, restart, reset or halt, or a binding's pause,
//                       finishes within operation_timeout (10 s; NdisFilterTimedPauseComplete's
//                       limit) (ST-21)
// Each stuck item (an NBL's send, an adapter's hang, an OID request, one pause) is reported once
// through the verifier, naming the driver, the adapter, the binding and the NBLs.
//
// Hot path cost. The watchdog advances a global coarse clock, `epoch()` (milliseconds), every
// period. NdisSendNetBufferLists stores it into each NBL's private header (object_header::sent_at)
// in the walk it already makes when the verifier's checks are on (route = sending), so a send
// costs one relaxed load and one store per NBL, in a cache line it writes anyway. The watchdog
// finds overdue sends by walking the pools' live NBLs (route == sending, old sent_at). With the
// checks off, routes are not kept: only the per-adapter hang rule and the operation/OID rules
// apply. OIDs are recorded (request, binding, start time) by oid_request / oid_complete: not
// the per-NBL path.
#pragma once

#include <ndis.h>

#include <atomic>
#include <chrono>
#include <cstdint>

namespace ndis::core {

class adapter;
class binding;

namespace watchdog {

struct limits {
    std::chrono::milliseconds send_timeout{30000};      // VER-06 NdisTimedDataSend
    std::chrono::milliseconds hang_timeout{22000};      // VER-06 NdisTimedDataHang
    std::chrono::milliseconds oid_timeout{12000};       // VER-06 NdisTimedOidComplete
    std::chrono::milliseconds operation_timeout{10000}; // VER-07 0x7C/0x25, ST-21
    std::chrono::milliseconds period{1000};             // how often the thread checks
};

// The coarse clock sends are stamped with (ms since the process's first use; 0 never occurs).
extern std::atomic<std::uint32_t> g_epoch;
inline std::uint32_t epoch() noexcept
{
    return g_epoch.load(std::memory_order_relaxed);
}

// Process-wide limits; take effect at the next period. False (and nothing changed) when a limit
// is not positive.
bool configure(const limits &l) noexcept;
limits current() noexcept;

// Reference-counted: the first start() starts the thread, the matching last stop() joins it and
// forgets every record. Called on the host's control thread.
void start();
void stop();
bool running() noexcept;

// One scan now, on the caller's thread (tests; the thread calls it every period).
void scan();

// OID requests in flight (oid_request before calling the miniport; finished when it answers
// anything but PENDING or calls NdisMOidRequestComplete). Cheap no-ops when not running.
void oid_started(adapter *a, binding *b, PNDIS_OID_REQUEST request);
void oid_finished(PNDIS_OID_REQUEST request);

} // namespace watchdog
} // namespace ndis::core
