// kernel/event.hpp — NDIS_EVENT (a notification KEVENT) on a futex. Semantics: <ndis/event.h>.
//
// Header.SignalState is the futex word (0 not signalled, 1 signalled); Header.Lock counts the
// threads waiting, so NdisSetEvent makes a system call only when someone sleeps. The waiter
// registers (Lock + 1) before it reads SignalState, the setter stores SignalState before it
// reads Lock, both sequentially consistent: either the waiter sees the signal or the setter
// sees the waiter.
#pragma once

#include <ndis/event.h>

namespace ndis::kernel {

void event_initialize(NDIS_EVENT *event) noexcept;
void event_set(NDIS_EVENT *event) noexcept;
void event_reset(NDIS_EVENT *event) noexcept;
bool event_is_set(const NDIS_EVENT *event) noexcept;
// Waits up to `milliseconds` (0: forever). True when signalled. No IRQL check here.
bool event_wait(NDIS_EVENT *event, unsigned milliseconds) noexcept;

} // namespace ndis::kernel
