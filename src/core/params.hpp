// core/params.hpp — configuration parameters as the runtime keeps them.
//
// A parameter table belongs to a driver, an adapter or a binding (from the topology file's
// [driver.params], [adapter.params] and [binding.params]); drivers read it through
// NdisOpenConfigurationEx / NdisReadConfiguration exactly as they read the registry on Windows.
// Keys compare case-insensitively, as registry value names do.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <strings.h>
#include <variant>

namespace ndis::core {

struct ci_less {
    bool operator()(const std::string &a, const std::string &b) const noexcept
    {
        return strcasecmp(a.c_str(), b.c_str()) < 0;
    }
};

// An integer (NdisParameterInteger / NdisParameterHexInteger) or a string (NdisParameterString).
using param_value = std::variant<std::int64_t, std::string>;
using param_map = std::map<std::string, param_value, ci_less>;

} // namespace ndis::core
