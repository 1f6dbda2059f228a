// host/schedule.hpp — the [[schedule]] of a stack: action names and the checks shared by the
// topology parser (topology.cpp) and stack::add_schedule (stack.cpp), and the scheduler thread
// that performs the entries in time order while the stack runs.
//
// Timing. Times are offsets from the moment start() finished (t0). An at_ms entry runs once at
// t0 + at_ms + jitter; an every_ms entry runs at t0 + k × every_ms + jitter_k for k = 1, 2, …
// (count times, or until stop). Each delay jitter_k is drawn in order from a splitmix64 stream
// seeded with `seed`, so a seed always gives the same delays on every platform. A run that is
// late (the previous action took long) happens at once; runs are never skipped. Entries due at
// the same moment run in file order.
//
// The scheduler does not touch the stack itself: it calls a runner (stack.cpp) that takes the
// stack's control lock, so scheduled actions and calls from other threads are serialized, and
// stop() stops the scheduler (joins its thread) before tearing the stack down.
#pragma once

#include <openndis/host.hpp>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace ndis::host::detail {

enum class schedule_action : std::uint8_t {
    pause, restart, pause_restart, reset, power_cycle, unbind, rebind, unbind_rebind
};

// By name ("power_cycle" or "power-cycle"); nullopt when unknown.
std::optional<schedule_action> parse_schedule_action(std::string_view name) noexcept;
const char *to_string(schedule_action a) noexcept;
// "pause, restart, …" for messages.
std::string schedule_action_names();
// Binding actions need a protocol; reset and power_cycle take none; pause/restart either.
bool needs_protocol(schedule_action a) noexcept;
bool takes_protocol(schedule_action a) noexcept;

// "" when the entry is well formed (action, protocol, at_ms / every_ms / count / jitter), else
// what is wrong. Does not look at adapters or bindings.
std::string check_schedule_entry(const schedule_spec &e);

// The delay of each run of an entry: 0 … jitter_ms, from a stream seeded with `seed`.
class jitter_stream {
public:
    explicit jitter_stream(std::uint64_t seed) noexcept : state_(seed) {}
    std::uint64_t next(std::uint64_t jitter_ms) noexcept;

private:
    std::uint64_t state_;
};

class scheduler {
public:
    // Performs one entry; false with `error` set when it failed.
    using runner = std::function<bool(const schedule_spec &, std::string &error)>;

    scheduler(std::vector<schedule_spec> entries, runner run);
    ~scheduler();
    scheduler(const scheduler &) = delete;
    scheduler &operator=(const scheduler &) = delete;

    void start(); // t0 is now
    void stop();  // waits for an action in progress; idempotent
    std::vector<schedule_result> results() const;

private:
    void loop();

    std::vector<schedule_spec> entries_;
    runner run_;
    mutable std::mutex lock_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::vector<schedule_result> results_;
    std::thread thread_;
};

} // namespace ndis::host::detail
