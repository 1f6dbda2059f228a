// host/topology.cpp — topology files (TOML) → ndis::host::topology, with every check that
// needs no driver loaded. The format (README.md "Topology files", examples/topologies/):
//
//   [[driver]]            name = "<service name>"   path = "<shared object>" (external only)
//   [driver.params]       Key = 1 / Key = "text"    read on the driver's handle
//   [[adapter]]           name = "<instance name>"  driver = "<miniport service name>"
//   [adapter.params]      read on the adapter's handle (NdisOpenConfigurationEx)
//   [[binding]]           protocol = "<registered Name>"   adapter = "<adapter name>"
//   [binding.params]      read on the NdisBindingHandle
//   [[schedule]]          action = "reset" adapter = "<adapter>" [protocol = "<Name>"]
//                         at_ms = N | every_ms = N  [jitter_ms, seed, count]   (schedule.hpp)
//
// Every problem becomes one "FILE:LINE:COLUMN: what" line (toml++ source regions); all of them
// are reported, in file order. toml++ is used header-only (no link dependency for the
// runtime); without it the loaders say so.
#include "host/topology.hpp"

#include "host/schedule.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <strings.h>

#if __has_include(<toml++/toml.hpp>) || __has_include(<toml++/toml.h>)
#define OPENNDIS_HAVE_TOMLPLUSPLUS 1
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#define TOML_ENABLE_FORMATTERS 0
#if __has_include(<toml++/toml.hpp>)
#include <toml++/toml.hpp>
#else
#include <toml++/toml.h> // toml++ before 3.4 (Debian 12)
#endif
#else
#define OPENNDIS_HAVE_TOMLPLUSPLUS 0
#endif

namespace ndis::host {

bool equal_nocase(std::string_view a, std::string_view b) noexcept
{
    return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool valid_service_name(std::string_view s) noexcept
{
    if (s.empty() || s.size() > 64) {
        return false;
    }
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-' || c == '.';
    });
}

bool valid_object_name(std::string_view s) noexcept
{
    if (s.empty() || s.size() > 256) {
        return false;
    }
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

std::string check_param_value(const param &p)
{
    if (!valid_object_name(p.key)) {
        return fmt::format("parameter key '{}' must be 1 to 256 printable ASCII characters",
                           p.key);
    }
    if (const auto *i = std::get_if<std::int64_t>(&p.value)) {
        if (*i < std::numeric_limits<std::int32_t>::min() ||
            *i > static_cast<std::int64_t>(std::numeric_limits<std::uint32_t>::max())) {
            return fmt::format("parameter '{}' = {} does not fit in 32 bits "
                               "(NdisParameterInteger is a ULONG)",
                               p.key, *i);
        }
    }
    return {};
}

std::string check_params(const param_list &params)
{
    for (std::size_t i = 0; i < params.size(); ++i) {
        std::string e = check_param_value(params[i]);
        if (!e.empty()) {
            return e;
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (equal_nocase(params[i].key, params[j].key)) {
                return fmt::format("parameter '{}' given twice (keys are case-insensitive)",
                                   params[i].key);
            }
        }
    }
    return {};
}

std::string check_fault_spec(const fault_spec &f)
{
    for (const std::string &name : f.fail_statuses) {
        if (core::fault_status_index(name) < 0) {
            std::string names;
            for (std::size_t i = 0; core::fault_status_name(i) != nullptr; ++i) {
                names += (names.empty() ? "" : ", ") + std::string(core::fault_status_name(i));
            }
            return fmt::format("fail_statuses: '{}' is not a send completion failure status "
                               "(MS-08: {})",
                               name, names);
        }
    }
    if (f.fail_mode != "mixed" && f.fail_mode != "before" && f.fail_mode != "after") {
        return fmt::format("fail_mode '{}' is not \"before\", \"after\" or \"mixed\"",
                           f.fail_mode);
    }
    return core::fault_validate(to_fault_config(f));
}

core::fault_config to_fault_config(const fault_spec &f)
{
    core::fault_config c;
    c.seed = f.seed;
    c.fail_fraction = f.fail_fraction;
    for (const std::string &name : f.fail_statuses) {
        const int i = core::fault_status_index(name);
        if (i >= 0) {
            c.fail_statuses.push_back(core::kFaultStatuses[static_cast<std::size_t>(i)]);
        }
    }
    c.fail_mode = f.fail_mode == "before"  ? core::fault_fail_mode::before
                  : f.fail_mode == "after" ? core::fault_fail_mode::after
                                           : core::fault_fail_mode::mixed;
    c.delay_us_max = f.delay_us_max;
    c.reorder = f.reorder;
    c.merge = f.merge;
    c.split = f.split;
    c.merge_window_us = f.merge_window_us;
    c.inline_fraction = f.inline_fraction;
    c.pend_pause_ms = f.pend_pause_ms;
    c.pend_restart_ms = f.pend_restart_ms;
    c.pend_reset_ms = f.pend_reset_ms;
    c.drop_after = f.drop_after;
    c.drop_fraction = f.drop_fraction;
    return c;
}

std::string check_watchdog_spec(const watchdog_spec &w)
{
    using ms = std::chrono::milliseconds;
    for (auto [v, name] : {std::pair{w.send_timeout, "send_timeout_ms"},
                           std::pair{w.hang_timeout, "hang_timeout_ms"},
                           std::pair{w.oid_timeout, "oid_timeout_ms"},
                           std::pair{w.operation_timeout, "operation_timeout_ms"},
                           std::pair{w.period, "period_ms"}}) {
        if (v <= ms(0) || v > ms(86'400'000)) {
            return fmt::format("{} {} is not between 1 and 86400000", name, v.count());
        }
    }
    return {};
}

#if OPENNDIS_HAVE_TOMLPLUSPLUS

namespace {

const char *type_name(const toml::node &n) noexcept
{
    switch (n.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
    }
}

location to_location(const std::string &file, const toml::source_region &r)
{
    location l;
    l.file = file;
    l.line = r.begin.line;
    l.column = r.begin.column;
    return l;
}

struct problem {
    std::uint32_t line, column;
    std::string text;
};

class parser {
public:
    parser(std::string file, topology &out) : _file(std::move(file)), _out(out) {}

    void error(const location &where, std::string what)
    {
        _problems.push_back({where.line, where.column, where.prefix() + what});
    }
    void error(const toml::source_region &r, std::string what)
    {
        error(to_location(_file, r), std::move(what));
    }

    bool ok() const noexcept { return _problems.empty(); }
    std::string message()
    {
        std::stable_sort(_problems.begin(), _problems.end(), [](const problem &a, const problem &b) {
            return a.line != b.line ? a.line < b.line : a.column < b.column;
        });
        std::string text;
        std::size_t n = 0;
        for (const problem &p : _problems) {
            if (++n > 50) {
                text += fmt::format("{}: … and {} more problem(s)\n", _file, _problems.size() - 50);
                break;
            }
            text += p.text + "\n";
        }
        if (!text.empty()) {
            text.pop_back();
        }
        return text;
    }

    void parse(const toml::table &root)
    {
        for (auto &&[key, node] : root) {
            const std::string k(key.str());
            if (k == "watchdog") {
                if (!node.is_table()) {
                    error(key.source(), fmt::format("'watchdog' must be a table ([watchdog]), "
                                                    "not {}",
                                                    type_name(node)));
                } else {
                    parse_watchdog(*node.as_table());
                }
                continue;
            }
            if (k == "schedule") {
                continue; // schedule_parser's (below)
            }
            if (k != "driver" && k != "adapter" && k != "binding") {
                error(key.source(), fmt::format("unknown top-level key '{}' (expected [[driver]], "
                                                "[[adapter]], [[binding]], [[schedule]] or "
                                                "[watchdog])",
                                                k));
                continue;
            }
            if (!node.is_array_of_tables()) {
                error(key.source(), fmt::format("'{}' must be an array of tables ([[{}]]), not {}",
                                                k, k, type_name(node)));
                continue;
            }
        }
        each("driver", root, [this](const toml::table &t) { parse_driver(t); });
        each("adapter", root, [this](const toml::table &t) { parse_adapter(t); });
        each("binding", root, [this](const toml::table &t) { parse_binding(t); });
        cross_check();
    }

private:
    template <typename F>
    void each(const char *name, const toml::table &root, F &&f)
    {
        const toml::node *n = root.get(name);
        if (n == nullptr || !n->is_array_of_tables()) {
            return;
        }
        for (const toml::node &e : *n->as_array()) {
            f(*e.as_table());
        }
    }

    // Checks the keys of an entry: every key known, required ones present.
    bool keys(const toml::table &t, const char *what, std::initializer_list<const char *> known,
              std::initializer_list<const char *> required)
    {
        bool good = true;
        for (auto &&[key, node] : t) {
            const std::string k(key.str());
            if (std::none_of(known.begin(), known.end(), [&k](const char *n) { return k == n; })) {
                std::string list;
                for (const char *n : known) {
                    list += list.empty() ? n : std::string(", ") + n;
                }
                error(key.source(),
                      fmt::format("[[{}]]: unknown key '{}' (expected {})", what, k, list));
                good = false;
            }
        }
        for (const char *r : required) {
            if (!t.contains(r)) {
                error(t.source(), fmt::format("[[{}]]: missing key '{}'", what, r));
                good = false;
            }
        }
        return good;
    }

    // A string value; reports a wrong type. Sets `where` to the value's position.
    bool string_of(const toml::table &t, const char *key, const char *what, std::string &out,
                   location &where)
    {
        const toml::node *n = t.get(key);
        if (n == nullptr) {
            return false;
        }
        where = to_location(_file, n->source());
        if (!n->is_string()) {
            error(n->source(), fmt::format("[[{}]]: '{}' must be a string, not {}", what, key,
                                           type_name(*n)));
            return false;
        }
        out = n->as_string()->get();
        return true;
    }

    void params_of(const toml::table &t, const char *what, const std::string &owner,
                   param_list &out)
    {
        const toml::node *n = t.get("params");
        if (n == nullptr) {
            return;
        }
        if (!n->is_table()) {
            error(n->source(), fmt::format("[[{}]] '{}': 'params' must be a table "
                                           "([{}.params]), not {}",
                                           what, owner, what, type_name(*n)));
            return;
        }
        // toml++ keeps keys sorted; restore file order for the caller.
        std::vector<std::pair<toml::source_position, param>> ordered;
        for (auto &&[key, v] : *n->as_table()) {
            const std::string k(key.str());
            std::optional<param> p;
            if (v.is_integer()) {
                p.emplace(k, v.as_integer()->get());
            } else if (v.is_string()) {
                p.emplace(k, v.as_string()->get());
            } else {
                error(v.source(), fmt::format("[{}.params] of '{}': '{}' is {}; parameters are "
                                              "integers (NdisParameterInteger) or strings "
                                              "(NdisParameterString)",
                                              what, owner, k, type_name(v)));
                continue;
            }
            std::string e = check_param_value(*p);
            if (!e.empty()) {
                error(key.source(), fmt::format("[{}.params] of '{}': {}", what, owner, e));
                continue;
            }
            bool dup = false;
            for (const auto &[pos, q] : ordered) {
                if (equal_nocase(q.key, k)) {
                    error(key.source(), fmt::format("[{}.params] of '{}': '{}' and '{}' are the "
                                                    "same parameter (keys are case-insensitive)",
                                                    what, owner, q.key, k));
                    dup = true;
                }
            }
            if (!dup) {
                ordered.emplace_back(key.source().begin, std::move(*p));
            }
        }
        std::stable_sort(ordered.begin(), ordered.end(), [](const auto &a, const auto &b) {
            return a.first.line != b.first.line ? a.first.line < b.first.line
                                                : a.first.column < b.first.column;
        });
        for (auto &[pos, p] : ordered) {
            out.push_back(std::move(p));
        }
    }

    void parse_driver(const toml::table &t)
    {
        keys(t, "driver", {"name", "path", "params"}, {"name"});
        driver_spec d;
        d.where = to_location(_file, t.source());
        location name_at;
        if (string_of(t, "name", "driver", d.name, name_at)) {
            d.where = name_at;
            if (!valid_service_name(d.name)) {
                error(name_at, fmt::format("[[driver]]: name '{}' is not a service name (1 to 64 "
                                           "letters, digits, '_', '-' or '.')",
                                           d.name));
            }
        }
        if (string_of(t, "path", "driver", d.path, d.where_path) && d.path.empty()) {
            error(d.where_path, fmt::format("[[driver]] '{}': 'path' is empty", d.name));
        }
        params_of(t, "driver", d.name, d.params);
        if (!d.name.empty()) {
            for (const driver_spec &o : _out.drivers) {
                if (equal_nocase(o.name, d.name)) {
                    error(d.where, fmt::format("[[driver]]: duplicate driver name '{}' (first at "
                                               "line {})",
                                               d.name, o.where.line));
                }
            }
        }
        _out.drivers.push_back(std::move(d));
    }

    void parse_adapter(const toml::table &t)
    {
        keys(t, "adapter", {"name", "driver", "params", "faulty"}, {"name", "driver"});
        adapter_spec a;
        a.where = to_location(_file, t.source());
        location name_at;
        if (string_of(t, "name", "adapter", a.name, name_at)) {
            a.where = name_at;
            if (!valid_object_name(a.name)) {
                error(name_at, fmt::format("[[adapter]]: name '{}' must be 1 to 256 printable "
                                           "ASCII characters",
                                           a.name));
            }
        }
        string_of(t, "driver", "adapter", a.driver, a.where_driver);
        params_of(t, "adapter", a.name, a.params);
        if (const toml::node *f = t.get("faulty")) {
            a.where_faults = to_location(_file, f->source());
            if (!f->is_table()) {
                error(f->source(), fmt::format("[[adapter]] '{}': 'faulty' must be a table "
                                               "([adapter.faulty]), not {}",
                                               a.name, type_name(*f)));
            } else {
                a.faults = parse_faulty(*f->as_table(), a.name);
            }
        }
        if (!a.name.empty()) {
            for (const adapter_spec &o : _out.adapters) {
                if (equal_nocase(o.name, a.name)) {
                    error(a.where, fmt::format("[[adapter]]: duplicate adapter name '{}' (first "
                                               "at line {})",
                                               a.name, o.where.line));
                }
            }
        }
        _out.adapters.push_back(std::move(a));
    }

    void parse_binding(const toml::table &t)
    {
        keys(t, "binding", {"protocol", "adapter", "params"}, {"protocol", "adapter"});
        binding_spec b;
        b.where = to_location(_file, t.source());
        string_of(t, "protocol", "binding", b.protocol, b.where_protocol);
        string_of(t, "adapter", "binding", b.adapter, b.where_adapter);
        if (b.where_protocol.known()) {
            b.where = b.where_protocol;
        }
        params_of(t, "binding", b.protocol + " → " + b.adapter, b.params);
        if (!b.protocol.empty() && !b.adapter.empty()) {
            for (const binding_spec &o : _out.bindings) {
                if (equal_nocase(o.protocol, b.protocol) && equal_nocase(o.adapter, b.adapter)) {
                    error(b.where, fmt::format("[[binding]]: duplicate binding of '{}' to '{}' "
                                               "(first at line {})",
                                               b.protocol, b.adapter, o.where.line));
                }
            }
        }
        _out.bindings.push_back(std::move(b));
    }

    // An unsigned integer key of a table (`what` names the table); false when absent or bad.
    template <typename T>
    bool unsigned_of(const toml::table &t, const char *key, const std::string &what, T &out,
                     std::uint64_t max = std::numeric_limits<T>::max())
    {
        const toml::node *n = t.get(key);
        if (n == nullptr) {
            return false;
        }
        if (!n->is_integer() || n->as_integer()->get() < 0 ||
            static_cast<std::uint64_t>(n->as_integer()->get()) > max) {
            error(n->source(), fmt::format("{}: '{}' must be an integer from 0 to {}, not {}",
                                           what, key, max,
                                           n->is_integer()
                                               ? std::to_string(n->as_integer()->get())
                                               : std::string(type_name(*n))));
            return false;
        }
        out = static_cast<T>(n->as_integer()->get());
        return true;
    }

    void fraction_of(const toml::table &t, const char *key, const std::string &what, double &out)
    {
        const toml::node *n = t.get(key);
        if (n == nullptr) {
            return;
        }
        double v = -1;
        if (n->is_floating_point()) {
            v = n->as_floating_point()->get();
        } else if (n->is_integer()) {
            v = static_cast<double>(n->as_integer()->get());
        } else {
            error(n->source(), fmt::format("{}: '{}' must be a number from 0 to 1, not {}", what,
                                           key, type_name(*n)));
            return;
        }
        if (!(v >= 0 && v <= 1)) {
            error(n->source(), fmt::format("{}: '{}' = {} is not a fraction from 0 to 1", what,
                                           key, v));
            return;
        }
        out = v;
    }

    void bool_of(const toml::table &t, const char *key, const std::string &what, bool &out)
    {
        const toml::node *n = t.get(key);
        if (n == nullptr) {
            return;
        }
        if (!n->is_boolean()) {
            error(n->source(), fmt::format("{}: '{}' must be true or false, not {}", what, key,
                                           type_name(*n)));
            return;
        }
        out = n->as_boolean()->get();
    }

    // [adapter.faulty]: the faulty decorator's knobs (README "Fault injection").
    fault_spec parse_faulty(const toml::table &t, const std::string &adapter)
    {
        const std::string what = fmt::format("[adapter.faulty] of '{}'", adapter);
        static constexpr const char *known[] = {
            "seed",          "fail_fraction",  "fail_statuses",   "fail_mode",
            "delay_us_max",  "reorder",        "merge",           "split",
            "merge_window_us", "inline_fraction", "pend_pause_ms", "pend_restart_ms",
            "pend_reset_ms", "drop_after",     "drop_fraction"};
        for (auto &&[key, node] : t) {
            const std::string k(key.str());
            if (std::none_of(std::begin(known), std::end(known),
                             [&k](const char *n) { return k == n; })) {
                std::string list;
                for (const char *n : known) {
                    list += list.empty() ? n : std::string(", ") + n;
                }
                error(key.source(), fmt::format("{}: unknown key '{}' (expected {})", what, k,
                                                list));
            }
        }
        fault_spec f;
        unsigned_of(t, "seed", what, f.seed, std::numeric_limits<std::int64_t>::max());
        fraction_of(t, "fail_fraction", what, f.fail_fraction);
        if (const toml::node *n = t.get("fail_statuses")) {
            if (!n->is_array()) {
                error(n->source(), fmt::format("{}: 'fail_statuses' must be an array of status "
                                               "names, not {}",
                                               what, type_name(*n)));
            } else {
                for (const toml::node &e : *n->as_array()) {
                    if (!e.is_string()) {
                        error(e.source(), fmt::format("{}: 'fail_statuses' holds {}; status "
                                                      "names are strings",
                                                      what, type_name(e)));
                        continue;
                    }
                    fault_spec one;
                    one.fail_statuses.push_back(e.as_string()->get());
                    if (std::string why = check_fault_spec(one); !why.empty()) {
                        error(e.source(), what + ": " + why);
                        continue;
                    }
                    f.fail_statuses.push_back(e.as_string()->get());
                }
            }
        }
        if (const toml::node *n = t.get("fail_mode")) {
            if (!n->is_string()) {
                error(n->source(), fmt::format("{}: 'fail_mode' must be a string, not {}", what,
                                               type_name(*n)));
            } else {
                fault_spec one;
                one.fail_mode = n->as_string()->get();
                if (std::string why = check_fault_spec(one); !why.empty()) {
                    error(n->source(), what + ": " + why);
                } else {
                    f.fail_mode = one.fail_mode;
                }
            }
        }
        unsigned_of(t, "delay_us_max", what, f.delay_us_max, 10'000'000);
        bool_of(t, "reorder", what, f.reorder);
        bool_of(t, "merge", what, f.merge);
        bool_of(t, "split", what, f.split);
        unsigned_of(t, "merge_window_us", what, f.merge_window_us, 1'000'000);
        fraction_of(t, "inline_fraction", what, f.inline_fraction);
        unsigned_of(t, "pend_pause_ms", what, f.pend_pause_ms, 600'000);
        unsigned_of(t, "pend_restart_ms", what, f.pend_restart_ms, 600'000);
        unsigned_of(t, "pend_reset_ms", what, f.pend_reset_ms, 600'000);
        unsigned_of(t, "drop_after", what, f.drop_after,
                    std::numeric_limits<std::int64_t>::max());
        fraction_of(t, "drop_fraction", what, f.drop_fraction);
        return f;
    }

    // [watchdog]: the watchdog's limits.
    void parse_watchdog(const toml::table &t)
    {
        const std::string what = "[watchdog]";
        static constexpr const char *known[] = {"enabled",         "send_timeout_ms",
                                                "hang_timeout_ms", "oid_timeout_ms",
                                                "operation_timeout_ms", "period_ms"};
        for (auto &&[key, node] : t) {
            const std::string k(key.str());
            if (std::none_of(std::begin(known), std::end(known),
                             [&k](const char *n) { return k == n; })) {
                std::string list;
                for (const char *n : known) {
                    list += list.empty() ? n : std::string(", ") + n;
                }
                error(key.source(), fmt::format("{}: unknown key '{}' (expected {})", what, k,
                                                list));
            }
        }
        watchdog_spec w;
        w.where = to_location(_file, t.source());
        bool_of(t, "enabled", what, w.enabled);
        auto limit = [&](const char *key, std::chrono::milliseconds &out) {
            std::uint32_t v = 0;
            if (unsigned_of(t, key, what, v, 86'400'000)) {
                if (v == 0) {
                    error(t.get(key)->source(),
                          fmt::format("{}: '{}' must be at least 1 (ms)", what, key));
                    return;
                }
                out = std::chrono::milliseconds(v);
            }
        };
        limit("send_timeout_ms", w.send_timeout);
        limit("hang_timeout_ms", w.hang_timeout);
        limit("oid_timeout_ms", w.oid_timeout);
        limit("operation_timeout_ms", w.operation_timeout);
        limit("period_ms", w.period);
        _out.watchdog = w;
    }

    // References inside the file: adapter → [[driver]], binding → [[adapter]].
    void cross_check()
    {
        for (const adapter_spec &a : _out.adapters) {
            if (a.driver.empty() || !a.where_driver.known()) {
                continue;
            }
            const bool found = std::any_of(
                _out.drivers.begin(), _out.drivers.end(),
                [&a](const driver_spec &d) { return equal_nocase(d.name, a.driver); });
            if (!found) {
                error(a.where_driver, fmt::format("[[adapter]] '{}': driver '{}' is not declared "
                                                  "by any [[driver]]",
                                                  a.name, a.driver));
            }
        }
        for (const binding_spec &b : _out.bindings) {
            if (b.adapter.empty() || !b.where_adapter.known()) {
                continue;
            }
            const bool found = std::any_of(
                _out.adapters.begin(), _out.adapters.end(),
                [&b](const adapter_spec &a) { return equal_nocase(a.name, b.adapter); });
            if (!found) {
                error(b.where_adapter, fmt::format("[[binding]] of '{}': no [[adapter]] is named "
                                                   "'{}'",
                                                   b.protocol, b.adapter));
            }
        }
    }

    std::string _file;
    topology &_out;
    std::vector<problem> _problems;
};

// ---- [[schedule]] ------------------------------------------------------------------------------
// Parsed apart from the other tables (parser::parse leaves the key to it): entries first, then,
// once the adapters and bindings are known, their references. Problems go to the same parser,
// so every message is in file order.
class schedule_parser {
public:
    schedule_parser(parser &p, std::string file) : _p(p), _file(std::move(file)) {}

    // Parses root["schedule"] into entries.
    void parse(const toml::table &root)
    {
        const toml::node *n = root.get("schedule");
        if (n == nullptr) {
            return;
        }
        if (!n->is_array_of_tables()) {
            _p.error(n->source(), fmt::format("'schedule' must be an array of tables "
                                              "([[schedule]]), not {}",
                                              type_name(*n)));
        } else {
            for (const toml::node &e : *n->as_array()) {
                entry(*e.as_table());
            }
        }
    }

    // References: each entry's adapter is an [[adapter]]; with [[binding]]s, its binding is one.
    void cross_check(topology &t)
    {
        for (schedule_spec &e : _entries) {
            if (!e.adapter.empty() &&
                std::none_of(t.adapters.begin(), t.adapters.end(), [&e](const adapter_spec &a) {
                    return equal_nocase(a.name, e.adapter);
                })) {
                _p.error(e.where_adapter, fmt::format("[[schedule]] {}: no [[adapter]] is named "
                                                      "'{}'",
                                                      e.action, e.adapter));
            } else if (!e.protocol.empty() && !t.bindings.empty() &&
                       std::none_of(t.bindings.begin(), t.bindings.end(),
                                    [&e](const binding_spec &b) {
                                        return equal_nocase(b.protocol, e.protocol) &&
                                               equal_nocase(b.adapter, e.adapter);
                                    })) {
                _p.error(e.where_protocol, fmt::format("[[schedule]] {}: no [[binding]] of '{}' "
                                                       "to '{}'",
                                                       e.action, e.protocol, e.adapter));
            }
        }
        t.schedule = std::move(_entries);
    }

private:
    void entry(const toml::table &t)
    {
        static constexpr std::array<const char *, 8> known{
            "action", "adapter", "protocol", "at_ms", "every_ms", "jitter_ms", "seed", "count"};
        schedule_spec e;
        e.where = to_location(_file, t.source());
        bool good = true;
        for (auto &&[key, node] : t) {
            const std::string k(key.str());
            if (std::none_of(known.begin(), known.end(), [&k](const char *n) { return k == n; })) {
                _p.error(key.source(), fmt::format("[[schedule]]: unknown key '{}' (expected "
                                                   "action, adapter, protocol, at_ms, every_ms, "
                                                   "jitter_ms, seed, count)",
                                                   k));
                good = false;
            }
        }
        for (const char *r : {"action", "adapter"}) {
            if (!t.contains(r)) {
                _p.error(t.source(), fmt::format("[[schedule]]: missing key '{}'", r));
                good = false;
            }
        }
        good &= text(t, "action", e.action, e.where_action);
        good &= text(t, "adapter", e.adapter, e.where_adapter);
        good &= text(t, "protocol", e.protocol, e.where_protocol);
        std::optional<std::uint64_t> jitter, seed, count;
        location at_at, every_at, count_at, jitter_at, seed_at;
        good &= number(t, "at_ms", e.at_ms, at_at);
        good &= number(t, "every_ms", e.every_ms, every_at);
        good &= number(t, "jitter_ms", jitter, jitter_at);
        good &= number(t, "seed", seed, seed_at);
        good &= number(t, "count", count, count_at);
        e.jitter_ms = jitter.value_or(0);
        e.seed = seed.value_or(0);
        e.count = count.value_or(0);
        if (!good) {
            return; // one problem at a time per entry: the rest would repeat it
        }
        const auto action = detail::parse_schedule_action(e.action);
        if (!action) {
            _p.error(e.where_action, fmt::format("[[schedule]]: unknown action '{}' (expected {})",
                                                 e.action, detail::schedule_action_names()));
            return;
        }
        // What check_schedule_entry finds, at the key it is about.
        location at = e.where;
        if (detail::needs_protocol(*action) && e.protocol.empty()) {
            at = e.where_action;
        } else if (!detail::takes_protocol(*action) && !e.protocol.empty()) {
            at = e.where_protocol;
        } else if (e.at_ms && e.every_ms) {
            at = at_at.line > every_at.line ||
                         (at_at.line == every_at.line && at_at.column > every_at.column)
                     ? at_at
                     : every_at;
        } else if (e.every_ms && *e.every_ms == 0) {
            at = every_at;
        } else if (e.count != 0 && !e.every_ms) {
            at = count_at;
        }
        if (std::string problem = detail::check_schedule_entry(e); !problem.empty()) {
            _p.error(at, "[[schedule]]: " + problem);
            return;
        }
        _entries.push_back(std::move(e));
    }

    bool text(const toml::table &t, const char *key, std::string &out, location &where)
    {
        const toml::node *n = t.get(key);
        if (n == nullptr) {
            return true;
        }
        where = to_location(_file, n->source());
        if (!n->is_string()) {
            _p.error(n->source(), fmt::format("[[schedule]]: '{}' must be a string, not {}", key,
                                              type_name(*n)));
            return false;
        }
        out = n->as_string()->get();
        return true;
    }

    bool number(const toml::table &t, const char *key, std::optional<std::uint64_t> &out,
                location &where)
    {
        const toml::node *n = t.get(key);
        if (n == nullptr) {
            return true;
        }
        where = to_location(_file, n->source());
        if (!n->is_integer()) {
            _p.error(n->source(), fmt::format("[[schedule]]: '{}' must be an integer, not {}", key,
                                              type_name(*n)));
            return false;
        }
        const std::int64_t v = n->as_integer()->get();
        if (v < 0) {
            _p.error(n->source(), fmt::format("[[schedule]]: '{}' = {} is negative", key, v));
            return false;
        }
        out = static_cast<std::uint64_t>(v);
        return true;
    }

    parser &_p;
    std::string _file;
    std::vector<schedule_spec> _entries;
};

} // namespace

bool parse_topology(std::string_view text, std::string_view source_name, topology &out,
                    std::string &error)
{
    error.clear();
    try {
        topology t;
        t.source = std::string(source_name.empty() ? "<string>" : source_name);
        toml::parse_result result = toml::parse(text, t.source);
        if (!result) {
            const toml::parse_error &e = result.error();
            location where = to_location(t.source, e.source());
            error = where.prefix() + "TOML syntax error: " + std::string(e.description());
            return false;
        }
        parser p(t.source, t);
        schedule_parser schedule(p, t.source);
        schedule.parse(result.table());
        p.parse(result.table());
        schedule.cross_check(t);
        if (!p.ok()) {
            error = p.message();
            return false;
        }
        t.base_dir = std::move(out.base_dir);
        out = std::move(t);
        return true;
    } catch (const std::exception &e) {
        error = fmt::format("{}: cannot parse the topology: {}", source_name, e.what());
        return false;
    }
}

#else // !OPENNDIS_HAVE_TOMLPLUSPLUS

bool parse_topology(std::string_view, std::string_view source_name, topology &, std::string &error)
{
    error = fmt::format("{}: this OpenNDIS was built without toml++ (libtomlplusplus-dev): "
                        "topology files cannot be read",
                        source_name);
    return false;
}

#endif

bool parse_topology_file(const std::string &path, topology &out, std::string &error)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = fmt::format("{}: cannot open the topology file: {}", path, std::strerror(errno));
        return false;
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
        error = fmt::format("{}: cannot read the topology file: {}", path, std::strerror(errno));
        return false;
    }
    const std::size_t slash = path.find_last_of('/');
    out.base_dir = slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
    if (out.base_dir.empty()) {
        out.base_dir = "./";
    }
    return parse_topology(text.str(), path, out, error);
}

} // namespace ndis::host
