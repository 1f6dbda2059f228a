// kernel/workitem.hpp — NDIS I/O work items on the dispatcher's worker threads. Semantics:
// <ndis/workitem.h>.
//
// A work item is runtime memory (tag "Ndwk") with its routine, context and state. One mutex
// guards the queue (FIFO through the items) and every item's state; routines run without it.
// A free while the routine runs (from inside it, or from another thread) is deferred until the
// routine returns; nothing waits.
#pragma once

#include <ndis/workitem.h>

#include <cstdint>
#include <string>

namespace ndis::kernel {

struct driver_identity;

NDIS_HANDLE workitem_allocate(NDIS_HANDLE owner) noexcept;
void workitem_queue(NDIS_HANDLE item, NDIS_IO_WORKITEM_ROUTINE routine, void *context) noexcept;
void workitem_free(NDIS_HANDLE item) noexcept;

// Allocated and not yet destroyed (an item freed while its routine runs counts until it returns).
std::uint64_t live_work_items() noexcept;
// Queued and not yet started.
std::uint64_t queued_work_items() noexcept;
std::uint64_t live_work_items_of(const driver_identity *driver) noexcept;
void work_items_append_report(std::string &out, const driver_identity *driver, bool all = false);
// Reports each live (not freed) work item of `driver` (workitem_leaked, VER-05).
std::uint64_t report_leaked_work_items(const driver_identity *driver, const char *api) noexcept;

} // namespace ndis::kernel
