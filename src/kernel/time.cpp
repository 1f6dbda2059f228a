// kernel/time.cpp — see time.hpp.
#include "kernel/time.hpp"

#include "kernel/futex.hpp"

#include <cerrno>
#include <ctime>

namespace ndis::kernel {
namespace {

std::int64_t clock_100ns(clockid_t clock) noexcept
{
    timespec ts{};
    clock_gettime(clock, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 10000000 + ts.tv_nsec / 100;
}

} // namespace

std::int64_t system_time() noexcept { return clock_100ns(CLOCK_REALTIME) + kUnixEpochAs1601; }
std::int64_t interrupt_time() noexcept { return clock_100ns(CLOCK_BOOTTIME); }
std::int64_t performance_counter() noexcept { return clock_100ns(CLOCK_MONOTONIC); }

std::chrono::steady_clock::time_point steady_due_time(LONGLONG due_time) noexcept
{
    const auto now = std::chrono::steady_clock::now();
    std::int64_t delta = 0; // 100 ns units from now
    if (due_time < 0) {
        delta = -due_time;
    } else {
        delta = due_time - system_time();
        if (delta < 0) {
            delta = 0;
        }
    }
    // Beyond ~290 years steady_clock would overflow: clamp to a century.
    constexpr std::int64_t kMax = 100LL * 365 * 24 * 3600 * 10000000;
    if (delta > kMax) {
        delta = kMax;
    }
    return now + std::chrono::nanoseconds(delta * 100);
}

void sleep_for_100ns(std::int64_t units) noexcept
{
    if (units <= 0) {
        return;
    }
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(units / 10000000);
    ts.tv_nsec = static_cast<long>((units % 10000000) * 100);
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

void stall_microseconds(std::uint64_t microseconds) noexcept
{
    const auto end = std::chrono::steady_clock::now() + std::chrono::microseconds(microseconds);
    while (std::chrono::steady_clock::now() < end) {
        cpu_relax();
    }
}

} // namespace ndis::kernel
