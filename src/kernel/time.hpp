// kernel/time.hpp — Windows clocks on Linux clocks, and the delays drivers ask for.
//
//   system time      CLOCK_REALTIME as 100 ns units since 1601-01-01 UTC (KeQuerySystemTime)
//   interrupt time   CLOCK_BOOTTIME as 100 ns units (KeQueryInterruptTime, tick count)
//   performance      CLOCK_MONOTONIC at 10 MHz (KeQueryPerformanceCounter)
//   due times        Windows DueTime → std::chrono::steady_clock time point (timers)
#pragma once

#include <ndis/types.h>

#include <chrono>
#include <cstdint>

namespace ndis::kernel {

constexpr std::int64_t kUnixEpochAs1601 = 116444736000000000LL; // 100 ns units
constexpr ULONG kTimeIncrement = 156250;                          // 15.625 ms per tick
constexpr std::int64_t kPerformanceFrequency = 10000000;          // 10 MHz

std::int64_t system_time() noexcept;
std::int64_t interrupt_time() noexcept;
std::int64_t performance_counter() noexcept;

// Negative: relative (100 ns units); positive or 0: absolute system time.
std::chrono::steady_clock::time_point steady_due_time(LONGLONG due_time) noexcept;

// Sleeps the thread (no IRQL check here).
void sleep_for_100ns(std::int64_t units) noexcept;
// Busy-waits.
void stall_microseconds(std::uint64_t microseconds) noexcept;

} // namespace ndis::kernel
