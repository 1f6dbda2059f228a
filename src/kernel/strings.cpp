// kernel/strings.cpp — see strings.hpp.
#include "kernel/strings.hpp"

#include "kernel/pool.hpp"

#include <ndis/status.h>
#include <ndis/strings.h>

#include <cstring>

namespace ndis::kernel {
namespace {

constexpr ULONG kStringTag = 'grtS'; // "Strg" in memory order
constexpr std::size_t kMaxUnicodeBytes = 0xFFFE;

void append_utf8(std::string &out, char32_t c)
{
    if (c < 0x80) {
        out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (c >> 6)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (c >> 12)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (c >> 18)));
        out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
}

// Decodes one character at text[i]; advances i. Invalid UTF-8: the byte as Latin-1.
char32_t decode_utf8(std::string_view text, std::size_t &i) noexcept
{
    const auto b0 = static_cast<unsigned char>(text[i]);
    auto cont = [&](std::size_t k) {
        return i + k < text.size() && (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    };
    auto byte = [&](std::size_t k) { return static_cast<char32_t>(text[i + k]) & 0x3F; };
    if (b0 < 0x80) {
        ++i;
        return b0;
    }
    if (b0 >= 0xC2 && b0 < 0xE0 && cont(1)) {
        char32_t c = (static_cast<char32_t>(b0 & 0x1F) << 6) | byte(1);
        i += 2;
        return c;
    }
    if (b0 >= 0xE0 && b0 < 0xF0 && cont(1) && cont(2)) {
        char32_t c = (static_cast<char32_t>(b0 & 0x0F) << 12) | (byte(1) << 6) | byte(2);
        if (c >= 0x800 && (c < 0xD800 || c > 0xDFFF)) {
            i += 3;
            return c;
        }
    }
    if (b0 >= 0xF0 && b0 < 0xF5 && cont(1) && cont(2) && cont(3)) {
        char32_t c = (static_cast<char32_t>(b0 & 0x07) << 18) | (byte(1) << 12) |
                     (byte(2) << 6) | byte(3);
        if (c >= 0x10000 && c <= 0x10FFFF) {
            i += 4;
            return c;
        }
    }
    ++i;
    return b0; // Latin-1
}

void append_utf16(std::u16string &out, char32_t c)
{
    if (c < 0x10000) {
        out.push_back(static_cast<char16_t>(c));
    } else {
        c -= 0x10000;
        out.push_back(static_cast<char16_t>(0xD800 + (c >> 10)));
        out.push_back(static_cast<char16_t>(0xDC00 + (c & 0x3FF)));
    }
}

// Decodes one character at text[i] (UTF-16); advances i. Unpaired surrogate: U+FFFD.
char32_t decode_utf16(const WCHAR *text, std::size_t units, std::size_t &i) noexcept
{
    const char32_t c = text[i++];
    if (c >= 0xD800 && c <= 0xDBFF && i < units && text[i] >= 0xDC00 && text[i] <= 0xDFFF) {
        const char32_t low = text[i++];
        return 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00);
    }
    if (c >= 0xD800 && c <= 0xDFFF) {
        return 0xFFFD;
    }
    return c;
}

std::size_t units_of(const UNICODE_STRING &s) noexcept
{
    return s.Buffer != nullptr ? s.Length / sizeof(WCHAR) : 0;
}

} // namespace

std::string to_utf8(const WCHAR *text, std::size_t units)
{
    std::string out;
    out.reserve(units);
    for (std::size_t i = 0; i < units;) {
        append_utf8(out, decode_utf16(text, units, i));
    }
    return out;
}

std::string to_utf8(const UNICODE_STRING *text)
{
    if (text == nullptr) {
        return {};
    }
    return to_utf8(text->Buffer, units_of(*text));
}

std::string to_utf8(std::u16string_view text)
{
    std::vector<WCHAR> units(text.begin(), text.end());
    return to_utf8(units.data(), units.size());
}

std::u16string to_utf16(std::string_view utf8)
{
    std::u16string out;
    out.reserve(utf8.size());
    for (std::size_t i = 0; i < utf8.size();) {
        append_utf16(out, decode_utf8(utf8, i));
    }
    return out;
}

std::size_t wide_length(const WCHAR *text) noexcept
{
    std::size_t n = 0;
    if (text != nullptr) {
        while (text[n] != 0) {
            ++n;
        }
    }
    return n;
}

unicode_string::unicode_string(std::string_view utf8) : unicode_string(to_utf16(utf8)) {}

unicode_string::unicode_string(std::u16string_view text) : _units(text.begin(), text.end())
{
    if (_units.size() > kMaxUnicodeBytes / sizeof(WCHAR) - 1) {
        _units.resize(kMaxUnicodeBytes / sizeof(WCHAR) - 1);
    }
    _units.push_back(0);
}

UNICODE_STRING *unicode_string::get() noexcept
{
    _view.Length = static_cast<USHORT>((_units.size() - 1) * sizeof(WCHAR));
    _view.MaximumLength = static_cast<USHORT>(_units.size() * sizeof(WCHAR));
    _view.Buffer = _units.data();
    return &_view;
}

// ---- Case ------------------------------------------------------------------------------------
WCHAR upcase(WCHAR c) noexcept
{
    if (c < 0x80) {
        return (c >= 'a' && c <= 'z') ? static_cast<WCHAR>(c - 0x20) : c;
    }
    if (c < 0x100) {
        if (c >= 0xE0 && c <= 0xFE && c != 0xF7) {
            return static_cast<WCHAR>(c - 0x20);
        }
        if (c == 0xFF) {
            return 0x178;
        }
        if (c == 0xB5) {
            return 0x39C;
        }
        return c;
    }
    if (c < 0x180) { // Latin Extended-A: case pairs
        if ((c >= 0x100 && c <= 0x12F) || (c >= 0x132 && c <= 0x137) ||
            (c >= 0x14A && c <= 0x177)) {
            return static_cast<WCHAR>(c & ~1u);
        }
        if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) {
            return (c & 1u) == 0 ? static_cast<WCHAR>(c - 1) : c;
        }
        return c;
    }
    if (c >= 0x3B1 && c <= 0x3CB && c != 0x3C2) {
        return static_cast<WCHAR>(c - 0x20);
    }
    if (c == 0x3C2) {
        return 0x3A3;
    }
    if (c == 0x3AC) {
        return 0x386;
    }
    if (c >= 0x3AD && c <= 0x3AF) {
        return static_cast<WCHAR>(c - 0x25);
    }
    if (c == 0x3CC) {
        return 0x38C;
    }
    if (c == 0x3CD || c == 0x3CE) {
        return static_cast<WCHAR>(c - 0x3F);
    }
    if (c >= 0x430 && c <= 0x44F) {
        return static_cast<WCHAR>(c - 0x20);
    }
    if (c >= 0x450 && c <= 0x45F) {
        return static_cast<WCHAR>(c - 0x50);
    }
    return c;
}

WCHAR downcase(WCHAR c) noexcept
{
    if (c < 0x80) {
        return (c >= 'A' && c <= 'Z') ? static_cast<WCHAR>(c + 0x20) : c;
    }
    if (c < 0x100) {
        if (c >= 0xC0 && c <= 0xDE && c != 0xD7) {
            return static_cast<WCHAR>(c + 0x20);
        }
        return c;
    }
    if (c < 0x180) {
        if ((c >= 0x100 && c <= 0x12F) || (c >= 0x132 && c <= 0x137) ||
            (c >= 0x14A && c <= 0x177)) {
            return static_cast<WCHAR>(c | 1u);
        }
        if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) {
            return (c & 1u) != 0 ? static_cast<WCHAR>(c + 1) : c;
        }
        if (c == 0x178) {
            return 0xFF;
        }
        return c;
    }
    if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) {
        return static_cast<WCHAR>(c + 0x20);
    }
    if (c == 0x386) {
        return 0x3AC;
    }
    if (c >= 0x388 && c <= 0x38A) {
        return static_cast<WCHAR>(c + 0x25);
    }
    if (c == 0x38C) {
        return 0x3CC;
    }
    if (c == 0x38E || c == 0x38F) {
        return static_cast<WCHAR>(c + 0x3F);
    }
    if (c >= 0x410 && c <= 0x42F) {
        return static_cast<WCHAR>(c + 0x20);
    }
    if (c >= 0x400 && c <= 0x40F) {
        return static_cast<WCHAR>(c + 0x50);
    }
    return c;
}

// ---- Comparison ------------------------------------------------------------------------------
LONG compare(const UNICODE_STRING &a, const UNICODE_STRING &b, bool case_insensitive) noexcept
{
    const std::size_t na = units_of(a);
    const std::size_t nb = units_of(b);
    const std::size_t n = na < nb ? na : nb;
    for (std::size_t i = 0; i < n; ++i) {
        WCHAR ca = a.Buffer[i];
        WCHAR cb = b.Buffer[i];
        if (case_insensitive) {
            ca = upcase(ca);
            cb = upcase(cb);
        }
        if (ca != cb) {
            return static_cast<LONG>(ca) - static_cast<LONG>(cb);
        }
    }
    return static_cast<LONG>(na) - static_cast<LONG>(nb);
}

bool equal(const UNICODE_STRING &a, const UNICODE_STRING &b, bool case_insensitive) noexcept
{
    return units_of(a) == units_of(b) && compare(a, b, case_insensitive) == 0;
}

bool equal(const STRING &a, const STRING &b, bool case_insensitive) noexcept
{
    const std::size_t na = a.Buffer != nullptr ? a.Length : 0;
    const std::size_t nb = b.Buffer != nullptr ? b.Length : 0;
    if (na != nb) {
        return false;
    }
    for (std::size_t i = 0; i < na; ++i) {
        char ca = a.Buffer[i];
        char cb = b.Buffer[i];
        if (case_insensitive) {
            ca = (ca >= 'a' && ca <= 'z') ? static_cast<char>(ca - 0x20) : ca;
            cb = (cb >= 'a' && cb <= 'z') ? static_cast<char>(cb - 0x20) : cb;
        }
        if (ca != cb) {
            return false;
        }
    }
    return true;
}

// ---- Conversions -----------------------------------------------------------------------------
NTSTATUS ansi_to_unicode(UNICODE_STRING *destination, const STRING *source, bool allocate) noexcept
{
    std::u16string text;
    try {
        text = to_utf16(std::string_view(source->Buffer != nullptr ? source->Buffer : "",
                                         source->Buffer != nullptr ? source->Length : 0));
    } catch (...) {
        return STATUS_NO_MEMORY;
    }
    const std::size_t bytes = text.size() * sizeof(WCHAR);
    if (bytes + sizeof(WCHAR) > kMaxUnicodeBytes) {
        return STATUS_INVALID_PARAMETER_2;
    }
    if (allocate) {
        auto *buffer = static_cast<WCHAR *>(driver_pool_allocate(
            "RtlAnsiStringToUnicodeString", bytes + sizeof(WCHAR), kStringTag, false));
        if (buffer == nullptr) {
            return STATUS_NO_MEMORY;
        }
        destination->Buffer = buffer;
        destination->MaximumLength = static_cast<USHORT>(bytes + sizeof(WCHAR));
    } else if (bytes >= destination->MaximumLength || destination->Buffer == nullptr) {
        return STATUS_BUFFER_OVERFLOW;
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        destination->Buffer[i] = static_cast<WCHAR>(text[i]);
    }
    destination->Length = static_cast<USHORT>(bytes);
    if (bytes + sizeof(WCHAR) <= destination->MaximumLength) {
        destination->Buffer[text.size()] = 0;
    }
    return STATUS_SUCCESS;
}

NTSTATUS unicode_to_ansi(STRING *destination, const UNICODE_STRING *source, bool allocate) noexcept
{
    std::string text;
    try {
        text = to_utf8(source);
    } catch (...) {
        return STATUS_NO_MEMORY;
    }
    if (text.size() + 1 > 0xFFFF) {
        return STATUS_INVALID_PARAMETER_2;
    }
    NTSTATUS status = STATUS_SUCCESS;
    std::size_t length = text.size();
    if (allocate) {
        auto *buffer = static_cast<char *>(driver_pool_allocate(
            "RtlUnicodeStringToAnsiString", length + 1, kStringTag, false));
        if (buffer == nullptr) {
            return STATUS_NO_MEMORY;
        }
        destination->Buffer = buffer;
        destination->MaximumLength = static_cast<USHORT>(length + 1);
    } else if (length >= destination->MaximumLength || destination->Buffer == nullptr) {
        if (destination->MaximumLength == 0 || destination->Buffer == nullptr) {
            return STATUS_BUFFER_OVERFLOW;
        }
        status = STATUS_BUFFER_OVERFLOW;
        length = destination->MaximumLength - 1u;
        // Whole characters only: back up over continuation bytes.
        while (length > 0 && (static_cast<unsigned char>(text[length]) & 0xC0) == 0x80) {
            --length;
        }
    }
    std::memcpy(destination->Buffer, text.data(), length);
    destination->Buffer[length] = '\0';
    destination->Length = static_cast<USHORT>(length);
    return status;
}

void free_string_buffer(const char *api, void *buffer) noexcept
{
    if (buffer != nullptr) {
        driver_pool_free(api, buffer, kStringTag);
    }
}

NTSTATUS unicode_to_integer(const UNICODE_STRING *text, ULONG base, ULONG *value) noexcept
{
    const std::size_t n = units_of(*text);
    std::size_t i = 0;
    while (i < n && (text->Buffer[i] == ' ' || text->Buffer[i] == '\t')) {
        ++i;
    }
    bool negative = false;
    if (i < n && (text->Buffer[i] == '-' || text->Buffer[i] == '+')) {
        negative = text->Buffer[i] == '-';
        ++i;
    }
    if (base == 0) {
        base = 10;
        if (i + 1 < n && text->Buffer[i] == '0') {
            switch (text->Buffer[i + 1]) {
            case 'x': case 'X': base = 16; i += 2; break;
            case 'o': case 'O': base = 8; i += 2; break;
            case 'b': case 'B': base = 2; i += 2; break;
            default: break;
            }
        }
    } else if (base != 2 && base != 8 && base != 10 && base != 16) {
        return STATUS_INVALID_PARAMETER;
    }
    ULONG result = 0;
    for (; i < n; ++i) {
        const WCHAR c = text->Buffer[i];
        ULONG digit;
        if (c >= '0' && c <= '9') {
            digit = c - '0';
        } else if (c >= 'a' && c <= 'f') {
            digit = c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
            digit = c - 'A' + 10;
        } else {
            break;
        }
        if (digit >= base) {
            break;
        }
        result = result * base + digit;
    }
    *value = negative ? static_cast<ULONG>(0u - result) : result;
    return STATUS_SUCCESS;
}

NTSTATUS integer_to_unicode(ULONG value, ULONG base, UNICODE_STRING *text) noexcept
{
    if (base == 0) {
        base = 10;
    }
    if (base != 2 && base != 8 && base != 10 && base != 16) {
        return STATUS_INVALID_PARAMETER;
    }
    WCHAR digits[33];
    std::size_t n = 0;
    do {
        const ULONG d = value % base;
        digits[n++] = static_cast<WCHAR>(d < 10 ? '0' + d : 'A' + d - 10);
        value /= base;
    } while (value != 0);
    if (n * sizeof(WCHAR) > text->MaximumLength || text->Buffer == nullptr) {
        return STATUS_BUFFER_OVERFLOW;
    }
    for (std::size_t i = 0; i < n; ++i) {
        text->Buffer[i] = digits[n - 1 - i];
    }
    text->Length = static_cast<USHORT>(n * sizeof(WCHAR));
    if (text->Length + sizeof(WCHAR) <= text->MaximumLength) {
        text->Buffer[n] = 0;
    }
    return STATUS_SUCCESS;
}

} // namespace ndis::kernel
