// core/thread_slot.hpp — a small dense index per live thread, for per-thread caches.
//
// Each thread that touches a pool gets one of kMaxThreadSlots slot numbers on first use and
// gives it back when it exits; a later thread may reuse it (and inherit what the previous
// owner left in per-slot caches, which is harmless: a slot has one owner at a time). Threads
// beyond kMaxThreadSlots get kNoSlot and take the pools' locked path.
#pragma once

#include <cstdint>

namespace ndis::core {

inline constexpr unsigned kMaxThreadSlots = 256;
inline constexpr unsigned kNoSlot = ~0u;

unsigned acquire_thread_slot() noexcept;

inline unsigned this_thread_slot() noexcept
{
    // thread_local with a trivial initial value: no guard on the fast path.
    extern thread_local unsigned t_slot_plus_one;
    const unsigned v = t_slot_plus_one;
    if (__builtin_expect(v != 0, 1)) {
        return v - 1;
    }
    return acquire_thread_slot();
}

} // namespace ndis::core
