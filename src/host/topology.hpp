// host/topology.hpp — helpers shared by the topology parser (topology.cpp) and the stack
// (stack.cpp). The public types and parse_topology* are in <openndis/host.hpp>.
#pragma once

#include "core/faulty.hpp"

#include <openndis/host.hpp>

#include <string>
#include <string_view>

namespace ndis::host {

// ASCII case-insensitive equality (service, adapter and parameter names).
bool equal_nocase(std::string_view a, std::string_view b) noexcept;
// A service name: 1 to 64 of [A-Za-z0-9_.-].
bool valid_service_name(std::string_view s) noexcept;
// An adapter name or parameter key: 1 to 256 printable ASCII characters.
bool valid_object_name(std::string_view s) noexcept;
// "" when every parameter is acceptable (key, 32-bit integer, no key twice), else what is not.
std::string check_params(const param_list &params);

// "" when a fault spec is valid (names the key that is not), and its core configuration.
std::string check_fault_spec(const fault_spec &spec);
core::fault_config to_fault_config(const fault_spec &spec); // spec checked
// "" when the watchdog's limits are valid.
std::string check_watchdog_spec(const watchdog_spec &spec);

} // namespace ndis::host
