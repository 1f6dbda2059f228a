// test_nbl_property.cpp — seeded property test of NET_BUFFER geometry and data across random
// sequences of the NBL/NB data-path APIs (SPEC DS-02 … DS-06, DS-30 … DS-37, POOL-14 … POOL-20).
//
// What one case does
//   Builds an NBL of 1..8 NBs, each over its own chain of 1..8 MDLs of random sizes (zero-length
//   ones included; segments separated by guard bytes) with a random window (DataOffset,
//   DataLength), then applies ~200 random steps: NdisGetDataBuffer of random sizes/alignments,
//   NB and NBL retreat (writing fresh known bytes into every retreated area) and advance,
//   NdisAdjustNetBufferCurrentMdl (and equivalent non-canonical CurrentMdl positions, DS-04),
//   clones (both flags), fragments, reassembly of fragments, NdisCopyFromNetBufferToNetBuffer,
//   retreat/advance round trips on derived NBs, NBL contexts, and frees of derived NBLs in
//   random order. Some cases arm OpenNdisInjectAllocationFailures (or make the test's
//   NetAllocateMdl fail) around one allocating call: on failure nothing may change (POOL-14,
//   POOL-18, POOL-20, DS-32, DS-36) and nothing may leak.
//
// The reference model
//   Every byte of memory an NB can describe is a "cell" with a known value; an NB model is the
//   list of cells of its whole MDL chain plus (off, len) and the stack of MDL sizes that
//   retreats pushed on its head. Derived NBs (clones, fragments, reassembled) list the cells of
//   the NBs they describe, so a write through any NB is seen by every NB sharing that memory —
//   which is exactly what "no data copy" (POOL-14) means. Cells a derived NBL refers to are
//   pinned: an advance that would free the MDL holding them first frees that derived NBL (a
//   clone must be freed before the original's MDLs go away).
//
// After every step, for every NB: DS-03/DS-04 (DataOffset == Σ ByteCount before CurrentMdl +
//   CurrentMdlOffset, CurrentMdlOffset <= ByteCount, DataOffset + DataLength <= chain bytes),
//   DataOffset/DataLength/chain size/MDL chain shape equal the model, and the used bytes (read
//   by walking the MDLs, not through the runtime) equal the model's bytes.
//
// Seeds
//   By default several fixed master seeds run (each printed); every case has its own seed, and a
//   failure prints it: OPENNDIS_PROPERTY_SEED=<case seed> replays exactly that case (decimal or
//   0x-hex). OPENNDIS_PROPERTY_CASES=<n> changes the number of cases per master seed.
#include "openndis_test.hpp"

#include <ndis.h>
#include <openndis/runtime.h>

#include <algorithm>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

using openndis::test::VerifierCapture;
using Cell = std::uint32_t;

constexpr ULONG kTag = 0x706F7250; // "Prop"
constexpr std::uint8_t kGuardByte = 0xEE;
constexpr std::size_t kGuard = 8;
constexpr std::size_t kWalkLimit = 1u << 16;
constexpr std::size_t kMaxDerived = 6;
constexpr ULONG kMaxLen = 6000; // retreats stop growing an NB beyond this

// ---- deterministic random source (splitmix64; no std distributions: same on every libc++) ----
class Rng {
public:
    explicit Rng(std::uint64_t seed) : s_(seed) {}
    std::uint64_t next()
    {
        std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    // Uniform in [0, n) (0 when n is 0).
    std::uint32_t below(std::uint64_t n)
    {
        return n == 0 ? 0 : static_cast<std::uint32_t>(next() % n);
    }
    // Uniform in [lo, hi].
    std::uint32_t range(std::uint32_t lo, std::uint32_t hi)
    {
        return hi <= lo ? lo : lo + below(std::uint64_t{hi} - lo + 1);
    }
    bool chance(unsigned percent) { return below(100) < percent; }
    std::uint8_t byte() { return static_cast<std::uint8_t>(next()); }

private:
    std::uint64_t s_;
};

std::uint64_t mix(std::uint64_t a, std::uint64_t b)
{
    Rng r(a * 0x100000001B3ULL ^ b);
    return r.next();
}

// ---- the test's NetAllocateMdl / NetFreeMdl (DS-32, DS-33) ------------------------------------
struct Handlers {
    int allocs = 0;
    int frees = 0;
    int fail_countdown = -1; // 0: the next call fails; >0: that many succeed first
    ULONG extra = 0;         // bytes added to the request (a handler may allocate more)
    ULONG last_request = 0;
    std::int64_t live = 0;
};
Handlers g_handlers;

// What the cases exercised (printed at the end, so a change that stops reaching a path shows).
struct Coverage {
    std::uint64_t steps = 0;
    std::uint64_t per_op[13] = {};
    std::uint64_t injected_failures = 0; // RESOURCES / NULL seen under fault injection
    std::uint64_t new_mdl_retreats = 0;  // retreats that had to push a new MDL
    std::uint64_t derived = 0;           // clones, fragment and reassembled NBLs made
};
Coverage g_coverage;

PMDL PropAllocateMdl(PULONG BufferSize)
{
    ++g_handlers.allocs;
    g_handlers.last_request = *BufferSize;
    if (g_handlers.fail_countdown == 0) {
        g_handlers.fail_countdown = -1;
        return nullptr;
    }
    if (g_handlers.fail_countdown > 0) {
        --g_handlers.fail_countdown;
    }
    *BufferSize += g_handlers.extra;
    auto *buffer = new std::uint8_t[*BufferSize + 1];
    std::memset(buffer, 0xA5, *BufferSize + 1);
    PMDL m = NdisAllocateMdl(nullptr, buffer, *BufferSize);
    if (m == nullptr) {
        delete[] buffer;
        return nullptr;
    }
    ++g_handlers.live;
    return m;
}

VOID PropFreeMdl(PMDL Mdl)
{
    ++g_handlers.frees;
    --g_handlers.live;
    delete[] static_cast<std::uint8_t *>(MmGetMdlVirtualAddress(Mdl));
    NdisFreeMdl(Mdl);
}

// ---- independent MDL walking (never through the runtime) -------------------------------------
std::uint8_t *mdl_va(const MDL *m)
{
    return static_cast<std::uint8_t *>(
        MmGetSystemAddressForMdlSafe(const_cast<PMDL>(m), NormalPagePriority));
}

struct Piece {
    std::uint8_t *p;
    ULONG n;
};

// Chain bytes [from, from + n) as contiguous pieces. False if the chain ends first.
bool chain_pieces(PMDL chain, std::uint64_t from, std::uint64_t n, std::vector<Piece> &out)
{
    out.clear();
    std::size_t steps = 0;
    for (PMDL m = chain; m != nullptr && n != 0 && steps < kWalkLimit; m = m->Next, ++steps) {
        if (from >= m->ByteCount) {
            from -= m->ByteCount;
            continue;
        }
        const auto k = static_cast<ULONG>(std::min<std::uint64_t>(m->ByteCount - from, n));
        out.push_back({mdl_va(m) + from, k});
        n -= k;
        from = 0;
    }
    return n == 0;
}

std::uint64_t chain_bytes(const MDL *m)
{
    std::uint64_t total = 0;
    for (std::size_t steps = 0; m != nullptr && steps < kWalkLimit; m = m->Next, ++steps) {
        total += m->ByteCount;
    }
    return total;
}

// DS-03 / DS-04 from the public fields. Empty when fine.
std::string geometry_error(const NET_BUFFER *nb)
{
    auto text = [](auto &&...parts) {
        std::ostringstream why;
        (why << ... << parts);
        return why.str();
    };
    if (nb->MdlChain == nullptr) {
        if (nb->DataOffset != 0 || nb->DataLength != 0 || nb->CurrentMdl != nullptr) {
            return text("no MDL chain but DataOffset ", nb->DataOffset, " DataLength ",
                        nb->DataLength);
        }
        return {};
    }
    std::uint64_t before = 0, total = 0;
    bool found = false;
    std::size_t steps = 0;
    for (const MDL *m = nb->MdlChain; m != nullptr; m = m->Next, ++steps) {
        if (steps >= kWalkLimit) {
            return "MDL chain too long (cyclic?)";
        }
        if (m == nb->CurrentMdl && !found) {
            found = true;
            before = total;
        }
        total += m->ByteCount;
    }
    if (!found) {
        return text("DS-04: CurrentMdl ", static_cast<const void *>(nb->CurrentMdl),
                    " is not on the MDL chain");
    }
    if (nb->CurrentMdlOffset > nb->CurrentMdl->ByteCount) {
        return text("DS-04: CurrentMdlOffset ", nb->CurrentMdlOffset, " > CurrentMdl ByteCount ",
                    nb->CurrentMdl->ByteCount);
    }
    if (before + nb->CurrentMdlOffset != nb->DataOffset) {
        return text("DS-04: DataOffset ", nb->DataOffset, " != ", before,
                    " (bytes before CurrentMdl) + CurrentMdlOffset ", nb->CurrentMdlOffset);
    }
    if (std::uint64_t{nb->DataOffset} + nb->DataLength > total) {
        return text("DS-03: DataOffset ", nb->DataOffset, " + DataLength ", nb->DataLength,
                    " > chain bytes ", total);
    }
    return {};
}

OPENNDIS_STATS stats_now()
{
    OPENNDIS_STATS s{};
    OpenNdisGetStats(&s);
    return s;
}

bool same_counts(const OPENNDIS_STATS &a, const OPENNDIS_STATS &b)
{
    return a.Nbls == b.Nbls && a.Nbs == b.Nbs && a.Mdls == b.Mdls &&
           a.NblContexts == b.NblContexts && a.MemoryBlocks == b.MemoryBlocks;
}

std::string counts(const OPENNDIS_STATS &s)
{
    std::ostringstream o;
    o << "{Nbls " << s.Nbls << ", Nbs " << s.Nbs << ", Mdls " << s.Mdls << ", NblContexts "
      << s.NblContexts << ", MemoryBlocks " << s.MemoryBlocks << "}";
    return o.str();
}

// ---- pools shared by all cases of one test ----------------------------------------------------
struct Pools {
    NDIS_HANDLE nbl_a = nullptr;   // kind (a): bare NBLs
    NDIS_HANDLE nbl_b = nullptr;   // kind (b): NBL + one NB (reassembly, clones, main NBL)
    NDIS_HANDLE nb = nullptr;      // NB pool, DataSize 0
    NDIS_HANDLE nbl_ctx = nullptr; // kind (a) with ContextSize 32
};

// ---- model ------------------------------------------------------------------------------------
struct NbModel {
    PNET_BUFFER nb = nullptr;
    std::vector<Cell> chain;    // every byte the MDL chain describes, in chain order
    ULONG off = 0;              // DataOffset
    ULONG len = 0;              // DataLength
    std::vector<ULONG> rstack;  // retreat-pushed MDL sizes; back() is the chain head
    std::vector<bool> rhandler; // parallel: made by the test's NetAllocateMdl
    PMDL base = nullptr;        // the MDL after the retreat-pushed ones
    std::vector<PMDL> fixed;    // main NBs: the original MDLs (base and after)
    std::vector<ULONG> fixed_sizes;
    bool holding = true;      // CurrentMdl must hold the first used byte (runtime-set)
    bool retreatable = false; // arbitrary retreat/advance allowed (main NBs, clones)
};

struct MainNb {
    NbModel m;
    std::unique_ptr<std::uint8_t[]> memory;
    std::size_t memory_size = 0;
    std::vector<std::pair<std::size_t, std::size_t>> data_ranges; // MDL bytes inside memory
    bool preallocated = false;                                    // the kind-(b) NBL's own NB
};

enum class Kind { clone, clone_original_mdls, fragment, reassembled };

const char *kind_name(Kind k)
{
    switch (k) {
    case Kind::clone:
        return "clone";
    case Kind::clone_original_mdls:
        return "clone(USE_ORIGINAL_MDLS)";
    case Kind::fragment:
        return "fragment";
    case Kind::reassembled:
        return "reassembled";
    }
    return "?";
}

struct Derived {
    std::uint64_t id = 0;
    Kind kind = Kind::clone;
    PNET_BUFFER_LIST nbl = nullptr;
    ULONG delta = 0;          // DataOffsetDelta for the free function
    std::uint64_t parent = 0; // 0: the main NBL; else the id of a fragment NBL
    PNET_BUFFER_LIST parent_nbl = nullptr;
    std::vector<NbModel> nbs;
    std::vector<Cell> pinned;
};

struct ContextEntry {
    USHORT size;
    std::vector<std::uint8_t> bytes;
};

// ---- one case ---------------------------------------------------------------------------------
class Case {
public:
    Case(std::uint64_t seed, const Pools &pools) : r_(seed), pools_(pools) {}

    // Runs the case; false on the first property violation (see error()).
    bool run(unsigned steps);
    const std::string &error() const { return error_; }
    std::string log() const
    {
        std::ostringstream o;
        const std::size_t from = log_.size() > 40 ? log_.size() - 40 : 0;
        for (std::size_t i = from; i < log_.size(); ++i) {
            o << "    " << log_[i] << "\n";
        }
        return o.str();
    }

private:
    // ---- failure bookkeeping
    bool fail(const std::string &what)
    {
        if (error_.empty()) {
            std::ostringstream o;
            o << "step " << step_ << ": " << what;
            error_ = o.str();
        }
        return false;
    }
    bool failed() const { return !error_.empty(); }
    void note(const std::string &s) { log_.push_back("#" + std::to_string(step_) + " " + s); }

    // ---- cells
    Cell fresh_cell()
    {
        values_.push_back(r_.byte());
        pins_.push_back(0);
        return static_cast<Cell>(values_.size() - 1);
    }
    std::vector<std::uint8_t> model_bytes(const NbModel &m, ULONG from, ULONG n) const
    {
        std::vector<std::uint8_t> out(n);
        for (ULONG i = 0; i < n; ++i) {
            out[i] = values_[m.chain[m.off + from + i]];
        }
        return out;
    }

    // ---- building and tearing down
    bool build();
    void teardown();
    ULONG mdl_size()
    {
        const unsigned k = r_.below(100);
        if (k < 20)
            return 0;
        if (k < 50)
            return r_.range(1, 8);
        if (k < 85)
            return r_.range(9, 64);
        return r_.range(65, 512);
    }

    // ---- checks
    bool check_nb(const NbModel &m, const std::function<std::string()> &who);
    bool check_all();
    bool write_fresh(NbModel &m, ULONG from, ULONG n);
    bool check_guards();

    // ---- model transitions
    bool model_retreat(NbModel &m, ULONG delta, ULONG backfill, PMDL old_head, bool handler,
                       bool check_request = false);
    void model_advance(NbModel &m, ULONG delta, bool free_mdl);
    ULONG popped_bytes(const NbModel &m, ULONG delta, bool free_mdl) const;
    bool make_unpinned(const NbModel &m, ULONG bytes_from_head);
    void free_derived(std::uint64_t id);
    bool free_derived_checked(std::uint64_t id);
    Derived *derived(std::uint64_t id)
    {
        for (Derived &d : derived_) {
            if (d.id == id)
                return &d;
        }
        return nullptr;
    }

    // ---- fault injection
    void arm_runtime(unsigned skip) { OpenNdisInjectAllocationFailures(skip, 1); }
    void disarm()
    {
        OpenNdisInjectAllocationFailures(0, 0);
        g_handlers.fail_countdown = -1;
    }
    bool maybe_inject() { return inject_case_ && r_.chance(35); }

    // ---- operations
    NbModel *pick_nb(bool retreatable_only);
    bool op_get_data_buffer();
    bool get_data_buffer(NbModel &m);
    bool op_retreat();
    bool op_advance();
    bool op_nbl_retreat();
    bool op_nbl_advance();
    bool op_adjust();
    bool op_clone();
    bool op_fragment();
    bool op_reassemble();
    bool op_free_derived();
    bool op_copy();
    bool op_derived_round_trip();
    bool op_context();

    Rng r_;
    const Pools &pools_;
    std::string error_;
    std::vector<std::string> log_;
    unsigned step_ = 0;

    std::vector<std::uint8_t> values_;
    std::vector<std::uint16_t> pins_;
    PNET_BUFFER_LIST nbl_ = nullptr;
    bool nbl_kind_b_ = false;
    std::vector<MainNb> main_;
    std::vector<PMDL> main_mdls_;
    std::vector<Derived> derived_;
    std::uint64_t next_id_ = 1;
    std::vector<ContextEntry> contexts_;
    std::vector<Piece> pieces_;
    std::vector<std::uint8_t> scratch_;
    bool handler_mode_ = false;
    bool inject_case_ = false;
    OPENNDIS_STATS start_{};
};

// ================================ building ======================================================

bool Case::build()
{
    start_ = stats_now();
    handler_mode_ = r_.chance(30);
    inject_case_ = r_.chance(30);
    g_handlers = Handlers{};
    nbl_kind_b_ = r_.chance(30);
    const bool with_context = r_.chance(30);
    const auto nb_count = r_.range(1, 8);
    if (nbl_kind_b_) {
        nbl_ = nullptr; // allocated below with the first chain
    } else if (with_context) {
        // A base context (POOL-05) that NdisAllocateNetBufferListContext may carve from.
        nbl_ = NdisAllocateNetBufferList(pools_.nbl_ctx, static_cast<USHORT>(16 * r_.range(0, 2)),
                                         static_cast<USHORT>(16 * r_.range(0, 2)));
    } else {
        nbl_ = NdisAllocateNetBufferList(pools_.nbl_a, 0, 0);
    }
    if (!nbl_kind_b_ && nbl_ == nullptr) {
        return fail("NdisAllocateNetBufferList failed");
    }
    PNET_BUFFER *tail = nbl_ != nullptr ? &nbl_->FirstNetBuffer : nullptr;
    for (unsigned i = 0; i < nb_count; ++i) {
        MainNb &mn = main_.emplace_back();
        const auto mdl_count = r_.range(1, 8);
        std::vector<ULONG> sizes;
        std::size_t total = kGuard;
        for (unsigned k = 0; k < mdl_count; ++k) {
            sizes.push_back(mdl_size());
            total += sizes.back() + kGuard;
        }
        mn.memory_size = total;
        mn.memory = std::make_unique<std::uint8_t[]>(total);
        std::memset(mn.memory.get(), kGuardByte, total);
        std::size_t at = kGuard;
        PMDL head = nullptr;
        PMDL *link = &head;
        for (ULONG size : sizes) {
            std::uint8_t *seg = mn.memory.get() + at;
            for (ULONG j = 0; j < size; ++j) {
                const Cell c = fresh_cell();
                seg[j] = values_[c];
                mn.m.chain.push_back(c);
            }
            PMDL m = NdisAllocateMdl(nullptr, seg, size);
            if (m == nullptr) {
                return fail("NdisAllocateMdl failed");
            }
            main_mdls_.push_back(m);
            mn.m.fixed.push_back(m);
            mn.m.fixed_sizes.push_back(size);
            *link = m;
            link = &m->Next;
            mn.data_ranges.emplace_back(at, size);
            at += size + kGuard;
        }
        const auto chain_total = static_cast<ULONG>(mn.m.chain.size());
        const ULONG off = r_.chance(15) ? 0 : r_.range(0, chain_total);
        const ULONG len = r_.chance(15) ? chain_total - off : r_.range(0, chain_total - off);
        PNET_BUFFER nb = nullptr;
        if (i == 0 && nbl_kind_b_) {
            nbl_ = NdisAllocateNetBufferAndNetBufferList(pools_.nbl_b, 0, 0, head, off, len);
            if (nbl_ == nullptr) {
                return fail("NdisAllocateNetBufferAndNetBufferList failed");
            }
            nb = nbl_->FirstNetBuffer;
            tail = &nb->Next;
            mn.preallocated = true;
        } else {
            nb = NdisAllocateNetBuffer(pools_.nb, head, off, len);
            if (nb == nullptr) {
                return fail("NdisAllocateNetBuffer failed");
            }
            *tail = nb;
            tail = &nb->Next;
        }
        mn.m.nb = nb;
        mn.m.off = off;
        mn.m.len = len;
        mn.m.base = head;
        mn.m.holding = true;
        mn.m.retreatable = true;
    }
    std::ostringstream o;
    o << "build: " << nb_count << " NBs" << (nbl_kind_b_ ? " (kind-b NBL)" : "")
      << (handler_mode_ ? " handler-mode" : "") << (inject_case_ ? " inject" : "") << ":";
    for (const MainNb &mn : main_) {
        o << " [";
        for (ULONG s : mn.m.fixed_sizes)
            o << s << ",";
        o << " off " << mn.m.off << " len " << mn.m.len << "]";
    }
    note(o.str());
    return check_all();
}

void Case::free_derived(std::uint64_t id)
{
    // Children (reassembled NBLs made from this fragment NBL) first.
    for (;;) {
        auto it = std::find_if(derived_.begin(), derived_.end(),
                               [id](const Derived &d) { return d.parent == id; });
        if (it == derived_.end())
            break;
        free_derived(it->id);
    }
    auto it = std::find_if(derived_.begin(), derived_.end(),
                           [id](const Derived &d) { return d.id == id; });
    if (it == derived_.end())
        return;
    Derived d = std::move(*it);
    derived_.erase(it);
    for (Cell c : d.pinned) {
        --pins_[c];
    }
    // POOL-16: the caller's bookkeeping.
    d.parent_nbl->ChildRefCount -= 1;
    d.nbl->ParentNetBufferList = nullptr;
    note(std::string("free ") + kind_name(d.kind) + " #" + std::to_string(d.id));
    switch (d.kind) {
    case Kind::clone:
        NdisFreeCloneNetBufferList(d.nbl, 0); // POOL-15: the allocation's flags
        break;
    case Kind::clone_original_mdls:
        NdisFreeCloneNetBufferList(d.nbl, NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS);
        break;
    case Kind::fragment:
        NdisFreeFragmentNetBufferList(d.nbl, d.delta, 0); // POOL-19
        break;
    case Kind::reassembled:
        NdisFreeReassembledNetBufferList(d.nbl, d.delta, 0); // POOL-20
        break;
    }
}

bool Case::free_derived_checked(std::uint64_t id)
{
    const OPENNDIS_STATS before = stats_now();
    const Derived *d = derived(id);
    const bool original_mdls = d != nullptr && d->kind == Kind::clone_original_mdls;
    free_derived(id);
    const OPENNDIS_STATS after = stats_now();
    if (after.Nbls >= before.Nbls) {
        return fail("freeing a derived NBL did not free an NBL: " + counts(before) + " -> " +
                    counts(after));
    }
    if (original_mdls && after.Mdls > before.Mdls) {
        return fail("POOL-15: freeing a USE_ORIGINAL_MDLS clone changed the MDL count upwards");
    }
    return true;
}

void Case::teardown()
{
    disarm();
    while (!derived_.empty()) {
        free_derived(derived_.front().id);
    }
    while (!contexts_.empty()) {
        NdisFreeNetBufferListContext(nbl_, contexts_.back().size);
        contexts_.pop_back();
    }
    for (MainNb &mn : main_) {
        NbModel &m = mn.m;
        if (m.nb == nullptr)
            continue;
        // Driver-made retreat MDLs go back through NetFreeMdl (DS-33); the runtime's own ones
        // would also be released by NdisFreeNetBuffer.
        if (!failed() || geometry_error(m.nb).empty()) {
            NdisAdvanceNetBufferDataStart(m.nb, m.nb->DataLength, TRUE,
                                          handler_mode_ ? &PropFreeMdl : nullptr);
            model_advance(m, m.len, true);
        }
    }
    if (!failed()) {
        for (std::size_t i = 0; i < main_.size(); ++i) {
            if (!main_[i].m.rstack.empty() || main_[i].m.nb->MdlChain != main_[i].m.fixed.front()) {
                fail("DS-34: after advancing all data with FreeMdl TRUE, NB " + std::to_string(i) +
                     " still has retreat MDLs");
                break;
            }
        }
        check_guards();
    }
    if (nbl_ != nullptr) {
        for (MainNb &mn : main_) {
            if (mn.m.nb != nullptr && !mn.preallocated) {
                mn.m.nb->Next = nullptr;
                NdisFreeNetBuffer(mn.m.nb);
            }
        }
        PNET_BUFFER first = nbl_->FirstNetBuffer;
        if (nbl_kind_b_ && first != nullptr) {
            first->Next = nullptr;
        } else {
            nbl_->FirstNetBuffer = nullptr;
        }
        nbl_->ChildRefCount = 0;
        NdisFreeNetBufferList(nbl_);
        nbl_ = nullptr;
    }
    for (PMDL m : main_mdls_) {
        NdisFreeMdl(m);
    }
    main_mdls_.clear();
    main_.clear();
    if (!failed()) {
        if (g_handlers.live != 0) {
            fail("NetAllocateMdl MDLs not all returned through NetFreeMdl: " +
                 std::to_string(g_handlers.live) + " live");
        }
        const OPENNDIS_STATS end = stats_now();
        if (!same_counts(start_, end)) {
            fail("case leaked runtime objects: " + counts(start_) + " -> " + counts(end));
        }
    }
}

// ================================ checks ========================================================

// Writes fresh known values into used bytes [from, from + n) of the NB and the model. Uses the
// pointer NdisGetDataBuffer returns when the bytes are contiguous, else locates them (DS-30).
bool Case::write_fresh(NbModel &m, ULONG from, ULONG n)
{
    if (n == 0)
        return true;
    std::vector<Piece> pieces;
    if (from == 0 && r_.chance(50)) {
        auto *p = static_cast<std::uint8_t *>(NdisGetDataBuffer(m.nb, n, nullptr, 1, 0));
        if (p != nullptr) {
            pieces.push_back({p, n});
        }
    }
    if (pieces.empty() &&
        !chain_pieces(m.nb->MdlChain, std::uint64_t{m.nb->DataOffset} + from, n, pieces)) {
        return fail("cannot locate used bytes to write (chain too short)");
    }
    ULONG i = 0;
    for (const Piece &p : pieces) {
        for (ULONG k = 0; k < p.n; ++k, ++i) {
            const Cell c = m.chain[m.off + from + i];
            values_[c] = r_.byte();
            p.p[k] = values_[c];
        }
    }
    return true;
}

bool Case::check_nb(const NbModel &m, const std::function<std::string()> &who)
{
    const NET_BUFFER *nb = m.nb;
    if (std::string why = geometry_error(nb); !why.empty()) {
        return fail(who() + ": " + why);
    }
    if (nb->DataOffset != m.off || nb->DataLength != m.len) {
        std::ostringstream o;
        o << who() << ": DataOffset/DataLength " << nb->DataOffset << "/" << nb->DataLength
          << ", model " << m.off << "/" << m.len;
        return fail(o.str());
    }
    if (chain_bytes(nb->MdlChain) != m.chain.size()) {
        std::ostringstream o;
        o << who() << ": MDL chain has " << chain_bytes(nb->MdlChain) << " bytes, model "
          << m.chain.size();
        return fail(o.str());
    }
    // Shape: the retreat-pushed MDLs (DS-32), then the base MDL (DS-34).
    PMDL walk = nb->MdlChain;
    for (std::size_t k = m.rstack.size(); k-- > 0;) {
        if (walk == nullptr || walk->ByteCount != m.rstack[k]) {
            std::ostringstream o;
            o << who() << ": retreat MDL #" << k << " missing or of the wrong size (model "
              << m.rstack[k] << ")";
            return fail(o.str());
        }
        walk = walk->Next;
    }
    if (walk != m.base) {
        return fail(who() +
                    ": after the retreat MDLs the chain does not continue with the base MDL");
    }
    for (std::size_t k = 0; k < m.fixed.size(); ++k, walk = walk->Next) {
        if (walk != m.fixed[k] || walk->ByteCount != m.fixed_sizes[k]) {
            return fail(who() + ": original MDL chain changed (DS-34)");
        }
    }
    if (m.holding && nb->DataLength != 0 && nb->CurrentMdlOffset >= nb->CurrentMdl->ByteCount) {
        std::ostringstream o;
        o << who() << ": DS-04: CurrentMdl does not hold the first used byte (CurrentMdlOffset "
          << nb->CurrentMdlOffset << ", ByteCount " << nb->CurrentMdl->ByteCount << ")";
        return fail(o.str());
    }
    // The used bytes, read by walking the MDLs, against the model (raw loops: this runs for
    // every NB after every step).
    if (!chain_pieces(nb->MdlChain, nb->DataOffset, nb->DataLength, pieces_)) {
        return fail(who() + ": used bytes run past the chain");
    }
    const Cell *cell = m.chain.data() + m.off;
    const std::uint8_t *value = values_.data();
    ULONG at = 0;
    for (const Piece &p : pieces_) {
        for (ULONG k = 0; k < p.n; ++k, ++at) {
            if (p.p[k] != value[cell[at]]) {
                std::ostringstream o;
                o << who() << ": used bytes differ from the model at byte " << at << " of " << m.len
                  << " (got 0x" << std::hex << unsigned{p.p[k]} << ", want 0x"
                  << unsigned{value[cell[at]]} << ")";
                return fail(o.str());
            }
        }
    }
    return true;
}

bool Case::check_all()
{
    PNET_BUFFER walk = nbl_->FirstNetBuffer;
    for (std::size_t i = 0; i < main_.size(); ++i) {
        if (walk != main_[i].m.nb) {
            return fail("the main NBL's NB list changed");
        }
        walk = walk->Next;
        if (!check_nb(main_[i].m, [i] { return "NB " + std::to_string(i); }))
            return false;
    }
    if (walk != nullptr)
        return fail("the main NBL has extra NBs");
    for (const Derived &d : derived_) {
        PNET_BUFFER w = d.nbl->FirstNetBuffer;
        for (std::size_t j = 0; j < d.nbs.size(); ++j) {
            if (w != d.nbs[j].nb) {
                return fail(std::string(kind_name(d.kind)) + " #" + std::to_string(d.id) +
                            ": NB list changed");
            }
            w = w->Next;
            if (!check_nb(d.nbs[j], [&d, j] {
                    return std::string(kind_name(d.kind)) + " #" + std::to_string(d.id) + " NB " +
                           std::to_string(j);
                })) {
                return false;
            }
        }
        if (w != nullptr)
            return fail("derived NBL has extra NBs");
    }
    std::int64_t handler_mdls = 0;
    for (const MainNb &mn : main_) {
        handler_mdls += std::count(mn.m.rhandler.begin(), mn.m.rhandler.end(), true);
    }
    if (handler_mdls != g_handlers.live) {
        return fail("DS-33: NetAllocateMdl MDLs alive (" + std::to_string(g_handlers.live) +
                    ") != those on the NBs (" + std::to_string(handler_mdls) + ")");
    }
    return true;
}

bool Case::check_guards()
{
    for (std::size_t i = 0; i < main_.size(); ++i) {
        const MainNb &mn = main_[i];
        std::size_t at = 0;
        for (const auto &[start, size] : mn.data_ranges) {
            for (; at < start; ++at) {
                if (mn.memory[at] != kGuardByte) {
                    return fail("guard byte overwritten next to an MDL of NB " + std::to_string(i));
                }
            }
            at = start + size;
        }
        for (; at < mn.memory_size; ++at) {
            if (mn.memory[at] != kGuardByte) {
                return fail("guard byte overwritten after the last MDL of NB " + std::to_string(i));
            }
        }
    }
    return true;
}

// ================================ model transitions =============================================

// A successful NdisRetreatNetBufferDataStart (DS-32): within the unused space, or into a new
// MDL pushed on the head whose size is learned from the new DataOffset.
bool Case::model_retreat(NbModel &m, ULONG delta, ULONG backfill, PMDL old_head, bool handler,
                         bool check_request)
{
    if (delta == 0)
        return true;
    if (m.off >= delta) {
        m.off -= delta;
        m.len += delta;
        m.holding = true;
        return true;
    }
    const ULONG d = m.off;
    const std::uint64_t size = std::uint64_t{m.nb->DataOffset} + delta - d;
    PMDL head = m.nb->MdlChain;
    if (head == old_head || head == nullptr || head->Next != old_head || head->ByteCount != size) {
        return fail("DS-32: retreat beyond the unused space did not push one new MDL of the size "
                    "the new DataOffset implies");
    }
    if (size < std::uint64_t{delta} + backfill) {
        std::ostringstream o;
        o << "DS-32: the new MDL has " << size << " bytes, fewer than DataOffsetDelta " << delta
          << " + DataBackFill " << backfill;
        return fail(o.str());
    }
    if (check_request && g_handlers.last_request != delta + backfill) {
        return fail("DS-32: NetAllocateMdl was asked for " +
                    std::to_string(g_handlers.last_request) +
                    " bytes, not DataOffsetDelta + DataBackFill");
    }
    std::vector<Cell> cells;
    cells.reserve(size + m.chain.size());
    for (std::uint64_t k = 0; k < size; ++k)
        cells.push_back(fresh_cell());
    cells.insert(cells.end(), m.chain.begin(), m.chain.end());
    m.chain = std::move(cells);
    m.rstack.push_back(static_cast<ULONG>(size));
    m.rhandler.push_back(handler);
    ++g_coverage.new_mdl_retreats;
    m.off = static_cast<ULONG>(size) - (delta - d);
    m.len += delta;
    m.holding = true;
    return true;
}

// Bytes that NdisAdvanceNetBufferDataStart(delta, free_mdl) frees from the head (DS-33): the
// retreat-pushed MDLs that then lie wholly in the unused space.
ULONG Case::popped_bytes(const NbModel &m, ULONG delta, bool free_mdl) const
{
    if (!free_mdl)
        return 0;
    ULONG off = m.off + delta;
    ULONG popped = 0;
    for (std::size_t k = m.rstack.size(); k-- > 0 && m.rstack[k] <= off;) {
        off -= m.rstack[k];
        popped += m.rstack[k];
    }
    return popped;
}

void Case::model_advance(NbModel &m, ULONG delta, bool free_mdl)
{
    m.off += delta;
    m.len -= delta;
    m.holding = true;
    if (!free_mdl)
        return;
    while (!m.rstack.empty() && m.rstack.back() <= m.off) {
        const ULONG size = m.rstack.back();
        m.chain.erase(m.chain.begin(), m.chain.begin() + size);
        m.off -= size;
        m.rstack.pop_back();
        m.rhandler.pop_back();
    }
}

// Frees every derived NBL that refers to the first `bytes` cells of m's chain, so the MDLs
// holding them may go away (a clone must be freed before the original's MDLs).
bool Case::make_unpinned(const NbModel &m, ULONG bytes)
{
    bool pinned = false;
    for (ULONG k = 0; k < bytes && !pinned; ++k)
        pinned = pins_[m.chain[k]] != 0;
    if (!pinned)
        return true;
    std::vector<char> mark(values_.size(), 0);
    for (ULONG k = 0; k < bytes; ++k)
        mark[m.chain[k]] = 1;
    for (bool again = true; again;) {
        again = false;
        for (const Derived &d : derived_) {
            if (std::any_of(d.pinned.begin(), d.pinned.end(),
                            [&](Cell c) { return mark[c] != 0; })) {
                if (!free_derived_checked(d.id))
                    return false;
                again = true;
                break;
            }
        }
    }
    return true;
}

// ================================ operations ====================================================

NbModel *Case::pick_nb(bool retreatable_only)
{
    std::vector<NbModel *> all;
    for (MainNb &mn : main_)
        all.push_back(&mn.m);
    const bool main_only = r_.chance(60);
    if (!main_only) {
        for (Derived &d : derived_) {
            for (NbModel &m : d.nbs) {
                if (!retreatable_only || m.retreatable)
                    all.push_back(&m);
            }
        }
    }
    return all[r_.below(all.size())];
}

// DS-30, DS-31: NdisGetDataBuffer of the first n bytes with a random alignment request.
bool Case::op_get_data_buffer()
{
    NbModel &m = *pick_nb(false);
    if (!m.retreatable || m.len == 0 || !r_.chance(25))
        return get_data_buffer(m);
    // A window at offset k: advance k without freeing, read, retreat k back — the unused space
    // is there, so nothing is allocated and the geometry comes back exactly (DS-34).
    const ULONG k = r_.range(1, m.len);
    const PMDL head = m.nb->MdlChain;
    note("window at +" + std::to_string(k));
    NdisAdvanceNetBufferDataStart(m.nb, k, FALSE, nullptr);
    model_advance(m, k, false);
    if (!get_data_buffer(m))
        return false;
    if (NdisRetreatNetBufferDataStart(m.nb, k, 0, nullptr) != NDIS_STATUS_SUCCESS) {
        return fail("DS-32: retreat into the unused space failed");
    }
    if (m.nb->MdlChain != head)
        return fail("DS-32: retreat into unused space changed the chain");
    return model_retreat(m, k, 0, head, false);
}

bool Case::get_data_buffer(NbModel &m)
{
    const ULONG n = r_.chance(10) ? m.len + r_.range(1, 3) : r_.range(0, m.len);
    const unsigned shift = r_.chance(60) ? 0 : r_.range(1, r_.chance(80) ? 4 : 13);
    const UINT multiple = 1u << shift;
    const UINT offset = r_.below(multiple);
    const unsigned storage_kind = r_.below(4); // 0: none, 1: misaligned, 2-3: aligned
    std::vector<std::uint8_t> &scratch = scratch_;
    scratch.assign(std::size_t{n} + 2 * 8192 + 64, 0xCD);
    std::uint8_t *storage = nullptr;
    if (storage_kind != 0) {
        auto addr = reinterpret_cast<std::uintptr_t>(scratch.data());
        addr += (offset + multiple - addr % multiple) % multiple;
        storage = reinterpret_cast<std::uint8_t *>(addr);
        if (storage_kind == 1 && multiple > 1)
            storage += 1;
    }
    // The data start as the chain says (first MDL with a byte at DataOffset).
    std::vector<Piece> first;
    std::uint8_t *direct = nullptr;
    ULONG run = 0;
    if (chain_pieces(m.nb->MdlChain, m.nb->DataOffset, 1, first)) { // a byte is there
        direct = first[0].p;
        std::vector<Piece> rest;
        if (m.len != 0 && chain_pieces(m.nb->MdlChain, m.nb->DataOffset, m.len, rest)) {
            run = rest[0].n;
        }
    }
    std::ostringstream o;
    o << "NdisGetDataBuffer(n " << n << ", align " << multiple << "/" << offset << ", storage "
      << storage_kind << ") len " << m.len;
    note(o.str());
    auto *p = static_cast<std::uint8_t *>(NdisGetDataBuffer(m.nb, n, storage, multiple, offset));
    auto aligned = [&](const void *q) {
        return reinterpret_cast<std::uintptr_t>(q) % multiple == offset;
    };
    if (n > m.len) {
        return p == nullptr ? true : fail("DS-30: BytesNeeded > DataLength but not NULL");
    }
    if (n == 0) {
        // Nothing to read: NULL, the data start, or the storage are all acceptable.
        if (p != nullptr && p != direct && p != storage)
            return fail("DS-30: n 0: stray pointer");
        return true;
    }
    const bool contiguous = n <= run;
    if (contiguous && aligned(direct)) {
        if (p != direct)
            return fail("DS-30: contiguous aligned data not returned in place");
    } else if (storage != nullptr && aligned(storage)) {
        if (p != storage)
            return fail("DS-30: data not contiguous/aligned but storage not used");
        if (scratch[(storage - scratch.data()) + n] != 0xCD) {
            return fail("DS-30: NdisGetDataBuffer wrote past BytesNeeded in storage");
        }
    } else if (p != nullptr) {
        return fail("DS-30/31: no aligned storage and no aligned contiguous data, yet not NULL");
    }
    if (p != nullptr) {
        if (!aligned(p))
            return fail("DS-31: returned address violates the alignment");
        if (std::vector<std::uint8_t>(p, p + n) != model_bytes(m, 0, n)) {
            return fail("DS-30: NdisGetDataBuffer bytes differ from the model");
        }
    }
    return true;
}

// DS-32 (and DS-34 with the later advance): retreat a main NB or a clone NB.
bool Case::op_retreat()
{
    NbModel &m = *pick_nb(true);
    const bool is_main = !m.fixed.empty();
    const bool handler = is_main && handler_mode_;
    if (m.len >= kMaxLen)
        return op_advance();
    ULONG delta = 0;
    switch (r_.below(4)) {
    case 0:
        delta = r_.range(0, m.off);
        break; // fits the unused space
    case 1:
        delta = m.off + r_.range(1, 32);
        break; // needs a new MDL
    case 2:
        delta = r_.range(0, 64);
        break;
    default:
        delta = r_.range(0, 300);
        break;
    }
    const ULONG backfill = r_.chance(30) ? 0 : r_.range(0, r_.chance(80) ? 64 : 600);
    g_handlers.extra = r_.chance(50) ? 0 : r_.range(1, 16);
    const bool needs_alloc = delta > m.off;
    const bool inject = needs_alloc && maybe_inject();
    const NbModel before = m;
    const PMDL old_head = m.nb->MdlChain;
    const PMDL old_current = m.nb->CurrentMdl;
    const ULONG old_cmo = m.nb->CurrentMdlOffset;
    const OPENNDIS_STATS s0 = inject ? stats_now() : OPENNDIS_STATS{};
    std::ostringstream o;
    o << "retreat " << (is_main ? "main" : "clone") << " NB by " << delta << " backfill "
      << backfill << " (off " << m.off << " len " << m.len << ")" << (inject ? " INJECT" : "");
    note(o.str());
    if (inject) {
        if (handler)
            g_handlers.fail_countdown = 0;
        else
            arm_runtime(0);
    }
    const NDIS_STATUS st =
        NdisRetreatNetBufferDataStart(m.nb, delta, backfill, handler ? &PropAllocateMdl : nullptr);
    disarm();
    if (inject) {
        if (st != NDIS_STATUS_RESOURCES)
            return fail("DS-32: injected allocation failure did not return RESOURCES");
        if (m.nb->MdlChain != old_head || m.nb->CurrentMdl != old_current ||
            m.nb->CurrentMdlOffset != old_cmo) {
            return fail("DS-32: a failed retreat changed the NB");
        }
        if (!same_counts(s0, stats_now()))
            return fail("DS-32: a failed retreat leaked");
        ++g_coverage.injected_failures;
        return true; // check_all compares the rest with the unchanged model
    }
    if (st != NDIS_STATUS_SUCCESS)
        return fail("DS-32: retreat failed with status " + std::to_string(st));
    if (delta == 0)
        return true;
    if (!model_retreat(m, delta, backfill, old_head, handler, handler))
        return false;
    (void)before;
    return write_fresh(m, 0, delta);
}

// DS-33: advance a main NB or a clone NB.
bool Case::op_advance()
{
    NbModel &m = *pick_nb(true);
    const bool is_main = !m.fixed.empty();
    const ULONG delta =
        r_.chance(20) ? m.len : r_.range(0, std::min<ULONG>(m.len, r_.chance(50) ? 16 : 600));
    const bool free_mdl = r_.chance(60);
    const bool pass_handler = (is_main && handler_mode_) || r_.chance(30);
    const ULONG popped = popped_bytes(m, delta, free_mdl);
    if (!make_unpinned(m, popped))
        return false;
    const int frees_before = g_handlers.frees;
    std::ostringstream o;
    o << "advance " << (is_main ? "main" : "clone") << " NB by " << delta
      << (free_mdl ? " FreeMdl" : "") << " (off " << m.off << " len " << m.len << ", pops "
      << popped << " bytes)";
    note(o.str());
    NdisAdvanceNetBufferDataStart(m.nb, delta, free_mdl ? TRUE : FALSE,
                                  pass_handler ? &PropFreeMdl : nullptr);
    std::size_t handler_pops = 0;
    {
        ULONG off = m.off + delta;
        for (std::size_t k = m.rstack.size(); free_mdl && k-- > 0 && m.rstack[k] <= off;) {
            off -= m.rstack[k];
            handler_pops += m.rhandler[k] ? 1 : 0;
        }
    }
    model_advance(m, delta, free_mdl);
    if (static_cast<std::size_t>(g_handlers.frees - frees_before) != handler_pops) {
        return fail("DS-33: NetFreeMdl called " + std::to_string(g_handlers.frees - frees_before) +
                    " times, expected " + std::to_string(handler_pops));
    }
    return true;
}

// DS-36: NdisRetreatNetBufferListDataStart on the main NBL; on failure every NB is unchanged.
bool Case::op_nbl_retreat()
{
    ULONG max_len = 0;
    for (const MainNb &mn : main_)
        max_len = std::max(max_len, mn.m.len);
    if (max_len >= kMaxLen)
        return op_nbl_advance();
    const ULONG delta = r_.chance(50) ? r_.range(0, 24) : r_.range(0, 200);
    const ULONG backfill = r_.chance(30) ? 0 : r_.range(0, 64);
    g_handlers.extra = r_.chance(50) ? 0 : r_.range(1, 16);
    unsigned allocating = 0;
    for (const MainNb &mn : main_)
        allocating += delta > mn.m.off ? 1 : 0;
    const bool inject = allocating != 0 && maybe_inject();
    const unsigned skip = inject ? r_.below(allocating) : 0;
    struct Saved {
        PMDL chain, current;
        ULONG cmo;
    };
    std::vector<Saved> saved;
    std::vector<PMDL> heads;
    for (const MainNb &mn : main_) {
        saved.push_back({mn.m.nb->MdlChain, mn.m.nb->CurrentMdl, mn.m.nb->CurrentMdlOffset});
        heads.push_back(mn.m.nb->MdlChain);
    }
    const OPENNDIS_STATS s0 = inject ? stats_now() : OPENNDIS_STATS{};
    std::ostringstream o;
    o << "NBL retreat by " << delta << " backfill " << backfill << " (" << allocating
      << " NBs allocate)" << (inject ? " INJECT skip " + std::to_string(skip) : "");
    note(o.str());
    if (inject) {
        if (handler_mode_)
            g_handlers.fail_countdown = static_cast<int>(skip);
        else
            arm_runtime(skip);
    }
    const NDIS_STATUS st = NdisRetreatNetBufferListDataStart(
        nbl_, delta, backfill, handler_mode_ ? &PropAllocateMdl : nullptr,
        handler_mode_ ? &PropFreeMdl : nullptr);
    disarm();
    if (inject) {
        if (st != NDIS_STATUS_RESOURCES)
            return fail("DS-36: injected failure did not return RESOURCES");
        for (std::size_t i = 0; i < main_.size(); ++i) {
            const NET_BUFFER *nb = main_[i].m.nb;
            if (nb->MdlChain != saved[i].chain || nb->DataOffset != main_[i].m.off ||
                nb->DataLength != main_[i].m.len || nb->CurrentMdl != saved[i].current ||
                nb->CurrentMdlOffset != saved[i].cmo) {
                std::ostringstream e;
                e << "DS-36: failed NdisRetreatNetBufferListDataStart left NB " << i
                  << " changed: MdlChain " << (nb->MdlChain == saved[i].chain ? "same" : "CHANGED")
                  << ", DataOffset " << nb->DataOffset << " (was " << main_[i].m.off << ")"
                  << ", DataLength " << nb->DataLength << " (was " << main_[i].m.len << ")"
                  << ", retreat MDLs kept before the call " << main_[i].m.rstack.size();
                return fail(e.str());
            }
        }
        if (!same_counts(s0, stats_now())) {
            return fail("DS-36: failed NBL retreat changed live counts " + counts(s0) + " -> " +
                        counts(stats_now()));
        }
        ++g_coverage.injected_failures;
        return true;
    }
    if (st != NDIS_STATUS_SUCCESS)
        return fail("DS-36: NBL retreat failed: " + std::to_string(st));
    for (std::size_t i = 0; i < main_.size(); ++i) {
        NbModel &m = main_[i].m;
        if (delta == 0)
            continue;
        if (!model_retreat(m, delta, backfill, heads[i], handler_mode_))
            return false;
    }
    for (MainNb &mn : main_) {
        if (delta != 0 && !write_fresh(mn.m, 0, delta))
            return false;
    }
    return true;
}

// DS-36: NdisAdvanceNetBufferListDataStart on the main NBL.
bool Case::op_nbl_advance()
{
    ULONG min_len = MAXULONG;
    for (const MainNb &mn : main_)
        min_len = std::min(min_len, mn.m.len);
    const ULONG delta = r_.range(0, min_len);
    const bool free_mdl = r_.chance(60);
    for (const MainNb &mn : main_) {
        if (!make_unpinned(mn.m, popped_bytes(mn.m, delta, free_mdl)))
            return false;
    }
    note("NBL advance by " + std::to_string(delta) + (free_mdl ? " FreeMdl" : ""));
    NdisAdvanceNetBufferListDataStart(nbl_, delta, free_mdl ? TRUE : FALSE,
                                      handler_mode_ ? &PropFreeMdl : nullptr);
    for (MainNb &mn : main_)
        model_advance(mn.m, delta, free_mdl);
    return true;
}

// DS-04, DS-05: equivalent CurrentMdl positions, and NdisAdjustNetBufferCurrentMdl after a
// driver moved DataOffset by hand.
bool Case::op_adjust()
{
    MainNb &mn = main_[r_.below(main_.size())];
    NbModel &m = mn.m;
    PNET_BUFFER nb = m.nb;
    const unsigned variant = r_.below(4);
    if (variant == 1 && m.len != 0) { // driver advances by hand (no MDL freed)
        const ULONG k = r_.range(0, m.len);
        note("manual advance " + std::to_string(k) + " + NdisAdjustNetBufferCurrentMdl");
        nb->DataOffset += k;
        nb->DataLength -= k;
        NdisAdjustNetBufferCurrentMdl(nb);
        m.off += k;
        m.len -= k;
        m.holding = true;
        return true;
    }
    if (variant == 2 && m.off != 0) { // driver retreats by hand into the unused space
        const ULONG k = r_.range(1, m.off);
        note("manual retreat " + std::to_string(k) + " + NdisAdjustNetBufferCurrentMdl");
        nb->DataOffset -= k;
        nb->DataLength += k;
        NdisAdjustNetBufferCurrentMdl(nb);
        m.off -= k;
        m.len += k;
        m.holding = true;
        return write_fresh(m, 0, k);
    }
    // Any (MDL, offset) naming byte DataOffset is a valid position (DS-04): end of the previous
    // MDL, a zero-length MDL there, or the canonical one.
    std::vector<std::pair<PMDL, ULONG>> candidates;
    std::uint64_t start = 0;
    for (PMDL w = nb->MdlChain; w != nullptr; w = w->Next) {
        if (start <= nb->DataOffset && nb->DataOffset <= start + w->ByteCount) {
            candidates.emplace_back(w, static_cast<ULONG>(nb->DataOffset - start));
        }
        start += w->ByteCount;
    }
    if (candidates.empty())
        return fail("no MDL holds DataOffset");
    const auto [mdl, offset] = candidates[r_.below(candidates.size())];
    nb->CurrentMdl = mdl;
    nb->CurrentMdlOffset = offset;
    if (variant == 3) {
        note("perturb CurrentMdl (" + std::to_string(candidates.size()) + " candidates) + adjust");
        NdisAdjustNetBufferCurrentMdl(nb);
        m.holding = true;
    } else {
        note("perturb CurrentMdl (" + std::to_string(candidates.size()) +
             " candidates), no adjust");
        m.holding = m.len == 0 || offset < mdl->ByteCount;
    }
    return true;
}

// POOL-14: clone with or without NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS.
bool Case::op_clone()
{
    if (derived_.size() >= kMaxDerived)
        return op_free_derived();
    const bool original = r_.chance(50);
    const unsigned pool_choice = r_.below(3);
    NDIS_HANDLE nbl_pool = pool_choice == 1   ? pools_.nbl_a
                           : pool_choice == 2 ? pools_.nbl_b
                                              : nullptr;
    NDIS_HANDLE nb_pool = pool_choice == 1 ? pools_.nb : nullptr;
    const bool inject = maybe_inject();
    const unsigned skip = r_.below(2 * static_cast<unsigned>(main_.size()) + 2);
    const OPENNDIS_STATS s0 = inject ? stats_now() : OPENNDIS_STATS{};
    note(std::string("clone") + (original ? " USE_ORIGINAL_MDLS" : "") + " pools " +
         std::to_string(pool_choice) + (inject ? " INJECT skip " + std::to_string(skip) : ""));
    if (inject)
        arm_runtime(skip);
    PNET_BUFFER_LIST c = NdisAllocateCloneNetBufferList(
        nbl_, nbl_pool, nb_pool, original ? NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS : 0);
    disarm();
    if (c == nullptr) {
        if (!inject)
            return fail("POOL-14: clone failed without an injected failure");
        if (!same_counts(s0, stats_now()))
            return fail("POOL-14: a failed clone leaked: " + counts(s0) + " -> " +
                        counts(stats_now()));
        ++g_coverage.injected_failures;
        return true;
    }
    Derived d;
    d.id = next_id_++;
    d.kind = original ? Kind::clone_original_mdls : Kind::clone;
    d.nbl = c;
    d.parent_nbl = nbl_;
    if (c->Context != nullptr)
        return fail("POOL-14: a clone has an NBL context");
    PNET_BUFFER cnb = c->FirstNetBuffer;
    for (std::size_t i = 0; i < main_.size(); ++i, cnb = cnb->Next) {
        const NbModel &src = main_[i].m;
        if (cnb == nullptr)
            return fail("POOL-14: the clone has fewer NBs than the original");
        // Where does the source's CurrentMdl start in the source chain (model cells)?
        std::uint64_t start = 0;
        std::vector<PMDL> src_mdls;
        std::size_t idx = SIZE_MAX;
        for (PMDL w = src.nb->MdlChain; w != nullptr; w = w->Next) {
            if (w == src.nb->CurrentMdl && idx == SIZE_MAX)
                idx = src_mdls.size();
            if (idx == SIZE_MAX)
                start += w->ByteCount;
            src_mdls.push_back(w);
        }
        NbModel cm;
        cm.nb = cnb;
        cm.retreatable = true;
        const ULONG cmo = src.nb->CurrentMdlOffset;
        if (original) {
            if (cnb->MdlChain != src.nb->CurrentMdl) {
                return fail("POOL-14: USE_ORIGINAL_MDLS clone NB does not start at the source's "
                            "CurrentMdl");
            }
            cm.chain.assign(src.chain.begin() + static_cast<std::ptrdiff_t>(start),
                            src.chain.end());
        } else {
            std::uint64_t covered = 0;
            std::size_t j = idx;
            for (PMDL w = cnb->MdlChain; w != nullptr; w = w->Next, ++j) {
                if (j >= src_mdls.size())
                    return fail("POOL-14: clone has more MDLs than the source");
                if (std::find(src_mdls.begin(), src_mdls.end(), w) != src_mdls.end()) {
                    return fail("POOL-14: clone without USE_ORIGINAL_MDLS reuses a source MDL");
                }
                if (mdl_va(w) != mdl_va(src_mdls[j]) || w->ByteCount != src_mdls[j]->ByteCount) {
                    return fail("POOL-14: clone MDL does not describe the source MDL's bytes");
                }
                covered += w->ByteCount;
            }
            if (covered < std::uint64_t{cmo} + src.len) {
                return fail("POOL-14: clone MDLs do not cover the used data");
            }
            cm.chain.assign(src.chain.begin() + static_cast<std::ptrdiff_t>(start),
                            src.chain.begin() + static_cast<std::ptrdiff_t>(start + covered));
        }
        cm.off = cmo;
        cm.len = src.len;
        cm.base = cnb->MdlChain;
        cm.holding = src.len == 0 || cmo < src.nb->CurrentMdl->ByteCount;
        d.pinned.insert(d.pinned.end(), cm.chain.begin(), cm.chain.end());
        d.nbs.push_back(std::move(cm));
    }
    if (cnb != nullptr)
        return fail("POOL-14: the clone has more NBs than the original");
    for (Cell cell : d.pinned)
        ++pins_[cell];
    c->ParentNetBufferList = nbl_; // POOL-16: the caller's bookkeeping
    nbl_->ChildRefCount += 1;
    note("  -> clone #" + std::to_string(d.id));
    ++g_coverage.derived;
    derived_.push_back(std::move(d));
    return true;
}

// POOL-18: fragments of the main NBL.
bool Case::op_fragment()
{
    if (derived_.size() >= kMaxDerived)
        return op_free_derived();
    ULONG longest = 0, total = 0;
    for (const MainNb &mn : main_) {
        longest = std::max(longest, mn.m.len);
        total += mn.m.len;
    }
    const ULONG start =
        r_.chance(70) ? r_.range(0, std::min<ULONG>(longest, 40)) : r_.range(0, longest + 4);
    const ULONG min_max = std::max<ULONG>(1, total / 48);
    const ULONG maximum = r_.range(min_max, std::max(min_max, longest + 8));
    const ULONG delta = r_.chance(30) ? 0 : r_.range(1, 64);
    const ULONG backfill = r_.chance(40) ? 0 : r_.range(0, 64);
    const unsigned pool_choice = r_.below(2);
    bool any = false;
    for (const MainNb &mn : main_)
        any = any || mn.m.len > start;
    const bool inject = any && maybe_inject();
    const unsigned skip = r_.below(12);
    std::ostringstream o;
    o << "fragment start " << start << " max " << maximum << " delta " << delta << " backfill "
      << backfill << (inject ? " INJECT skip " + std::to_string(skip) : "");
    note(o.str());
    const OPENNDIS_STATS s0 = inject ? stats_now() : OPENNDIS_STATS{};
    PNET_BUFFER_LIST f = nullptr;
    {
        VerifierCapture cap;
        if (inject)
            arm_runtime(skip);
        f = NdisAllocateFragmentNetBufferList(nbl_, pool_choice ? pools_.nbl_a : nullptr,
                                              pool_choice ? pools_.nb : nullptr, start, maximum,
                                              delta, backfill, 0);
        disarm();
        if (!any) {
            // Nothing after StartOffset: NULL, reported (decided in core/nbl_derive.cpp).
            if (f != nullptr)
                return fail("POOL-18: nothing to fragment, yet an NBL was returned");
            if (!openndis::test::reported_exactly(cap, {"POOL-18"})) {
                return fail("POOL-18: expected exactly one POOL-18 report for nothing to fragment");
            }
            return true;
        }
        if (cap.size() != 0)
            return fail("unexpected verifier report: " + cap.messages().front());
    }
    if (f == nullptr) {
        if (!inject)
            return fail("POOL-18: fragment failed without an injected failure");
        if (!same_counts(s0, stats_now()))
            return fail("POOL-18: failed fragment leaked " + counts(s0) + " -> " +
                        counts(stats_now()));
        ++g_coverage.injected_failures;
        return true;
    }
    Derived d;
    d.id = next_id_++;
    d.kind = Kind::fragment;
    d.nbl = f;
    d.delta = delta;
    d.parent_nbl = nbl_;
    if (f->Context != nullptr)
        return fail("POOL-18: a fragment NBL has a context");
    PNET_BUFFER fnb = f->FirstNetBuffer;
    for (const MainNb &mn : main_) {
        const NbModel &src = mn.m;
        if (src.len <= start)
            continue;
        for (ULONG at = start; at < src.len;) {
            const ULONG piece = std::min(maximum, src.len - at);
            if (fnb == nullptr)
                return fail("POOL-18: fewer fragments than expected");
            NbModel fm;
            fm.nb = fnb;
            if (delta != 0) {
                if (fnb->DataOffset < backfill) {
                    return fail("POOL-18: fragment has less than DataBackFill unused bytes");
                }
                const ULONG head = fnb->DataOffset + delta;
                for (ULONG k = 0; k < head; ++k)
                    fm.chain.push_back(fresh_cell());
                fm.rstack.push_back(head);
                fm.rhandler.push_back(false);
                fm.off = fnb->DataOffset;
                fm.base = fnb->MdlChain != nullptr ? fnb->MdlChain->Next : nullptr;
            } else {
                fm.off = 0;
                fm.base = fnb->MdlChain;
            }
            for (ULONG k = 0; k < piece; ++k) {
                fm.chain.push_back(src.chain[src.off + at + k]);
                d.pinned.push_back(src.chain[src.off + at + k]);
            }
            fm.len = delta + piece;
            if (fnb->DataLength != fm.len) {
                return fail("POOL-18: fragment length " + std::to_string(fnb->DataLength) +
                            ", expected " + std::to_string(fm.len));
            }
            if (std::string why = geometry_error(fnb); !why.empty()) {
                return fail("POOL-18: fragment NB geometry: " + why);
            }
            if (!write_fresh(fm, 0, delta))
                return false; // the header space is the caller's
            d.nbs.push_back(std::move(fm));
            fnb = fnb->Next;
            at += piece;
        }
    }
    if (fnb != nullptr)
        return fail("POOL-18: more fragments than expected");
    for (Cell cell : d.pinned)
        ++pins_[cell];
    f->ParentNetBufferList = nbl_;
    nbl_->ChildRefCount += 1;
    note("  -> fragment #" + std::to_string(d.id) + " with " + std::to_string(d.nbs.size()) +
         " NBs");
    ++g_coverage.derived;
    derived_.push_back(std::move(d));
    return true;
}

// POOL-20: reassemble a fragment NBL (or the main NBL) into one NB.
bool Case::op_reassemble()
{
    if (derived_.size() >= kMaxDerived)
        return op_free_derived();
    std::vector<Derived *> fragments;
    for (Derived &d : derived_) {
        if (d.kind == Kind::fragment)
            fragments.push_back(&d);
    }
    Derived *from = nullptr;
    if (!fragments.empty() && r_.chance(80))
        from = fragments[r_.below(fragments.size())];
    std::vector<const NbModel *> sources;
    if (from != nullptr) {
        for (const NbModel &m : from->nbs)
            sources.push_back(&m);
    } else {
        for (const MainNb &mn : main_)
            sources.push_back(&mn.m);
    }
    ULONG longest = 0;
    std::uint64_t total = 0;
    for (const NbModel *m : sources) {
        longest = std::max(longest, m->len);
        total += m->len;
    }
    const ULONG start = r_.chance(70)
                            ? r_.range(0, std::min<ULONG>(longest, from ? from->delta + 8 : 16))
                            : r_.range(0, longest + 2);
    const ULONG delta = r_.chance(30) ? 0 : r_.range(1, 64);
    const ULONG backfill = r_.chance(40) ? 0 : r_.range(0, 64);
    const bool own_pool = r_.chance(50);
    std::uint64_t rest = 0;
    for (const NbModel *m : sources)
        rest += m->len > start ? m->len - start : 0;
    const bool inject = rest != 0 && maybe_inject();
    const unsigned skip = r_.below(16);
    std::ostringstream o;
    o << "reassemble " << (from ? "fragment #" + std::to_string(from->id) : std::string("main NBL"))
      << " start " << start << " delta " << delta << " backfill " << backfill
      << (inject ? " INJECT skip " + std::to_string(skip) : "");
    note(o.str());
    (void)total;
    PNET_BUFFER_LIST source_nbl = from ? from->nbl : nbl_;
    const OPENNDIS_STATS s0 = inject ? stats_now() : OPENNDIS_STATS{};
    PNET_BUFFER_LIST ra = nullptr;
    {
        VerifierCapture cap;
        if (inject)
            arm_runtime(skip);
        ra = NdisAllocateReassembledNetBufferList(source_nbl, own_pool ? pools_.nbl_b : nullptr,
                                                  start, delta, backfill, 0);
        disarm();
        if (rest == 0) {
            if (ra != nullptr)
                return fail("POOL-20: nothing to reassemble, yet an NBL was returned");
            if (!openndis::test::reported_exactly(cap, {"POOL-20"})) {
                return fail(
                    "POOL-20: expected exactly one POOL-20 report for nothing to reassemble");
            }
            return true;
        }
        if (cap.size() != 0)
            return fail("unexpected verifier report: " + cap.messages().front());
    }
    if (ra == nullptr) {
        if (!inject)
            return fail("POOL-20: reassembly failed without an injected failure");
        if (!same_counts(s0, stats_now()))
            return fail("POOL-20: failed reassembly leaked " + counts(s0) + " -> " +
                        counts(stats_now()));
        ++g_coverage.injected_failures;
        return true;
    }
    Derived d;
    d.id = next_id_++;
    d.kind = Kind::reassembled;
    d.nbl = ra;
    d.delta = delta;
    d.parent = from ? from->id : 0;
    d.parent_nbl = source_nbl;
    if (ra->Context != nullptr)
        return fail("POOL-20: a reassembled NBL has a context");
    PNET_BUFFER rnb = ra->FirstNetBuffer;
    if (rnb == nullptr || rnb->Next != nullptr)
        return fail("POOL-20: reassembled NBL must have exactly one NB");
    NbModel rm;
    rm.nb = rnb;
    if (delta != 0) {
        if (rnb->DataOffset < backfill)
            return fail("POOL-20: less than DataBackFill unused bytes");
        const ULONG head = rnb->DataOffset + delta;
        for (ULONG k = 0; k < head; ++k)
            rm.chain.push_back(fresh_cell());
        rm.rstack.push_back(head);
        rm.rhandler.push_back(false);
        rm.off = rnb->DataOffset;
        rm.base = rnb->MdlChain != nullptr ? rnb->MdlChain->Next : nullptr;
    } else {
        rm.base = rnb->MdlChain;
    }
    for (const NbModel *m : sources) {
        for (ULONG k = start; k < m->len; ++k) {
            rm.chain.push_back(m->chain[m->off + k]);
            d.pinned.push_back(m->chain[m->off + k]);
        }
    }
    rm.len = static_cast<ULONG>(delta + rest);
    if (rnb->DataLength != rm.len)
        return fail("POOL-20: reassembled DataLength " + std::to_string(rnb->DataLength) +
                    ", expected " + std::to_string(rm.len));
    if (std::string why = geometry_error(rnb); !why.empty())
        return fail("POOL-20: reassembled NB geometry: " + why);
    if (!write_fresh(rm, 0, delta))
        return false;
    d.nbs.push_back(std::move(rm));
    for (Cell cell : d.pinned)
        ++pins_[cell];
    ra->ParentNetBufferList = source_nbl;
    source_nbl->ChildRefCount += 1;
    note("  -> reassembled #" + std::to_string(d.id));
    ++g_coverage.derived;
    derived_.push_back(std::move(d));
    return true;
}

// POOL-15, POOL-19, POOL-20: free a derived NBL (children first) with its matching function.
bool Case::op_free_derived()
{
    if (derived_.empty())
        return op_get_data_buffer();
    return free_derived_checked(derived_[r_.below(derived_.size())].id);
}

// DS-37: copy between any two NBs whose byte ranges do not overlap in memory.
bool Case::op_copy()
{
    NbModel &dst = *pick_nb(false);
    NbModel &src = *pick_nb(false);
    const ULONG doff = r_.chance(10) ? dst.len + r_.range(0, 2) : r_.range(0, dst.len);
    const ULONG soff = r_.chance(10) ? src.len + r_.range(0, 2) : r_.range(0, src.len);
    const ULONG n = r_.chance(20) ? r_.range(0, std::max(dst.len, src.len) + 4) : r_.range(0, 64);
    const ULONG sleft = soff < src.len ? src.len - soff : 0;
    const ULONG dleft = doff < dst.len ? dst.len - doff : 0;
    const ULONG want = std::min({n, sleft, dleft});
    // Overlapping memory (same NB, or NBs sharing bytes) is not defined by DS-37: skip.
    if (want != 0) {
        std::vector<Cell> a(src.chain.begin() + src.off + soff,
                            src.chain.begin() + src.off + soff + want);
        std::vector<Cell> b(dst.chain.begin() + dst.off + doff,
                            dst.chain.begin() + dst.off + doff + want);
        std::sort(a.begin(), a.end());
        std::sort(b.begin(), b.end());
        std::vector<Cell> common;
        std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(common));
        if (!common.empty())
            return op_get_data_buffer();
    }
    const std::vector<std::uint8_t> bytes = model_bytes(src, soff, want);
    std::ostringstream o;
    o << "copy " << n << " bytes src+" << soff << " (len " << src.len << ") -> dst+" << doff
      << " (len " << dst.len << "), expect " << want;
    note(o.str());
    ULONG copied = 0xDEADBEEF;
    const NDIS_STATUS st = NdisCopyFromNetBufferToNetBuffer(dst.nb, doff, n, src.nb, soff, &copied);
    if (st != NDIS_STATUS_SUCCESS)
        return fail("DS-37: copy returned " + std::to_string(st));
    if (copied != want) {
        return fail("DS-37: BytesCopied " + std::to_string(copied) + ", expected " +
                    std::to_string(want));
    }
    for (ULONG k = 0; k < want; ++k)
        values_[dst.chain[dst.off + doff + k]] = bytes[k];
    return true;
}

// DS-34 on derived NBs: retreat (writing the new bytes), check, advance back.
bool Case::op_derived_round_trip()
{
    if (derived_.empty())
        return op_retreat();
    Derived &d = derived_[r_.below(derived_.size())];
    NbModel &m = d.nbs[r_.below(d.nbs.size())];
    const ULONG x = r_.range(1, 48);
    const ULONG backfill = r_.chance(50) ? 0 : r_.range(0, 32);
    const bool free_mdl = r_.chance(60);
    const bool inject = x > m.off && maybe_inject();
    const OPENNDIS_STATS s0 = inject ? stats_now() : OPENNDIS_STATS{};
    const PMDL old_head = m.nb->MdlChain;
    note(std::string("round trip on ") + kind_name(d.kind) + " #" + std::to_string(d.id) + " by " +
         std::to_string(x) + (free_mdl ? " FreeMdl" : "") + (inject ? " INJECT" : ""));
    if (inject)
        arm_runtime(0);
    const NDIS_STATUS st = NdisRetreatNetBufferDataStart(m.nb, x, backfill, nullptr);
    disarm();
    if (inject) {
        if (st != NDIS_STATUS_RESOURCES)
            return fail("DS-32: injected failure did not return RESOURCES");
        if (!same_counts(s0, stats_now()) || m.nb->MdlChain != old_head)
            return fail("DS-32: failed retreat changed something");
        ++g_coverage.injected_failures;
        return true;
    }
    if (st != NDIS_STATUS_SUCCESS)
        return fail("DS-32: retreat of a derived NB failed");
    if (!model_retreat(m, x, backfill, old_head, false))
        return false;
    if (!write_fresh(m, 0, x))
        return false;
    if (!check_nb(m, [&d] { return std::string(kind_name(d.kind)) + " after retreat"; }))
        return false;
    NdisAdvanceNetBufferDataStart(m.nb, x, free_mdl ? TRUE : FALSE, nullptr);
    model_advance(m, x, free_mdl);
    return true;
}

// DS-13 … DS-16: NBL contexts, LIFO, bytes preserved across every other step.
bool Case::op_context()
{
    const bool allocate = contexts_.empty() || (contexts_.size() < 6 && r_.chance(55));
    if (allocate) {
        const auto size = static_cast<USHORT>(8 * r_.range(1, 8));
        const auto backfill = static_cast<USHORT>(8 * r_.range(0, 8));
        const bool inject = maybe_inject();
        PNET_BUFFER_LIST_CONTEXT top = nbl_->Context;
        const USHORT top_offset = top != nullptr ? top->Offset : 0;
        const bool needs_block = top == nullptr || top->Offset < size;
        note("context allocate " + std::to_string(size) + " backfill " + std::to_string(backfill) +
             (inject ? " INJECT" : ""));
        const OPENNDIS_STATS s0 = inject ? stats_now() : OPENNDIS_STATS{};
        if (inject)
            arm_runtime(0);
        const NDIS_STATUS st = NdisAllocateNetBufferListContext(nbl_, size, backfill, kTag);
        disarm();
        if (inject && needs_block) {
            if (st != NDIS_STATUS_RESOURCES)
                return fail("DS-14: injected failure did not return RESOURCES");
            if (nbl_->Context != top || (top != nullptr && top->Offset != top_offset) ||
                !same_counts(s0, stats_now())) {
                return fail("DS-14: failed context allocation changed the NBL");
            }
            ++g_coverage.injected_failures;
            return true;
        }
        if (st != NDIS_STATUS_SUCCESS)
            return fail("DS-14: context allocation failed");
        auto *p = NET_BUFFER_LIST_CONTEXT_DATA_START(nbl_);
        if (reinterpret_cast<std::uintptr_t>(p) % sizeof(void *) != 0)
            return fail("DS-16: context not pointer-aligned");
        ContextEntry e{size, {}};
        for (USHORT k = 0; k < size; ++k) {
            e.bytes.push_back(r_.byte());
            p[k] = e.bytes.back();
        }
        contexts_.push_back(std::move(e));
        return true;
    }
    const ContextEntry &e = contexts_.back();
    note("context free " + std::to_string(e.size));
    const auto *p = NET_BUFFER_LIST_CONTEXT_DATA_START(nbl_);
    if (std::vector<std::uint8_t>(p, p + e.size) != e.bytes)
        return fail("DS-13: context bytes changed");
    NdisFreeNetBufferListContext(nbl_, e.size);
    contexts_.pop_back();
    return true;
}

// ================================ the step loop =================================================

bool Case::run(unsigned steps)
{
    if (!build()) {
        teardown();
        return false;
    }
    using Op = bool (Case::*)();
    struct Weighted {
        unsigned weight;
        Op op;
    };
    static const Weighted ops[] = {
        {12, &Case::op_get_data_buffer},
        {12, &Case::op_retreat},
        {12, &Case::op_advance},
        {5, &Case::op_nbl_retreat},
        {5, &Case::op_nbl_advance},
        {8, &Case::op_adjust},
        {5, &Case::op_clone},
        {5, &Case::op_fragment},
        {4, &Case::op_reassemble},
        {7, &Case::op_free_derived},
        {10, &Case::op_copy},
        {5, &Case::op_derived_round_trip},
        {4, &Case::op_context},
    };
    unsigned total = 0;
    for (const Weighted &w : ops)
        total += w.weight;
    for (step_ = 1; step_ <= steps; ++step_) {
        unsigned pick = r_.below(total);
        const Weighted *chosen = &ops[0];
        ++g_coverage.steps;
        for (const Weighted &w : ops) {
            if (pick < w.weight) {
                chosen = &w;
                break;
            }
            pick -= w.weight;
        }
        ++g_coverage.per_op[chosen - ops];
        const Op op = chosen->op;
        if (!(this->*op)() || !check_all()) {
            fail("(no detail)");
            break;
        }
    }
    teardown();
    return !failed();
}

// ================================ the tests =====================================================

std::uint64_t env_u64(const char *name, std::uint64_t fallback, bool *present = nullptr)
{
    const char *v = std::getenv(name);
    if (present != nullptr)
        *present = v != nullptr && *v != '\0';
    if (v == nullptr || *v == '\0')
        return fallback;
    return std::strtoull(v, nullptr, 0);
}

class NblProperty : public ::testing::Test {
protected:
    void SetUp() override
    {
        NET_BUFFER_LIST_POOL_PARAMETERS p{};
        p.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
        p.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
        p.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
        p.PoolTag = kTag;
        pools_.nbl_a = NdisAllocateNetBufferListPool(nullptr, &p);
        p.ContextSize = 32;
        pools_.nbl_ctx = NdisAllocateNetBufferListPool(nullptr, &p);
        p.ContextSize = 0;
        p.fAllocateNetBuffer = TRUE;
        pools_.nbl_b = NdisAllocateNetBufferListPool(nullptr, &p);
        NET_BUFFER_POOL_PARAMETERS q{};
        q.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
        q.Header.Revision = NET_BUFFER_POOL_PARAMETERS_REVISION_1;
        q.Header.Size = NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1;
        q.PoolTag = kTag;
        pools_.nb = NdisAllocateNetBufferPool(nullptr, &q);
        ASSERT_TRUE(pools_.nbl_a && pools_.nbl_b && pools_.nb && pools_.nbl_ctx);
    }
    void TearDown() override
    {
        OpenNdisInjectAllocationFailures(0, 0);
        if (pools_.nbl_a)
            NdisFreeNetBufferListPool(pools_.nbl_a);
        if (pools_.nbl_b)
            NdisFreeNetBufferListPool(pools_.nbl_b);
        if (pools_.nbl_ctx)
            NdisFreeNetBufferListPool(pools_.nbl_ctx);
        if (pools_.nb)
            NdisFreeNetBufferPool(pools_.nb);
    }

    // Runs one case; on failure reports the seed and the last steps, returns false.
    bool RunCase(std::uint64_t case_seed, unsigned steps)
    {
        Case c(case_seed, pools_);
        if (c.run(steps))
            return true;
        ADD_FAILURE() << "property violated: " << c.error()
                      << "\n  replay: OPENNDIS_PROPERTY_SEED=0x" << std::hex << case_seed
                      << std::dec << "\n  last steps:\n"
                      << c.log();
        return false;
    }

    Pools pools_;
};

// DS-36, DS-34: a failed NdisRetreatNetBufferListDataStart must leave every NB as it was. NB 0
// keeps a retreat MDL in its unused space (advanced with FreeMdl FALSE, the receive path, DS-35);
// NB 1's allocation fails, and the rollback must not free NB 0's kept MDL (a clone made before
// the advance may still describe its bytes). Regression test: found by RandomGeometryAndOperations
// (case seed 0xb041890f0a53ba6d), fixed by 6f3f321 (allocate every MDL first, then apply).
TEST_F(NblProperty, NblRetreatFailureLeavesKeptRetreatMdlsAlone)
{
    std::uint8_t a[16], b[16];
    std::memset(a, 0x11, sizeof a);
    std::memset(b, 0x22, sizeof b);
    PMDL ma = NdisAllocateMdl(nullptr, a, sizeof a);
    PMDL mb = NdisAllocateMdl(nullptr, b, sizeof b);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pools_.nbl_a, 0, 0);
    PNET_BUFFER nb0 = NdisAllocateNetBuffer(pools_.nb, ma, 0, sizeof a);
    PNET_BUFFER nb1 = NdisAllocateNetBuffer(pools_.nb, mb, 0, sizeof b);
    ASSERT_TRUE(ma && mb && nbl && nb0 && nb1);
    nbl->FirstNetBuffer = nb0;
    nb0->Next = nb1;

    ASSERT_EQ(NdisRetreatNetBufferDataStart(nb0, 8, 0, nullptr), NDIS_STATUS_SUCCESS); // DS-32
    const PMDL kept = nb0->MdlChain;
    ASSERT_NE(kept, ma);
    NdisAdvanceNetBufferDataStart(nb0, 8, FALSE, nullptr); // DS-33/DS-35: the MDL stays
    ASSERT_EQ(nb0->MdlChain, kept);
    const ULONG offset0 = nb0->DataOffset; // == kept->ByteCount: all of it unused

    OpenNdisInjectAllocationFailures(0, 1); // NB 0 has room; NB 1 needs an MDL and fails
    EXPECT_EQ(NdisRetreatNetBufferListDataStart(nbl, 4, 0, nullptr, nullptr),
              NDIS_STATUS_RESOURCES);
    OpenNdisInjectAllocationFailures(0, 0);

    EXPECT_EQ(nb0->MdlChain, kept) << "the rollback freed the MDL NB 0 kept";
    EXPECT_EQ(nb0->DataOffset, offset0);
    EXPECT_EQ(nb0->DataLength, sizeof a);
    EXPECT_EQ(nb1->MdlChain, mb);
    EXPECT_EQ(nb1->DataOffset, 0u);
    EXPECT_EQ(nb1->DataLength, sizeof b);
    EXPECT_TRUE(geometry_error(nb0).empty());

    nb0->Next = nullptr;
    nbl->FirstNetBuffer = nullptr;
    NdisFreeNetBuffer(nb0); // frees a still-kept runtime retreat MDL
    NdisFreeNetBuffer(nb1);
    NdisFreeNetBufferList(nbl);
    NdisFreeMdl(ma);
    NdisFreeMdl(mb);
}

// DS-14, DS-15: NdisFreeNetBufferListContext releases exactly what the matching allocation
// claimed. A ContextSize 0 request (a multiple of sizeof(PVOID), DS-16) that had to allocate a
// block owns that block until its own free; a later request carved from the block's backfill
// must not release it. Found by fuzz_nbl_geometry (run with OPENNDIS_FUZZ_KNOWN_BUGS=1).
TEST_F(NblProperty, ContextSizeZeroKeepsItsBlockUntilItsOwnFree)
{
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pools_.nbl_a, 0, 0);
    ASSERT_NE(nbl, nullptr);
    NDIS_STATUS st;
    {
        VerifierCapture cap;
        st = NdisAllocateNetBufferListContext(nbl, 0, 64, kTag);
        if (st != NDIS_STATUS_SUCCESS) {
            // Refusing ContextSize 0 outright would be a consistent decision too.
            EXPECT_EQ(st, NDIS_STATUS_INVALID_PARAMETER);
            EXPECT_VERIFIER_REPORTS(cap, "DS-16");
            NdisFreeNetBufferList(nbl);
            return;
        }
        EXPECT_VERIFIER_REPORTS(cap);
    }
    PNET_BUFFER_LIST_CONTEXT block = nbl->Context;
    ASSERT_NE(block, nullptr);
    ASSERT_EQ(NdisAllocateNetBufferListContext(nbl, 16, 0, kTag), NDIS_STATUS_SUCCESS); // carved
    EXPECT_EQ(nbl->Context, block);
    NdisFreeNetBufferListContext(nbl, 16);
    EXPECT_EQ(nbl->Context, block)
        << "the block of the outstanding ContextSize 0 request was freed";
    {
        VerifierCapture cap;
        NdisFreeNetBufferListContext(nbl, 0); // LIFO: the first request's own free
        EXPECT_VERIFIER_REPORTS(cap);
    }
    EXPECT_EQ(nbl->Context, nullptr);

    // The fuzzer's minimal form (tests/fuzz/corpus/nbl_geometry/known-bug-context-size-zero):
    // two ContextSize 0 requests, freed LIFO, report nothing and leave no context.
    if (NdisAllocateNetBufferListContext(nbl, 0, 0, kTag) == NDIS_STATUS_SUCCESS) {
        ASSERT_EQ(NdisAllocateNetBufferListContext(nbl, 0, 0, kTag), NDIS_STATUS_SUCCESS);
        VerifierCapture cap;
        NdisFreeNetBufferListContext(nbl, 0);
        NdisFreeNetBufferListContext(nbl, 0);
        EXPECT_VERIFIER_REPORTS(cap);
        EXPECT_EQ(nbl->Context, nullptr);
    }
    NdisFreeNetBufferList(nbl);
}

// DS-02…DS-06, DS-30…DS-37, POOL-14…POOL-20 under random sequences (see the file comment).
TEST_F(NblProperty, RandomGeometryAndOperations)
{
    constexpr unsigned kSteps = 200;
    bool replay = false;
    const std::uint64_t replay_seed = env_u64("OPENNDIS_PROPERTY_SEED", 0, &replay);
    if (replay) {
        std::printf("[ property ] replaying case seed 0x%" PRIx64 "\n", replay_seed);
        RunCase(replay_seed, kSteps);
        return;
    }
    const std::uint64_t cases = env_u64("OPENNDIS_PROPERTY_CASES", 60);
    static constexpr std::uint64_t kMasterSeeds[] = {0x5EED0001, 0x00C0FFEE, 0xD15EA5E5, 0x0BADCAFE,
                                                     0x12345678};
    for (std::uint64_t master : kMasterSeeds) {
        std::printf("[ property ] master seed 0x%" PRIx64 ": %" PRIu64 " cases x %u steps\n",
                    master, cases, kSteps);
        for (std::uint64_t i = 0; i < cases; ++i) {
            if (!RunCase(mix(master, i), kSteps))
                return; // one failure is enough to act on
        }
    }
    const Coverage &c = g_coverage;
    std::printf("[ property ] %" PRIu64
                " steps; per op (GetDataBuffer, retreat, advance, NBL retreat, "
                "NBL advance, adjust, clone, fragment, reassemble, free derived, copy, round trip, "
                "context):",
                c.steps);
    for (std::uint64_t n : c.per_op)
        std::printf(" %" PRIu64, n);
    std::printf("\n[ property ] %" PRIu64 " derived NBLs, %" PRIu64
                " retreats into a new MDL, %" PRIu64 " injected failures observed\n",
                c.derived, c.new_mdl_retreats, c.injected_failures);
}

} // namespace
