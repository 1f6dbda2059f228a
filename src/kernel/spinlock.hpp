// kernel/spinlock.hpp — the KSPIN_LOCK word: owner-tracking lock with a futex slow path.
//
// Word layout (pointer-sized, the driver's KSPIN_LOCK): 0 when free; otherwise the holder's
// thread token (irql.hpp, 64-byte aligned address) with bit 0 set when another thread may be
// sleeping on it. Acquire: one CAS 0 → token on the fast path; on contention spin briefly,
// then set bit 0 and sleep on the word's low 32 bits (futex; x86-64 and arm64 are little
// endian, so they are the word's first four bytes). Release: exchange with 0, wake one sleeper
// if bit 0 was set. A thread that slept acquires with bit 0 set, so sleepers are never lost.
//
// These functions do not touch the IRQL (callers do: NdisAcquireSpinLock raises, …); they do
// count the locks the thread holds (thread_state::spinlocks_held) and enforce ownership:
// an acquire by the holder is reported and aborts (a deadlock on Windows), a release by a
// non-holder is reported and ignored.
#pragma once

#include <ndis/sync.h>

#include <cstdint>

namespace ndis::kernel {

void spin_acquire(KSPIN_LOCK *lock, const char *api) noexcept;
// True and acquired, or false at once (also when the caller holds it: reported).
bool spin_try_acquire(KSPIN_LOCK *lock, const char *api) noexcept;
// False (reported, nothing released) when the caller does not hold the lock.
bool spin_release(KSPIN_LOCK *lock, const char *api) noexcept;
bool spin_is_held(const KSPIN_LOCK *lock) noexcept;
bool spin_held_by_caller(const KSPIN_LOCK *lock) noexcept;

// Scoped acquire for runtime-internal locks kept in driver-visible structures.
class spin_guard {
public:
    spin_guard(KSPIN_LOCK *lock, const char *api) noexcept : _lock(lock), _api(api)
    {
        spin_acquire(_lock, _api);
    }
    ~spin_guard() { spin_release(_lock, _api); }
    spin_guard(const spin_guard &) = delete;
    spin_guard &operator=(const spin_guard &) = delete;

private:
    KSPIN_LOCK *_lock;
    const char *_api;
};

} // namespace ndis::kernel
