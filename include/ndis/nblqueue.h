/*
 * ndis/nblqueue.h — NBL queues and chain classification (C, with a C++ wrapper).
 *
 * Abstract
 *   An NBL chain is a NULL-terminated singly linked list through NET_BUFFER_LIST::Next (DS-01),
 *   so appending to a bare chain means walking it. NBL_QUEUE keeps a pointer to the last Next
 *   field as well, which makes every append O(1); NBL_COUNTED_QUEUE also keeps the length.
 *   The classify routines cut a chain into consecutive runs of NBLs that share a SourceHandle
 *   (or any value you compute), keeping chain order: the shape NDIS needs to route a
 *   completion chain that mixes several originators back to each of them (MS-07, MS-11, PS-13,
 *   PS-14). Everything here is static inline, touches only NBL Next fields and the queue, never
 *   calls the runtime and never allocates; it compiles alone as C11 and as C++20.
 *   Queue and chain routines keep the names and semantics of Microsoft's ndis-driver-library
 *   (NDL: nblqueue.h, nblchain.h), NDL's …Fast spellings included, and also accept NULL
 *   chains. The classify routines differ from NDL's nblclassify.h: here
 *   NdisClassifyNblChainBySourceHandle is a run splitter (NDL's splits "mine"/"theirs"),
 *   value functions take no context, and run callbacks get (chain, count), not an NBL_QUEUE.
 *   Never hand-roll chain slicing: use these (STYLE principle 7).
 *
 * Invariants (NdisIsNblQueueValid checks them)
 *   Empty queue:     First == NULL and Last == &First.
 *   Non-empty queue: First..X is a NULL-terminated chain and Last == &X->Next (X the last NBL).
 *   Counted queue:   additionally NblCount == the number of NBLs in the chain.
 *   Because an empty queue points into itself, never copy an NBL_QUEUE by assignment or memcpy:
 *   move its NBLs with NdisAppendNblQueueToNblQueue (the C++ classes do this for you).
 *
 * Ownership
 *   A queue owns nothing by itself: the NBLs in it belong to whoever owns the queue (a
 *   protocol's completion list, a miniport's pending-send list, ...). Appending hands the
 *   appended NBLs to the queue's owner; popping or taking the chain hands them back to the
 *   caller. The helpers relink NBL Next fields only, which the current owner of an NBL may do
 *   (DS-25); they never read or write NBs, MDLs or data. Reinitialising or destroying a
 *   non-empty queue forgets its NBLs (nothing is freed or completed): take them out first.
 *   No locking: guard a shared queue with the owner's lock.
 *
 * Complexity
 *   O(1): initialise, is-empty, count, append one NBL, append a chain with known last NBL
 *   (…Fast), append queue to queue, pop first, peek, pop all.
 *   One walk of the chain (O(n)): append a chain of unknown length, count, find last, validate,
 *   and each classify routine (every NBL is visited once; the classifier runs once per NBL).
 *
 * Table of contents
 *   Chains:          NdisCountNblChain, NdisLastNblInNblChain(WithCount), NdisNumNblsInNblChain
 *   Queues:          NdisInitializeNblQueue, NdisIsNblQueueEmpty, NdisIsNblQueueValid,
 *                    NdisAppendSingleNblToNblQueue, NdisAppendNblChainToNblQueue(Fast),
 *                    NdisAppendNblQueueToNblQueue(Fast), NdisPopFirstNblFromNblQueue,
 *                    NdisGetNblChainFromNblQueue, NdisPopAllFromNblQueue
 *   Counted queues:  the same with NblCountedQueue in the name, plus NdisGetNblCountedQueueCount
 *   Classification:  NdisPartialClassifyNblChainBySourceHandle(WithCount),
 *                    NdisPartialClassifyNblChainByValue(WithCount),
 *                    NdisClassifyNblChainBySourceHandle, NdisClassifyNblChainByValue
 *   C++ (ndis::):    nbl_queue, nbl_counted_queue, nbl_chain_range, for_each_run,
 *                    for_each_run_by_source_handle, take_leading_run(_by_source_handle)
 *
 * Usage (C)
 *     NBL_COUNTED_QUEUE pending;                          // e.g. a miniport's send queue
 *     NdisInitializeNblCountedQueue(&pending);
 *     NdisAppendNblChainToNblCountedQueue(&pending, NetBufferLists);   // now the queue's
 *     PNET_BUFFER_LIST nbl;
 *     while ((nbl = NdisPopFirstNblFromNblCountedQueue(&pending)) != NULL)
 *         Transmit(nbl);                                  // nbl->Next is NULL
 *
 *     // Completion: hand each originator its NBLs, in chain order (MS-11, PS-14).
 *     static VOID CompleteRun(PVOID Ctx, NDIS_HANDLE Source, PNET_BUFFER_LIST Run, SIZE_T N)
 *     { ... Run is NULL-terminated and belongs to the callback ... }
 *     NdisClassifyNblChainBySourceHandle(CompletedChain, CompleteRun, Ctx);
 *
 *     // Or without a callback: peel one run at a time.
 *     while (Chain != NULL) {
 *         NBL_QUEUE run;
 *         NDIS_HANDLE source = NdisPartialClassifyNblChainBySourceHandle(&Chain, &run);
 *         Complete(source, NdisPopAllFromNblQueue(&run));
 *     }
 *
 * Usage (C++)
 *     ndis::nbl_counted_queue pending;
 *     pending.append(NetBufferLists);
 *     while (PNET_BUFFER_LIST nbl = pending.pop_front())
 *         transmit(nbl);
 *
 *     for (PNET_BUFFER_LIST nbl : ndis::nbl_chain_range(chain))  // nbl may be relinked or
 *         other.push_back(nbl);                                  // freed inside the loop
 *
 *     ndis::for_each_run_by_source_handle(completed,
 *         [&](NDIS_HANDLE source, ndis::nbl_counted_queue &&run) {
 *             complete_to(source, std::move(run));
 *         });
 */
#ifndef OPENNDIS_NDIS_NBLQUEUE_H
#define OPENNDIS_NDIS_NBLQUEUE_H

#include <ndis/types.h>
#include <ndis/nbl.h>

NDIS_EXTERN_C_BEGIN

/* The queue's Last pointer may point at a queue's First or at an NBL's Next: both must be the
 * first field so that "pointer to the last Next" and "pointer to the last NBL" coincide. */
C_ASSERT(offsetof(NET_BUFFER_LIST, Next) == 0);

/* ---- Types --------------------------------------------------------------------------------- */

typedef struct _NBL_QUEUE {
    PNET_BUFFER_LIST First;  /* first NBL, or NULL when empty */
    PNET_BUFFER_LIST *Last;  /* &lastNbl->Next, or &First when empty */
} NBL_QUEUE, *PNBL_QUEUE;

typedef struct _NBL_COUNTED_QUEUE {
    NBL_QUEUE Queue;
    SIZE_T NblCount;         /* number of NBLs in Queue; read it directly or with
                                NdisGetNblCountedQueueCount, never write it */
} NBL_COUNTED_QUEUE, *PNBL_COUNTED_QUEUE;

/* Classification value of one NBL: two NBLs are in the same run iff their values are equal. */
typedef ULONG_PTR NDIS_NBL_VALUE_FUNCTION(_In_ PNET_BUFFER_LIST Nbl);

/* Called once per run, in chain order. RunChain is NULL-terminated, holds RunCount >= 1 NBLs,
 * and from this call on belongs to the callback (it may relink, queue or complete them). */
typedef VOID NDIS_NBL_SOURCE_HANDLE_RUN_CALLBACK(_In_opt_ PVOID Context,
                                                 _In_opt_ NDIS_HANDLE SourceHandle,
                                                 _In_ PNET_BUFFER_LIST RunChain,
                                                 _In_ SIZE_T RunCount);
typedef VOID NDIS_NBL_VALUE_RUN_CALLBACK(_In_opt_ PVOID Context, _In_ ULONG_PTR Value,
                                         _In_ PNET_BUFFER_LIST RunChain, _In_ SIZE_T RunCount);

/* ---- Chains ------------------------------------------------------------------------------- */

/* Number of NBLs in Chain (0 for NULL). */
static inline SIZE_T NdisCountNblChain(_In_opt_ PNET_BUFFER_LIST Chain)
{
    SIZE_T count = 0;
    for (; Chain != NULL; Chain = Chain->Next)
        ++count;
    return count;
}

/* NDL spelling of NdisCountNblChain (ULONG result, as in ndis-driver-library). */
static inline ULONG NdisNumNblsInNblChain(_In_opt_ PNET_BUFFER_LIST Chain)
{
    return (ULONG)NdisCountNblChain(Chain);
}

/* Last NBL of Chain (NULL for NULL). */
static inline PNET_BUFFER_LIST NdisLastNblInNblChain(_In_opt_ PNET_BUFFER_LIST Chain)
{
    if (Chain != NULL)
        while (Chain->Next != NULL)
            Chain = Chain->Next;
    return Chain;
}

/* Last NBL of Chain and, in *Count, its length (NULL and 0 for NULL). */
static inline PNET_BUFFER_LIST NdisLastNblInNblChainWithCount(_In_opt_ PNET_BUFFER_LIST Chain,
                                                              _Out_ SIZE_T *Count)
{
    SIZE_T count = 0;
    if (Chain != NULL) {
        count = 1;
        while (Chain->Next != NULL) {
            Chain = Chain->Next;
            ++count;
        }
    }
    *Count = count;
    return Chain;
}

/* ---- NBL_QUEUE ---------------------------------------------------------------------------- */

FORCEINLINE VOID NdisInitializeNblQueue(_Out_ NBL_QUEUE *Queue)
{
    Queue->First = NULL;
    Queue->Last = &Queue->First;
}

FORCEINLINE BOOLEAN NdisIsNblQueueEmpty(_In_ NBL_QUEUE const *Queue)
{
    return Queue->First == NULL;
}

/* Private: TRUE if Queue keeps its invariants; *Count receives the chain length. Survives a
 * cyclic chain (Brent's cycle detection), so a verifier may call it on untrusted queues. */
static inline BOOLEAN NdisPrivateCheckNblQueue(_In_ NBL_QUEUE const *Queue, _Out_ SIZE_T *Count)
{
    PNET_BUFFER_LIST nbl = Queue->First;
    PNET_BUFFER_LIST mark = nbl;
    SIZE_T count = 0, power = 1, lap = 0;

    *Count = 0;
    if (nbl == NULL)
        return Queue->Last == &Queue->First;
    count = 1;
    while (nbl->Next != NULL) {
        nbl = nbl->Next;
        ++count;
        if (nbl == mark)
            return FALSE; /* cycle */
        if (++lap == power) {
            mark = nbl;
            power *= 2;
            lap = 0;
        }
    }
    *Count = count;
    return Queue->Last == &nbl->Next;
}

/* O(n) self-check for tests, asserts and the verifier. */
static inline BOOLEAN NdisIsNblQueueValid(_In_ NBL_QUEUE const *Queue)
{
    SIZE_T count;
    return NdisPrivateCheckNblQueue(Queue, &count);
}

/* Appends Nbl alone: clears Nbl->Next first, so Nbl may come from the middle of some chain
 * (whatever followed it is not appended). O(1). */
FORCEINLINE VOID NdisAppendSingleNblToNblQueue(_Inout_ NBL_QUEUE *Queue, _In_ PNET_BUFFER_LIST Nbl)
{
    Nbl->Next = NULL;
    *Queue->Last = Nbl;
    Queue->Last = &Nbl->Next;
}

/* Appends the chain First..Last. O(1). Requires First and Last non-NULL, Last reachable from
 * First and Last->Next == NULL (not checked). */
FORCEINLINE VOID NdisAppendNblChainToNblQueueFast(_Inout_ NBL_QUEUE *Queue,
                                                  _In_ PNET_BUFFER_LIST First,
                                                  _In_ PNET_BUFFER_LIST Last)
{
    *Queue->Last = First;
    Queue->Last = &Last->Next;
}

/* Appends a NULL-terminated chain (NULL is a no-op). Walks the chain once. */
static inline VOID NdisAppendNblChainToNblQueue(_Inout_ NBL_QUEUE *Queue,
                                                _In_opt_ PNET_BUFFER_LIST Chain)
{
    if (Chain != NULL)
        NdisAppendNblChainToNblQueueFast(Queue, Chain, NdisLastNblInNblChain(Chain));
}

/* Moves every NBL of Source to the end of Destination; Source is left empty (and valid).
 * O(1). Source == Destination is a no-op. */
FORCEINLINE VOID NdisAppendNblQueueToNblQueue(_Inout_ NBL_QUEUE *Destination,
                                              _Inout_ NBL_QUEUE *Source)
{
    if (Source->First == NULL || Source == Destination)
        return;
    *Destination->Last = Source->First;
    Destination->Last = Source->Last;
    NdisInitializeNblQueue(Source);
}

/* NDL spelling of NdisAppendNblQueueToNblQueue. */
FORCEINLINE VOID NdisAppendNblQueueToNblQueueFast(_Inout_ NBL_QUEUE *Destination,
                                                  _Inout_ NBL_QUEUE *Source)
{
    NdisAppendNblQueueToNblQueue(Destination, Source);
}

/* Removes and returns the first NBL with its Next cleared, or NULL if the queue is empty.
 * O(1); popping the last NBL leaves Last == &First. */
FORCEINLINE PNET_BUFFER_LIST NdisPopFirstNblFromNblQueue(_Inout_ NBL_QUEUE *Queue)
{
    PNET_BUFFER_LIST nbl = Queue->First;
    if (nbl == NULL)
        return NULL;
    Queue->First = nbl->Next;
    if (Queue->First == NULL)
        Queue->Last = &Queue->First;
    nbl->Next = NULL;
    return nbl;
}

/* Peeks: returns the queued chain (NULL if empty) and leaves the queue as it is. The NBLs stay
 * in the queue: read them, but do not relink them or hand them on; to take them, use
 * NdisPopAllFromNblQueue. O(1). */
FORCEINLINE PNET_BUFFER_LIST NdisGetNblChainFromNblQueue(_In_ NBL_QUEUE const *Queue)
{
    return Queue->First;
}

/* Takes all: returns the queued chain (NULL-terminated, NULL if empty) and reinitialises the
 * queue to empty. The caller owns the returned NBLs. O(1). */
FORCEINLINE PNET_BUFFER_LIST NdisPopAllFromNblQueue(_Inout_ NBL_QUEUE *Queue)
{
    PNET_BUFFER_LIST chain = Queue->First;
    NdisInitializeNblQueue(Queue);
    return chain;
}

/* ---- NBL_COUNTED_QUEUE -------------------------------------------------------------------- */

FORCEINLINE VOID NdisInitializeNblCountedQueue(_Out_ NBL_COUNTED_QUEUE *Queue)
{
    NdisInitializeNblQueue(&Queue->Queue);
    Queue->NblCount = 0;
}

FORCEINLINE BOOLEAN NdisIsNblCountedQueueEmpty(_In_ NBL_COUNTED_QUEUE const *Queue)
{
    return Queue->Queue.First == NULL;
}

FORCEINLINE SIZE_T NdisGetNblCountedQueueCount(_In_ NBL_COUNTED_QUEUE const *Queue)
{
    return Queue->NblCount;
}

/* O(n) self-check: the NBL_QUEUE invariants plus NblCount == chain length. */
static inline BOOLEAN NdisIsNblCountedQueueValid(_In_ NBL_COUNTED_QUEUE const *Queue)
{
    SIZE_T count;
    return NdisPrivateCheckNblQueue(&Queue->Queue, &count) && count == Queue->NblCount;
}

FORCEINLINE VOID NdisAppendSingleNblToNblCountedQueue(_Inout_ NBL_COUNTED_QUEUE *Queue,
                                                      _In_ PNET_BUFFER_LIST Nbl)
{
    NdisAppendSingleNblToNblQueue(&Queue->Queue, Nbl);
    Queue->NblCount += 1;
}

/* Appends First..Last, which holds Count NBLs. O(1); same requirements as the NBL_QUEUE form,
 * and Count must be exact (not checked). */
FORCEINLINE VOID NdisAppendNblChainToNblCountedQueueFast(_Inout_ NBL_COUNTED_QUEUE *Queue,
                                                         _In_ PNET_BUFFER_LIST First,
                                                         _In_ PNET_BUFFER_LIST Last,
                                                         _In_ SIZE_T Count)
{
    NdisAppendNblChainToNblQueueFast(&Queue->Queue, First, Last);
    Queue->NblCount += Count;
}

/* Appends a NULL-terminated chain (NULL is a no-op) and adds its length. Walks it once. */
static inline VOID NdisAppendNblChainToNblCountedQueue(_Inout_ NBL_COUNTED_QUEUE *Queue,
                                                       _In_opt_ PNET_BUFFER_LIST Chain)
{
    SIZE_T count;
    PNET_BUFFER_LIST last = NdisLastNblInNblChainWithCount(Chain, &count);
    if (last != NULL)
        NdisAppendNblChainToNblCountedQueueFast(Queue, Chain, last, count);
}

/* Moves every NBL of Source to the end of Destination, counts included; Source is left empty.
 * O(1). Source == Destination is a no-op. */
FORCEINLINE VOID NdisAppendNblCountedQueueToNblCountedQueue(_Inout_ NBL_COUNTED_QUEUE *Destination,
                                                            _Inout_ NBL_COUNTED_QUEUE *Source)
{
    if (Source->Queue.First == NULL || Source == Destination)
        return;
    NdisAppendNblQueueToNblQueue(&Destination->Queue, &Source->Queue);
    Destination->NblCount += Source->NblCount;
    Source->NblCount = 0;
}

/* NDL spelling of NdisAppendNblCountedQueueToNblCountedQueue. */
FORCEINLINE VOID NdisAppendNblCountedQueueToNblCountedQueueFast(
    _Inout_ NBL_COUNTED_QUEUE *Destination, _Inout_ NBL_COUNTED_QUEUE *Source)
{
    NdisAppendNblCountedQueueToNblCountedQueue(Destination, Source);
}

/* Removes and returns the first NBL with its Next cleared, or NULL if empty. O(1). */
FORCEINLINE PNET_BUFFER_LIST NdisPopFirstNblFromNblCountedQueue(_Inout_ NBL_COUNTED_QUEUE *Queue)
{
    PNET_BUFFER_LIST nbl = NdisPopFirstNblFromNblQueue(&Queue->Queue);
    if (nbl != NULL)
        Queue->NblCount -= 1;
    return nbl;
}

/* Peeks: the queued chain; the queue is unchanged (see NdisGetNblChainFromNblQueue). O(1). */
FORCEINLINE PNET_BUFFER_LIST NdisGetNblChainFromNblCountedQueue(_In_ NBL_COUNTED_QUEUE const *Queue)
{
    return Queue->Queue.First;
}

/* Takes all: returns the chain and leaves the queue empty with NblCount 0. O(1). Read
 * NblCount first if you need it. */
FORCEINLINE PNET_BUFFER_LIST NdisPopAllFromNblCountedQueue(_Inout_ NBL_COUNTED_QUEUE *Queue)
{
    PNET_BUFFER_LIST chain = Queue->Queue.First;
    NdisInitializeNblCountedQueue(Queue);
    return chain;
}

/* ---- Classification into consecutive runs (MS-07, MS-11, PS-13, PS-14) -------------------
 *
 * A run is a maximal stretch of consecutive NBLs with equal SourceHandle (or equal value).
 * Runs are not grouped: A A B A C C gives A×2, B×1, A×1, C×2, in that order. Chain order is
 * kept inside and across runs, so per-originator FIFO order survives the split.
 *
 * Partial forms: detach the leading run of *Chain into Run and advance *Chain to the rest
 * (NULL once the chain is used up). Run is an output: it is (re)initialised, never appended
 * to, so it may be uninitialised on entry and must not hold NBLs. The run is NULL-terminated
 * and Run's Last is exact, so it can be passed on with NdisAppendNblQueueToNblQueue in O(1).
 * They return the run's SourceHandle / value; for an empty *Chain (NULL) they leave Run empty
 * and return NULL / 0 — test NdisIsNblQueueEmpty(Run), not the result, when NULL or 0 are
 * legitimate values. The WithCount forms also give the run's length in Run->NblCount.
 *
 * Splitters: walk the whole chain once and call Callback(Context, key, runChain, runCount) per
 * run, in chain order; each run is NULL-terminated before its callback runs and then belongs
 * to the callback; the splitter has already read what it needs of the next run's first NBL, so
 * the callback may relink or complete its NBLs at once. They return the number of runs (0 for
 * a NULL chain).
 */

/* Private: cuts the leading run of *Chain by SourceHandle; returns its last NBL (or NULL). */
FORCEINLINE PNET_BUFFER_LIST NdisPrivateCutRunBySourceHandle(_Inout_ PNET_BUFFER_LIST *Chain,
                                                             _Out_ SIZE_T *Count)
{
    PNET_BUFFER_LIST last = *Chain, next;
    NDIS_HANDLE source;
    SIZE_T count = 1;

    if (last == NULL) {
        *Count = 0;
        return NULL;
    }
    source = last->SourceHandle;
    while ((next = last->Next) != NULL && next->SourceHandle == source) {
        last = next;
        ++count;
    }
    last->Next = NULL;
    *Chain = next;
    *Count = count;
    return last;
}

/* Private: the same with a value function. *Value receives the run's value. */
FORCEINLINE PNET_BUFFER_LIST NdisPrivateCutRunByValue(_Inout_ PNET_BUFFER_LIST *Chain,
                                                      _In_ NDIS_NBL_VALUE_FUNCTION *ValueFunction,
                                                      _Out_ ULONG_PTR *Value,
                                                      _Out_ SIZE_T *Count)
{
    PNET_BUFFER_LIST last = *Chain, next;
    ULONG_PTR value;
    SIZE_T count = 1;

    if (last == NULL) {
        *Value = 0;
        *Count = 0;
        return NULL;
    }
    value = ValueFunction(last);
    while ((next = last->Next) != NULL && ValueFunction(next) == value) {
        last = next;
        ++count;
    }
    last->Next = NULL;
    *Chain = next;
    *Value = value;
    *Count = count;
    return last;
}

static inline NDIS_HANDLE NdisPartialClassifyNblChainBySourceHandle(
    _Inout_ PNET_BUFFER_LIST *Chain, _Out_ NBL_QUEUE *Run)
{
    PNET_BUFFER_LIST first = *Chain, last;
    SIZE_T count;

    NdisInitializeNblQueue(Run);
    last = NdisPrivateCutRunBySourceHandle(Chain, &count);
    if (last == NULL)
        return NULL;
    NdisAppendNblChainToNblQueueFast(Run, first, last);
    return first->SourceHandle;
}

static inline NDIS_HANDLE NdisPartialClassifyNblChainBySourceHandleWithCount(
    _Inout_ PNET_BUFFER_LIST *Chain, _Out_ NBL_COUNTED_QUEUE *Run)
{
    PNET_BUFFER_LIST first = *Chain, last;
    SIZE_T count;

    NdisInitializeNblCountedQueue(Run);
    last = NdisPrivateCutRunBySourceHandle(Chain, &count);
    if (last == NULL)
        return NULL;
    NdisAppendNblChainToNblCountedQueueFast(Run, first, last, count);
    return first->SourceHandle;
}

static inline ULONG_PTR NdisPartialClassifyNblChainByValue(
    _Inout_ PNET_BUFFER_LIST *Chain, _Out_ NBL_QUEUE *Run,
    _In_ NDIS_NBL_VALUE_FUNCTION *ValueFunction)
{
    PNET_BUFFER_LIST first = *Chain, last;
    ULONG_PTR value;
    SIZE_T count;

    NdisInitializeNblQueue(Run);
    last = NdisPrivateCutRunByValue(Chain, ValueFunction, &value, &count);
    if (last != NULL)
        NdisAppendNblChainToNblQueueFast(Run, first, last);
    return value;
}

static inline ULONG_PTR NdisPartialClassifyNblChainByValueWithCount(
    _Inout_ PNET_BUFFER_LIST *Chain, _Out_ NBL_COUNTED_QUEUE *Run,
    _In_ NDIS_NBL_VALUE_FUNCTION *ValueFunction)
{
    PNET_BUFFER_LIST first = *Chain, last;
    ULONG_PTR value;
    SIZE_T count;

    NdisInitializeNblCountedQueue(Run);
    last = NdisPrivateCutRunByValue(Chain, ValueFunction, &value, &count);
    if (last != NULL)
        NdisAppendNblChainToNblCountedQueueFast(Run, first, last, count);
    return value;
}

/* One pass: Callback(Context, SourceHandle, run, runCount) per consecutive run, in order. */
static inline SIZE_T NdisClassifyNblChainBySourceHandle(
    _In_opt_ PNET_BUFFER_LIST Chain, _In_ NDIS_NBL_SOURCE_HANDLE_RUN_CALLBACK *Callback,
    _In_opt_ PVOID Context)
{
    SIZE_T runs = 0, count;
    PNET_BUFFER_LIST first;

    while ((first = Chain) != NULL) {
        NDIS_HANDLE source = first->SourceHandle;
        (void)NdisPrivateCutRunBySourceHandle(&Chain, &count);
        ++runs;
        Callback(Context, source, first, count);
    }
    return runs;
}

/* One pass: Callback(Context, value, run, runCount) per consecutive run of equal values. */
static inline SIZE_T NdisClassifyNblChainByValue(_In_opt_ PNET_BUFFER_LIST Chain,
                                                 _In_ NDIS_NBL_VALUE_FUNCTION *ValueFunction,
                                                 _In_ NDIS_NBL_VALUE_RUN_CALLBACK *Callback,
                                                 _In_opt_ PVOID Context)
{
    SIZE_T runs = 0, count;
    ULONG_PTR value;
    PNET_BUFFER_LIST first;

    while ((first = Chain) != NULL) {
        (void)NdisPrivateCutRunByValue(&Chain, ValueFunction, &value, &count);
        ++runs;
        Callback(Context, value, first, count);
    }
    return runs;
}

NDIS_EXTERN_C_END

#ifdef __cplusplus

/* With -DOPENNDIS_LEGACY_SAL, ndis/types.h defines the old SAL names __in and __out as empty
 * macros, and libstdc++ uses them as parameter names (<iterator>, <utility>, ...): hide them
 * while the standard headers are read, so this header works in that mode too. */
#pragma push_macro("__in")
#pragma push_macro("__out")
#undef __in
#undef __out
#include <cstddef>
#include <iterator>
#include <type_traits>
#include <utility>
#pragma pop_macro("__out")
#pragma pop_macro("__in")

/*
 * C++ wrapper (namespace ndis). Header-only, no allocation, no exceptions.
 *
 *   nbl_chain_iterator  input iterator over a raw chain. It reads an NBL's Next when it steps
 *                       onto that NBL, so the loop body may relink, queue or free the *current*
 *                       NBL (not the ones after it).
 *   nbl_chain_range     range over a raw chain: for (PNET_BUFFER_LIST nbl : nbl_chain_range(c)).
 *   nbl_queue           move-only owner of an NBL_QUEUE (its only member, same layout).
 *   nbl_counted_queue   move-only owner of an NBL_COUNTED_QUEUE (same layout); size() is O(1).
 *                       Iterating a queue does not remove anything: to drain it, pop_front() or
 *                       take_chain() and iterate the chain. Moving a queue moves its NBLs and
 *                       leaves the source empty; move-assigning or destroying a non-empty queue
 *                       forgets its NBLs (as in C), so take them out first.
 *   for_each_run(chain, key, f), for_each_run_by_source_handle(chain, f)
 *                       the splitter; f is called per run with (key, nbl_counted_queue&&),
 *                       (key, PNET_BUFFER_LIST run, size_t count) or (key, PNET_BUFFER_LIST run),
 *                       whichever it accepts; returns the number of runs.
 *   take_leading_run(chain, key), take_leading_run_by_source_handle(chain)
 *                       the partial classifier; returns the run as an nbl_counted_queue.
 */
namespace ndis {

class nbl_chain_iterator {
public:
    using iterator_category = std::input_iterator_tag;
    using iterator_concept = std::input_iterator_tag;
    using value_type = PNET_BUFFER_LIST;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = PNET_BUFFER_LIST;

    constexpr nbl_chain_iterator() noexcept = default;
    constexpr explicit nbl_chain_iterator(PNET_BUFFER_LIST nbl) noexcept
        : _nbl(nbl), _next(nbl != nullptr ? nbl->Next : nullptr)
    {
    }

    constexpr reference operator*() const noexcept { return _nbl; }
    constexpr nbl_chain_iterator &operator++() noexcept
    {
        _nbl = _next;
        _next = _nbl != nullptr ? _nbl->Next : nullptr;
        return *this;
    }
    constexpr nbl_chain_iterator operator++(int) noexcept
    {
        nbl_chain_iterator old = *this;
        ++*this;
        return old;
    }
    friend constexpr bool operator==(const nbl_chain_iterator &a,
                                     const nbl_chain_iterator &b) noexcept
    {
        return a._nbl == b._nbl;
    }

private:
    PNET_BUFFER_LIST _nbl = nullptr;
    PNET_BUFFER_LIST _next = nullptr;
};

class nbl_chain_range {
public:
    constexpr nbl_chain_range() noexcept = default;
    constexpr explicit nbl_chain_range(PNET_BUFFER_LIST chain) noexcept : _first(chain) {}

    constexpr nbl_chain_iterator begin() const noexcept { return nbl_chain_iterator(_first); }
    constexpr nbl_chain_iterator end() const noexcept { return nbl_chain_iterator(); }
    constexpr bool empty() const noexcept { return _first == nullptr; }

private:
    PNET_BUFFER_LIST _first = nullptr;
};

class nbl_queue {
public:
    nbl_queue() noexcept { NdisInitializeNblQueue(&_q); }
    /* Takes a NULL-terminated chain (may be NULL). Walks it once. */
    explicit nbl_queue(PNET_BUFFER_LIST chain) noexcept : nbl_queue() { append(chain); }
    nbl_queue(nbl_queue &&other) noexcept : nbl_queue() { NdisAppendNblQueueToNblQueue(&_q, &other._q); }
    nbl_queue &operator=(nbl_queue &&other) noexcept
    {
        if (this != &other) {
            NdisInitializeNblQueue(&_q);
            NdisAppendNblQueueToNblQueue(&_q, &other._q);
        }
        return *this;
    }
    nbl_queue(const nbl_queue &) = delete;
    nbl_queue &operator=(const nbl_queue &) = delete;
    ~nbl_queue() = default;

    [[nodiscard]] bool empty() const noexcept { return NdisIsNblQueueEmpty(&_q) != 0; }
    [[nodiscard]] bool valid() const noexcept { return NdisIsNblQueueValid(&_q) != 0; }
    /* First NBL (peek), or nullptr. */
    [[nodiscard]] PNET_BUFFER_LIST front() const noexcept { return _q.First; }
    /* The queued chain (peek); the queue is unchanged. */
    [[nodiscard]] PNET_BUFFER_LIST chain() const noexcept { return NdisGetNblChainFromNblQueue(&_q); }

    void push_back(PNET_BUFFER_LIST nbl) noexcept { NdisAppendSingleNblToNblQueue(&_q, nbl); }
    void append(PNET_BUFFER_LIST chain) noexcept { NdisAppendNblChainToNblQueue(&_q, chain); }
    void append(PNET_BUFFER_LIST first, PNET_BUFFER_LIST last) noexcept
    {
        NdisAppendNblChainToNblQueueFast(&_q, first, last);
    }
    void append(nbl_queue &&other) noexcept { NdisAppendNblQueueToNblQueue(&_q, &other._q); }

    [[nodiscard]] PNET_BUFFER_LIST pop_front() noexcept { return NdisPopFirstNblFromNblQueue(&_q); }
    /* Takes all NBLs as a chain; the queue is left empty. release() is the same. */
    [[nodiscard]] PNET_BUFFER_LIST take_chain() noexcept { return NdisPopAllFromNblQueue(&_q); }
    [[nodiscard]] PNET_BUFFER_LIST release() noexcept { return take_chain(); }

    nbl_chain_iterator begin() const noexcept { return nbl_chain_iterator(_q.First); }
    nbl_chain_iterator end() const noexcept { return nbl_chain_iterator(); }

    /* The C struct, for the C API. */
    NBL_QUEUE *native() noexcept { return &_q; }
    const NBL_QUEUE *native() const noexcept { return &_q; }

private:
    NBL_QUEUE _q;
};

class nbl_counted_queue {
public:
    nbl_counted_queue() noexcept { NdisInitializeNblCountedQueue(&_q); }
    explicit nbl_counted_queue(PNET_BUFFER_LIST chain) noexcept : nbl_counted_queue()
    {
        append(chain);
    }
    nbl_counted_queue(nbl_counted_queue &&other) noexcept : nbl_counted_queue()
    {
        NdisAppendNblCountedQueueToNblCountedQueue(&_q, &other._q);
    }
    nbl_counted_queue &operator=(nbl_counted_queue &&other) noexcept
    {
        if (this != &other) {
            NdisInitializeNblCountedQueue(&_q);
            NdisAppendNblCountedQueueToNblCountedQueue(&_q, &other._q);
        }
        return *this;
    }
    nbl_counted_queue(const nbl_counted_queue &) = delete;
    nbl_counted_queue &operator=(const nbl_counted_queue &) = delete;
    ~nbl_counted_queue() = default;

    [[nodiscard]] bool empty() const noexcept { return NdisIsNblCountedQueueEmpty(&_q) != 0; }
    [[nodiscard]] std::size_t size() const noexcept { return NdisGetNblCountedQueueCount(&_q); }
    [[nodiscard]] bool valid() const noexcept { return NdisIsNblCountedQueueValid(&_q) != 0; }
    [[nodiscard]] PNET_BUFFER_LIST front() const noexcept { return _q.Queue.First; }
    [[nodiscard]] PNET_BUFFER_LIST chain() const noexcept
    {
        return NdisGetNblChainFromNblCountedQueue(&_q);
    }

    void push_back(PNET_BUFFER_LIST nbl) noexcept { NdisAppendSingleNblToNblCountedQueue(&_q, nbl); }
    void append(PNET_BUFFER_LIST chain) noexcept { NdisAppendNblChainToNblCountedQueue(&_q, chain); }
    void append(PNET_BUFFER_LIST first, PNET_BUFFER_LIST last, std::size_t count) noexcept
    {
        NdisAppendNblChainToNblCountedQueueFast(&_q, first, last, count);
    }
    void append(nbl_counted_queue &&other) noexcept
    {
        NdisAppendNblCountedQueueToNblCountedQueue(&_q, &other._q);
    }

    [[nodiscard]] PNET_BUFFER_LIST pop_front() noexcept
    {
        return NdisPopFirstNblFromNblCountedQueue(&_q);
    }
    [[nodiscard]] PNET_BUFFER_LIST take_chain() noexcept { return NdisPopAllFromNblCountedQueue(&_q); }
    [[nodiscard]] PNET_BUFFER_LIST release() noexcept { return take_chain(); }

    nbl_chain_iterator begin() const noexcept { return nbl_chain_iterator(_q.Queue.First); }
    nbl_chain_iterator end() const noexcept { return nbl_chain_iterator(); }

    NBL_COUNTED_QUEUE *native() noexcept { return &_q; }
    const NBL_COUNTED_QUEUE *native() const noexcept { return &_q; }

private:
    NBL_COUNTED_QUEUE _q;
};

static_assert(sizeof(nbl_queue) == sizeof(NBL_QUEUE) && alignof(nbl_queue) == alignof(NBL_QUEUE));
static_assert(sizeof(nbl_counted_queue) == sizeof(NBL_COUNTED_QUEUE) &&
              alignof(nbl_counted_queue) == alignof(NBL_COUNTED_QUEUE));
static_assert(std::is_standard_layout_v<nbl_queue> &&
              std::is_standard_layout_v<nbl_counted_queue>);

namespace detail {
/* Calls f with the richest run shape it accepts. */
template <class F, class K>
inline void call_run(F &f, K &&key, PNET_BUFFER_LIST first, PNET_BUFFER_LIST last,
                     std::size_t count)
{
    if constexpr (std::is_invocable_v<F &, K, nbl_counted_queue &&>) {
        nbl_counted_queue run;
        run.append(first, last, count);
        f(std::forward<K>(key), std::move(run));
    } else if constexpr (std::is_invocable_v<F &, K, PNET_BUFFER_LIST, std::size_t>) {
        f(std::forward<K>(key), first, count);
    } else {
        static_assert(std::is_invocable_v<F &, K, PNET_BUFFER_LIST>,
                      "run callback must accept (key, nbl_counted_queue&&), "
                      "(key, PNET_BUFFER_LIST, size_t) or (key, PNET_BUFFER_LIST)");
        f(std::forward<K>(key), first);
    }
}

struct source_handle_key {
    NDIS_HANDLE operator()(PNET_BUFFER_LIST nbl) const noexcept { return nbl->SourceHandle; }
};
} // namespace detail

/* Splits chain into consecutive runs of equal key(nbl) and calls f once per run, in chain
 * order; each run is NULL-terminated and belongs to f. Returns the number of runs. */
template <class KeyFn, class F>
inline std::size_t for_each_run(PNET_BUFFER_LIST chain, KeyFn &&key, F &&f)
{
    std::size_t runs = 0;
    while (chain != nullptr) {
        PNET_BUFFER_LIST first = chain, last = chain, next;
        auto value = key(first);
        std::size_t count = 1;
        while ((next = last->Next) != nullptr && key(next) == value) {
            last = next;
            ++count;
        }
        last->Next = nullptr;
        chain = next;
        ++runs;
        detail::call_run(f, std::move(value), first, last, count);
    }
    return runs;
}

/* The completion-path split (MS-11, PS-14): runs of equal SourceHandle, in chain order. */
template <class F>
inline std::size_t for_each_run_by_source_handle(PNET_BUFFER_LIST chain, F &&f)
{
    return for_each_run(chain, detail::source_handle_key{}, f);
}

/* Detaches the leading run of equal key(nbl) from chain (advancing chain) and returns it;
 * empty if chain is nullptr. */
template <class KeyFn>
[[nodiscard]] inline nbl_counted_queue take_leading_run(PNET_BUFFER_LIST &chain, KeyFn &&key)
{
    nbl_counted_queue run;
    if (chain == nullptr)
        return run;
    PNET_BUFFER_LIST first = chain, last = chain, next;
    auto value = key(first);
    std::size_t count = 1;
    while ((next = last->Next) != nullptr && key(next) == value) {
        last = next;
        ++count;
    }
    last->Next = nullptr;
    chain = next;
    run.append(first, last, count);
    return run;
}

[[nodiscard]] inline nbl_counted_queue take_leading_run_by_source_handle(PNET_BUFFER_LIST &chain)
{
    return take_leading_run(chain, detail::source_handle_key{});
}

} // namespace ndis

#endif /* __cplusplus */

#endif /* OPENNDIS_NDIS_NBLQUEUE_H */
