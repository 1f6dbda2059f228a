// core/thread_slot.hpp — a small dense index per live thread, for per-thread caches.
//
// Each thread that touches a pool gets one of kMaxThreadSlots slot numbers on first use and
// gives it back when it exits; a later thread may reuse it (and inherit what the previous
// owner left in per-slot caches, which is harmless: a slot has one owner at a time). Threads
// beyond kMaxThreadSlots get kNoSlot and take the pools' locked path, and so does a thread
// that touches a pool again after giving its slot back (from a later thread_local destructor).
#pragma once

#include <cstdint>

namespace ndis::core {

inline constexpr unsigned kMaxThreadSlots = 256;
inline constexpr unsigned kNoSlot = ~0u;

unsigned acquire_thread_slot() noexcept;

// The calling thread's slot + 1 (0: none yet). constinit and initial-exec: reading it is one
// %fs-relative load, with no TLS wrapper call and no lazy-initialisation check.
extern constinit thread_local unsigned t_slot_plus_one __attribute__((tls_model("initial-exec")));

inline unsigned this_thread_slot() noexcept
{
    const unsigned v = t_slot_plus_one;
    if (__builtin_expect(v != 0, 1)) {
        return v - 1;
    }
    return acquire_thread_slot();
}

} // namespace ndis::core
