// verifier/verifier.hpp — the report sink of the OpenNDIS verifier.
//
// Every rule break the runtime detects is reported here, once, as one line that names the API,
// the object, what is wrong and the SPEC ID ("NdisFreeNetBufferList: NBL 0x…: freed twice
// (POOL-08)"). What happens next is configurable (openndis/runtime.h): count, log (default) or
// abort. The runtime then carries on safely — a rule break is never allowed to corrupt state
// or leak; the API returns its documented failure value.
//
// The optional, costly checks (geometry walks at every boundary) are guarded by
// verifier::checks_enabled(), one relaxed load and a predictable branch when off.
#pragma once

#include "verifier/failure.hpp"

#include <atomic>
#include <fmt/format.h>
#include <string>

namespace ndis::verifier {

extern std::atomic<bool> g_checks_enabled;

inline bool checks_enabled() noexcept
{
    return g_checks_enabled.load(std::memory_order_relaxed);
}

// Delivers a formatted report. `api` is the NDIS function in which the break was detected.
void report_message(failure f, const char *api, const void *object, std::string message) noexcept;

template <typename... Args>
void report(failure f, const char *api, const void *object, fmt::format_string<Args...> format,
            Args &&...args) noexcept
{
    std::string text;
    try {
        text = fmt::format(format, std::forward<Args>(args)...);
    } catch (...) {
        text = "(message could not be formatted)";
    }
    report_message(f, api, object, std::move(text));
}

// Total number of reports since start (never decreases).
std::uint64_t report_count() noexcept;

} // namespace ndis::verifier
