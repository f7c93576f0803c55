#!/usr/bin/env bash
# Bounded fuzzing of response validation, metadata parsing, ID-token judgement and the SCIM filter/PATCH room (cargo-fuzz / libFuzzer).
# Not run in CI: run it by hand before a release or after touching src/validate, src/xml.rs
# src/metadata/ or src/oidc/.
#
#   scripts/fuzz.sh [SECONDS]          # SECONDS per target, default 60
#
# Environment:
#   FUZZ_TARGETS="response metadata id_token"   targets to run (default: all three)
#   FUZZ_SANITIZER=address             passed to `cargo fuzz --sanitizer` (address | none)
#   FUZZ_ARGS="-len_control=0"         extra libFuzzer flags (this one tries long inputs at once)
#
# The toolchain is stable only. cargo-fuzz builds with -Zsanitizer=address, which stable
# rustc accepts only with RUSTC_BOOTSTRAP=1 (set below, for the fuzz build alone: the fuzz
# crate has its own workspace and target directory, fuzz/target). With
# FUZZ_SANITIZER=none no -Z flag is used at all (about 2x faster), but ASan's checks are lost:
# leaks, memory errors in unsafe Rust, and the double frees and bad memcpy/free calls it
# catches in the system libxml2/xmlsec/OpenSSL (which are not themselves instrumented).
#
# Seeds (fuzz/seeds/<target>, committed) are copied into fuzz/corpus/<target> (git-ignored),
# which keeps growing from run to run. Findings land in fuzz/artifacts/<target>/ (git-ignored):
#   crash-*, timeout-* (one input ran longer than 10 s: a hang), oom-* (over 2 GB), leak-*
# make the script exit non-zero; slow-unit-* (over 1 s) are reported but do not fail it.
# Reproduce:  RUSTC_BOOTSTRAP=1 cargo fuzz run <target> <artifact>
# Minimize:   RUSTC_BOOTSTRAP=1 cargo fuzz tmin <target> <artifact>

set -euo pipefail

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
    echo "usage: $0 [SECONDS per target, default 60]" >&2
    exit 2
fi
targets="${FUZZ_TARGETS:-response metadata id_token scim_filter scim_patch}"
sanitizer="${FUZZ_SANITIZER:-address}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "==> installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

export RUSTC_BOOTSTRAP=1

status=0
summary=()
for target in $targets; do
    corpus="fuzz/corpus/$target"
    artifacts="fuzz/artifacts/$target"
    log="fuzz/artifacts/$target.log"
    mkdir -p "$corpus" "$artifacts"
    cp -n "fuzz/seeds/$target"/* "$corpus"/ 2>/dev/null || true
    # A target's own dictionary (fuzz/<target>.dict), else the SAML one.
    dict="$root/fuzz/saml.dict"
    if [ -f "$root/fuzz/$target.dict" ]; then dict="$root/fuzz/$target.dict"; fi

    echo "==> building $target (sanitizer: $sanitizer)"
    cargo fuzz build --sanitizer "$sanitizer" "$target"

    before="$(mktemp)"
    ls -1 "$artifacts" | sort >"$before"

    echo "==> fuzzing $target for ${seconds}s (log: $log)"
    set +e
    cargo fuzz run --sanitizer "$sanitizer" "$target" "$corpus" -- \
        -max_total_time="$seconds" \
        -dict="$dict" \
        -max_len=65536 \
        -timeout=10 \
        -rss_limit_mb=2048 \
        -report_slow_units=1 \
        -print_final_stats=1 \
        ${FUZZ_ARGS:-} \
        2>&1 | tee "$log" | grep -Ev '^"|^#[0-9]+[[:space:]]+(NEW|REDUCE)[[:space:]]'
    rc=${PIPESTATUS[0]}
    set -e

    new="$(ls -1 "$artifacts" | sort | comm -13 "$before" - || true)"
    rm -f "$before"
    stats="$(grep -E '^#[0-9]+[[:space:]]+DONE[[:space:]]' "$log" | tail -n 1 || true)"
    execs="$(grep -E '^stat::average_exec_per_sec:' "$log" | awk '{print $2}' | tail -n 1 || true)"
    slowest="$(grep -E '^stat::slowest_unit_time_sec:' "$log" | awk '{print $2}' | tail -n 1 || true)"
    summary+=("$target: rc=$rc execs/s=${execs:-?} slowest_unit=${slowest:-?}s | ${stats:-no DONE line}")

    for f in $new; do
        case "$f" in
            slow-unit-*) echo "==> $target: slow input (>1 s): $root/$artifacts/$f" ;;
            *) echo "==> $target: FINDING: $root/$artifacts/$f"
               echo "    reproduce: RUSTC_BOOTSTRAP=1 cargo fuzz run $target $artifacts/$f"
               echo "    minimize:  RUSTC_BOOTSTRAP=1 cargo fuzz tmin $target $artifacts/$f"
               status=1 ;;
        esac
    done
    if [ "$rc" -ne 0 ]; then
        echo "==> $target: libFuzzer exited with $rc (see $log)"
        status=1
    fi
done

echo
echo "==> summary"
for line in "${summary[@]}"; do
    echo "    $line"
done
exit "$status"
