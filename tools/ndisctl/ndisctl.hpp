// ndisctl.hpp — pieces of ndisctl shared by its source files.
//
//   main.cpp        the command line (CLI11): run, demo, validate, --version
//   print.cpp       counter tables and the teardown summary
//   demo_topology   examples/topologies/demo.toml, embedded at build time
#pragma once

#include <openndis/host.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace ndisctl {

// Exit statuses.
inline constexpr int kExitOk = 0;
inline constexpr int kExitLoadFailure = 1; // bad topology, driver load or start failure, usage
inline constexpr int kExitLeftBehind = 2;  // teardown found leaks or verifier reports
inline constexpr int kExitDemoMismatch = 3; // the demo's counts were not what it expected

extern const char *const demo_topology;

// Tables of the final counters; `seconds` is how long the stack ran (for rates).
void print_counters(std::FILE *out, const std::vector<ndis::host::adapter_counters> &adapters,
                    const std::vector<ndis::host::binding_counters> &bindings, double seconds);
// What the [[schedule]] did, one line per entry (nothing when there is no schedule).
void print_schedule(std::FILE *out, const std::vector<ndis::host::schedule_result> &results);
// "teardown: clean …" or what was left behind; returns true when clean.
bool print_teardown(std::FILE *out, const ndis::host::teardown_report &report);

} // namespace ndisctl
