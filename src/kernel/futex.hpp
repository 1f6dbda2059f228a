// kernel/futex.hpp — the Linux futex calls the emulated locks and events sleep on.
//
// Only the kernel sees these accesses; every value they compare is also read and written with
// atomics by the callers, which is where the happens-before edges (and TSan's view) come from.
#pragma once

#include <cerrno>
#include <cstdint>
#include <ctime>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace ndis::kernel {

// Sleeps while *word == expected, at most `timeout` (relative, CLOCK_MONOTONIC) when not null.
// Returns false on timeout; true when woken, interrupted, or the value had changed.
inline bool futex_wait(const void *word, std::uint32_t expected,
                       const timespec *timeout = nullptr) noexcept
{
    const long rc = syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, timeout, nullptr, 0);
    return !(rc == -1 && errno == ETIMEDOUT);
}

// Wakes up to `count` threads sleeping on `word`.
inline void futex_wake(const void *word, int count) noexcept
{
    syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, count, nullptr, nullptr, 0);
}

inline void cpu_relax() noexcept
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

} // namespace ndis::kernel
