// kernel/rwlock.cpp — see rwlock.hpp.
#include "kernel/rwlock.hpp"

#include "kernel/futex.hpp"
#include "kernel/irql.hpp"
#include "verifier/verifier.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace ndis::kernel {
namespace {

constexpr std::uint32_t kWriter = 0x80000000u;
constexpr int kSpins = 128;

using ref32 = std::atomic_ref<std::uint32_t>;

// Index of `lock` in this thread's read holds, or -1.
int read_slot(const void *lock) noexcept
{
    thread_state &t = t_thread;
    for (int i = 0; i < thread_state::kMaxReadLocks; ++i) {
        if (t.read_locks[i] == lock && t.read_depth[i] != 0) {
            return i;
        }
    }
    return -1;
}

void note_read(const void *lock) noexcept
{
    thread_state &t = t_thread;
    int free_slot = -1;
    for (int i = 0; i < thread_state::kMaxReadLocks; ++i) {
        if (t.read_depth[i] != 0 && t.read_locks[i] == lock) {
            ++t.read_depth[i];
            return;
        }
        if (t.read_depth[i] == 0 && free_slot < 0) {
            free_slot = i;
        }
    }
    if (free_slot >= 0) { // more than kMaxReadLocks distinct locks: recursion not tracked
        t.read_locks[free_slot] = lock;
        t.read_depth[free_slot] = 1;
    }
}

// Sleeps until `ready()` may have become true (after a release).
template <typename Ready>
void wait_for_release(rw_words *w, Ready ready) noexcept
{
    ref32 sleepers(w->sleepers);
    ref32 sequence(w->sequence);
    sleepers.fetch_add(1, std::memory_order_seq_cst);
    const std::uint32_t seen = sequence.load(std::memory_order_seq_cst);
    if (!ready()) {
        futex_wait(&w->sequence, seen);
    }
    sleepers.fetch_sub(1, std::memory_order_seq_cst);
}

void wake_all(rw_words *w) noexcept
{
    if (ref32(w->sleepers).load(std::memory_order_seq_cst) != 0) {
        ref32(w->sequence).fetch_add(1, std::memory_order_seq_cst);
        futex_wake(&w->sequence, 0x7fffffff);
    }
}

[[noreturn]] void deadlock(const void *lock, const char *api, const char *held) noexcept
{
    verifier::report(verifier::failure::rwlock_recursive_write, api, lock,
                     "{}read/write lock {} acquired by a thread that already holds it for {}: "
                     "on Windows this deadlocks; aborting",
                     driver_prefix(), lock, held);
    std::fprintf(stderr, "openndis: %s: read/write lock %p: deadlock (held for %s), abort\n", api,
                 lock, held);
    std::fflush(stderr);
    std::abort();
}

} // namespace

void rw_init(rw_words *w, std::uintptr_t *writer) noexcept
{
    ref32(w->state).store(0, std::memory_order_relaxed);
    ref32(w->writers_waiting).store(0, std::memory_order_relaxed);
    ref32(w->sequence).store(0, std::memory_order_relaxed);
    ref32(w->sleepers).store(0, std::memory_order_relaxed);
    std::atomic_ref<std::uintptr_t>(*writer).store(0, std::memory_order_release);
}

void rw_acquire_read(rw_words *w, std::uintptr_t *writer, const void *lock,
                     const char *api) noexcept
{
    if (std::atomic_ref<std::uintptr_t>(*writer).load(std::memory_order_relaxed) ==
        thread_token()) {
        deadlock(lock, api, "write");
    }
    const bool recursive = read_slot(lock) >= 0;
    ref32 state(w->state);
    ref32 writers_waiting(w->writers_waiting);
    auto ready = [&]() noexcept {
        const std::uint32_t s = state.load(std::memory_order_seq_cst);
        return (s & kWriter) == 0 &&
               (recursive || writers_waiting.load(std::memory_order_seq_cst) == 0);
    };
    for (int spins = 0;; ++spins) {
        std::uint32_t s = state.load(std::memory_order_seq_cst);
        if ((s & kWriter) == 0 &&
            (recursive || writers_waiting.load(std::memory_order_seq_cst) == 0)) {
            if (state.compare_exchange_weak(s, s + 1, std::memory_order_seq_cst)) {
                break;
            }
            continue;
        }
        if (spins < kSpins) {
            cpu_relax();
            continue;
        }
        wait_for_release(w, ready);
    }
    note_read(lock);
}

void rw_acquire_write(rw_words *w, std::uintptr_t *writer, const void *lock,
                      const char *api) noexcept
{
    std::atomic_ref<std::uintptr_t> owner(*writer);
    if (owner.load(std::memory_order_relaxed) == thread_token()) {
        deadlock(lock, api, "write");
    }
    if (read_slot(lock) >= 0) {
        deadlock(lock, api, "read (NDIS_RW_LOCK_EX has no read-to-write upgrade)");
    }
    ref32 state(w->state);
    ref32 writers_waiting(w->writers_waiting);
    std::uint32_t expected = 0;
    if (!state.compare_exchange_strong(expected, kWriter, std::memory_order_seq_cst)) {
        writers_waiting.fetch_add(1, std::memory_order_seq_cst);
        auto ready = [&]() noexcept { return state.load(std::memory_order_seq_cst) == 0; };
        for (int spins = 0;; ++spins) {
            expected = 0;
            if (state.compare_exchange_weak(expected, kWriter, std::memory_order_seq_cst)) {
                break;
            }
            if (spins < kSpins) {
                cpu_relax();
                continue;
            }
            wait_for_release(w, ready);
        }
        writers_waiting.fetch_sub(1, std::memory_order_seq_cst);
    }
    owner.store(thread_token(), std::memory_order_relaxed);
}

bool rw_release_read(rw_words *w, const void *lock) noexcept
{
    const int slot = read_slot(lock);
    if (slot < 0) {
        // Not tracked (more than kMaxReadLocks held) or not held: trust the caller's LOCK_STATE
        // only if the lock has readers at all.
        if ((ref32(w->state).load(std::memory_order_relaxed) & ~kWriter) == 0) {
            return false;
        }
    } else {
        --t_thread.read_depth[slot];
    }
    const std::uint32_t after = ref32(w->state).fetch_sub(1, std::memory_order_seq_cst) - 1;
    if (after == 0) {
        wake_all(w);
    }
    return true;
}

bool rw_release_write(rw_words *w, std::uintptr_t *writer) noexcept
{
    std::atomic_ref<std::uintptr_t> owner(*writer);
    if (owner.load(std::memory_order_relaxed) != thread_token()) {
        return false;
    }
    owner.store(0, std::memory_order_relaxed);
    ref32(w->state).store(0, std::memory_order_seq_cst);
    wake_all(w);
    return true;
}

void rw_forget(const void *lock) noexcept
{
    thread_state &t = t_thread;
    for (int i = 0; i < thread_state::kMaxReadLocks; ++i) {
        if (t.read_locks[i] == lock) {
            t.read_locks[i] = nullptr;
            t.read_depth[i] = 0;
        }
    }
}

bool rw_is_held(const rw_words *w) noexcept
{
    return ref32(const_cast<std::uint32_t &>(w->state)).load(std::memory_order_relaxed) != 0;
}

} // namespace ndis::kernel
