// host/driver_loader.hpp — one driver of a stack: where its DriverEntry comes from (the
// built-in table, a shared object, or the caller), its DRIVER_OBJECT and RegistryPath, what it
// registered, and its unload.
//
// Load (PASSIVE_LEVEL, the host's control thread):
//   external: dlopen(path, RTLD_NOW | RTLD_LOCAL), dlsym("DriverEntry")
//   DRIVER_OBJECT { DriverName "\Driver\<name>", DriverExtension->ServiceKeyName "<name>",
//                   DriverInit, DriverStart = the object's load address }
//   RegistryPath "\Registry\Machine\System\CurrentControlSet\Services\<name>"
//   DriverEntry runs inside core::set_loading_service(&name) and a kernel::driver_scope, so the
//   miniport/protocol it registers is known by its service name and its DbgPrint lines, timers,
//   work items and pool memory are attributed to it.
// Unload (after every adapter is halted and every binding closed):
//   miniport: chars.UnloadHandler(DriverObject) if set; protocol: DriverObject->DriverUnload if
//   set; then whatever is still registered is forgotten (core::*_driver_forget); then what the
//   driver left behind (timers, work items, pool memory) is listed and reported to the
//   verifier (kernel::report_driver_leaks); then dlclose — unless timers or work items of the
//   driver are still alive, whose routines would run in unmapped code.
#pragma once

#include "core/stack.hpp"
#include "kernel/irql.hpp"

#include <ndis.h>

#include <string>
#include <string_view>
#include <vector>

namespace ndis::host::detail {

PDRIVER_INITIALIZE find_builtin(std::string_view name);
std::vector<std::string> builtin_names();

class loaded_driver {
public:
    // `path` already resolved (relative paths made absolute by the caller); empty: `entry`.
    loaded_driver(std::string name, std::string path, PDRIVER_INITIALIZE entry);
    ~loaded_driver();
    loaded_driver(const loaded_driver &) = delete;
    loaded_driver &operator=(const loaded_driver &) = delete;

    // Resolves DriverEntry and calls it. On failure nothing stays registered or mapped and
    // `error` says why (naming the path and dlerror() for shared objects).
    // `params` ([driver.params]) are readable from DriverEntry on.
    bool load(std::string &error, const core::param_map *params = nullptr);
    // Unloads (see above); appends one line per thing left behind to `left_behind` and adds
    // the timers / work items / pool blocks left to the counters.
    void unload(std::vector<std::string> &left_behind, std::uint64_t &timers,
                std::uint64_t &work_items);

    const std::string &name() const noexcept { return _name; }
    bool loaded() const noexcept { return _loaded; }
    // What DriverEntry registered (pointers valid while loaded and registered).
    const std::vector<core::miniport_driver *> &miniports() const noexcept { return _miniports; }
    const std::vector<core::protocol_driver *> &protocols() const noexcept { return _protocols; }
    void set_params(const core::param_map &params);
    // "miniport", "protocol", "miniport and protocol" or "nothing".
    std::string kind() const;

private:
    std::string _name;
    std::string _path;
    PDRIVER_INITIALIZE _entry;
    void *_dl = nullptr;
    bool _loaded = false;
    const kernel::driver_identity *_identity = nullptr;
    DRIVER_OBJECT _object{};
    DRIVER_EXTENSION _extension{};
    std::vector<WCHAR> _driver_name, _registry, _service;
    UNICODE_STRING _registry_path{};
    std::vector<core::miniport_driver *> _miniports;
    std::vector<core::protocol_driver *> _protocols;

    void forget_registered();
    void close_object() noexcept;
};

// Whether `m` / `p` is still in the runtime's registry (not yet forgotten).
bool registered(const core::miniport_driver *m);
bool registered(const core::protocol_driver *p);

} // namespace ndis::host::detail
