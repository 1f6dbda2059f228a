// kernel/services.hpp — how the dispatcher (dispatcher.cpp) starts and stops the timer thread
// (timer.cpp) and the worker threads (workitem.cpp). Private to src/kernel.
#pragma once

namespace ndis::kernel::detail {

void timer_service_start();
void timer_service_stop() noexcept; // joins the timer thread; armed timers stay armed

void worker_service_start();
bool worker_service_idle() noexcept; // nothing queued, nothing running
void worker_service_stop() noexcept; // lets queued items run, then joins every worker

} // namespace ndis::kernel::detail
