// kernel/debug.hpp — DbgPrint output, Windows printf formats, assertions and bug checks.
//
//   format_windows(fmt, args)   printf with Windows' rules: l = 32 bits, ll / I64 = 64 bits,
//                               I / z = pointer-sized, %ws %ls %S = UTF-16 string, %wZ =
//                               PUNICODE_STRING, %Z = PANSI_STRING, %C %wc = WCHAR, %p = 16
//                               hex digits; %n is ignored. Never reads past what the format
//                               names.
//   debug_print(text)           writes text with "[driver] " at the start of every line
//                               (driver_scope; no prefix outside a driver) to the debug sink:
//                               stderr, or what set_debug_sink installed (tests, the host).
#pragma once

#include <ndis/types.h>

#include <cstdarg>
#include <string>
#include <string_view>

namespace ndis::kernel {

std::string format_windows(const char *format, va_list args);

void debug_print(std::string_view text) noexcept;

using debug_sink = void (*)(void *context, std::string_view text);
// Installs `sink` (nullptr: stderr) and returns the previous one through old_* when not null.
void set_debug_sink(debug_sink sink, void *context, debug_sink *old_sink = nullptr,
                    void **old_context = nullptr) noexcept;

// DbgPrintEx filtering: levels 0 … max_level are printed (-1: none). Default 3, or
// OPENNDIS_DBGPRINT_LEVEL.
void set_dbgprint_level(int max_level) noexcept;
bool dbgprint_enabled(ULONG component, ULONG level) noexcept;

void assertion_failed(const char *expression, const char *file, ULONG line,
                      const char *message) noexcept;
void debug_break() noexcept;
[[noreturn]] void bug_check(ULONG code, ULONG_PTR p1, ULONG_PTR p2, ULONG_PTR p3,
                            ULONG_PTR p4) noexcept;

} // namespace ndis::kernel
