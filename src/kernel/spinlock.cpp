// kernel/spinlock.cpp — see spinlock.hpp.
#include "kernel/spinlock.hpp"

#include "kernel/futex.hpp"
#include "kernel/irql.hpp"
#include "verifier/verifier.hpp"

#include <atomic>
#include <bit>
#include <cstdio>
#include <cstdlib>

namespace ndis::kernel {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the futex sleeps on the low half of the lock word");
static_assert(sizeof(KSPIN_LOCK) == sizeof(std::uintptr_t));

constexpr std::uintptr_t kWaiters = 1;
constexpr int kSpins = 128;

std::atomic_ref<std::uintptr_t> word(KSPIN_LOCK *lock) noexcept
{
    return std::atomic_ref<std::uintptr_t>(*reinterpret_cast<std::uintptr_t *>(lock));
}

[[noreturn]] void deadlock(KSPIN_LOCK *lock, const char *api) noexcept
{
    verifier::report(verifier::failure::spinlock_recursive, api, lock,
                     "{}spin lock {} acquired by the thread that already holds it: on Windows "
                     "this processor would spin forever (deadlock); aborting",
                     driver_prefix(), static_cast<const void *>(lock));
    std::fprintf(stderr, "openndis: %s: recursive acquire of spin lock %p (deadlock), abort\n",
                 api, static_cast<void *>(lock));
    std::fflush(stderr);
    std::abort();
}

void acquire_slow(KSPIN_LOCK *lock, std::uintptr_t me) noexcept
{
    auto w = word(lock);
    for (int i = 0; i < kSpins; ++i) {
        std::uintptr_t v = w.load(std::memory_order_relaxed);
        if (v == 0 && w.compare_exchange_weak(v, me, std::memory_order_acquire,
                                              std::memory_order_relaxed)) {
            return;
        }
        cpu_relax();
    }
    for (;;) {
        std::uintptr_t v = w.load(std::memory_order_relaxed);
        if (v == 0) {
            // Keep the waiters bit: others may still be sleeping.
            if (w.compare_exchange_weak(v, me | kWaiters, std::memory_order_acquire,
                                        std::memory_order_relaxed)) {
                return;
            }
            continue;
        }
        if ((v & kWaiters) == 0 &&
            !w.compare_exchange_weak(v, v | kWaiters, std::memory_order_relaxed,
                                     std::memory_order_relaxed)) {
            continue;
        }
        futex_wait(lock, static_cast<std::uint32_t>(v | kWaiters));
    }
}

} // namespace

void spin_acquire(KSPIN_LOCK *lock, const char *api) noexcept
{
    thread_state &self = t_thread;
    const auto me = reinterpret_cast<std::uintptr_t>(&self);
    auto w = word(lock);
    std::uintptr_t expected = 0;
    if (!w.compare_exchange_strong(expected, me, std::memory_order_acquire,
                                   std::memory_order_relaxed)) [[unlikely]] {
        if ((expected & ~kWaiters) == me) {
            deadlock(lock, api);
        }
        acquire_slow(lock, me);
    }
    ++self.spinlocks_held;
}

bool spin_try_acquire(KSPIN_LOCK *lock, const char *api) noexcept
{
    const std::uintptr_t me = thread_token();
    auto w = word(lock);
    std::uintptr_t expected = 0;
    if (w.compare_exchange_strong(expected, me, std::memory_order_acquire,
                                  std::memory_order_relaxed)) {
        ++t_thread.spinlocks_held;
        return true;
    }
    if ((expected & ~kWaiters) == me) {
        verifier::report(verifier::failure::spinlock_recursive, api, lock,
                         "{}spin lock {} is already held by this thread",
                         driver_prefix(), static_cast<const void *>(lock));
    }
    return false;
}

bool spin_release(KSPIN_LOCK *lock, const char *api) noexcept
{
    thread_state &self = t_thread;
    const auto me = reinterpret_cast<std::uintptr_t>(&self);
    auto w = word(lock);
    const std::uintptr_t v = w.load(std::memory_order_relaxed);
    if ((v & ~kWaiters) != me) [[unlikely]] {
        if (v == 0) {
            verifier::report(verifier::failure::spinlock_release_not_held, api, lock,
                             "{}spin lock {} released but it is not held",
                             driver_prefix(), static_cast<const void *>(lock));
        } else {
            verifier::report(verifier::failure::spinlock_release_not_held, api, lock,
                             "{}spin lock {} released by a thread that does not hold it (held "
                             "by another thread); the lock stays held",
                             driver_prefix(), static_cast<const void *>(lock));
        }
        return false;
    }
    const std::uintptr_t previous = w.exchange(0, std::memory_order_release);
    if ((previous & kWaiters) != 0) {
        futex_wake(lock, 1);
    }
    --self.spinlocks_held;
    return true;
}

bool spin_is_held(const KSPIN_LOCK *lock) noexcept
{
    return word(const_cast<KSPIN_LOCK *>(lock)).load(std::memory_order_relaxed) != 0;
}

bool spin_held_by_caller(const KSPIN_LOCK *lock) noexcept
{
    const std::uintptr_t v = word(const_cast<KSPIN_LOCK *>(lock)).load(std::memory_order_relaxed);
    return (v & ~kWaiters) == thread_token();
}

} // namespace ndis::kernel
