// kernel/event.cpp — see event.hpp.
#include "kernel/event.hpp"

#include "kernel/futex.hpp"

#include <chrono>
#include <climits>

namespace ndis::kernel {
namespace {

LONG *signal_word(NDIS_EVENT *event) noexcept { return &event->Event.Header.SignalState; }
volatile LONG *waiters_word(NDIS_EVENT *event) noexcept { return &event->Event.Header.Lock; }

} // namespace

void event_initialize(NDIS_EVENT *event) noexcept
{
    DISPATCHER_HEADER &h = event->Event.Header;
    // Lock doubles as the waiter count (Type, which shares its first byte, stays 0:
    // NotificationEvent).
    __atomic_store_n(&h.Lock, 0, __ATOMIC_RELAXED);
    h.WaitListHead.Flink = h.WaitListHead.Blink = &h.WaitListHead;
    __atomic_store_n(&h.SignalState, 0, __ATOMIC_SEQ_CST);
}

void event_set(NDIS_EVENT *event) noexcept
{
    // Nothing in the event may be read after the store: a waiter that sees the signal may free
    // the event at once (set, wait, free is a legal Windows pattern). FUTEX_WAKE on a private
    // futex only uses the address as a key, so waking unconditionally is safe.
    __atomic_store_n(signal_word(event), 1, __ATOMIC_SEQ_CST);
    futex_wake(signal_word(event), INT_MAX);
}

void event_reset(NDIS_EVENT *event) noexcept
{
    __atomic_store_n(signal_word(event), 0, __ATOMIC_SEQ_CST);
}

bool event_is_set(const NDIS_EVENT *event) noexcept
{
    return __atomic_load_n(&event->Event.Header.SignalState, __ATOMIC_SEQ_CST) != 0;
}

bool event_wait(NDIS_EVENT *event, unsigned milliseconds) noexcept
{
    if (__atomic_load_n(signal_word(event), __ATOMIC_SEQ_CST) != 0) {
        return true;
    }
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + std::chrono::milliseconds(milliseconds);
    __atomic_add_fetch(waiters_word(event), 1, __ATOMIC_SEQ_CST);
    bool signalled = false;
    for (;;) {
        if (__atomic_load_n(signal_word(event), __ATOMIC_SEQ_CST) != 0) {
            signalled = true;
            break;
        }
        if (milliseconds == 0) {
            futex_wait(signal_word(event), 0, nullptr);
            continue;
        }
        const auto now = clock::now();
        if (now >= deadline) {
            break;
        }
        const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - now);
        timespec ts{};
        ts.tv_sec = static_cast<time_t>(left.count() / 1000000000);
        ts.tv_nsec = static_cast<long>(left.count() % 1000000000);
        futex_wait(signal_word(event), 0, &ts);
    }
    __atomic_sub_fetch(waiters_word(event), 1, __ATOMIC_SEQ_CST);
    return signalled;
}

} // namespace ndis::kernel
