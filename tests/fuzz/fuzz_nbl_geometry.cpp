// fuzz_nbl_geometry.cpp — fuzz target: NET_BUFFER geometry and data under byte-driven sequences
// of the data-path APIs (SPEC DS-02 … DS-06, DS-13 … DS-16, DS-30 … DS-37, POOL-14 … POOL-20).
//
// Input → decisions
//   The input is consumed as a stream of decisions (a byte for a small choice, two or four for a
//   larger one; 0 once the input is exhausted), so every mutation changes geometry or the script:
//     1. mode: bit 0 corrupt mode (adds the "corrupt" and "misuse" operations), bit 1 the
//        test's own NetAllocateMdl/NetFreeMdl for main-NB retreats, bit 2 a kind-(b) main NBL,
//        bit 3 fault injection (OpenNdisInjectAllocationFailures / a failing NetAllocateMdl);
//     2. geometry: 1..4 NBs, each over 1..8 MDLs of 0..4096 bytes in all (zero-length ones
//        common), a DataOffset and DataLength clamped to the chain (valid geometry);
//     3. a script of at most 64 operations: NdisGetDataBuffer (random sizes, alignment, windows)
//        and NdisQueryNetBufferPhysicalCount, NB/NBL retreat and advance,
//        NdisAdjustNetBufferCurrentMdl (and equivalent non-canonical CurrentMdl positions),
//        NdisCopyFromNetBufferToNetBuffer, clones (both flags), fragments, reassembly, frees of
//        derived NBLs, NBL contexts; in corrupt mode also
//          "corrupt": break one NB's geometry (CurrentMdl off the chain, DataOffset
//          inconsistent, DataLength beyond the chain, CurrentMdlOffset beyond its MDL), call NB,
//          NBL and derivation APIs on it (or free the derived NBL holding it) expecting verifier
//          reports, no change and no leak, then restore it;
//          "misuse": bad alignment parameters, overflowing or too-large deltas, NULL arguments,
//          a NetAllocateMdl returning a too-small MDL, bad clone/fragment/reassembly flags, a
//          clone freed with the other flags, a context free without a context — each reported,
//          changing nothing.
//   Byte values written into NBs come from a fixed PRNG, not from the input.
//
// Checks (abort() on violation, so libFuzzer reports it): after every operation, for every NB,
//   DS-03/DS-04 and the NB's used bytes equal a reference model (cells of memory shared between
//   an NB and the NBLs derived from it; see tests/unit/test_nbl_property.cpp, same design);
//   in valid mode no verifier report at all except the documented "nothing to fragment /
//   reassemble" ones; every input frees everything, and OpenNdisGetStats counts must be back to
//   their values at the start of the input.
//
// Reproduce: ./fuzz_nbl_geometry <file>  (both the libFuzzer and the driver build).
// Set OPENNDIS_FUZZ_TRACE=1 to print the operations as they run.
#include <ndis.h>
#include <openndis/runtime.h>

#include <algorithm>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

namespace {

using Cell = std::uint32_t;

constexpr ULONG kTag = 0x7A7A7546; // "Fuzz"
constexpr std::uint8_t kGuardByte = 0xEE;
constexpr std::size_t kGuard = 8;
constexpr std::size_t kWalkLimit = 1u << 16;
constexpr std::size_t kMaxDerived = 5;
constexpr unsigned kMaxOps = 64;
constexpr ULONG kMaxChain = 4096;
constexpr ULONG kMaxLen = 8192;

// The harness's own byte loops (model, checks) are not what is being fuzzed: keep them out of
// the coverage feedback, or they drown the runtime's edges and slow every execution.
#if defined(__clang__) && defined(OPENNDIS_LIBFUZZER)
#define HARNESS __attribute__((no_sanitize("coverage")))
#else
#define HARNESS
#endif

bool g_trace = false;

// ---- decisions from the input ------------------------------------------------------------------
class Source {
public:
    Source(const std::uint8_t *data, std::size_t size) : p_(data), n_(size) {}
    bool empty() const { return n_ == 0; }
    std::uint32_t below(std::uint64_t m)
    {
        if (m <= 1)
            return 0;
        const unsigned bytes = m <= 256 ? 1 : m <= 65536 ? 2 : 4;
        std::uint32_t v = 0;
        for (unsigned i = 0; i < bytes; ++i)
            v = (v << 8) | take();
        return static_cast<std::uint32_t>(v % m);
    }
    std::uint32_t range(std::uint32_t lo, std::uint32_t hi)
    {
        return hi <= lo ? lo : lo + below(std::uint64_t{hi} - lo + 1);
    }
    bool chance(unsigned percent) { return below(100) < percent; }

private:
    std::uint8_t take()
    {
        if (n_ == 0)
            return 0;
        --n_;
        return *p_++;
    }
    const std::uint8_t *p_;
    std::size_t n_;
};

// Values written into buffers: deterministic, independent of the input.
class Values {
public:
    std::uint8_t next()
    {
        std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return static_cast<std::uint8_t>(z ^ (z >> 31));
    }

private:
    std::uint64_t s_ = 1;
};

[[noreturn]] void die(const char *what, const std::string &detail);

// ---- verifier sink ------------------------------------------------------------------------------
std::uint64_t g_reports = 0;
std::string g_last_report;

VOID CountingSink(PVOID, const OPENNDIS_VERIFIER_REPORT *report)
{
    ++g_reports;
    g_last_report = report->Message != nullptr ? report->Message : "";
}

// ---- the test's NetAllocateMdl / NetFreeMdl
// ------------------------------------------------------
struct Handlers {
    int frees = 0;
    int fail_countdown = -1;
    ULONG extra = 0;
    ULONG last_request = 0;
    std::int64_t live = 0;
    bool short_mdl = false; // misbehave: return a zero-length MDL (misuse operation)
    PMDL last = nullptr;
};
Handlers g_handlers;

PMDL FuzzAllocateMdl(PULONG BufferSize)
{
    g_handlers.last_request = *BufferSize;
    if (g_handlers.fail_countdown == 0) {
        g_handlers.fail_countdown = -1;
        return nullptr;
    }
    if (g_handlers.fail_countdown > 0)
        --g_handlers.fail_countdown;
    *BufferSize += g_handlers.extra;
    if (g_handlers.short_mdl) {
        *BufferSize = 0;
    }
    auto *buffer = new std::uint8_t[*BufferSize + 1];
    PMDL m = NdisAllocateMdl(nullptr, buffer, *BufferSize);
    if (m == nullptr) {
        delete[] buffer;
        return nullptr;
    }
    ++g_handlers.live;
    g_handlers.last = m;
    return m;
}

VOID FuzzFreeMdl(PMDL Mdl)
{
    ++g_handlers.frees;
    --g_handlers.live;
    delete[] static_cast<std::uint8_t *>(MmGetMdlVirtualAddress(Mdl));
    NdisFreeMdl(Mdl);
}

// ---- independent MDL walking
// ---------------------------------------------------------------------
std::uint8_t *mdl_va(const MDL *m)
{
    return static_cast<std::uint8_t *>(
        MmGetSystemAddressForMdlSafe(const_cast<PMDL>(m), NormalPagePriority));
}

struct Piece {
    std::uint8_t *p;
    ULONG n;
};

HARNESS bool chain_pieces(PMDL chain, std::uint64_t from, std::uint64_t n, std::vector<Piece> &out)
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

HARNESS std::uint64_t chain_bytes(const MDL *m)
{
    std::uint64_t total = 0;
    for (std::size_t steps = 0; m != nullptr && steps < kWalkLimit; m = m->Next, ++steps)
        total += m->ByteCount;
    return total;
}

// DS-03 / DS-04 from the public fields; nullptr when fine, else a static description.
HARNESS const char *geometry_error(const NET_BUFFER *nb)
{
    if (nb->MdlChain == nullptr) {
        return nb->DataOffset != 0 || nb->DataLength != 0 || nb->CurrentMdl != nullptr
                   ? "no MDL chain but a window"
                   : nullptr;
    }
    std::uint64_t before = 0, total = 0;
    bool found = false;
    std::size_t steps = 0;
    for (const MDL *m = nb->MdlChain; m != nullptr; m = m->Next, ++steps) {
        if (steps >= kWalkLimit)
            return "MDL chain too long";
        if (m == nb->CurrentMdl && !found) {
            found = true;
            before = total;
        }
        total += m->ByteCount;
    }
    if (!found)
        return "DS-04: CurrentMdl not on the chain";
    if (nb->CurrentMdlOffset > nb->CurrentMdl->ByteCount)
        return "DS-04: CurrentMdlOffset > ByteCount";
    if (before + nb->CurrentMdlOffset != nb->DataOffset)
        return "DS-04: DataOffset inconsistent";
    if (std::uint64_t{nb->DataOffset} + nb->DataLength > total)
        return "DS-03: window beyond the chain";
    return nullptr;
}

OPENNDIS_STATS stats_now()
{
    OPENNDIS_STATS s{};
    OpenNdisGetStats(&s);
    return s;
}

HARNESS bool same_counts(const OPENNDIS_STATS &a, const OPENNDIS_STATS &b)
{
    return a.NblPools == b.NblPools && a.NbPools == b.NbPools && a.Nbls == b.Nbls &&
           a.Nbs == b.Nbs && a.Mdls == b.Mdls && a.NblContexts == b.NblContexts &&
           a.MemoryBlocks == b.MemoryBlocks && a.SgLists == b.SgLists;
}

std::string counts(const OPENNDIS_STATS &s)
{
    char buf[256];
    std::snprintf(
        buf, sizeof buf,
        "{NblPools %llu, NbPools %llu, Nbls %llu, Nbs %llu, Mdls %llu, NblContexts %llu, "
        "MemoryBlocks %llu}",
        static_cast<unsigned long long>(s.NblPools), static_cast<unsigned long long>(s.NbPools),
        static_cast<unsigned long long>(s.Nbls), static_cast<unsigned long long>(s.Nbs),
        static_cast<unsigned long long>(s.Mdls), static_cast<unsigned long long>(s.NblContexts),
        static_cast<unsigned long long>(s.MemoryBlocks));
    return buf;
}

// ---- pools (made and freed by every input: nothing may be alive between inputs)
// -------------------
struct Pools {
    NDIS_HANDLE nbl_a = nullptr; // kind (a)
    NDIS_HANDLE nbl_b = nullptr; // kind (b)
    NDIS_HANDLE nb = nullptr;    // DataSize 0
};

Pools make_pools()
{
    Pools q;
    NET_BUFFER_LIST_POOL_PARAMETERS a{};
    a.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    a.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    a.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    a.PoolTag = kTag;
    q.nbl_a = NdisAllocateNetBufferListPool(nullptr, &a);
    a.fAllocateNetBuffer = TRUE;
    q.nbl_b = NdisAllocateNetBufferListPool(nullptr, &a);
    NET_BUFFER_POOL_PARAMETERS b{};
    b.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    b.Header.Revision = NET_BUFFER_POOL_PARAMETERS_REVISION_1;
    b.Header.Size = NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1;
    b.PoolTag = kTag;
    q.nb = NdisAllocateNetBufferPool(nullptr, &b);
    if (q.nbl_a == nullptr || q.nbl_b == nullptr || q.nb == nullptr)
        die("setup", "cannot make pools");
    return q;
}

void free_pools(const Pools &q)
{
    NdisFreeNetBufferListPool(q.nbl_a);
    NdisFreeNetBufferListPool(q.nbl_b);
    NdisFreeNetBufferPool(q.nb);
}

// ---- model (same design as tests/unit/test_nbl_property.cpp) ----------------------------------
struct NbModel {
    PNET_BUFFER nb = nullptr;
    std::vector<Cell> chain;
    ULONG off = 0;
    ULONG len = 0;
    std::vector<ULONG> rstack;
    std::vector<bool> rhandler;
    PMDL base = nullptr;
    std::vector<PMDL> fixed;
    std::vector<ULONG> fixed_sizes;
    bool holding = true;
    bool retreatable = false;
};

struct MainNb {
    NbModel m;
    std::unique_ptr<std::uint8_t[]> memory;
    std::size_t memory_size = 0;
    std::vector<std::pair<std::size_t, std::size_t>> data_ranges;
    bool preallocated = false;
};

enum class Kind { clone, clone_original_mdls, fragment, reassembled };

struct Derived {
    std::uint64_t id = 0;
    Kind kind = Kind::clone;
    PNET_BUFFER_LIST nbl = nullptr;
    ULONG delta = 0;
    std::uint64_t parent = 0;
    PNET_BUFFER_LIST parent_nbl = nullptr;
    std::vector<NbModel> nbs;
    std::vector<Cell> pinned;
};

struct ContextEntry {
    USHORT size;
    std::vector<std::uint8_t> bytes;
};

class Run {
public:
    Run(const std::uint8_t *data, std::size_t size) : r_(data, size) {}
    void go();

private:
    [[noreturn]] void fail(const std::string &what)
    {
        die("property violated", what + "\n" + log_);
    }
    void note(const char *fmt, ...) __attribute__((format(printf, 2, 3)));

    HARNESS Cell fresh_cell()
    {
        values_.push_back(v_.next());
        pins_.push_back(0);
        return static_cast<Cell>(values_.size() - 1);
    }
    HARNESS std::vector<std::uint8_t> model_bytes(const NbModel &m, ULONG from, ULONG n) const
    {
        std::vector<std::uint8_t> out(n);
        for (ULONG i = 0; i < n; ++i)
            out[i] = values_[m.chain[m.off + from + i]];
        return out;
    }
    ULONG mdl_size()
    {
        switch (r_.below(16)) {
        case 0:
        case 1:
        case 2:
        case 3:
            return 0;
        case 4:
        case 5:
        case 6:
        case 7:
            return r_.range(1, 8);
        case 8:
        case 9:
        case 10:
        case 11:
            return r_.range(9, 64);
        case 12:
        case 13:
        case 14:
            return r_.range(65, 600);
        default:
            return r_.range(0, kMaxChain);
        }
    }

    void build();
    void teardown();
    void check_nb(const NbModel &m, const char *who, std::size_t index);
    void check_all();
    void write_fresh(NbModel &m, ULONG from, ULONG n);
    void check_guards();
    void model_retreat(NbModel &m, ULONG delta, ULONG backfill, PMDL old_head, bool handler,
                       bool check_request);
    void model_advance(NbModel &m, ULONG delta, bool free_mdl);
    ULONG popped_bytes(const NbModel &m, ULONG delta, bool free_mdl) const;
    std::size_t handler_pops(const NbModel &m, ULONG delta, bool free_mdl) const;
    void make_unpinned(const NbModel &m, ULONG bytes);
    void free_derived(std::uint64_t id);
    Derived *derived(std::uint64_t id)
    {
        for (Derived &d : derived_)
            if (d.id == id)
                return &d;
        return nullptr;
    }
    void arm(unsigned skip) { OpenNdisInjectAllocationFailures(skip, 1); }
    void disarm()
    {
        OpenNdisInjectAllocationFailures(0, 0);
        g_handlers.fail_countdown = -1;
    }
    bool maybe_inject() { return inject_mode_ && r_.chance(40); }
    void expect_no_reports(const char *api)
    {
        if (g_reports != reports_seen_)
            fail(std::string("unexpected verifier report in ") + api + ": " + g_last_report);
    }
    NbModel *pick_nb(bool retreatable_only);
    NbModel *pick_main_or_any();

    void op_get_data_buffer();
    void get_data_buffer(NbModel &m);
    void op_retreat();
    void op_advance();
    void op_nbl_retreat();
    void op_nbl_advance();
    void op_adjust();
    void op_clone();
    void op_fragment();
    void op_reassemble();
    void op_free_derived();
    void op_copy();
    void op_derived_round_trip();
    void op_context();
    void op_corrupt();
    void op_misuse();

    Source r_;
    Values v_;
    Pools pools_;
    std::string log_;
    unsigned step_ = 0;
    std::uint64_t reports_seen_ = 0;

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
    bool corrupt_mode_ = false;
    bool handler_mode_ = false;
    bool inject_mode_ = false;
    PMDL spare_ = nullptr;
    std::uint8_t spare_bytes_[48] = {};
    OPENNDIS_STATS start_{};
};

void die(const char *what, const std::string &detail)
{
    std::fprintf(stderr, "fuzz_nbl_geometry: %s: %s\n", what, detail.c_str());
    std::fflush(stderr);
    std::abort();
}

void Run::note(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char line[300];
    std::snprintf(line, sizeof line, "  #%u %s\n", step_, buf);
    if (g_trace)
        std::fputs(line, stderr);
    log_ += line;
    if (log_.size() > 8000)
        log_.erase(0, log_.size() - 6000);
}

// ================================ build / teardown
// ================================================

void Run::build()
{
    const std::uint32_t mode = r_.below(16);
    corrupt_mode_ = (mode & 1) != 0;
    handler_mode_ = (mode & 2) != 0;
    nbl_kind_b_ = (mode & 4) != 0;
    inject_mode_ = (mode & 8) != 0;
    g_handlers = Handlers{};
    spare_ = NdisAllocateMdl(nullptr, spare_bytes_, sizeof spare_bytes_);
    if (spare_ == nullptr)
        fail("NdisAllocateMdl failed");
    if (!nbl_kind_b_) {
        nbl_ = NdisAllocateNetBufferList(pools_.nbl_a, 0, 0);
        if (nbl_ == nullptr)
            fail("NdisAllocateNetBufferList failed");
    }
    const unsigned nb_count = r_.range(1, 4);
    PNET_BUFFER *tail = nbl_ != nullptr ? &nbl_->FirstNetBuffer : nullptr;
    for (unsigned i = 0; i < nb_count; ++i) {
        MainNb &mn = main_.emplace_back();
        const unsigned mdl_count = r_.range(1, 8);
        std::vector<ULONG> sizes;
        ULONG total = 0;
        for (unsigned k = 0; k < mdl_count; ++k) {
            ULONG s = mdl_size();
            s = std::min(s, kMaxChain - total); // sizes <= 4096 per NB
            sizes.push_back(s);
            total += s;
        }
        mn.memory_size = kGuard + total + kGuard * mdl_count;
        mn.memory = std::make_unique<std::uint8_t[]>(mn.memory_size);
        std::memset(mn.memory.get(), kGuardByte, mn.memory_size);
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
            if (m == nullptr)
                fail("NdisAllocateMdl failed");
            main_mdls_.push_back(m);
            mn.m.fixed.push_back(m);
            mn.m.fixed_sizes.push_back(size);
            *link = m;
            link = &m->Next;
            mn.data_ranges.emplace_back(at, size);
            at += size + kGuard;
        }
        const ULONG off = r_.range(0, total);
        const ULONG len = r_.range(0, total - off);
        PNET_BUFFER nb = nullptr;
        if (i == 0 && nbl_kind_b_) {
            nbl_ = NdisAllocateNetBufferAndNetBufferList(pools_.nbl_b, 0, 0, head, off, len);
            if (nbl_ == nullptr)
                fail("NdisAllocateNetBufferAndNetBufferList failed");
            nb = nbl_->FirstNetBuffer;
            tail = &nb->Next;
            mn.preallocated = true;
        } else {
            nb = NdisAllocateNetBuffer(pools_.nb, head, off, len);
            if (nb == nullptr)
                fail("NdisAllocateNetBuffer failed");
            *tail = nb;
            tail = &nb->Next;
        }
        mn.m.nb = nb;
        mn.m.off = off;
        mn.m.len = len;
        mn.m.base = head;
        mn.m.retreatable = true;
        note("NB %u: %u MDLs, %u bytes, off %u len %u", i, mdl_count, total, off, len);
    }
    note("mode corrupt %d handler %d kind-b %d inject %d", corrupt_mode_, handler_mode_,
         nbl_kind_b_, inject_mode_);
    expect_no_reports("build");
    check_all();
}

void Run::free_derived(std::uint64_t id)
{
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
    for (Cell c : d.pinned)
        --pins_[c];
    d.parent_nbl->ChildRefCount -= 1; // POOL-16: the caller's bookkeeping
    d.nbl->ParentNetBufferList = nullptr;
    note("free derived #%llu (kind %d)", static_cast<unsigned long long>(d.id),
         static_cast<int>(d.kind));
    switch (d.kind) {
    case Kind::clone:
        NdisFreeCloneNetBufferList(d.nbl, 0);
        break;
    case Kind::clone_original_mdls:
        NdisFreeCloneNetBufferList(d.nbl, NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS);
        break;
    case Kind::fragment:
        NdisFreeFragmentNetBufferList(d.nbl, d.delta, 0);
        break;
    case Kind::reassembled:
        NdisFreeReassembledNetBufferList(d.nbl, d.delta, 0);
        break;
    }
}

void Run::teardown()
{
    disarm();
    while (!derived_.empty())
        free_derived(derived_.front().id);
    while (!contexts_.empty()) {
        NdisFreeNetBufferListContext(nbl_, contexts_.back().size);
        contexts_.pop_back();
    }
    for (MainNb &mn : main_) {
        NbModel &m = mn.m;
        NdisAdvanceNetBufferDataStart(m.nb, m.nb->DataLength, TRUE,
                                      handler_mode_ ? &FuzzFreeMdl : nullptr);
        model_advance(m, m.len, true);
        if (!m.rstack.empty() || m.nb->MdlChain != m.fixed.front()) {
            fail("DS-34: after advancing all data with FreeMdl TRUE an NB still has retreat MDLs");
        }
    }
    expect_no_reports("teardown");
    check_guards();
    for (MainNb &mn : main_) {
        if (!mn.preallocated) {
            mn.m.nb->Next = nullptr;
            NdisFreeNetBuffer(mn.m.nb);
        }
    }
    if (nbl_kind_b_)
        nbl_->FirstNetBuffer->Next = nullptr;
    else
        nbl_->FirstNetBuffer = nullptr;
    NdisFreeNetBufferList(nbl_);
    nbl_ = nullptr;
    for (PMDL m : main_mdls_)
        NdisFreeMdl(m);
    main_mdls_.clear();
    main_.clear();
    NdisFreeMdl(spare_);
    spare_ = nullptr;
    free_pools(pools_);
    expect_no_reports("free");
    if (g_handlers.live != 0)
        fail("NetAllocateMdl MDLs not all returned through NetFreeMdl");
    const OPENNDIS_STATS end = stats_now();
    if (!same_counts(start_, end))
        die("leak", "live counts " + counts(start_) + " -> " + counts(end) + "\n" + log_);
}

// ================================ checks
// ============================================================

HARNESS void Run::write_fresh(NbModel &m, ULONG from, ULONG n)
{
    if (n == 0)
        return;
    std::vector<Piece> pieces;
    if (from == 0 && (v_.next() & 1)) {
        auto *p = static_cast<std::uint8_t *>(NdisGetDataBuffer(m.nb, n, nullptr, 1, 0));
        if (p != nullptr)
            pieces.push_back({p, n});
    }
    if (pieces.empty() &&
        !chain_pieces(m.nb->MdlChain, std::uint64_t{m.nb->DataOffset} + from, n, pieces)) {
        fail("cannot locate used bytes to write");
    }
    ULONG i = 0;
    for (const Piece &p : pieces) {
        for (ULONG k = 0; k < p.n; ++k, ++i) {
            const Cell c = m.chain[m.off + from + i];
            values_[c] = v_.next();
            p.p[k] = values_[c];
        }
    }
}

HARNESS void Run::check_nb(const NbModel &m, const char *who, std::size_t index)
{
    char what[512];
    const NET_BUFFER *nb = m.nb;
    if (const char *why = geometry_error(nb)) {
        std::snprintf(what, sizeof what, "%s %zu: %s", who, index, why);
        fail(what);
    }
    if (nb->DataOffset != m.off || nb->DataLength != m.len) {
        std::snprintf(what, sizeof what, "%s %zu: DataOffset/DataLength %u/%u, model %u/%u", who,
                      index, nb->DataOffset, nb->DataLength, m.off, m.len);
        fail(what);
    }
    if (chain_bytes(nb->MdlChain) != m.chain.size()) {
        std::snprintf(what, sizeof what, "%s %zu: chain has %llu bytes, model %zu", who, index,
                      static_cast<unsigned long long>(chain_bytes(nb->MdlChain)), m.chain.size());
        fail(what);
    }
    PMDL walk = nb->MdlChain;
    for (std::size_t k = m.rstack.size(); k-- > 0;) {
        if (walk == nullptr || walk->ByteCount != m.rstack[k]) {
            std::snprintf(what, sizeof what, "%s %zu: retreat MDL %zu missing or wrong size", who,
                          index, k);
            fail(what);
        }
        walk = walk->Next;
    }
    if (walk != m.base) {
        std::snprintf(what, sizeof what, "%s %zu: chain does not continue with the base MDL", who,
                      index);
        fail(what);
    }
    for (std::size_t k = 0; k < m.fixed.size(); ++k, walk = walk->Next) {
        if (walk != m.fixed[k] || walk->ByteCount != m.fixed_sizes[k]) {
            std::snprintf(what, sizeof what, "%s %zu: original MDL chain changed (DS-34)", who,
                          index);
            fail(what);
        }
    }
    if (m.holding && nb->DataLength != 0 && nb->CurrentMdlOffset >= nb->CurrentMdl->ByteCount) {
        std::snprintf(what, sizeof what,
                      "%s %zu: DS-04: CurrentMdl does not hold the first used byte", who, index);
        fail(what);
    }
    if (!chain_pieces(nb->MdlChain, nb->DataOffset, nb->DataLength, pieces_)) {
        std::snprintf(what, sizeof what, "%s %zu: used bytes run past the chain", who, index);
        fail(what);
    }
    const Cell *cell = m.chain.data() + m.off;
    ULONG at = 0;
    for (const Piece &p : pieces_) {
        for (ULONG k = 0; k < p.n; ++k, ++at) {
            if (p.p[k] != values_[cell[at]]) {
                std::snprintf(what, sizeof what, "%s %zu: byte %u of %u is 0x%02x, model 0x%02x",
                              who, index, at, m.len, p.p[k], values_[cell[at]]);
                fail(what);
            }
        }
    }
}

HARNESS void Run::check_all()
{
    PNET_BUFFER walk = nbl_->FirstNetBuffer;
    for (std::size_t i = 0; i < main_.size(); ++i) {
        if (walk != main_[i].m.nb)
            fail("main NBL's NB list changed");
        walk = walk->Next;
        check_nb(main_[i].m, "NB", i);
    }
    if (walk != nullptr)
        fail("main NBL has extra NBs");
    for (const Derived &d : derived_) {
        PNET_BUFFER w = d.nbl->FirstNetBuffer;
        for (std::size_t j = 0; j < d.nbs.size(); ++j) {
            if (w != d.nbs[j].nb)
                fail("derived NB list changed");
            w = w->Next;
            check_nb(d.nbs[j],
                     d.kind == Kind::fragment      ? "fragment NB"
                     : d.kind == Kind::reassembled ? "reassembled NB"
                                                   : "clone NB",
                     j);
        }
        if (w != nullptr)
            fail("derived NBL has extra NBs");
    }
    std::int64_t handler_mdls = 0;
    for (const MainNb &mn : main_)
        handler_mdls += std::count(mn.m.rhandler.begin(), mn.m.rhandler.end(), true);
    if (handler_mdls != g_handlers.live)
        fail("DS-33: NetAllocateMdl MDLs alive != those on the NBs");
}

HARNESS void Run::check_guards()
{
    for (const MainNb &mn : main_) {
        std::size_t at = 0;
        for (const auto &[start, size] : mn.data_ranges) {
            for (; at < start; ++at)
                if (mn.memory[at] != kGuardByte)
                    fail("guard byte overwritten");
            at = start + size;
        }
        for (; at < mn.memory_size; ++at)
            if (mn.memory[at] != kGuardByte)
                fail("guard byte overwritten");
    }
}

// ================================ model transitions
// ================================================

HARNESS void Run::model_retreat(NbModel &m, ULONG delta, ULONG backfill, PMDL old_head,
                                bool handler, bool check_request)
{
    if (delta == 0)
        return;
    if (m.off >= delta) {
        m.off -= delta;
        m.len += delta;
        m.holding = true;
        return;
    }
    const ULONG d = m.off;
    const std::uint64_t size = std::uint64_t{m.nb->DataOffset} + delta - d;
    PMDL head = m.nb->MdlChain;
    if (head == old_head || head == nullptr || head->Next != old_head || head->ByteCount != size) {
        fail("DS-32: retreat beyond the unused space did not push one new MDL of the implied size");
    }
    if (size < std::uint64_t{delta} + backfill)
        fail("DS-32: new MDL smaller than DataOffsetDelta + DataBackFill");
    if (check_request && g_handlers.last_request != delta + backfill)
        fail("DS-32: NetAllocateMdl asked for the wrong size");
    std::vector<Cell> cells;
    cells.reserve(size + m.chain.size());
    for (std::uint64_t k = 0; k < size; ++k)
        cells.push_back(fresh_cell());
    cells.insert(cells.end(), m.chain.begin(), m.chain.end());
    m.chain = std::move(cells);
    m.rstack.push_back(static_cast<ULONG>(size));
    m.rhandler.push_back(handler);
    m.off = static_cast<ULONG>(size) - (delta - d);
    m.len += delta;
    m.holding = true;
}

HARNESS ULONG Run::popped_bytes(const NbModel &m, ULONG delta, bool free_mdl) const
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

HARNESS std::size_t Run::handler_pops(const NbModel &m, ULONG delta, bool free_mdl) const
{
    std::size_t n = 0;
    ULONG off = m.off + delta;
    for (std::size_t k = m.rstack.size(); free_mdl && k-- > 0 && m.rstack[k] <= off;) {
        off -= m.rstack[k];
        n += m.rhandler[k] ? 1 : 0;
    }
    return n;
}

HARNESS void Run::model_advance(NbModel &m, ULONG delta, bool free_mdl)
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

HARNESS void Run::make_unpinned(const NbModel &m, ULONG bytes)
{
    bool pinned = false;
    for (ULONG k = 0; k < bytes && !pinned; ++k)
        pinned = pins_[m.chain[k]] != 0;
    if (!pinned)
        return;
    std::vector<char> mark(values_.size(), 0);
    for (ULONG k = 0; k < bytes; ++k)
        mark[m.chain[k]] = 1;
    for (bool again = true; again;) {
        again = false;
        for (const Derived &d : derived_) {
            if (std::any_of(d.pinned.begin(), d.pinned.end(),
                            [&](Cell c) { return mark[c] != 0; })) {
                free_derived(d.id);
                again = true;
                break;
            }
        }
    }
}

// ================================ operations
// =======================================================

NbModel *Run::pick_nb(bool retreatable_only)
{
    std::vector<NbModel *> all;
    for (MainNb &mn : main_)
        all.push_back(&mn.m);
    for (Derived &d : derived_) {
        for (NbModel &m : d.nbs) {
            if (!retreatable_only || m.retreatable)
                all.push_back(&m);
        }
    }
    return all[r_.below(all.size())];
}

void Run::op_get_data_buffer()
{
    NbModel &m = *pick_nb(false);
    if (!m.retreatable || m.len == 0 || !r_.chance(25))
        return get_data_buffer(m);
    // A window at offset k: advance k without freeing, read, retreat k back (DS-34).
    const ULONG k = r_.range(1, m.len);
    const PMDL head = m.nb->MdlChain;
    note("window at +%u", k);
    NdisAdvanceNetBufferDataStart(m.nb, k, FALSE, nullptr);
    model_advance(m, k, false);
    get_data_buffer(m);
    if (NdisRetreatNetBufferDataStart(m.nb, k, 0, nullptr) != NDIS_STATUS_SUCCESS ||
        m.nb->MdlChain != head) {
        fail("DS-32: retreat into the unused space failed or changed the chain");
    }
    model_retreat(m, k, 0, head, false, false);
    expect_no_reports("window");
}

void Run::get_data_buffer(NbModel &m)
{
    const ULONG n = r_.chance(10) ? m.len + r_.range(1, 3) : r_.range(0, m.len);
    const unsigned shift = r_.chance(50) ? 0 : r_.range(1, 13);
    const UINT multiple = 1u << shift;
    const UINT offset = r_.below(multiple);
    const unsigned storage_kind = r_.below(4);
    scratch_.assign(std::size_t{n} + 2 * 8192 + 64, 0xCD);
    std::uint8_t *storage = nullptr;
    if (storage_kind != 0) {
        auto addr = reinterpret_cast<std::uintptr_t>(scratch_.data());
        addr += (offset + multiple - addr % multiple) % multiple;
        storage = reinterpret_cast<std::uint8_t *>(addr);
        if (storage_kind == 1 && multiple > 1)
            storage += 1;
    }
    std::vector<Piece> first;
    std::uint8_t *direct = nullptr;
    ULONG run = 0;
    if (chain_pieces(m.nb->MdlChain, m.nb->DataOffset, 1, first)) {
        direct = first[0].p;
        std::vector<Piece> rest;
        if (m.len != 0 && chain_pieces(m.nb->MdlChain, m.nb->DataOffset, m.len, rest))
            run = rest[0].n;
    }
    note("NdisGetDataBuffer(n %u, align %u/%u, storage %u) len %u", n, multiple, offset,
         storage_kind, m.len);
    auto *p = static_cast<std::uint8_t *>(NdisGetDataBuffer(m.nb, n, storage, multiple, offset));
    expect_no_reports("NdisGetDataBuffer");
    // NdisQueryNetBufferPhysicalCount: the pages spanned by each MDL piece of the used data.
    if (chain_pieces(m.nb->MdlChain, m.nb->DataOffset, m.len, pieces_)) {
        ULONG pages = 0;
        for (const Piece &piece : pieces_)
            pages += ADDRESS_AND_SIZE_TO_SPAN_PAGES(piece.p, piece.n);
        if (NdisQueryNetBufferPhysicalCount(m.nb) != pages)
            fail("NdisQueryNetBufferPhysicalCount differs from the pages the used data spans");
        expect_no_reports("NdisQueryNetBufferPhysicalCount");
    }
    auto aligned = [&](const void *q) {
        return reinterpret_cast<std::uintptr_t>(q) % multiple == offset;
    };
    if (n > m.len) {
        if (p != nullptr)
            fail("DS-30: BytesNeeded > DataLength but not NULL");
        return;
    }
    if (n == 0) {
        if (p != nullptr && p != direct && p != storage)
            fail("DS-30: n 0: stray pointer");
        return;
    }
    if (n <= run && aligned(direct)) {
        if (p != direct)
            fail("DS-30: contiguous aligned data not returned in place");
    } else if (storage != nullptr && aligned(storage)) {
        if (p != storage)
            fail("DS-30: storage not used");
        if (scratch_[(storage - scratch_.data()) + n] != 0xCD)
            fail("DS-30: wrote past BytesNeeded");
    } else if (p != nullptr) {
        fail("DS-30/31: not NULL without aligned contiguous data or aligned storage");
    }
    if (p != nullptr) {
        if (!aligned(p))
            fail("DS-31: returned address violates the alignment");
        if (std::vector<std::uint8_t>(p, p + n) != model_bytes(m, 0, n))
            fail("DS-30: bytes differ from the model");
    }
}

void Run::op_retreat()
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
        break;
    case 1:
        delta = m.off + r_.range(1, 32);
        break;
    case 2:
        delta = r_.range(0, 64);
        break;
    default:
        delta = r_.range(0, 2000);
        break;
    }
    const ULONG backfill = r_.chance(30) ? 0 : r_.range(0, 1024);
    g_handlers.extra = r_.chance(50) ? 0 : r_.range(1, 16);
    const bool inject = delta > m.off && maybe_inject();
    const PMDL old_head = m.nb->MdlChain;
    const PMDL old_current = m.nb->CurrentMdl;
    const ULONG old_cmo = m.nb->CurrentMdlOffset;
    note("retreat %s NB by %u backfill %u (off %u len %u)%s", is_main ? "main" : "clone", delta,
         backfill, m.off, m.len, inject ? " INJECT" : "");
    if (inject) {
        if (handler)
            g_handlers.fail_countdown = 0;
        else
            arm(0);
    }
    const NDIS_STATUS st =
        NdisRetreatNetBufferDataStart(m.nb, delta, backfill, handler ? &FuzzAllocateMdl : nullptr);
    disarm();
    expect_no_reports("NdisRetreatNetBufferDataStart");
    if (inject) {
        if (st != NDIS_STATUS_RESOURCES)
            fail("DS-32: injected failure did not return RESOURCES");
        if (m.nb->MdlChain != old_head || m.nb->CurrentMdl != old_current ||
            m.nb->CurrentMdlOffset != old_cmo) {
            fail("DS-32: a failed retreat changed the NB");
        }
        return;
    }
    if (st != NDIS_STATUS_SUCCESS)
        fail("DS-32: retreat failed");
    if (delta == 0)
        return;
    model_retreat(m, delta, backfill, old_head, handler, handler);
    write_fresh(m, 0, delta);
}

void Run::op_advance()
{
    NbModel &m = *pick_nb(true);
    const bool is_main = !m.fixed.empty();
    const ULONG delta = r_.chance(20) ? m.len : r_.range(0, m.len);
    const bool free_mdl = r_.chance(60);
    const bool pass_handler = (is_main && handler_mode_) || r_.chance(30);
    make_unpinned(m, popped_bytes(m, delta, free_mdl));
    const std::size_t want_frees = handler_pops(m, delta, free_mdl);
    const int frees_before = g_handlers.frees;
    note("advance %s NB by %u%s (off %u len %u)", is_main ? "main" : "clone", delta,
         free_mdl ? " FreeMdl" : "", m.off, m.len);
    NdisAdvanceNetBufferDataStart(m.nb, delta, free_mdl ? TRUE : FALSE,
                                  pass_handler ? &FuzzFreeMdl : nullptr);
    expect_no_reports("NdisAdvanceNetBufferDataStart");
    model_advance(m, delta, free_mdl);
    if (static_cast<std::size_t>(g_handlers.frees - frees_before) != want_frees)
        fail("DS-33: NetFreeMdl call count");
}

void Run::op_nbl_retreat()
{
    ULONG max_len = 0;
    for (const MainNb &mn : main_)
        max_len = std::max(max_len, mn.m.len);
    if (max_len >= kMaxLen)
        return op_nbl_advance();
    const ULONG delta = r_.chance(50) ? r_.range(0, 24) : r_.range(0, 600);
    const ULONG backfill = r_.chance(30) ? 0 : r_.range(0, 128);
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
    for (const MainNb &mn : main_) {
        const NET_BUFFER *nb = mn.m.nb;
        saved.push_back({nb->MdlChain, nb->CurrentMdl, nb->CurrentMdlOffset});
    }
    note("NBL retreat by %u backfill %u (%u allocate)%s skip %u", delta, backfill, allocating,
         inject ? " INJECT" : "", skip);
    if (inject) {
        if (handler_mode_)
            g_handlers.fail_countdown = static_cast<int>(skip);
        else
            arm(skip);
    }
    const NDIS_STATUS st = NdisRetreatNetBufferListDataStart(
        nbl_, delta, backfill, handler_mode_ ? &FuzzAllocateMdl : nullptr,
        handler_mode_ ? &FuzzFreeMdl : nullptr);
    disarm();
    expect_no_reports("NdisRetreatNetBufferListDataStart");
    if (inject) {
        if (st != NDIS_STATUS_RESOURCES)
            fail("DS-36: injected failure did not return RESOURCES");
        for (std::size_t i = 0; i < main_.size(); ++i) {
            const NET_BUFFER *nb = main_[i].m.nb;
            if (nb->MdlChain != saved[i].chain || nb->DataOffset != main_[i].m.off ||
                nb->DataLength != main_[i].m.len || nb->CurrentMdl != saved[i].current ||
                nb->CurrentMdlOffset != saved[i].cmo) {
                fail("DS-36: a failed NdisRetreatNetBufferListDataStart changed NB " +
                     std::to_string(i));
            }
        }
        return;
    }
    if (st != NDIS_STATUS_SUCCESS)
        fail("DS-36: NBL retreat failed");
    if (delta == 0)
        return;
    for (std::size_t i = 0; i < main_.size(); ++i)
        model_retreat(main_[i].m, delta, backfill, saved[i].chain, handler_mode_, false);
    for (MainNb &mn : main_)
        write_fresh(mn.m, 0, delta);
}

void Run::op_nbl_advance()
{
    ULONG min_len = MAXULONG;
    for (const MainNb &mn : main_)
        min_len = std::min(min_len, mn.m.len);
    const ULONG delta = r_.range(0, min_len);
    const bool free_mdl = r_.chance(60);
    for (const MainNb &mn : main_)
        make_unpinned(mn.m, popped_bytes(mn.m, delta, free_mdl));
    note("NBL advance by %u%s", delta, free_mdl ? " FreeMdl" : "");
    NdisAdvanceNetBufferListDataStart(nbl_, delta, free_mdl ? TRUE : FALSE,
                                      handler_mode_ ? &FuzzFreeMdl : nullptr);
    expect_no_reports("NdisAdvanceNetBufferListDataStart");
    for (MainNb &mn : main_)
        model_advance(mn.m, delta, free_mdl);
}

void Run::op_adjust()
{
    NbModel &m = main_[r_.below(main_.size())].m;
    PNET_BUFFER nb = m.nb;
    const unsigned variant = r_.below(4);
    if (variant == 1 && m.len != 0) {
        const ULONG k = r_.range(0, m.len);
        note("manual advance %u + NdisAdjustNetBufferCurrentMdl", k);
        nb->DataOffset += k;
        nb->DataLength -= k;
        NdisAdjustNetBufferCurrentMdl(nb);
        m.off += k;
        m.len -= k;
        m.holding = true;
        expect_no_reports("NdisAdjustNetBufferCurrentMdl");
        return;
    }
    if (variant == 2 && m.off != 0) {
        const ULONG k = r_.range(1, m.off);
        note("manual retreat %u + NdisAdjustNetBufferCurrentMdl", k);
        nb->DataOffset -= k;
        nb->DataLength += k;
        NdisAdjustNetBufferCurrentMdl(nb);
        m.off -= k;
        m.len += k;
        m.holding = true;
        expect_no_reports("NdisAdjustNetBufferCurrentMdl");
        write_fresh(m, 0, k);
        return;
    }
    std::vector<std::pair<PMDL, ULONG>> candidates;
    std::uint64_t start = 0;
    for (PMDL w = nb->MdlChain; w != nullptr; w = w->Next) {
        if (start <= nb->DataOffset && nb->DataOffset <= start + w->ByteCount) {
            candidates.emplace_back(w, static_cast<ULONG>(nb->DataOffset - start));
        }
        start += w->ByteCount;
    }
    const auto [mdl, offset] = candidates[r_.below(candidates.size())];
    nb->CurrentMdl = mdl;
    nb->CurrentMdlOffset = offset;
    if (variant == 3) {
        note("perturb CurrentMdl (%zu candidates) + adjust", candidates.size());
        NdisAdjustNetBufferCurrentMdl(nb);
        m.holding = true;
        expect_no_reports("NdisAdjustNetBufferCurrentMdl");
    } else {
        note("perturb CurrentMdl (%zu candidates)", candidates.size());
        m.holding = m.len == 0 || offset < mdl->ByteCount;
    }
}

void Run::op_clone()
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
    const unsigned skip = r_.below(12);
    note("clone%s pools %u%s skip %u", original ? " USE_ORIGINAL_MDLS" : "", pool_choice,
         inject ? " INJECT" : "", skip);
    if (inject)
        arm(skip);
    PNET_BUFFER_LIST c = NdisAllocateCloneNetBufferList(
        nbl_, nbl_pool, nb_pool, original ? NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS : 0);
    disarm();
    expect_no_reports("NdisAllocateCloneNetBufferList");
    if (c == nullptr) {
        if (!inject)
            fail("POOL-14: clone failed without an injected failure");
        return;
    }
    Derived d;
    d.id = next_id_++;
    d.kind = original ? Kind::clone_original_mdls : Kind::clone;
    d.nbl = c;
    d.parent_nbl = nbl_;
    if (c->Context != nullptr)
        fail("POOL-14: a clone has a context");
    PNET_BUFFER cnb = c->FirstNetBuffer;
    for (std::size_t i = 0; i < main_.size(); ++i, cnb = cnb->Next) {
        const NbModel &src = main_[i].m;
        if (cnb == nullptr)
            fail("POOL-14: clone has fewer NBs");
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
            if (cnb->MdlChain != src.nb->CurrentMdl)
                fail("POOL-14: USE_ORIGINAL_MDLS clone does not start at CurrentMdl");
            cm.chain.assign(src.chain.begin() + static_cast<std::ptrdiff_t>(start),
                            src.chain.end());
        } else {
            std::uint64_t covered = 0;
            std::size_t j = idx;
            for (PMDL w = cnb->MdlChain; w != nullptr; w = w->Next, ++j) {
                if (j >= src_mdls.size())
                    fail("POOL-14: clone has more MDLs than the source");
                if (std::find(src_mdls.begin(), src_mdls.end(), w) != src_mdls.end())
                    fail("POOL-14: clone reuses a source MDL");
                if (mdl_va(w) != mdl_va(src_mdls[j]) || w->ByteCount != src_mdls[j]->ByteCount) {
                    fail("POOL-14: clone MDL does not describe the source MDL's bytes");
                }
                covered += w->ByteCount;
            }
            if (covered < std::uint64_t{cmo} + src.len)
                fail("POOL-14: clone MDLs do not cover the data");
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
        fail("POOL-14: clone has more NBs");
    for (Cell cell : d.pinned)
        ++pins_[cell];
    c->ParentNetBufferList = nbl_;
    nbl_->ChildRefCount += 1;
    derived_.push_back(std::move(d));
}

void Run::op_fragment()
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
    const ULONG min_max = std::max<ULONG>(1, total / 32);
    const ULONG maximum = r_.range(min_max, std::max(min_max, longest + 8));
    const ULONG delta = r_.chance(30) ? 0 : r_.range(1, 128);
    const ULONG backfill = r_.chance(40) ? 0 : r_.range(0, 128);
    const unsigned pool_choice = r_.below(2);
    bool any = false;
    for (const MainNb &mn : main_)
        any = any || mn.m.len > start;
    const bool inject = any && maybe_inject();
    const unsigned skip = r_.below(16);
    note("fragment start %u max %u delta %u backfill %u%s skip %u", start, maximum, delta, backfill,
         inject ? " INJECT" : "", skip);
    if (inject)
        arm(skip);
    PNET_BUFFER_LIST f = NdisAllocateFragmentNetBufferList(
        nbl_, pool_choice ? pools_.nbl_a : nullptr, pool_choice ? pools_.nb : nullptr, start,
        maximum, delta, backfill, 0);
    disarm();
    if (!any) {
        if (f != nullptr)
            fail("POOL-18: nothing to fragment, yet an NBL");
        if (g_reports != reports_seen_ + 1)
            fail("POOL-18: expected exactly one report for nothing to fragment");
        reports_seen_ = g_reports;
        return;
    }
    expect_no_reports("NdisAllocateFragmentNetBufferList");
    if (f == nullptr) {
        if (!inject)
            fail("POOL-18: fragment failed without an injected failure");
        return;
    }
    Derived d;
    d.id = next_id_++;
    d.kind = Kind::fragment;
    d.nbl = f;
    d.delta = delta;
    d.parent_nbl = nbl_;
    if (f->Context != nullptr)
        fail("POOL-18: fragment NBL has a context");
    PNET_BUFFER fnb = f->FirstNetBuffer;
    for (const MainNb &mn : main_) {
        const NbModel &src = mn.m;
        if (src.len <= start)
            continue;
        for (ULONG at = start; at < src.len;) {
            const ULONG piece = std::min(maximum, src.len - at);
            if (fnb == nullptr)
                fail("POOL-18: fewer fragments than expected");
            NbModel fm;
            fm.nb = fnb;
            if (delta != 0) {
                if (fnb->DataOffset < backfill)
                    fail("POOL-18: less than DataBackFill unused bytes");
                const ULONG head = fnb->DataOffset + delta;
                for (ULONG k = 0; k < head; ++k)
                    fm.chain.push_back(fresh_cell());
                fm.rstack.push_back(head);
                fm.rhandler.push_back(false);
                fm.off = fnb->DataOffset;
                fm.base = fnb->MdlChain != nullptr ? fnb->MdlChain->Next : nullptr;
            } else {
                fm.base = fnb->MdlChain;
            }
            for (ULONG k = 0; k < piece; ++k) {
                fm.chain.push_back(src.chain[src.off + at + k]);
                d.pinned.push_back(src.chain[src.off + at + k]);
            }
            fm.len = delta + piece;
            if (fnb->DataLength != fm.len)
                fail("POOL-18: fragment DataLength");
            if (const char *why = geometry_error(fnb))
                fail(std::string("POOL-18: fragment geometry: ") + why);
            write_fresh(fm, 0, delta);
            d.nbs.push_back(std::move(fm));
            fnb = fnb->Next;
            at += piece;
        }
    }
    if (fnb != nullptr)
        fail("POOL-18: more fragments than expected");
    for (Cell cell : d.pinned)
        ++pins_[cell];
    f->ParentNetBufferList = nbl_;
    nbl_->ChildRefCount += 1;
    derived_.push_back(std::move(d));
}

void Run::op_reassemble()
{
    if (derived_.size() >= kMaxDerived)
        return op_free_derived();
    std::vector<Derived *> fragments;
    for (Derived &d : derived_)
        if (d.kind == Kind::fragment)
            fragments.push_back(&d);
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
    for (const NbModel *m : sources)
        longest = std::max(longest, m->len);
    const ULONG start = r_.chance(70)
                            ? r_.range(0, std::min<ULONG>(longest, from ? from->delta + 8 : 16))
                            : r_.range(0, longest + 2);
    const ULONG delta = r_.chance(30) ? 0 : r_.range(1, 128);
    const ULONG backfill = r_.chance(40) ? 0 : r_.range(0, 128);
    const bool own_pool = r_.chance(50);
    std::uint64_t rest = 0;
    for (const NbModel *m : sources)
        rest += m->len > start ? m->len - start : 0;
    const bool inject = rest != 0 && maybe_inject();
    const unsigned skip = r_.below(24);
    note("reassemble %s start %u delta %u backfill %u%s skip %u", from ? "fragment" : "main", start,
         delta, backfill, inject ? " INJECT" : "", skip);
    PNET_BUFFER_LIST source_nbl = from ? from->nbl : nbl_;
    const std::uint64_t parent_id = from ? from->id : 0;
    if (inject)
        arm(skip);
    PNET_BUFFER_LIST ra = NdisAllocateReassembledNetBufferList(
        source_nbl, own_pool ? pools_.nbl_b : nullptr, start, delta, backfill, 0);
    disarm();
    if (rest == 0) {
        if (ra != nullptr)
            fail("POOL-20: nothing to reassemble, yet an NBL");
        if (g_reports != reports_seen_ + 1)
            fail("POOL-20: expected exactly one report for nothing to reassemble");
        reports_seen_ = g_reports;
        return;
    }
    expect_no_reports("NdisAllocateReassembledNetBufferList");
    if (ra == nullptr) {
        if (!inject)
            fail("POOL-20: reassembly failed without an injected failure");
        return;
    }
    Derived d;
    d.id = next_id_++;
    d.kind = Kind::reassembled;
    d.nbl = ra;
    d.delta = delta;
    d.parent = parent_id;
    d.parent_nbl = source_nbl;
    if (ra->Context != nullptr)
        fail("POOL-20: reassembled NBL has a context");
    PNET_BUFFER rnb = ra->FirstNetBuffer;
    if (rnb == nullptr || rnb->Next != nullptr)
        fail("POOL-20: not exactly one NB");
    NbModel rm;
    rm.nb = rnb;
    if (delta != 0) {
        if (rnb->DataOffset < backfill)
            fail("POOL-20: less than DataBackFill unused bytes");
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
        fail("POOL-20: reassembled DataLength");
    if (const char *why = geometry_error(rnb))
        fail(std::string("POOL-20: reassembled geometry: ") + why);
    write_fresh(rm, 0, delta);
    d.nbs.push_back(std::move(rm));
    for (Cell cell : d.pinned)
        ++pins_[cell];
    ra->ParentNetBufferList = source_nbl;
    source_nbl->ChildRefCount += 1;
    derived_.push_back(std::move(d));
}

void Run::op_free_derived()
{
    if (derived_.empty())
        return op_get_data_buffer();
    free_derived(derived_[r_.below(derived_.size())].id); // leaks show at the end of the input
    expect_no_reports("free derived");
}

void Run::op_copy()
{
    NbModel &dst = *pick_nb(false);
    NbModel &src = *pick_nb(false);
    const ULONG doff = r_.chance(10) ? dst.len + r_.range(0, 2) : r_.range(0, dst.len);
    const ULONG soff = r_.chance(10) ? src.len + r_.range(0, 2) : r_.range(0, src.len);
    const ULONG n = r_.chance(30) ? r_.range(0, std::max(dst.len, src.len) + 4) : r_.range(0, 64);
    const ULONG sleft = soff < src.len ? src.len - soff : 0;
    const ULONG dleft = doff < dst.len ? dst.len - doff : 0;
    const ULONG want = std::min({n, sleft, dleft});
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
            return; // overlapping memory: not defined by DS-37
    }
    const std::vector<std::uint8_t> bytes = model_bytes(src, soff, want);
    note("copy %u bytes src+%u (len %u) -> dst+%u (len %u), expect %u", n, soff, src.len, doff,
         dst.len, want);
    ULONG copied = 0xDEADBEEF;
    const NDIS_STATUS st = NdisCopyFromNetBufferToNetBuffer(dst.nb, doff, n, src.nb, soff, &copied);
    expect_no_reports("NdisCopyFromNetBufferToNetBuffer");
    if (st != NDIS_STATUS_SUCCESS)
        fail("DS-37: copy failed");
    if (copied != want)
        fail("DS-37: BytesCopied " + std::to_string(copied) + ", expected " + std::to_string(want));
    for (ULONG k = 0; k < want; ++k)
        values_[dst.chain[dst.off + doff + k]] = bytes[k];
}

void Run::op_derived_round_trip()
{
    if (derived_.empty())
        return op_retreat();
    Derived &d = derived_[r_.below(derived_.size())];
    NbModel &m = d.nbs[r_.below(d.nbs.size())];
    const ULONG x = r_.range(1, 200);
    const ULONG backfill = r_.chance(50) ? 0 : r_.range(0, 64);
    const bool free_mdl = r_.chance(60);
    const bool inject = x > m.off && maybe_inject();
    const PMDL old_head = m.nb->MdlChain;
    note("round trip on derived #%llu by %u%s%s", static_cast<unsigned long long>(d.id), x,
         free_mdl ? " FreeMdl" : "", inject ? " INJECT" : "");
    if (inject)
        arm(0);
    const NDIS_STATUS st = NdisRetreatNetBufferDataStart(m.nb, x, backfill, nullptr);
    disarm();
    expect_no_reports("NdisRetreatNetBufferDataStart (derived)");
    if (inject) {
        if (st != NDIS_STATUS_RESOURCES || m.nb->MdlChain != old_head) {
            fail("DS-32: failed retreat of a derived NB changed something");
        }
        return;
    }
    if (st != NDIS_STATUS_SUCCESS)
        fail("DS-32: retreat of a derived NB failed");
    model_retreat(m, x, backfill, old_head, false, false);
    write_fresh(m, 0, x);
    check_nb(m, "derived NB after retreat", 0);
    NdisAdvanceNetBufferDataStart(m.nb, x, free_mdl ? TRUE : FALSE, nullptr);
    expect_no_reports("NdisAdvanceNetBufferDataStart (derived)");
    model_advance(m, x, free_mdl);
}

// DS-13 … DS-16. (ContextSize 0 is refused with a DS-16 report: see
// tests/unit/test_nbl_property.cpp, ContextSizeZeroKeepsItsBlockUntilItsOwnFree.)
void Run::op_context()
{
    const bool allocate = contexts_.empty() || (contexts_.size() < 8 && r_.chance(55));
    if (allocate) {
        const auto size = static_cast<USHORT>(8 * r_.range(1, 8));
        const auto backfill = static_cast<USHORT>(8 * r_.range(0, 8));
        const bool inject = maybe_inject();
        PNET_BUFFER_LIST_CONTEXT top = nbl_->Context;
        const USHORT top_offset = top != nullptr ? top->Offset : 0;
        const bool needs_block = top == nullptr || top->Offset < size;
        note("context allocate %u backfill %u%s", size, backfill, inject ? " INJECT" : "");
        if (inject)
            arm(0);
        const NDIS_STATUS st = NdisAllocateNetBufferListContext(nbl_, size, backfill, kTag);
        disarm();
        expect_no_reports("NdisAllocateNetBufferListContext");
        if (inject && needs_block) {
            if (st != NDIS_STATUS_RESOURCES)
                fail("DS-14: injected failure did not return RESOURCES");
            if (nbl_->Context != top || (top != nullptr && top->Offset != top_offset)) {
                fail("DS-14: failed context allocation changed the NBL");
            }
            return;
        }
        if (st != NDIS_STATUS_SUCCESS)
            fail("DS-14: context allocation failed");
        auto *p = NET_BUFFER_LIST_CONTEXT_DATA_START(nbl_);
        if (reinterpret_cast<std::uintptr_t>(p) % sizeof(void *) != 0)
            fail("DS-16: context not pointer-aligned");
        ContextEntry e{size, {}};
        for (USHORT k = 0; k < size; ++k) {
            e.bytes.push_back(v_.next());
            p[k] = e.bytes.back();
        }
        contexts_.push_back(std::move(e));
        return;
    }
    const ContextEntry &e = contexts_.back();
    note("context free %u", e.size);
    if (nbl_->Context == nullptr)
        fail("DS-15: context gone before its free");
    const auto *p = NET_BUFFER_LIST_CONTEXT_DATA_START(nbl_);
    if (std::vector<std::uint8_t>(p, p + e.size) != e.bytes)
        fail("DS-13: context bytes changed");
    NdisFreeNetBufferListContext(nbl_, e.size);
    expect_no_reports("NdisFreeNetBufferListContext");
    contexts_.pop_back();
}

// Corrupt mode: break one NB's geometry, call APIs on it, expect reports and no change, restore.
void Run::op_corrupt()
{
    const bool main_nb = derived_.empty() || r_.chance(70);
    NbModel *mp = nullptr;
    Derived *owner = nullptr;
    if (main_nb) {
        mp = &main_[r_.below(main_.size())].m;
    } else {
        owner = &derived_[r_.below(derived_.size())];
        mp = &owner->nbs[r_.below(owner->nbs.size())];
    }
    NbModel &m = *mp;
    PNET_BUFFER nb = m.nb;
    const PMDL saved_current = nb->CurrentMdl;
    const ULONG saved_cmo = nb->CurrentMdlOffset, saved_off = nb->DataOffset,
                saved_len = nb->DataLength;
    const std::uint64_t total = chain_bytes(nb->MdlChain);
    const unsigned how = r_.below(5);
    switch (how) {
    case 0: // CurrentMdl not on the chain (another chain's MDL, or the spare one)
        nb->CurrentMdl = r_.chance(50) || main_.size() < 2
                             ? spare_
                             : main_[r_.below(main_.size())].m.fixed.front();
        nb->CurrentMdlOffset = r_.range(0, nb->CurrentMdl->ByteCount);
        break;
    case 1:
        nb->DataOffset += r_.range(1, 64);
        break;
    case 2:
        nb->DataOffset -= std::min<ULONG>(nb->DataOffset, r_.range(1, 64));
        break;
    case 3:
        nb->DataLength = static_cast<ULONG>(std::min<std::uint64_t>(
            MAXULONG, total - std::min<std::uint64_t>(total, nb->DataOffset) + r_.range(1, 5000)));
        break;
    default:
        nb->CurrentMdlOffset = nb->CurrentMdl->ByteCount + r_.range(1, 64);
        break;
    }
    const char *why = geometry_error(nb);
    note("corrupt %s NB (%u): %s", main_nb ? "main" : "derived", how, why ? why : "(still valid)");
    auto restore = [&] {
        nb->CurrentMdl = saved_current;
        nb->CurrentMdlOffset = saved_cmo;
        nb->DataOffset = saved_off;
        nb->DataLength = saved_len;
    };
    if (why == nullptr) {
        restore();
        return;
    }
    struct Fields {
        PMDL chain, current;
        ULONG cmo, off, len;
        bool operator==(const Fields &) const = default;
    };
    auto fields = [&] {
        return Fields{nb->MdlChain, nb->CurrentMdl, nb->CurrentMdlOffset, nb->DataOffset,
                      nb->DataLength};
    };
    const Fields corrupt = fields();
    auto expect_report = [&](const char *api) {
        if (g_reports == reports_seen_)
            fail(std::string("no verifier report from ") + api + " on corrupt geometry (" + why +
                 ")");
        reports_seen_ = g_reports;
    };
    const unsigned calls = r_.range(1, 4);
    for (unsigned c = 0; c < calls; ++c) {
        const unsigned api = r_.below(main_nb ? 12 : 7);
        switch (api) {
        case 0: {
            std::uint8_t storage[64];
            void *p = NdisGetDataBuffer(nb, r_.range(0, 64), storage, 1, 0);
            expect_report("NdisGetDataBuffer");
            if (p != nullptr)
                fail("NdisGetDataBuffer on corrupt geometry returned data");
            break;
        }
        case 1: {
            const NDIS_STATUS st =
                NdisRetreatNetBufferDataStart(nb, r_.range(1, 300), r_.range(0, 64), nullptr);
            expect_report("NdisRetreatNetBufferDataStart");
            if (st == NDIS_STATUS_SUCCESS)
                fail("retreat on corrupt geometry succeeded");
            break;
        }
        case 2:
            NdisAdvanceNetBufferDataStart(nb, r_.range(0, 64), r_.chance(50) ? TRUE : FALSE,
                                          nullptr);
            expect_report("NdisAdvanceNetBufferDataStart");
            break;
        case 3: {
            NbModel &other = main_[r_.below(main_.size())].m;
            if (other.nb == nb)
                break;
            ULONG copied = 77;
            const bool as_source = r_.chance(50);
            const NDIS_STATUS st =
                as_source ? NdisCopyFromNetBufferToNetBuffer(other.nb, 0, 64, nb, 0, &copied)
                          : NdisCopyFromNetBufferToNetBuffer(nb, 0, 64, other.nb, 0, &copied);
            expect_report("NdisCopyFromNetBufferToNetBuffer");
            if (st == NDIS_STATUS_SUCCESS || copied != 0)
                fail("copy with corrupt geometry did something");
            break;
        }
        case 4:
            if (NdisQueryNetBufferPhysicalCount(nb) != 0)
                fail("physical count of corrupt NB not 0");
            expect_report("NdisQueryNetBufferPhysicalCount");
            break;
        case 5: {
            // DS-05: recomputes CurrentMdl from DataOffset; beyond the chain it reports instead.
            NdisAdjustNetBufferCurrentMdl(nb);
            if (nb->DataOffset > total) {
                expect_report("NdisAdjustNetBufferCurrentMdl (DataOffset beyond chain)");
                if (!(fields() == corrupt))
                    fail("DS-05: reported adjust changed the NB");
            } else {
                if (g_reports != reports_seen_)
                    reports_seen_ = g_reports;
                std::uint64_t before = 0;
                bool found = false;
                for (PMDL w = nb->MdlChain; w != nullptr && !found; w = w->Next) {
                    if (w == nb->CurrentMdl)
                        found = true;
                    else
                        before += w->ByteCount;
                }
                if (!found || before + nb->CurrentMdlOffset != nb->DataOffset ||
                    nb->CurrentMdlOffset > nb->CurrentMdl->ByteCount) {
                    fail("DS-05: NdisAdjustNetBufferCurrentMdl left an inconsistent position");
                }
            }
            // Put the corruption back for the next call.
            nb->CurrentMdl = corrupt.current;
            nb->CurrentMdlOffset = corrupt.cmo;
            break;
        }
        case 6:
            if (owner != nullptr) {
                // Free the derived NBL while its NB is corrupt: no crash, no leak.
                const std::uint64_t id = owner->id;
                owner = nullptr;
                free_derived(id);
                reports_seen_ = g_reports;
                note("  freed derived NBL with corrupt NB");
                return;
            }
            break;
        case 7:
        case 8:
        case 9: {
            // Derivations from an NBL with a corrupt NB: NULL (reported) or a derived NBL that is
            // freed at once (its bytes are not checkable).
            PNET_BUFFER_LIST dn = nullptr;
            const ULONG delta = r_.range(0, 32);
            const ULONG flags = r_.chance(50) ? NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS : 0;
            if (api == 7)
                dn = NdisAllocateCloneNetBufferList(nbl_, nullptr, nullptr, flags);
            else if (api == 8)
                dn = NdisAllocateFragmentNetBufferList(nbl_, nullptr, nullptr, r_.range(0, 16),
                                                       r_.range(1, 512), delta, r_.range(0, 16), 0);
            else
                dn = NdisAllocateReassembledNetBufferList(nbl_, nullptr, r_.range(0, 16), delta,
                                                          r_.range(0, 16), 0);
            reports_seen_ = g_reports;
            if (dn == nullptr) {
                break;
            }
            if (api == 7)
                NdisFreeCloneNetBufferList(dn, flags);
            else if (api == 8)
                NdisFreeFragmentNetBufferList(dn, delta, 0);
            else
                NdisFreeReassembledNetBufferList(dn, delta, 0);
            reports_seen_ = g_reports;
            break;
        }
        case 10: {
            // DS-36: the NBL retreat checks every NB before it changes any: a corrupt one fails
            // the call and every NB stays as it was.
            std::vector<Fields> before;
            for (const MainNb &mn : main_) {
                const NET_BUFFER *x = mn.m.nb;
                before.push_back({x->MdlChain, x->CurrentMdl, x->CurrentMdlOffset, x->DataOffset,
                                  x->DataLength});
            }
            const NDIS_STATUS st = NdisRetreatNetBufferListDataStart(
                nbl_, r_.range(1, 300), r_.range(0, 64), handler_mode_ ? &FuzzAllocateMdl : nullptr,
                handler_mode_ ? &FuzzFreeMdl : nullptr);
            expect_report("NdisRetreatNetBufferListDataStart");
            if (st == NDIS_STATUS_SUCCESS)
                fail("NBL retreat with a corrupt NB succeeded");
            for (std::size_t i = 0; i < main_.size(); ++i) {
                const NET_BUFFER *x = main_[i].m.nb;
                if (!(Fields{x->MdlChain, x->CurrentMdl, x->CurrentMdlOffset, x->DataOffset,
                             x->DataLength} == before[i]))
                    fail("DS-36: NBL retreat that failed on a corrupt NB changed NB " +
                         std::to_string(i));
            }
            break;
        }
        case 11: {
            // DS-36: NBL advance applies to every NB; the corrupt one reports and stays.
            ULONG min_len = MAXULONG;
            for (const MainNb &mn : main_)
                if (mn.m.nb != nb)
                    min_len = std::min(min_len, mn.m.len);
            const ULONG delta = min_len == MAXULONG ? 0 : r_.range(0, min_len);
            NdisAdvanceNetBufferListDataStart(nbl_, delta, FALSE, nullptr);
            expect_report("NdisAdvanceNetBufferListDataStart");
            for (MainNb &mn : main_)
                if (mn.m.nb != nb)
                    model_advance(mn.m, delta, false);
            break;
        }
        default:
            break;
        }
        if (api != 5 && !(fields() == corrupt))
            fail(std::string("API changed an NB with corrupt geometry (") + why + ")");
    }
    restore();
}

// Corrupt mode: rule breaks on valid NBs (bad parameters, NULL arguments, a misbehaving
// NetAllocateMdl, wrong flags): each must be reported and change nothing.
void Run::op_misuse()
{
    NbModel &m = main_[r_.below(main_.size())].m;
    PNET_BUFFER nb = m.nb;
    auto expect_report = [&](const char *api) {
        if (g_reports == reports_seen_)
            fail(std::string("no verifier report from misuse of ") + api);
        reports_seen_ = g_reports;
    };
    const unsigned what = r_.below(10);
    note("misuse %u", what);
    switch (what) {
    case 0: { // DS-31: AlignMultiple not a power of two in [1, 8192], or AlignOffset too big
        static const UINT multiples[] = {0, 3, 12, 16384, 8};
        const UINT multiple = multiples[r_.below(std::size(multiples))];
        const UINT offset = multiple == 8 ? r_.range(8, 100) : 0;
        std::uint8_t storage[64];
        if (NdisGetDataBuffer(nb, r_.range(0, 64), storage, multiple, offset) != nullptr)
            fail("DS-31: bad alignment parameters, yet not NULL");
        expect_report("NdisGetDataBuffer");
        break;
    }
    case 1: // DS-32 / DS-07: DataLength + delta overflows a ULONG (needs DataLength >= 1)
        if (m.len == 0)
            break;
        if (NdisRetreatNetBufferDataStart(
                nb, MAXULONG - m.len + r_.range(1, std::min<ULONG>(m.len, 16)), 0, nullptr) ==
            NDIS_STATUS_SUCCESS)
            fail("DS-32: overflowing retreat succeeded");
        expect_report("NdisRetreatNetBufferDataStart");
        break;
    case 2: // DS-33: advance beyond DataLength
        NdisAdvanceNetBufferDataStart(nb, m.len + r_.range(1, 64), r_.chance(50) ? TRUE : FALSE,
                                      nullptr);
        expect_report("NdisAdvanceNetBufferDataStart");
        break;
    case 3: { // VER-03: NULL arguments
        std::uint8_t storage[8];
        ULONG copied = 5;
        switch (r_.below(6)) {
        case 0:
            (void)NdisGetDataBuffer(nullptr, 1, storage, 1, 0);
            break;
        case 1:
            (void)NdisRetreatNetBufferDataStart(nullptr, 4, 0, nullptr);
            break;
        case 2:
            NdisAdvanceNetBufferDataStart(nullptr, 0, TRUE, nullptr);
            break;
        case 3:
            NdisAdjustNetBufferCurrentMdl(nullptr);
            break;
        case 4:
            (void)NdisCopyFromNetBufferToNetBuffer(nb, 0, 4, nullptr, 0, &copied);
            break;
        default:
            (void)NdisRetreatNetBufferListDataStart(nullptr, 4, 0, nullptr, nullptr);
            break;
        }
        expect_report("a NULL argument");
        break;
    }
    case 4: { // DS-32: a NetAllocateMdl that returns less than needed; the MDL stays the driver's
        if (m.len >= kMaxLen)
            break;
        const ULONG delta = m.off + r_.range(1, 64);
        const PMDL head = nb->MdlChain;
        g_handlers.short_mdl = true;
        g_handlers.last = nullptr;
        const NDIS_STATUS st = NdisRetreatNetBufferDataStart(nb, delta, 0, &FuzzAllocateMdl);
        g_handlers.short_mdl = false;
        expect_report("NdisRetreatNetBufferDataStart (short NetAllocateMdl)");
        if (st == NDIS_STATUS_SUCCESS || nb->MdlChain != head)
            fail("DS-32: a too-small NetAllocateMdl MDL was used");
        if (g_handlers.last != nullptr)
            FuzzFreeMdl(g_handlers.last); // not linked: still the driver's
        break;
    }
    case 5: // POOL-14: clone flags other than USE_ORIGINAL_MDLS
        if (NdisAllocateCloneNetBufferList(
                nbl_, nullptr, nullptr, NDIS_CLONE_FLAGS_RESERVED | (r_.below(4) << 4)) != nullptr)
            fail("POOL-14: bad clone flags accepted");
        expect_report("NdisAllocateCloneNetBufferList");
        break;
    case 6: { // POOL-18: MaximumLength 0, or flags != 0
        const bool zero_max = r_.chance(50);
        if (NdisAllocateFragmentNetBufferList(nbl_, nullptr, nullptr, 0, zero_max ? 0 : 64, 0, 0,
                                              zero_max ? 0 : r_.range(1, 255)) != nullptr)
            fail("POOL-18: bad fragment parameters accepted");
        expect_report("NdisAllocateFragmentNetBufferList");
        break;
    }
    case 7: // POOL-20: reassembly flags != 0
        if (NdisAllocateReassembledNetBufferList(nbl_, nullptr, 0, 0, 0, r_.range(1, 255)) !=
            nullptr)
            fail("POOL-20: reassembly flags accepted");
        expect_report("NdisAllocateReassembledNetBufferList");
        break;
    case 8: { // POOL-15: freed with the other clone flags: reported, freed by the recorded flags
        const ULONG flags = r_.chance(50) ? NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS : 0;
        PNET_BUFFER_LIST c = NdisAllocateCloneNetBufferList(nbl_, nullptr, nullptr, flags);
        if (c == nullptr)
            fail("clone failed");
        NdisFreeCloneNetBufferList(c, flags ^ NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS);
        expect_report("NdisFreeCloneNetBufferList (mismatched flags)");
        break;
    }
    default: // DS-15: free without a matching allocation
        if (nbl_->Context == nullptr) {
            NdisFreeNetBufferListContext(nbl_, 8);
            expect_report("NdisFreeNetBufferListContext");
        }
        break;
    }
}

void Run::go()
{
    // Every input must leave the runtime exactly as the first one found it (a leak is a finding).
    static const OPENNDIS_STATS baseline = stats_now();
    start_ = baseline;
    reports_seen_ = g_reports;
    pools_ = make_pools();
    build();
    using Op = void (Run::*)();
    struct Weighted {
        unsigned weight;
        Op op;
    };
    static const Weighted ops[] = {
        {10, &Run::op_get_data_buffer},
        {10, &Run::op_retreat},
        {10, &Run::op_advance},
        {5, &Run::op_nbl_retreat},
        {5, &Run::op_nbl_advance},
        {7, &Run::op_adjust},
        {6, &Run::op_clone},
        {6, &Run::op_fragment},
        {5, &Run::op_reassemble},
        {6, &Run::op_free_derived},
        {8, &Run::op_copy},
        {5, &Run::op_derived_round_trip},
        {5, &Run::op_context},
        {8, &Run::op_corrupt},
        {4, &Run::op_misuse},
    };
    // The last two (rule breaks) only in corrupt mode.
    const std::size_t count = corrupt_mode_ ? std::size(ops) : std::size(ops) - 2;
    unsigned total = 0;
    for (std::size_t i = 0; i < count; ++i)
        total += ops[i].weight;
    for (step_ = 1; step_ <= kMaxOps && !r_.empty(); ++step_) {
        unsigned pick = r_.below(total);
        std::size_t chosen = 0;
        for (; chosen + 1 < count && pick >= ops[chosen].weight; ++chosen)
            pick -= ops[chosen].weight;
        const Op op = ops[chosen].op;
        (this->*op)();
        check_all();
    }
    teardown();
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    g_trace = std::getenv("OPENNDIS_FUZZ_TRACE") != nullptr;
    OpenNdisVerifierSetAction(OpenNdisVerifierCount); // expected reports must not print
    OpenNdisVerifierSetSink(&CountingSink, nullptr, nullptr);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Run(data, size).go();
    return 0;
}
