/*
 * ndis/ntintsafe.h — overflow-checked integer arithmetic (the WDK's ntintsafe.h subset drivers
 * use) and the bit helpers RtlFindLeastSignificantBit / RtlFindMostSignificantBit /
 * RtlNumberOfSetBitsUlongPtr.
 *
 * Abstract
 *   Each Rtl<Type><Op>(a, b, &result) stores the result and returns STATUS_SUCCESS, or stores
 *   the type's error value (all bits set, e.g. ULONG_ERROR) and returns STATUS_INTEGER_OVERFLOW.
 *   All inline, C11 and C++20.
 *
 * Usage
 *     ULONG bytes;
 *     if (!NT_SUCCESS(RtlULongMult(count, sizeof(ENTRY), &bytes))) return NDIS_STATUS_RESOURCES;
 */
#ifndef OPENNDIS_NDIS_NTINTSAFE_H
#define OPENNDIS_NDIS_NTINTSAFE_H

#include <ndis/types.h>
#include <ndis/status.h>

NDIS_EXTERN_C_BEGIN

#define USHORT_ERROR ((USHORT)0xffff)
#define ULONG_ERROR ((ULONG)0xffffffffUL)
#define ULONGLONG_ERROR ((ULONGLONG)0xffffffffffffffffULL)
#define SIZET_ERROR ((SIZE_T)-1)
#define ULONG_PTR_ERROR ((ULONG_PTR)-1)
#define LONG_ERROR ((LONG)-1)

#define OPENNDIS_INTSAFE_OP(Name, Type, Err, Builtin)                                     \
    FORCEINLINE NTSTATUS Name(_In_ Type Augend, _In_ Type Addend, _Out_ Type *pResult)    \
    {                                                                                     \
        if (Builtin(Augend, Addend, pResult)) {                                           \
            *pResult = Err;                                                               \
            return STATUS_INTEGER_OVERFLOW;                                               \
        }                                                                                 \
        return STATUS_SUCCESS;                                                            \
    }

OPENNDIS_INTSAFE_OP(RtlUShortAdd, USHORT, USHORT_ERROR, __builtin_add_overflow)
OPENNDIS_INTSAFE_OP(RtlUShortSub, USHORT, USHORT_ERROR, __builtin_sub_overflow)
OPENNDIS_INTSAFE_OP(RtlUShortMult, USHORT, USHORT_ERROR, __builtin_mul_overflow)
OPENNDIS_INTSAFE_OP(RtlULongAdd, ULONG, ULONG_ERROR, __builtin_add_overflow)
OPENNDIS_INTSAFE_OP(RtlULongSub, ULONG, ULONG_ERROR, __builtin_sub_overflow)
OPENNDIS_INTSAFE_OP(RtlULongMult, ULONG, ULONG_ERROR, __builtin_mul_overflow)
OPENNDIS_INTSAFE_OP(RtlUIntAdd, UINT, ULONG_ERROR, __builtin_add_overflow)
OPENNDIS_INTSAFE_OP(RtlUIntSub, UINT, ULONG_ERROR, __builtin_sub_overflow)
OPENNDIS_INTSAFE_OP(RtlUIntMult, UINT, ULONG_ERROR, __builtin_mul_overflow)
OPENNDIS_INTSAFE_OP(RtlULongLongAdd, ULONGLONG, ULONGLONG_ERROR, __builtin_add_overflow)
OPENNDIS_INTSAFE_OP(RtlULongLongSub, ULONGLONG, ULONGLONG_ERROR, __builtin_sub_overflow)
OPENNDIS_INTSAFE_OP(RtlULongLongMult, ULONGLONG, ULONGLONG_ERROR, __builtin_mul_overflow)
OPENNDIS_INTSAFE_OP(RtlSizeTAdd, SIZE_T, SIZET_ERROR, __builtin_add_overflow)
OPENNDIS_INTSAFE_OP(RtlSizeTSub, SIZE_T, SIZET_ERROR, __builtin_sub_overflow)
OPENNDIS_INTSAFE_OP(RtlSizeTMult, SIZE_T, SIZET_ERROR, __builtin_mul_overflow)
OPENNDIS_INTSAFE_OP(RtlULongPtrAdd, ULONG_PTR, ULONG_PTR_ERROR, __builtin_add_overflow)
OPENNDIS_INTSAFE_OP(RtlULongPtrSub, ULONG_PTR, ULONG_PTR_ERROR, __builtin_sub_overflow)
OPENNDIS_INTSAFE_OP(RtlULongPtrMult, ULONG_PTR, ULONG_PTR_ERROR, __builtin_mul_overflow)
OPENNDIS_INTSAFE_OP(RtlLongAdd, LONG, LONG_ERROR, __builtin_add_overflow)
OPENNDIS_INTSAFE_OP(RtlLongSub, LONG, LONG_ERROR, __builtin_sub_overflow)
OPENNDIS_INTSAFE_OP(RtlLongMult, LONG, LONG_ERROR, __builtin_mul_overflow)
#undef OPENNDIS_INTSAFE_OP

/* Conversions that can lose information. */
FORCEINLINE NTSTATUS RtlULongLongToULong(_In_ ULONGLONG Operand, _Out_ ULONG *pResult)
{
    if (Operand > 0xffffffffULL) {
        *pResult = ULONG_ERROR;
        return STATUS_INTEGER_OVERFLOW;
    }
    *pResult = (ULONG)Operand;
    return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlSizeTToULong(_In_ SIZE_T Operand, _Out_ ULONG *pResult)
{
    return RtlULongLongToULong((ULONGLONG)Operand, pResult);
}
FORCEINLINE NTSTATUS RtlULongToUShort(_In_ ULONG Operand, _Out_ USHORT *pResult)
{
    if (Operand > 0xffffUL) {
        *pResult = USHORT_ERROR;
        return STATUS_INTEGER_OVERFLOW;
    }
    *pResult = (USHORT)Operand;
    return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlSizeTToUShort(_In_ SIZE_T Operand, _Out_ USHORT *pResult)
{
    if (Operand > 0xffffUL) {
        *pResult = USHORT_ERROR;
        return STATUS_INTEGER_OVERFLOW;
    }
    *pResult = (USHORT)Operand;
    return STATUS_SUCCESS;
}

/* ---- Bits --------------------------------------------------------------------------------- */
/* Index of the lowest / highest set bit, or -1 when Set is 0. */
FORCEINLINE CCHAR RtlFindLeastSignificantBit(_In_ ULONGLONG Set)
{
    return Set == 0 ? (CCHAR)-1 : (CCHAR)__builtin_ctzll(Set);
}
FORCEINLINE CCHAR RtlFindMostSignificantBit(_In_ ULONGLONG Set)
{
    return Set == 0 ? (CCHAR)-1 : (CCHAR)(63 - __builtin_clzll(Set));
}
FORCEINLINE ULONG RtlNumberOfSetBitsUlongPtr(_In_ ULONG_PTR Target)
{
    return (ULONG)__builtin_popcountll((ULONGLONG)Target);
}

NDIS_EXTERN_C_END

#endif /* OPENNDIS_NDIS_NTINTSAFE_H */
