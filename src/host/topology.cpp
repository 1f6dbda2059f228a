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
            if (k != "driver" && k != "adapter" && k != "binding") {
                error(key.source(), fmt::format("unknown top-level key '{}' (expected [[driver]], "
                                                "[[adapter]] or [[binding]])",
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
        keys(t, "adapter", {"name", "driver", "params"}, {"name", "driver"});
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
// Parsed apart from the other tables (and taken out of the root before parser::parse sees it):
// entries first, then, once the adapters and bindings are known, their references. Problems go
// to the same parser, so every message is in file order.
class schedule_parser {
public:
    schedule_parser(parser &p, std::string file) : _p(p), _file(std::move(file)) {}

    // Parses root["schedule"] into entries and removes it from root.
    void take(toml::table &root)
    {
        toml::node *n = root.get("schedule");
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
        root.erase("schedule");
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
        schedule.take(result.table()); // [[schedule]] is not the parser's: taken out first
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
