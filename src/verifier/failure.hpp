// verifier/failure.hpp — the closed list of rule breaks OpenNDIS detects at run time.
//
// One enumerator per rule, each with a stable number, a short name and the SPEC ID it enforces.
// Reports go through verifier::report() (verifier.hpp); the action (count / log / abort) and the
// sink are set through the embedding API (openndis/runtime.h). Add new failures at the end of the
// list and never renumber: tests and tools refer to the numbers.
#pragma once

#include <cstdint>
#include <string_view>

namespace ndis::verifier {

#define OPENNDIS_FAILURES(X)                                                                    \
    X(pool_bad_parameters, 1, "POOL-02")           /* pool parameters rejected */               \
    X(pool_bad_header, 2, "POOL-01")               /* Header type/revision/size wrong */        \
    X(pool_invalid_handle, 3, "POOL-03")           /* NULL or unknown pool handle */            \
    X(pool_freed_with_objects, 4, "POOL-10")       /* one report per object still out */        \
    X(pool_wrong_kind, 5, "POOL-06")               /* API not legal on this pool's kind */      \
    X(nb_pool_wrong_kind, 6, "POOL-11")            /* NB API not legal on this pool's kind */   \
    X(nbl_foreign, 7, "DS-27")                     /* NBL not allocated from an NDIS pool */    \
    X(nb_foreign, 8, "DS-27")                      /* NB not allocated from an NDIS pool */     \
    X(nbl_double_free, 9, "POOL-08")               /* NBL freed when not allocated */           \
    X(nb_double_free, 10, "POOL-11")               /* NB freed when not allocated */            \
    X(prealloc_freed_individually, 11, "POOL-09")  /* NB/MDL preallocated with an NBL */        \
    X(mdl_foreign_free, 12, "VER-05")              /* NdisFreeMdl on an MDL it did not make */  \
    X(mdl_double_free, 13, "VER-05")               /* MDL freed twice */                        \
    X(mdl_null_with_length, 14, "POOL-06")         /* MdlChain NULL but offset/length != 0 */   \
    X(nb_geometry_invalid, 15, "DS-04")            /* CurrentMdl/Offset/DataOffset disagree */  \
    X(nb_data_beyond_chain, 16, "DS-03")           /* DataOffset+DataLength > chain size */     \
    X(context_size_unaligned, 17, "DS-16")         /* context amount not a multiple */          \
    X(context_free_mismatch, 18, "DS-15")          /* free without matching allocate */         \
    X(context_base_freed, 19, "DS-17")             /* freed the context reserved at alloc */    \
    X(context_leaked_at_free, 20, "DS-17")         /* NBL freed with added context */           \
    X(nbl_context_unaligned, 21, "POOL-05")        /* NBL ContextSize/BackFill not aligned */   \
    X(clone_flags_mismatch, 22, "POOL-15")         /* free flags differ from allocate flags */  \
    X(clone_free_wrong_api, 23, "POOL-15")         /* NBL not a clone / wrong free function */  \
    X(fragment_bad_parameters, 24, "POOL-18")      /* flags != 0, MaximumLength 0, … */         \
    X(reassembly_bad_parameters, 25, "POOL-20")    /* flags != 0, pool not kind (b), … */       \
    X(parent_freed_with_children, 26, "POOL-16")   /* ChildRefCount != 0 at free */             \
    X(get_data_buffer_bad_alignment, 27, "DS-31")  /* AlignMultiple/AlignOffset invalid */      \
    X(advance_beyond_data, 28, "DS-33")            /* advance delta > DataLength */             \
    X(retreat_bad_parameters, 29, "DS-32")         /* delta would overflow, … */                \
    X(copy_bad_parameters, 30, "DS-37")            /* NULL NB or out-of-range offsets */        \
    X(nbl_flags_inconsistent, 31, "DS-19")         /* IS_IPV4+IS_IPV6, TCP without IP, … */     \
    X(reassembly_free_wrong_api, 32, "POOL-20")    /* NBL not from reassembly */                \
    X(fragment_free_wrong_api, 33, "POOL-19")      /* NBL not from fragment */                  \
    X(null_argument, 34, "VER-03")                 /* required pointer argument NULL */         \
    X(clone_bad_flags, 35, "POOL-14")              /* AllocateCloneFlags has unknown bits */     \
    X(nb_pool_bad_parameters, 36, "POOL-11")       /* NB pool header / parameters rejected */    \
    X(nb_mdl_null_with_length, 37, "POOL-11")      /* NdisAllocateNetBuffer: NULL MDL, len != 0 */

enum class failure : std::uint16_t {
#define OPENNDIS_FAILURE_ENUM(name, number, spec) name = number,
    OPENNDIS_FAILURES(OPENNDIS_FAILURE_ENUM)
#undef OPENNDIS_FAILURE_ENUM
};

struct failure_info {
    failure code;
    std::string_view name;
    std::string_view spec_id;
};

// Name and SPEC ID of a failure code (constexpr table lookup).
constexpr failure_info describe(failure f)
{
    switch (f) {
#define OPENNDIS_FAILURE_CASE(name, number, spec) \
    case failure::name:                          \
        return {failure::name, #name, spec};
        OPENNDIS_FAILURES(OPENNDIS_FAILURE_CASE)
#undef OPENNDIS_FAILURE_CASE
    }
    return {f, "unknown", "?"};
}

} // namespace ndis::verifier
