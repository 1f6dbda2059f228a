// host/schedule.cpp — [[schedule]] action names, entry checks and the scheduler thread (see
// schedule.hpp).
#include "host/schedule.hpp"

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <limits>

namespace ndis::host::detail {

namespace {

struct action_name {
    schedule_action action;
    const char *name;
};

constexpr std::array<action_name, 8> kActions{{
    {schedule_action::pause, "pause"},
    {schedule_action::restart, "restart"},
    {schedule_action::pause_restart, "pause_restart"},
    {schedule_action::reset, "reset"},
    {schedule_action::power_cycle, "power_cycle"},
    {schedule_action::unbind, "unbind"},
    {schedule_action::rebind, "rebind"},
    {schedule_action::unbind_rebind, "unbind_rebind"},
}};

// Larger than any sensible schedule (about 49 days), small enough for chrono arithmetic.
constexpr std::uint64_t kMaxMs = std::numeric_limits<std::uint32_t>::max();

} // namespace

std::optional<schedule_action> parse_schedule_action(std::string_view name) noexcept
{
    for (const action_name &a : kActions) {
        const std::string_view n(a.name);
        if (n.size() != name.size()) {
            continue;
        }
        bool same = true;
        for (std::size_t i = 0; i < n.size() && same; ++i) {
            char c = name[i];
            c = c == '-' ? '_' : (c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
            same = c == n[i];
        }
        if (same) {
            return a.action;
        }
    }
    return std::nullopt;
}

const char *to_string(schedule_action a) noexcept
{
    for (const action_name &n : kActions) {
        if (n.action == a) {
            return n.name;
        }
    }
    return "?";
}

std::string schedule_action_names()
{
    std::string out;
    for (const action_name &a : kActions) {
        out += out.empty() ? a.name : std::string(", ") + a.name;
    }
    return out;
}

bool needs_protocol(schedule_action a) noexcept
{
    return a == schedule_action::unbind || a == schedule_action::rebind ||
           a == schedule_action::unbind_rebind;
}

bool takes_protocol(schedule_action a) noexcept
{
    return a != schedule_action::reset && a != schedule_action::power_cycle;
}

std::string check_schedule_entry(const schedule_spec &e)
{
    const auto action = parse_schedule_action(e.action);
    if (!action) {
        return fmt::format("unknown action '{}' (expected {})", e.action, schedule_action_names());
    }
    if (e.adapter.empty()) {
        return fmt::format("{}: no adapter named", e.action);
    }
    if (needs_protocol(*action) && e.protocol.empty()) {
        return fmt::format("{} of adapter '{}': a binding action needs 'protocol'", e.action,
                           e.adapter);
    }
    if (!takes_protocol(*action) && !e.protocol.empty()) {
        return fmt::format("{} of adapter '{}': 'protocol' does not apply ({} acts on the "
                           "adapter)",
                           e.action, e.adapter, e.action);
    }
    if (e.at_ms && e.every_ms) {
        return fmt::format("{} of '{}': both 'at_ms' and 'every_ms' (give one)", e.action,
                           e.adapter);
    }
    if (!e.at_ms && !e.every_ms) {
        return fmt::format("{} of '{}': neither 'at_ms' nor 'every_ms' (give one)", e.action,
                           e.adapter);
    }
    if (e.every_ms && *e.every_ms == 0) {
        return fmt::format("{} of '{}': 'every_ms' must be at least 1", e.action, e.adapter);
    }
    if ((e.at_ms && *e.at_ms > kMaxMs) || (e.every_ms && *e.every_ms > kMaxMs) ||
        e.jitter_ms > kMaxMs) {
        return fmt::format("{} of '{}': times are at most {} ms", e.action, e.adapter, kMaxMs);
    }
    if (e.count != 0 && !e.every_ms) {
        return fmt::format("{} of '{}': 'count' goes with 'every_ms' (an 'at_ms' entry runs "
                           "once)",
                           e.action, e.adapter);
    }
    return {};
}

std::uint64_t jitter_stream::next(std::uint64_t jitter_ms) noexcept
{
    // splitmix64: the same numbers everywhere (std:: distributions differ between libraries).
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return jitter_ms == 0 ? 0 : z % (jitter_ms + 1);
}

// ================================ scheduler ======================================================

scheduler::scheduler(std::vector<schedule_spec> entries, runner run)
    : entries_(std::move(entries)), run_(std::move(run))
{
    for (const schedule_spec &e : entries_) {
        schedule_result r;
        r.action = e.action;
        r.adapter = e.adapter;
        r.protocol = e.protocol;
        r.where = e.where;
        results_.push_back(std::move(r));
    }
}

scheduler::~scheduler()
{
    stop();
}

void scheduler::start()
{
    if (entries_.empty() || thread_.joinable()) {
        return;
    }
    thread_ = std::thread([this] { loop(); });
}

void scheduler::stop()
{
    {
        std::lock_guard<std::mutex> g(lock_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

std::vector<schedule_result> scheduler::results() const
{
    std::lock_guard<std::mutex> g(lock_);
    return results_;
}

void scheduler::loop()
{
    using clock = std::chrono::steady_clock;
    const clock::time_point t0 = clock::now();
    struct plan {
        bool active = true;
        std::uint64_t runs = 0;
        clock::time_point next;
        jitter_stream jitter{0};
    };
    std::vector<plan> plans(entries_.size());
    auto due = [&](std::size_t i) {
        const schedule_spec &e = entries_[i];
        plan &p = plans[i];
        const std::uint64_t base = e.at_ms ? *e.at_ms : *e.every_ms * (p.runs + 1);
        p.next = t0 + std::chrono::milliseconds(base + p.jitter.next(e.jitter_ms));
    };
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        plans[i].jitter = jitter_stream(entries_[i].seed);
        due(i);
    }
    std::unique_lock<std::mutex> g(lock_);
    while (!stopping_) {
        std::size_t next = entries_.size();
        for (std::size_t i = 0; i < entries_.size(); ++i) {
            if (plans[i].active && (next == entries_.size() || plans[i].next < plans[next].next)) {
                next = i; // ties: the earlier entry (strict <)
            }
        }
        if (next == entries_.size()) {
            wake_.wait(g, [this] { return stopping_; }); // nothing left to do
            break;
        }
        if (wake_.wait_until(g, plans[next].next, [this] { return stopping_; })) {
            break;
        }
        g.unlock();
        std::string error;
        const bool ok = run_(entries_[next], error);
        g.lock();
        schedule_result &r = results_[next];
        ++r.runs;
        ++(ok ? r.ok : r.failed);
        if (!ok) {
            r.last_error = std::move(error);
        }
        plan &p = plans[next];
        ++p.runs;
        const schedule_spec &e = entries_[next];
        if (e.at_ms || (e.count != 0 && p.runs >= e.count)) {
            p.active = false;
        } else {
            due(next);
        }
    }
}

} // namespace ndis::host::detail
