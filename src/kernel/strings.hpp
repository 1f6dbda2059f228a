// kernel/strings.hpp — UTF-16 counted strings: conversions for the runtime, Rtl semantics.
//
// For the runtime (host, configuration, names handed to drivers):
//   to_utf8(&unicode_string)          UNICODE_STRING → std::string (UTF-8)
//   to_utf16("text")                  UTF-8 → std::u16string
//   unicode_string name("null");      an owned, NUL-terminated UNICODE_STRING: name.get()
// UTF-8 decoding never fails: a byte that does not start a valid sequence is taken as Latin-1;
// unpaired surrogates encode as U+FFFD.
#pragma once

#include <ndis/types.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ndis::kernel {

std::string to_utf8(const UNICODE_STRING *text);
std::string to_utf8(const WCHAR *text, std::size_t units);
std::string to_utf8(std::u16string_view text);
std::u16string to_utf16(std::string_view utf8);
// Length in WCHARs of a NUL-terminated UTF-16 string.
std::size_t wide_length(const WCHAR *text) noexcept;

class unicode_string {
public:
    explicit unicode_string(std::string_view utf8 = {});
    explicit unicode_string(std::u16string_view text);
    unicode_string(const unicode_string &other) : _units(other._units) {}
    unicode_string &operator=(const unicode_string &other)
    {
        _units = other._units;
        return *this;
    }
    // Valid until this object changes or dies. Length excludes the terminator.
    UNICODE_STRING *get() noexcept;
    std::string utf8() const { return to_utf8(_units.data(), _units.size() - 1); }

private:
    std::vector<WCHAR> _units; // always NUL-terminated
    UNICODE_STRING _view{};
};

// Simple case mapping (ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic).
WCHAR upcase(WCHAR c) noexcept;
WCHAR downcase(WCHAR c) noexcept;

bool equal(const UNICODE_STRING &a, const UNICODE_STRING &b, bool case_insensitive) noexcept;
LONG compare(const UNICODE_STRING &a, const UNICODE_STRING &b, bool case_insensitive) noexcept;
bool equal(const STRING &a, const STRING &b, bool case_insensitive) noexcept;

// The Rtl conversions (strings.h documents the semantics). Allocations are driver pool memory.
NTSTATUS ansi_to_unicode(UNICODE_STRING *destination, const STRING *source,
                         bool allocate) noexcept;
NTSTATUS unicode_to_ansi(STRING *destination, const UNICODE_STRING *source,
                         bool allocate) noexcept;
void free_string_buffer(const char *api, void *buffer) noexcept;

NTSTATUS unicode_to_integer(const UNICODE_STRING *text, ULONG base, ULONG *value) noexcept;
NTSTATUS integer_to_unicode(ULONG value, ULONG base, UNICODE_STRING *text) noexcept;

} // namespace ndis::kernel
