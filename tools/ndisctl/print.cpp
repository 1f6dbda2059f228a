// print.cpp — ndisctl's tables: per-adapter and per-binding counters (NBLs), and the
// teardown summary.
#include "ndisctl.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace ndisctl {

namespace {

std::string rate(std::uint64_t n, double seconds)
{
    if (seconds <= 0.0) {
        return "-";
    }
    const double r = static_cast<double>(n) / seconds;
    if (r >= 1e6) {
        return fmt::format("{:.2f} M", r / 1e6);
    }
    if (r >= 1e3) {
        return fmt::format("{:.1f} k", r / 1e3);
    }
    return fmt::format("{:.0f}", r);
}

} // namespace

void print_counters(std::FILE *out, const std::vector<ndis::host::adapter_counters> &adapters,
                    const std::vector<ndis::host::binding_counters> &bindings, double seconds)
{
    std::size_t w = 7, dw = 8;
    for (const auto &a : adapters) {
        w = std::max(w, a.name.size());
        dw = std::max(dw, a.driver.size());
    }
    for (const auto &b : bindings) {
        w = std::max(w, b.protocol.size() + b.adapter.size() + 4);
    }
    fmt::print(out, "{:<{}}  {:<{}} {:<8} {:>12} {:>12} {:>12} {:>12} {:>10} {:>6} {:>6} {:>5}\n",
               "adapter", w, "driver", dw, "state", "sent", "completed", "indicated", "returned",
               "NBLs/s", "resets", "hangs", "power");
    for (const auto &a : adapters) {
        fmt::print(out, "{:<{}}  {:<{}} {:<8} {:>12} {:>12} {:>12} {:>12} {:>10} {:>6} {:>6} {:>5}\n",
                   a.name, w, a.driver, dw, a.state, a.sent, a.completed, a.indicated, a.returned,
                   rate(a.completed, seconds), a.resets, a.hangs, a.power);
    }
    for (const auto &a : adapters) {
        const ndis::host::fault_counters &f = a.faults;
        if (!f.attached) {
            continue;
        }
        std::string failed;
        for (const auto &[status, n] : f.failed) {
            if (n != 0) {
                failed += fmt::format("{}{} {}", failed.empty() ? "" : ", ", status, n);
            }
        }
        fmt::print(out,
                   "faulty {}: sent {} completed {} failed {}{} delayed {} reordered {} merged {} "
                   "split {} inline {} dropped {} pended pause/restart/reset {}/{}/{}\n",
                   a.name, f.sent, f.completed, f.failed_total(),
                   failed.empty() ? "" : " (" + failed + ")", f.delayed, f.reordered, f.merged,
                   f.split, f.inlined, f.dropped, f.pended_pauses, f.pended_restarts,
                   f.pended_resets);
    }
    if (bindings.empty()) {
        fmt::print(out, "(no bindings)\n");
        return;
    }
    fmt::print(out, "{:<{}}  {:<{}} {:<8} {:>12} {:>12} {:>12}\n", "binding", w, "", dw, "state",
               "sent", "completed", "received");
    for (const auto &b : bindings) {
        fmt::print(out, "{:<{}}  {:<{}} {:<8} {:>12} {:>12} {:>12}\n",
                   b.protocol + " -> " + b.adapter, w, b.explicit_binding ? "explicit" : "implicit",
                   dw, b.state, b.sent, b.completed, b.received);
    }
}

void print_schedule(std::FILE *out, const std::vector<ndis::host::schedule_result> &results)
{
    for (std::size_t i = 0; i < results.size(); ++i) {
        const auto &r = results[i];
        const std::string target =
            r.protocol.empty() ? r.adapter : r.protocol + " -> " + r.adapter;
        fmt::print(out, "schedule #{} {} {}{}: {} run(s), {} ok, {} failed{}\n", i + 1, r.action,
                   target, r.where.known() ? fmt::format(" (line {})", r.where.line) : "",
                   r.runs, r.ok, r.failed,
                   r.last_error.empty() ? "" : "; last error: " + r.last_error);
    }
}

bool print_teardown(std::FILE *out, const ndis::host::teardown_report &report)
{
    if (report.clean()) {
        fmt::print(out, "teardown: clean (nothing left behind, no verifier report)\n");
        return true;
    }
    fmt::print(out, "teardown: NOT clean\n");
    for (const std::string &line : report.left_behind) {
        fmt::print(out, "  left behind: {}\n", line);
    }
    if (report.verifier_reports != 0) {
        fmt::print(out, "  verifier: {} report(s)\n", report.verifier_reports);
        for (const std::string &m : report.verifier_messages) {
            fmt::print(out, "    {}\n", m);
        }
    }
    if (!report.leak_report.empty()) {
        fmt::print(out, "  leak report:\n{}", report.leak_report);
    }
    return false;
}

} // namespace ndisctl
