/*
 * ndis/list.h — LIST_ENTRY and SINGLE_LIST_ENTRY helpers, as inline functions like the WDK's.
 *
 * Abstract
 *   Doubly linked circular lists with a head (InitializeListHead, InsertHeadList,
 *   InsertTailList, RemoveHeadList, RemoveTailList, RemoveEntryList, AppendTailList,
 *   IsListEmpty) and singly linked lists (PushEntryList, PopEntryList). As in the WDK, every
 *   operation first checks the neighbours' back links; a corrupted list (an entry inserted twice,
 *   removed twice, or overwritten) is a fail-fast: FatalListEntryError reports it through the
 *   verifier and stops the process (bug check 0x139 KERNEL_SECURITY_CHECK_FAILURE on Windows).
 *   Define NO_KERNEL_LIST_ENTRY_CHECKS before including <ndis.h> to turn the checks off.
 *   The interlocked variants (NdisInterlockedInsertTailList, …) are in <ndis/sync.h>.
 *
 * Usage
 *     typedef struct { LIST_ENTRY Link; int Value; } ITEM;
 *     LIST_ENTRY queue;
 *     InitializeListHead(&queue);
 *     InsertTailList(&queue, &item->Link);
 *     while (!IsListEmpty(&queue)) {
 *         ITEM *i = CONTAINING_RECORD(RemoveHeadList(&queue), ITEM, Link);
 *         ...
 *     }
 */
#ifndef OPENNDIS_NDIS_LIST_H
#define OPENNDIS_NDIS_LIST_H

#include <ndis/types.h>

NDIS_EXTERN_C_BEGIN

/* Reports a corrupted list (p1 = the entry or head being worked on, p2/p3 = the inconsistent
 * links) and aborts the process. Called by the inline helpers below. */
NDIS_EXPORTED_ROUTINE __attribute__((noreturn)) VOID FatalListEntryError(_In_ PVOID p1,
                                                                         _In_ PVOID p2,
                                                                         _In_ PVOID p3);

#ifdef NO_KERNEL_LIST_ENTRY_CHECKS
#define OPENNDIS_LIST_CHECK(cond, p1, p2, p3) ((void)0)
#else
#define OPENNDIS_LIST_CHECK(cond, p1, p2, p3)                                         \
    do {                                                                              \
        if (__builtin_expect(!(cond), 0)) {                                           \
            FatalListEntryError((PVOID)(p1), (PVOID)(p2), (PVOID)(p3));              \
        }                                                                             \
    } while (0)
#endif

FORCEINLINE VOID InitializeListHead(_Out_ PLIST_ENTRY ListHead)
{
    ListHead->Flink = ListHead->Blink = ListHead;
}

FORCEINLINE BOOLEAN IsListEmpty(_In_ const LIST_ENTRY *ListHead)
{
    return (BOOLEAN)(ListHead->Flink == ListHead);
}

/* Unlinks Entry; returns TRUE when the list is empty afterwards. */
FORCEINLINE BOOLEAN RemoveEntryList(_In_ PLIST_ENTRY Entry)
{
    PLIST_ENTRY PrevEntry = Entry->Blink;
    PLIST_ENTRY NextEntry = Entry->Flink;
    OPENNDIS_LIST_CHECK(NextEntry->Blink == Entry && PrevEntry->Flink == Entry, Entry, PrevEntry,
                        NextEntry);
    PrevEntry->Flink = NextEntry;
    NextEntry->Blink = PrevEntry;
    return (BOOLEAN)(PrevEntry == NextEntry);
}

/* Unlinks and returns the first entry (the head itself when the list is empty, as in the WDK). */
FORCEINLINE PLIST_ENTRY RemoveHeadList(_Inout_ PLIST_ENTRY ListHead)
{
    PLIST_ENTRY Entry = ListHead->Flink;
    PLIST_ENTRY NextEntry = Entry->Flink;
    OPENNDIS_LIST_CHECK(Entry->Blink == ListHead && NextEntry->Blink == Entry, ListHead, Entry,
                        NextEntry);
    ListHead->Flink = NextEntry;
    NextEntry->Blink = ListHead;
    return Entry;
}

/* Unlinks and returns the last entry (the head itself when the list is empty). */
FORCEINLINE PLIST_ENTRY RemoveTailList(_Inout_ PLIST_ENTRY ListHead)
{
    PLIST_ENTRY Entry = ListHead->Blink;
    PLIST_ENTRY PrevEntry = Entry->Blink;
    OPENNDIS_LIST_CHECK(Entry->Flink == ListHead && PrevEntry->Flink == Entry, ListHead, Entry,
                        PrevEntry);
    ListHead->Blink = PrevEntry;
    PrevEntry->Flink = ListHead;
    return Entry;
}

FORCEINLINE VOID InsertTailList(_Inout_ PLIST_ENTRY ListHead, _Out_ PLIST_ENTRY Entry)
{
    PLIST_ENTRY PrevEntry = ListHead->Blink;
    OPENNDIS_LIST_CHECK(PrevEntry->Flink == ListHead, ListHead, PrevEntry, Entry);
    Entry->Flink = ListHead;
    Entry->Blink = PrevEntry;
    PrevEntry->Flink = Entry;
    ListHead->Blink = Entry;
}

FORCEINLINE VOID InsertHeadList(_Inout_ PLIST_ENTRY ListHead, _Out_ PLIST_ENTRY Entry)
{
    PLIST_ENTRY NextEntry = ListHead->Flink;
    OPENNDIS_LIST_CHECK(NextEntry->Blink == ListHead, ListHead, NextEntry, Entry);
    Entry->Flink = NextEntry;
    Entry->Blink = ListHead;
    NextEntry->Blink = Entry;
    ListHead->Flink = Entry;
}

/* Appends the circular list that ListToAppend is the first entry of (no head) to ListHead. */
FORCEINLINE VOID AppendTailList(_Inout_ PLIST_ENTRY ListHead, _Inout_ PLIST_ENTRY ListToAppend)
{
    PLIST_ENTRY ListEnd = ListHead->Blink;
    OPENNDIS_LIST_CHECK(ListEnd->Flink == ListHead && ListToAppend->Blink->Flink == ListToAppend,
                        ListHead, ListEnd, ListToAppend);
    ListHead->Blink->Flink = ListToAppend;
    ListHead->Blink = ListToAppend->Blink;
    ListToAppend->Blink->Flink = ListHead;
    ListToAppend->Blink = ListEnd;
}

FORCEINLINE PSINGLE_LIST_ENTRY PopEntryList(_Inout_ PSINGLE_LIST_ENTRY ListHead)
{
    PSINGLE_LIST_ENTRY FirstEntry = ListHead->Next;
    if (FirstEntry != NULL) {
        ListHead->Next = FirstEntry->Next;
    }
    return FirstEntry;
}

FORCEINLINE VOID PushEntryList(_Inout_ PSINGLE_LIST_ENTRY ListHead,
                               _Inout_ PSINGLE_LIST_ENTRY Entry)
{
    Entry->Next = ListHead->Next;
    ListHead->Next = Entry;
}

#define NdisInitializeListHead(_ListHead) InitializeListHead(_ListHead)
#define NdisIsListEmpty(_ListHead) IsListEmpty(_ListHead)

NDIS_EXTERN_C_END

#endif /* OPENNDIS_NDIS_LIST_H */
