// kernel/debug.cpp — see debug.hpp.
#include "kernel/debug.hpp"

#include "kernel/irql.hpp"
#include "kernel/strings.hpp"
#include "verifier/verifier.hpp"

#include <ndis/debug.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace ndis::kernel {
namespace {

enum class size_prefix { none, hh, h, l, ll, L, w, I, I32, I64, z, j, t };

struct spec {
    std::string flags;
    int width = -1;
    int precision = -1;
    size_prefix size = size_prefix::none;
};

// "%<flags><width><.precision><length><conv>" for snprintf.
std::string c_spec(const spec &s, const char *length, char conv)
{
    std::string f = "%" + s.flags;
    if (s.width >= 0) {
        f += std::to_string(s.width);
    }
    if (s.precision >= 0) {
        f += "." + std::to_string(s.precision);
    }
    f += length;
    f += conv;
    return f;
}

template <typename T>
void append_c(std::string &out, const std::string &format, T value)
{
    char buffer[128];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    int n = std::snprintf(buffer, sizeof buffer, format.c_str(), value);
    if (n >= static_cast<int>(sizeof buffer)) {
        std::string big(static_cast<std::size_t>(n) + 1, '\0');
        std::snprintf(big.data(), big.size(), format.c_str(), value);
        big.resize(static_cast<std::size_t>(n));
        out += big;
        return;
    }
#pragma GCC diagnostic pop
    if (n > 0) {
        out.append(buffer, static_cast<std::size_t>(n));
    }
}

// Width / left-justify for strings and characters (width counts bytes of UTF-8).
void append_padded(std::string &out, const spec &s, std::string_view text)
{
    const bool left = s.flags.find('-') != std::string::npos;
    const std::size_t pad =
        s.width > 0 && static_cast<std::size_t>(s.width) > text.size()
            ? static_cast<std::size_t>(s.width) - text.size()
            : 0;
    if (!left) {
        out.append(pad, ' ');
    }
    out.append(text);
    if (left) {
        out.append(pad, ' ');
    }
}

std::string narrow_text(const char *p, int precision)
{
    if (p == nullptr) {
        return "(null)";
    }
    std::size_t n = 0;
    while ((precision < 0 || n < static_cast<std::size_t>(precision)) && p[n] != '\0') {
        ++n;
    }
    return std::string(p, n);
}

std::string wide_text(const WCHAR *p, int precision)
{
    if (p == nullptr) {
        return "(null)";
    }
    std::size_t n = 0;
    while ((precision < 0 || n < static_cast<std::size_t>(precision)) && p[n] != 0) {
        ++n;
    }
    return to_utf8(p, n);
}

std::string wide_char(unsigned c)
{
    const WCHAR w = static_cast<WCHAR>(c);
    return to_utf8(&w, 1);
}

bool is_wide(size_prefix s) { return s == size_prefix::l || s == size_prefix::w; }

// ---- Output ----------------------------------------------------------------------------------
struct output_state {
    std::mutex lock;
    debug_sink sink = nullptr;
    void *context = nullptr;
};

output_state &output()
{
    static auto *o = new output_state; // never destroyed: drivers may print at exit
    return *o;
}

int initial_level()
{
    if (const char *env = std::getenv("OPENNDIS_DBGPRINT_LEVEL"); env != nullptr && *env) {
        return std::atoi(env);
    }
    return DPFLTR_INFO_LEVEL;
}

std::atomic<int> &max_level()
{
    static std::atomic<int> level{initial_level()};
    return level;
}

bool break_on_assert() noexcept
{
    const char *env = std::getenv("OPENNDIS_BREAK_ON_ASSERT");
    return env != nullptr && *env != '\0' && std::strcmp(env, "0") != 0;
}

} // namespace

std::string format_windows(const char *format, va_list arguments)
{
    std::string out;
    if (format == nullptr) {
        return out;
    }
    va_list args;
    va_copy(args, arguments);
    for (const char *p = format; *p != '\0';) {
        if (*p != '%') {
            const char *next = std::strchr(p, '%');
            const std::size_t n = next != nullptr ? static_cast<std::size_t>(next - p)
                                                  : std::strlen(p);
            out.append(p, n);
            p += n;
            continue;
        }
        const char *start = p++;
        if (*p == '%') {
            out += '%';
            ++p;
            continue;
        }
        spec s;
        while (*p != '\0' && std::strchr("-+ #0", *p) != nullptr) {
            s.flags += *p++;
        }
        if (*p == '*') {
            s.width = va_arg(args, int);
            if (s.width < 0) {
                s.flags += '-';
                s.width = -s.width;
            }
            ++p;
        } else {
            while (*p >= '0' && *p <= '9') {
                s.width = (s.width < 0 ? 0 : s.width * 10) + (*p++ - '0');
            }
        }
        if (*p == '.') {
            ++p;
            s.precision = 0;
            if (*p == '*') {
                s.precision = va_arg(args, int);
                ++p;
            } else {
                while (*p >= '0' && *p <= '9') {
                    s.precision = s.precision * 10 + (*p++ - '0');
                }
            }
        }
        switch (*p) {
        case 'h':
            ++p;
            s.size = *p == 'h' ? (++p, size_prefix::hh) : size_prefix::h;
            break;
        case 'l':
            ++p;
            s.size = *p == 'l' ? (++p, size_prefix::ll) : size_prefix::l;
            break;
        case 'L': ++p; s.size = size_prefix::L; break;
        case 'w': ++p; s.size = size_prefix::w; break;
        case 'z': ++p; s.size = size_prefix::z; break;
        case 'j': ++p; s.size = size_prefix::j; break;
        case 't': ++p; s.size = size_prefix::t; break;
        case 'q': ++p; s.size = size_prefix::ll; break;
        case 'I':
            ++p;
            if (p[0] == '3' && p[1] == '2') {
                p += 2;
                s.size = size_prefix::I32;
            } else if (p[0] == '6' && p[1] == '4') {
                p += 2;
                s.size = size_prefix::I64;
            } else {
                s.size = size_prefix::I;
            }
            break;
        default: break;
        }
        const char conv = *p;
        if (conv == '\0') {
            out.append(start);
            break;
        }
        ++p;
        switch (conv) {
        case 'd':
        case 'i': {
            long long v;
            switch (s.size) {
            case size_prefix::hh: v = static_cast<signed char>(va_arg(args, int)); break;
            case size_prefix::h: v = static_cast<short>(va_arg(args, int)); break;
            case size_prefix::ll:
            case size_prefix::I64:
            case size_prefix::j: v = va_arg(args, long long); break;
            case size_prefix::I:
            case size_prefix::z:
            case size_prefix::t: v = va_arg(args, long); break;
            default: v = va_arg(args, int); break;
            }
            append_c(out, c_spec(s, "ll", 'd'), v);
            break;
        }
        case 'u':
        case 'o':
        case 'x':
        case 'X': {
            unsigned long long v;
            switch (s.size) {
            case size_prefix::hh: v = static_cast<unsigned char>(va_arg(args, unsigned)); break;
            case size_prefix::h: v = static_cast<unsigned short>(va_arg(args, unsigned)); break;
            case size_prefix::ll:
            case size_prefix::I64:
            case size_prefix::j: v = va_arg(args, unsigned long long); break;
            case size_prefix::I:
            case size_prefix::z:
            case size_prefix::t: v = va_arg(args, unsigned long); break;
            default: v = va_arg(args, unsigned); break;
            }
            append_c(out, c_spec(s, "ll", conv), v);
            break;
        }
        case 'c':
            if (is_wide(s.size)) {
                append_padded(out, s, wide_char(static_cast<unsigned>(va_arg(args, int))));
            } else {
                const char c = static_cast<char>(va_arg(args, int));
                append_padded(out, s, std::string_view(&c, 1));
            }
            break;
        case 'C':
            if (s.size == size_prefix::h) {
                const char c = static_cast<char>(va_arg(args, int));
                append_padded(out, s, std::string_view(&c, 1));
            } else {
                append_padded(out, s, wide_char(static_cast<unsigned>(va_arg(args, int))));
            }
            break;
        case 's':
            if (is_wide(s.size)) {
                append_padded(out, s, wide_text(va_arg(args, const WCHAR *), s.precision));
            } else {
                append_padded(out, s, narrow_text(va_arg(args, const char *), s.precision));
            }
            break;
        case 'S':
            if (s.size == size_prefix::h) {
                append_padded(out, s, narrow_text(va_arg(args, const char *), s.precision));
            } else {
                append_padded(out, s, wide_text(va_arg(args, const WCHAR *), s.precision));
            }
            break;
        case 'Z':
            if (is_wide(s.size)) {
                const auto *u = va_arg(args, const UNICODE_STRING *);
                append_padded(out, s,
                              u == nullptr || u->Buffer == nullptr ? std::string("(null)")
                                                                   : to_utf8(u));
            } else {
                const auto *a = va_arg(args, const STRING *);
                append_padded(out, s,
                              a == nullptr || a->Buffer == nullptr
                                  ? std::string("(null)")
                                  : std::string(a->Buffer, a->Length));
            }
            break;
        case 'p': {
            spec ps;
            ps.flags = "0";
            ps.width = 16;
            append_c(out, c_spec(ps, "ll", 'X'),
                     static_cast<unsigned long long>(
                         reinterpret_cast<std::uintptr_t>(va_arg(args, void *))));
            break;
        }
        case 'e':
        case 'E':
        case 'f':
        case 'F':
        case 'g':
        case 'G':
        case 'a':
        case 'A':
            if (s.size == size_prefix::L) {
                append_c(out, c_spec(s, "L", conv), va_arg(args, long double));
            } else {
                append_c(out, c_spec(s, "", conv), va_arg(args, double));
            }
            break;
        case 'n':
            (void)va_arg(args, void *); // never written (as in secure Windows formatting)
            break;
        default:
            out.append(start, static_cast<std::size_t>(p - start));
            break;
        }
    }
    va_end(args);
    return out;
}

void debug_print(std::string_view text) noexcept
{
    try {
        std::string prefix = driver_prefix();
        std::string line;
        line.reserve(text.size() + prefix.size() + 8);
        bool &at_start = t_thread.dbg_line_start;
        for (char c : text) {
            if (at_start && !prefix.empty()) {
                line += prefix;
            }
            line += c;
            at_start = c == '\n';
        }
        auto &o = output();
        std::lock_guard<std::mutex> guard(o.lock);
        if (o.sink != nullptr) {
            o.sink(o.context, line);
        } else {
            std::fwrite(line.data(), 1, line.size(), stderr);
        }
    } catch (...) {
    }
}

void set_debug_sink(debug_sink sink, void *context, debug_sink *old_sink,
                    void **old_context) noexcept
{
    auto &o = output();
    std::lock_guard<std::mutex> guard(o.lock);
    if (old_sink != nullptr) {
        *old_sink = o.sink;
    }
    if (old_context != nullptr) {
        *old_context = o.context;
    }
    o.sink = sink;
    o.context = context;
}

void set_dbgprint_level(int level) noexcept { max_level().store(level); }

bool dbgprint_enabled(ULONG component, ULONG level) noexcept
{
    (void)component;
    const int max = max_level().load(std::memory_order_relaxed);
    if (max < 0) {
        return false;
    }
    const unsigned long long enabled = max >= 31 ? 0xFFFFFFFFull : ((1ull << (max + 1)) - 1);
    const unsigned long long mask = level <= 31 ? (1ull << level) : (level & 0x7FFFFFFFull);
    return (mask & enabled) != 0;
}

void assertion_failed(const char *expression, const char *file, ULONG line,
                      const char *message) noexcept
{
    verifier::report(verifier::failure::assert_failed, "ASSERT", nullptr,
                     "{}assertion '{}' failed at {}:{}{}{}", driver_prefix(),
                     expression != nullptr ? expression : "?", file != nullptr ? file : "?",
                     line, message != nullptr ? ": " : "", message != nullptr ? message : "");
    if (break_on_assert()) {
        std::raise(SIGTRAP);
    }
}

void debug_break() noexcept
{
    verifier::report(verifier::failure::debug_break, "DbgBreakPoint", nullptr,
                     "{}DbgBreakPoint (set OPENNDIS_BREAK_ON_ASSERT=1 to stop in a debugger)",
                     driver_prefix());
    if (break_on_assert()) {
        std::raise(SIGTRAP);
    }
}

void bug_check(ULONG code, ULONG_PTR p1, ULONG_PTR p2, ULONG_PTR p3, ULONG_PTR p4) noexcept
{
    std::string driver;
    try {
        driver = std::string(current_driver_name());
    } catch (...) {
    }
    std::fprintf(stderr,
                 "\n*** STOP: 0x%08X (0x%016llX, 0x%016llX, 0x%016llX, 0x%016llX)%s%s%s\n"
                 "openndis: KeBugCheckEx: the process is stopped (abort)\n",
                 code, static_cast<unsigned long long>(p1), static_cast<unsigned long long>(p2),
                 static_cast<unsigned long long>(p3), static_cast<unsigned long long>(p4),
                 driver.empty() ? "" : " in driver '", driver.c_str(),
                 driver.empty() ? "" : "'");
    std::fflush(stderr);
    std::abort();
}

} // namespace ndis::kernel
