/*
 * ndis/strings.h — counted strings: UNICODE_STRING (NDIS_STRING) and ANSI_STRING.
 *
 * Abstract
 *   WCHAR is 16-bit UTF-16 as on Windows. On Linux L"…" literals are 32-bit (wchar_t), so the
 *   literals of OpenNDIS drivers are u"…":
 *     - NDIS_STRING_CONST("Name") takes a narrow literal and makes it UTF-16 (as the WDK's
 *       version makes it L"…"); it works unchanged in C11 and C++20 initialisers.
 *     - RTL_CONSTANT_STRING(u"Name") gives a UNICODE_STRING initialiser and
 *       RTL_CONSTANT_STRING("Name") an ANSI_STRING one. In C++, RTL_CONSTANT_STRING(L"Name") is
 *       also accepted (converted to UTF-16 at compile time); in C it is a compile-time error
 *       that names the fix (use u"…").
 *     - RtlInitUnicodeString / NdisInitUnicodeString / RtlAppendUnicodeToString take a PCWSTR:
 *       pass u"…" (C++ has overloads for const char16_t *, which is not WCHAR * there).
 *   "ANSI" strings are UTF-8 here: RtlAnsiStringToUnicodeString decodes UTF-8 (a byte that is
 *   not part of valid UTF-8 is taken as Latin-1), RtlUnicodeStringToAnsiString encodes UTF-8.
 *   Case-insensitive comparison (RtlEqualUnicodeString, RtlCompareUnicodeString,
 *   RtlUpcaseUnicodeChar) folds ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic.
 *   Strings allocated by the conversions (AllocateDestinationString TRUE) are pool memory
 *   (tag "Strg"): free them with RtlFreeUnicodeString / RtlFreeAnsiString.
 *
 * Usage
 *     static const NDIS_STRING name = NDIS_STRING_CONST("NetworkAddress");
 *     UNICODE_STRING u = RTL_CONSTANT_STRING(u"\\Device\\Null");
 *     UNICODE_STRING v;
 *     RtlInitUnicodeString(&v, u"null");
 *     if (RtlEqualUnicodeString(&u, &v, TRUE)) ...
 */
#ifndef OPENNDIS_NDIS_STRINGS_H
#define OPENNDIS_NDIS_STRINGS_H

#include <ndis/types.h>

NDIS_EXTERN_C_BEGIN

typedef const STRING *PCSTRING, *PCANSI_STRING;
typedef const UNICODE_STRING *PCNDIS_STRING;
typedef STRING OEM_STRING, *POEM_STRING;
typedef const STRING *PCOEM_STRING;

#define UNICODE_NULL ((WCHAR)0)
#define ANSI_NULL ((CHAR)0)
#define UNICODE_STRING_MAX_BYTES ((USHORT)65534)
#define UNICODE_STRING_MAX_CHARS (32767)

#ifndef STATUS_INVALID_PARAMETER_2
#define STATUS_INVALID_PARAMETER_2 ((NTSTATUS)0xC00000F0L)
#endif

/* ---- Initialisers ------------------------------------------------------------------------- */
#ifdef __cplusplus
/* C++: the literal is copied at compile time into a template parameter object (static storage),
 * converted to UTF-16 when it is wide; see the openndis_detail namespace at the end. */
#define NDIS_STRING_CONST(x) (::openndis_detail::constant_string<2>::make<u##x>())
#define RTL_CONSTANT_STRING(s) (::openndis_detail::constant_string<sizeof((s)[0])>::make<s>())
#else
/* C: the literal's own storage; L"…" (32-bit on Linux) fails to compile with a clear name. */
#define OPENNDIS_NOT_WCHAR_T(s) \
    (0 * sizeof(struct { int use_u_literal_not_L_on_linux : (sizeof((s)[0]) == 4 ? -1 : 1); }))
#define NDIS_STRING_CONST(x) \
    { (USHORT)(sizeof(u##x) - sizeof(WCHAR)), (USHORT)sizeof(u##x), (PWCH)(u##x) }
#define RTL_CONSTANT_STRING(s)                                          \
    {                                                                   \
        (USHORT)(sizeof(s) - sizeof((s)[0]) + OPENNDIS_NOT_WCHAR_T(s)), \
        (USHORT)sizeof(s), (void *)(s)                                  \
    }
#endif

/* ---- Functions ---------------------------------------------------------------------------- */
/* Length = bytes before the terminator, MaximumLength = Length + 2; NULL Source: empty. */
NDIS_EXPORTED_ROUTINE VOID RtlInitUnicodeString(_Out_ PUNICODE_STRING DestinationString,
                                                _In_opt_z_ PCWSTR SourceString);
NDIS_EXPORTED_ROUTINE VOID NdisInitUnicodeString(_Out_ PNDIS_STRING Destination,
                                                 _In_opt_z_ PCWSTR Source);
NDIS_EXPORTED_ROUTINE VOID RtlInitAnsiString(_Out_ PANSI_STRING DestinationString,
                                             _In_opt_z_ PCSTR SourceString);
NDIS_EXPORTED_ROUTINE VOID RtlInitString(_Out_ PSTRING DestinationString,
                                         _In_opt_z_ PCSTR SourceString);
NDIS_EXPORTED_ROUTINE VOID NdisInitAnsiString(_Out_ PNDIS_ANSI_STRING Destination,
                                              _In_opt_z_ PCSTR Source);

NDIS_EXPORTED_ROUTINE BOOLEAN RtlEqualUnicodeString(_In_ PCUNICODE_STRING String1,
                                                    _In_ PCUNICODE_STRING String2,
                                                    _In_ BOOLEAN CaseInSensitive);
/* < 0, 0, > 0 as String1 sorts before, equal to, after String2 (code unit order). */
NDIS_EXPORTED_ROUTINE LONG RtlCompareUnicodeString(_In_ PCUNICODE_STRING String1,
                                                   _In_ PCUNICODE_STRING String2,
                                                   _In_ BOOLEAN CaseInSensitive);
NDIS_EXPORTED_ROUTINE BOOLEAN RtlEqualString(_In_ const STRING *String1,
                                             _In_ const STRING *String2,
                                             _In_ BOOLEAN CaseInSensitive);
NDIS_EXPORTED_ROUTINE BOOLEAN NdisEqualString(_In_ PNDIS_STRING String1,
                                              _In_ PNDIS_STRING String2,
                                              _In_ BOOLEAN CaseInsensitive);
#define NdisEqualUnicodeString(_String1, _String2, _CaseInsensitive) \
    RtlEqualUnicodeString(_String1, _String2, _CaseInsensitive)
NDIS_EXPORTED_ROUTINE WCHAR RtlUpcaseUnicodeChar(_In_ WCHAR SourceCharacter);
NDIS_EXPORTED_ROUTINE WCHAR RtlDowncaseUnicodeChar(_In_ WCHAR SourceCharacter);

/* Copies min(Source->Length, Destination->MaximumLength) bytes; NUL-terminates when there is
 * room. NULL Source: Destination->Length = 0. */
NDIS_EXPORTED_ROUTINE VOID RtlCopyUnicodeString(_Inout_ PUNICODE_STRING DestinationString,
                                                _In_opt_ PCUNICODE_STRING SourceString);
/* STATUS_SUCCESS or STATUS_BUFFER_TOO_SMALL. */
NDIS_EXPORTED_ROUTINE NTSTATUS RtlAppendUnicodeStringToString(
    _Inout_ PUNICODE_STRING Destination, _In_ PCUNICODE_STRING Source);
NDIS_EXPORTED_ROUTINE NTSTATUS RtlAppendUnicodeToString(_Inout_ PUNICODE_STRING Destination,
                                                        _In_opt_z_ PCWSTR Source);

/* UTF-8 → UTF-16. Allocate TRUE: a new pool buffer; FALSE: Destination's buffer
 * (STATUS_BUFFER_OVERFLOW and nothing converted if it is too small). Longer than 32766
 * characters: STATUS_INVALID_PARAMETER_2. */
NDIS_EXPORTED_ROUTINE NTSTATUS RtlAnsiStringToUnicodeString(
    _Inout_ PUNICODE_STRING DestinationString, _In_ PCANSI_STRING SourceString,
    _In_ BOOLEAN AllocateDestinationString);
/* UTF-16 → UTF-8, NUL-terminated. Allocate FALSE and Destination too small:
 * STATUS_BUFFER_OVERFLOW, and as many whole characters as fit are converted. */
NDIS_EXPORTED_ROUTINE NTSTATUS RtlUnicodeStringToAnsiString(
    _Inout_ PANSI_STRING DestinationString, _In_ PCUNICODE_STRING SourceString,
    _In_ BOOLEAN AllocateDestinationString);
NDIS_EXPORTED_ROUTINE VOID RtlFreeUnicodeString(_Inout_ PUNICODE_STRING UnicodeString);
NDIS_EXPORTED_ROUTINE VOID RtlFreeAnsiString(_Inout_ PANSI_STRING AnsiString);
/* NDIS forms: the destination buffer must be large enough (NDIS_STATUS_SUCCESS or
 * NDIS_STATUS_BUFFER_OVERFLOW). */
NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisAnsiStringToUnicodeString(
    _Inout_ PNDIS_STRING DestinationString, _In_ PNDIS_ANSI_STRING SourceString);
NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisUnicodeStringToAnsiString(
    _Inout_ PNDIS_ANSI_STRING DestinationString, _In_ PNDIS_STRING SourceString);

/* Decimal/hex/octal/binary text → ULONG ("0x", "0o", "0b" prefixes when Base is 0). */
NDIS_EXPORTED_ROUTINE NTSTATUS RtlUnicodeStringToInteger(_In_ PCUNICODE_STRING String,
                                                         _In_opt_ ULONG Base, _Out_ PULONG Value);
NDIS_EXPORTED_ROUTINE NTSTATUS RtlIntegerToUnicodeString(_In_ ULONG Value, _In_opt_ ULONG Base,
                                                         _Inout_ PUNICODE_STRING String);

NDIS_EXTERN_C_END

#ifdef __cplusplus
#include <type_traits>

/* In C++, u"…" is const char16_t[], a type distinct from WCHAR (uint16_t): these overloads take
 * it directly (templates, so that NULL / nullptr still pick the PCWSTR functions). */
template <typename C>
    requires std::is_same_v<C, char16_t>
inline VOID RtlInitUnicodeString(PUNICODE_STRING DestinationString, const C *SourceString)
{
    RtlInitUnicodeString(DestinationString, reinterpret_cast<PCWSTR>(SourceString));
}
template <typename C>
    requires std::is_same_v<C, char16_t>
inline VOID NdisInitUnicodeString(PNDIS_STRING Destination, const C *Source)
{
    NdisInitUnicodeString(Destination, reinterpret_cast<PCWSTR>(Source));
}
template <typename C>
    requires std::is_same_v<C, char16_t>
inline NTSTATUS RtlAppendUnicodeToString(PUNICODE_STRING Destination, const C *Source)
{
    return RtlAppendUnicodeToString(Destination, reinterpret_cast<PCWSTR>(Source));
}

namespace openndis_detail {
/* UTF-16 copy of a char16_t or wchar_t (UTF-32) literal. */
template <typename C, size_t N>
struct wide_literal {
    WCHAR buf[N * 2];
    size_t len;
    constexpr wide_literal(const C (&s)[N]) : buf{}, len(0)
    {
        for (size_t i = 0; i + 1 < N; ++i) {
            unsigned long c = (unsigned long)s[i];
            if (sizeof(C) == 4 && c >= 0x10000UL) {
                c -= 0x10000UL;
                buf[len++] = (WCHAR)(0xD800UL + (c >> 10));
                buf[len++] = (WCHAR)(0xDC00UL + (c & 0x3FFUL));
            } else {
                buf[len++] = (WCHAR)c;
            }
        }
        buf[len] = 0;
    }
};
template <size_t N>
struct narrow_literal {
    char buf[N];
    constexpr narrow_literal(const char (&s)[N]) : buf{}
    {
        for (size_t i = 0; i < N; ++i) {
            buf[i] = s[i];
        }
    }
};
template <wide_literal S>
inline constexpr auto wide_storage = S;
template <narrow_literal S>
inline constexpr auto narrow_storage = S;

/* constant_string<sizeof(character)>::make<literal>(): UNICODE_STRING for 2- and 4-byte
 * characters, STRING for 1-byte ones. */
template <size_t CharSize>
struct constant_string {
    template <wide_literal S>
    static constexpr UNICODE_STRING make()
    {
        return UNICODE_STRING{(USHORT)(wide_storage<S>.len * sizeof(WCHAR)),
                              (USHORT)((wide_storage<S>.len + 1) * sizeof(WCHAR)),
                              const_cast<PWCH>(wide_storage<S>.buf)};
    }
};
template <>
struct constant_string<1> {
    template <narrow_literal S>
    static constexpr STRING make()
    {
        return STRING{(USHORT)(sizeof(S.buf) - 1), (USHORT)sizeof(S.buf),
                      const_cast<PCHAR>(narrow_storage<S>.buf)};
    }
};
} // namespace openndis_detail
#endif

#endif /* OPENNDIS_NDIS_STRINGS_H */
