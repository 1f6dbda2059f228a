// core/thread_slot.cpp — see thread_slot.hpp.
#include "core/thread_slot.hpp"

#include <atomic>

namespace ndis::core {

constinit thread_local unsigned t_slot_plus_one __attribute__((tls_model("initial-exec"))) = 0;

namespace {

constexpr unsigned kWords = kMaxThreadSlots / 64;
std::atomic<std::uint64_t> g_used[kWords];

void release_slot(unsigned slot) noexcept
{
    g_used[slot / 64].fetch_and(~(std::uint64_t{1} << (slot % 64)), std::memory_order_release);
}

// Set once the thread has given its slot back. Trivially destructible, so it stays readable
// while other thread_local destructors run after slot_owner's: a pool call from one of those
// must not take a new slot that nothing would ever release.
constinit thread_local bool t_slot_given_back = false;

// Gives the slot back when the thread exits.
struct slot_owner {
    unsigned slot = kNoSlot;
    ~slot_owner()
    {
        t_slot_given_back = true;
        if (slot != kNoSlot) {
            t_slot_plus_one = 0;
            release_slot(slot);
        }
    }
};
thread_local slot_owner t_owner;

} // namespace

unsigned acquire_thread_slot() noexcept
{
    if (t_slot_given_back) {
        return kNoSlot;
    }
    for (unsigned w = 0; w < kWords; ++w) {
        std::uint64_t used = g_used[w].load(std::memory_order_relaxed);
        while (used != ~std::uint64_t{0}) {
            const unsigned bit = static_cast<unsigned>(__builtin_ctzll(~used));
            if (g_used[w].compare_exchange_weak(used, used | (std::uint64_t{1} << bit),
                                                std::memory_order_acquire)) {
                const unsigned slot = w * 64 + bit;
                t_owner.slot = slot;
                t_slot_plus_one = slot + 1;
                return slot;
            }
        }
    }
    return kNoSlot;
}

} // namespace ndis::core
