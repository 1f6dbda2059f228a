// kernel/timer.hpp — NDIS timer objects (NdisAllocateTimerObject …) on the dispatcher's timer
// thread and DPC threads. Semantics: <ndis/timer.h>.
//
// A timer object is runtime memory (tagged with the driver's AllocationTag) holding the
// callback, its context, an internal KDPC targeted at one DPC queue (so its callbacks never
// overlap) and, while armed, its position in the timer thread's ordered multimap. One mutex
// guards every timer's state; callbacks run without it.
#pragma once

#include <ndis/timer.h>

#include <cstdint>
#include <string>

namespace ndis::kernel {

struct driver_identity;

NDIS_STATUS timer_allocate(NDIS_HANDLE owner, const NDIS_TIMER_CHARACTERISTICS *characteristics,
                           NDIS_HANDLE *timer) noexcept;
// due_time: Windows DueTime (negative relative, positive absolute, 100 ns units).
BOOLEAN timer_set(NDIS_HANDLE timer, LONGLONG due_time, LONG period_ms, void *context,
                  const char *api) noexcept;
BOOLEAN timer_cancel(NDIS_HANDLE timer) noexcept;
void timer_free(NDIS_HANDLE timer) noexcept;

// Live timer objects (allocated, not yet freed) and how many of them are armed.
std::uint64_t live_timers() noexcept;
std::uint64_t armed_timers() noexcept;
// Live timer objects of one driver (the driver_scope at allocation; nullptr: none).
std::uint64_t live_timers_of(const driver_identity *driver) noexcept;
// One line per live timer ("  timer 0x… tag 'Xtmr' callback 0x… armed"), all drivers when
// `driver` is null and `all` is true.
void timers_append_report(std::string &out, const driver_identity *driver, bool all = false);
// Reports each live timer of `driver` (timer_leaked, VER-05) and returns how many there were.
std::uint64_t report_leaked_timers(const driver_identity *driver, const char *api) noexcept;

} // namespace ndis::kernel
