// kernel/accounting.cpp — see accounting.hpp.
#include "kernel/accounting.hpp"

#include "kernel/dispatcher.hpp"
#include "kernel/irql.hpp"
#include "kernel/memory.hpp"
#include "kernel/sync.hpp"
#include "kernel/timer.hpp"
#include "kernel/workitem.hpp"
#include "verifier/verifier.hpp"

namespace ndis::kernel {

kernel_counts count_kernel_objects() noexcept
{
    kernel_counts c;
    c.timers = live_timers();
    c.armed_timers = armed_timers();
    c.work_items = live_work_items();
    c.queued_work_items = queued_work_items();
    c.queued_dpcs = queued_dpcs();
    c.rw_locks = live_rw_locks();
    return c;
}

void append_kernel_leak_report(std::string &out)
{
    std::string timers;
    timers_append_report(timers, nullptr, true);
    if (!timers.empty()) {
        out += "timer objects:\n" + timers;
    }
    std::string items;
    work_items_append_report(items, nullptr, true);
    if (!items.empty()) {
        out += "work items:\n" + items;
    }
}

std::uint64_t report_driver_leaks(const driver_identity *driver, const char *api) noexcept
{
    std::uint64_t n = report_leaked_timers(driver, api) + report_leaked_work_items(driver, api);
    try {
        const memory_totals m = pool_live_for(driver);
        if (m.blocks != 0) {
            std::string lines;
            pool_append_report(lines, driver);
            verifier::report(verifier::failure::memory_leaked, api, driver,
                             "driver '{}' left {} pool block(s), {} bytes:\n{}",
                             driver != nullptr ? driver->name : std::string("?"), m.blocks,
                             m.bytes, lines);
            n += m.blocks;
        }
    } catch (...) {
    }
    return n;
}

} // namespace ndis::kernel
