// host/driver_loader.cpp — see driver_loader.hpp.
#include "host/driver_loader.hpp"

#include "core/pools.hpp"

#include "host/topology.hpp"
#include "kernel/accounting.hpp"
#include "kernel/memory.hpp"
#include "kernel/timer.hpp"
#include "kernel/workitem.hpp"

#include <openndis/host.hpp>

#include <fmt/format.h>

#if __has_include("builtin_drivers.h")
#include "builtin_drivers.h" // drivers/: null, loopback, pktgen … (linked into libopenndis.so)
#define OPENNDIS_HOST_HAVE_BUILTIN_TABLE 1
#endif

#include <algorithm>
#include <dlfcn.h>
#include <map>
#include <mutex>

namespace ndis::host {

namespace {

struct builtin_table {
    std::mutex lock;
    std::vector<std::pair<std::string, PDRIVER_INITIALIZE>> entries; // registration order
};

builtin_table &builtins()
{
    static builtin_table *t = new builtin_table; // lives until exit (used by atexit paths)
    return *t;
}

std::vector<WCHAR> wide(std::string_view s)
{
    std::vector<WCHAR> w;
    w.reserve(s.size() + 1);
    for (unsigned char c : s) {
        w.push_back(c); // names are ASCII (checked)
    }
    w.push_back(0);
    return w;
}

UNICODE_STRING unicode(std::vector<WCHAR> &storage)
{
    UNICODE_STRING u{};
    u.Buffer = storage.data();
    u.Length = static_cast<USHORT>((storage.size() - 1) * sizeof(WCHAR));
    u.MaximumLength = static_cast<USHORT>(storage.size() * sizeof(WCHAR));
    return u;
}

} // namespace

void register_builtin_driver(std::string_view name, PDRIVER_INITIALIZE entry)
{
    auto &t = builtins();
    std::lock_guard<std::mutex> g(t.lock);
    for (auto &e : t.entries) {
        if (equal_nocase(e.first, name)) {
            e.second = entry;
            return;
        }
    }
    t.entries.emplace_back(std::string(name), entry);
}

std::vector<std::string> builtin_driver_names()
{
    return detail::builtin_names();
}

namespace detail {

PDRIVER_INITIALIZE find_builtin(std::string_view name)
{
    auto &t = builtins();
    std::lock_guard<std::mutex> g(t.lock);
    for (auto &e : t.entries) {
        if (equal_nocase(e.first, name)) {
            return e.second;
        }
    }
#ifdef OPENNDIS_HOST_HAVE_BUILTIN_TABLE
    for (ULONG i = 0; i < OpenNdisBuiltinDriverCount; ++i) {
        if (equal_nocase(OpenNdisBuiltinDrivers[i].ServiceName, name)) {
            return OpenNdisBuiltinDrivers[i].DriverEntry;
        }
    }
#endif
    return nullptr;
}

std::vector<std::string> builtin_names()
{
    auto &t = builtins();
    std::lock_guard<std::mutex> g(t.lock);
    std::vector<std::string> names;
#ifdef OPENNDIS_HOST_HAVE_BUILTIN_TABLE
    for (ULONG i = 0; i < OpenNdisBuiltinDriverCount; ++i) {
        names.emplace_back(OpenNdisBuiltinDrivers[i].ServiceName);
    }
#endif
    for (auto &e : t.entries) {
        if (std::none_of(names.begin(), names.end(),
                         [&e](const std::string &n) { return equal_nocase(n, e.first); })) {
            names.push_back(e.first);
        }
    }
    return names;
}

bool registered(const core::miniport_driver *m)
{
    auto &r = core::registry();
    std::lock_guard<std::recursive_mutex> g(r.lock);
    return std::any_of(r.miniports.begin(), r.miniports.end(),
                       [m](const auto &u) { return u.get() == m; });
}

bool registered(const core::protocol_driver *p)
{
    auto &r = core::registry();
    std::lock_guard<std::recursive_mutex> g(r.lock);
    return std::any_of(r.protocols.begin(), r.protocols.end(),
                       [p](const auto &u) { return u.get() == p; });
}

loaded_driver::loaded_driver(std::string name, std::string path, PDRIVER_INITIALIZE entry)
    : _name(std::move(name)), _path(std::move(path)), _entry(entry)
{
}

loaded_driver::~loaded_driver()
{
    // unload() is the normal path; this only releases the mapping of a driver that was never
    // entered (a failed load closes its own).
    if (!_loaded) {
        close_object();
    }
}

void loaded_driver::close_object() noexcept
{
    if (_dl != nullptr) {
        dlclose(_dl);
        _dl = nullptr;
    }
}

std::string loaded_driver::kind() const
{
    if (!_miniports.empty() && !_protocols.empty()) {
        return "miniport and protocol";
    }
    if (!_miniports.empty()) {
        return "miniport";
    }
    if (!_protocols.empty()) {
        return "protocol";
    }
    return "nothing";
}

void loaded_driver::set_params(const core::param_map &params)
{
    auto &r = core::registry();
    std::lock_guard<std::recursive_mutex> g(r.lock);
    for (core::miniport_driver *m : _miniports) {
        if (registered(m)) {
            m->params = params;
        }
    }
    for (core::protocol_driver *p : _protocols) {
        if (registered(p)) {
            p->params = params;
        }
    }
}

bool loaded_driver::load(std::string &error, const core::param_map *params)
{
    PDRIVER_INITIALIZE entry = _entry;
    if (!_path.empty()) {
        dlerror();
        _dl = dlopen(_path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (_dl == nullptr) {
            const char *why = dlerror();
            error = fmt::format("driver '{}': cannot load '{}': {}", _name, _path,
                                why != nullptr ? why : "dlopen failed");
            return false;
        }
        dlerror();
        void *sym = dlsym(_dl, "DriverEntry");
        if (sym == nullptr) {
            const char *why = dlerror();
            error = fmt::format("driver '{}': '{}' does not export DriverEntry (it must be "
                                "`NTSTATUS DriverEntry(PDRIVER_OBJECT, PUNICODE_STRING)` with C "
                                "linkage and default visibility): {}",
                                _name, _path, why != nullptr ? why : "symbol not found");
            close_object();
            return false;
        }
        entry = reinterpret_cast<PDRIVER_INITIALIZE>(sym);
    } else if (entry == nullptr) {
        entry = find_builtin(_name);
        if (entry == nullptr) {
            std::string names;
            for (const std::string &n : builtin_names()) {
                names += names.empty() ? n : ", " + n;
            }
            error = fmt::format("driver '{}': no built-in driver of that name (built-in: {}); an "
                                "external driver needs 'path'",
                                _name, names.empty() ? "none registered" : names);
            return false;
        }
    }
    _entry = entry;
    if (kernel::current_irql() != PASSIVE_LEVEL) {
        error = fmt::format("driver '{}': DriverEntry must be called at PASSIVE_LEVEL; the host "
                            "thread is at IRQL {}",
                            _name, static_cast<int>(kernel::current_irql()));
        close_object();
        return false;
    }

    // DRIVER_OBJECT and RegistryPath, as the I/O manager builds them.
    _driver_name = wide("\\Driver\\" + _name);
    _registry = wide("\\Registry\\Machine\\System\\CurrentControlSet\\Services\\" + _name);
    _service = wide(_name);
    _registry_path = unicode(_registry);
    _object = DRIVER_OBJECT{};
    _extension = DRIVER_EXTENSION{};
    _object.Type = IO_TYPE_DRIVER;
    _object.Size = static_cast<CSHORT>(sizeof(DRIVER_OBJECT) + sizeof(DRIVER_EXTENSION));
    _object.DriverName = unicode(_driver_name);
    _object.DriverExtension = &_extension;
    _object.DriverInit = entry;
    _extension.DriverObject = &_object;
    _extension.ServiceKeyName = unicode(_service);
    Dl_info info{};
    if (dladdr(reinterpret_cast<void *>(entry), &info) != 0) {
        _object.DriverStart = info.dli_fbase;
    }
    _identity = kernel::intern_driver(_name);

    std::vector<const void *> before;
    {
        auto &r = core::registry();
        std::lock_guard<std::recursive_mutex> g(r.lock);
        for (auto &m : r.miniports) {
            before.push_back(m.get());
        }
        for (auto &p : r.protocols) {
            before.push_back(p.get());
        }
    }
    NTSTATUS status;
    core::set_loading_service(&_name);
    core::set_loading_params(params);
    {
        kernel::driver_scope scope(_identity);
        status = entry(&_object, &_registry_path);
    }
    core::set_loading_params(nullptr);
    core::set_loading_service(nullptr);
    if (kernel::current_irql() != PASSIVE_LEVEL) {
        kernel::set_irql(PASSIVE_LEVEL);
    }
    {
        auto is_new = [&before](const void *p) {
            return std::find(before.begin(), before.end(), p) == before.end();
        };
        auto &r = core::registry();
        std::lock_guard<std::recursive_mutex> g(r.lock);
        for (auto &m : r.miniports) {
            if (is_new(m.get())) {
                _miniports.push_back(m.get());
            }
        }
        for (auto &p : r.protocols) {
            if (is_new(p.get())) {
                _protocols.push_back(p.get());
            }
        }
    }
    if (status < 0) {
        error = fmt::format("driver '{}': DriverEntry failed with 0x{:08x}", _name,
                            static_cast<ULONG>(status));
        forget_registered();
        _miniports.clear();
        _protocols.clear();
        close_object();
        return false;
    }
    if (_miniports.empty() && _protocols.empty()) {
        error = fmt::format("driver '{}': DriverEntry returned 0x{:08x} but registered neither a "
                            "miniport (NdisMRegisterMiniportDriver) nor a protocol "
                            "(NdisRegisterProtocolDriver)",
                            _name, static_cast<ULONG>(status));
        if (_object.DriverUnload != nullptr) {
            kernel::driver_scope scope(_identity);
            _object.DriverUnload(&_object);
        }
        close_object();
        return false;
    }
    _loaded = true;
    return true;
}

void loaded_driver::forget_registered()
{
    for (core::protocol_driver *p : _protocols) {
        if (registered(p)) {
            core::protocol_driver_forget(p);
        }
    }
    for (core::miniport_driver *m : _miniports) {
        if (registered(m)) {
            core::miniport_driver_forget(m);
        }
    }
}

void loaded_driver::unload(std::vector<std::string> &left_behind, std::uint64_t &timers,
                           std::uint64_t &work_items)
{
    if (!_loaded) {
        return;
    }
    MINIPORT_DRIVER_UNLOAD *miniport_unload = nullptr;
    for (core::miniport_driver *m : _miniports) {
        if (registered(m) && m->chars.UnloadHandler != nullptr) {
            miniport_unload = m->chars.UnloadHandler;
        }
    }
    if (miniport_unload != nullptr) {
        kernel::driver_scope scope(_identity);
        miniport_unload(&_object); // usually calls NdisMDeregisterMiniportDriver
    }
    if (!_protocols.empty() && _object.DriverUnload != nullptr &&
        reinterpret_cast<void *>(_object.DriverUnload) !=
            reinterpret_cast<void *>(miniport_unload)) {
        kernel::driver_scope scope(_identity);
        _object.DriverUnload(&_object); // usually calls NdisDeregisterProtocolDriver
    }
    forget_registered();
    _miniports.clear();
    _protocols.clear();
    _loaded = false;

    // What the driver left behind.
    const std::uint64_t t = kernel::live_timers_of(_identity);
    const std::uint64_t w = kernel::live_work_items_of(_identity);
    const kernel::memory_totals m = kernel::pool_live_for(_identity);
    if (t != 0) {
        std::string lines;
        kernel::timers_append_report(lines, _identity);
        left_behind.push_back(fmt::format("driver '{}': {} timer object(s) not freed "
                                          "(NdisFreeTimerObject)\n{}",
                                          _name, t, lines));
        timers += t;
    }
    if (w != 0) {
        std::string lines;
        kernel::work_items_append_report(lines, _identity);
        left_behind.push_back(fmt::format("driver '{}': {} work item(s) not freed "
                                          "(NdisFreeIoWorkItem)\n{}",
                                          _name, w, lines));
        work_items += w;
    }
    if (m.blocks != 0) {
        std::string lines;
        kernel::pool_append_report(lines, _identity);
        left_behind.push_back(fmt::format("driver '{}': {} pool block(s), {} bytes not freed "
                                          "(NdisFreeMemory)\n{}",
                                          _name, m.blocks, m.bytes, lines));
    }
    {
        std::string lines;
        const core::driver_pool_usage pu = core::pools_left_by(_identity, lines);
        if (pu.pools != 0) {
            left_behind.push_back(fmt::format("driver '{}': {} NBL/NB pool(s) not freed or still "
                                              "holding {} NBL(s)/NB(s) "
                                              "(NdisFreeNetBufferList, NdisFreeNetBufferListPool)\n{}",
                                              _name, pu.pools, pu.objects, lines));
        }
    }
    kernel::report_driver_leaks(_identity, "DriverUnload");
    for (std::string &line : left_behind) {
        while (!line.empty() && line.back() == '\n') {
            line.pop_back();
        }
    }
    if (t != 0 || w != 0) {
        if (_dl != nullptr) {
            left_behind.push_back(fmt::format("driver '{}': '{}' stays mapped (its timers or work "
                                              "items could still run)",
                                              _name, _path));
            _dl = nullptr; // deliberately never closed
        }
        return;
    }
    close_object();
}

} // namespace detail
} // namespace ndis::host
