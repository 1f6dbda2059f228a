// kernel/rwlock.hpp — the read/write lock behind NDIS_RW_LOCK_EX and NDIS_RW_LOCK.
//
// State (four 32-bit words, accessed with std::atomic_ref so the same code runs on the
// runtime-allocated NDIS_RW_LOCK_EX and inside a driver-allocated NDIS_RW_LOCK):
//   state            bit 31: a writer holds the lock; bits 0..30: number of read holds
//   writers_waiting  writers waiting to acquire: new readers queue behind them (no writer
//                    starvation), except a thread that already holds the lock for read
//                    (recursive reads must not deadlock behind a waiting writer)
//   sequence         futex word: bumped (and waiters woken) whenever the lock becomes free
//   sleepers         threads sleeping on `sequence` (release wakes only when there are any)
// Plus the writer's thread token, for the ownership checks. Per-thread read holds are in
// thread_state::read_locks (recursion and the write-after-read deadlock check).
//
// IRQL handling, LOCK_STATE bookkeeping and reports are the callers' (kernel/sync.cpp); here a
// write acquire by a thread that holds the lock (read or write) reports and aborts, because on
// Windows it deadlocks.
#pragma once

#include <cstdint>

namespace ndis::kernel {

struct rw_words {
    std::uint32_t state;
    std::uint32_t writers_waiting;
    std::uint32_t sequence;
    std::uint32_t sleepers;
};

void rw_init(rw_words *w, std::uintptr_t *writer) noexcept;
void rw_acquire_read(rw_words *w, std::uintptr_t *writer, const void *lock,
                     const char *api) noexcept;
void rw_acquire_write(rw_words *w, std::uintptr_t *writer, const void *lock,
                      const char *api) noexcept;
// Release what this thread holds: false (nothing done) when it holds nothing of that kind.
bool rw_release_read(rw_words *w, const void *lock) noexcept;
bool rw_release_write(rw_words *w, std::uintptr_t *writer) noexcept;
bool rw_is_held(const rw_words *w) noexcept;
// Drops the caller's read holds of `lock` (the lock is being freed).
void rw_forget(const void *lock) noexcept;

} // namespace ndis::kernel
