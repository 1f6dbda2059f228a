#!/usr/bin/env bash
# check_headers.sh — every public header compiles on its own (STYLE.md principle 12).
#
# Usage: check_headers.sh [INCLUDE_DIR]        (default: include/ of this repository)
#
# Finds every *.h (and *.hpp, C++ only) under INCLUDE_DIR at run time, so headers added later are
# covered, and compiles a translation unit that includes it twice (the second include checks the
# include guard) with each compiler:
#     C11:   gcc, clang          -std=c11
#     C++20: g++, clang++        -std=c++20
# all with -Wall -Wextra -Werror -fsyntax-only -I INCLUDE_DIR. Prints each failing header and
# compiler with the compiler's message; exits 1 if any failed, if a compiler is missing or if
# no header was found. Override the compilers with OPENNDIS_HEADERS_CC / OPENNDIS_HEADERS_CXX
# (space-separated lists).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
inc=${1:-$here/../../include}
[[ -d $inc ]] || { echo "check_headers: no such directory: $inc" >&2; exit 1; }
inc=$(cd "$inc" && pwd)

read -r -a c_compilers <<<"${OPENNDIS_HEADERS_CC:-gcc clang}"
read -r -a cxx_compilers <<<"${OPENNDIS_HEADERS_CXX:-g++ clang++}"
flags=(-Wall -Wextra -Werror -fsyntax-only -I "$inc")

mapfile -t headers < <(cd "$inc" && find . -type f \( -name '*.h' -o -name '*.hpp' \) |
                       sed 's|^\./||' | LC_ALL=C sort)
if ((${#headers[@]} == 0)); then
    echo "check_headers: no header found under $inc" >&2
    exit 1
fi

status=0
for cc in "${c_compilers[@]}" "${cxx_compilers[@]}"; do
    if ! command -v "$cc" >/dev/null 2>&1; then
        echo "FAIL: compiler '$cc' not found (run scripts/setup)"
        status=1
    fi
done
((status == 0)) || exit 1

passed=0 failed=0
check() { # check LANG STD COMPILER HEADER
    local lang=$1 std=$2 cc=$3 h=$4 out
    if out=$(printf '#include <%s>\n#include <%s>\n' "$h" "$h" |
             "$cc" -x "$lang" "-std=$std" "${flags[@]}" - 2>&1); then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $h [$cc -std=$std]"
        sed 's/^/    /' <<<"$out"
    fi
}

for h in "${headers[@]}"; do
    if [[ $h != *.hpp ]]; then
        for cc in "${c_compilers[@]}"; do check c c11 "$cc" "$h"; done
    fi
    for cxx in "${cxx_compilers[@]}"; do check c++ c++20 "$cxx" "$h"; done
done

echo "check_headers: ${#headers[@]} headers under $inc: $passed compilations passed, $failed failed"
((failed == 0))
