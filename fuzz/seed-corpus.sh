#!/bin/sh
# Seeds each fuzz target's corpus (fuzz/corpus/<target>/, git-ignored) with the
# fixtures of its endpoint, the invalid ones included, and with the saved crash
# reproducers of fuzz/regressions/<target>-*. Safe to run again: files
# are copied over, and what the fuzzer added to a corpus is kept.
#
# Usage: fuzz/seed-corpus.sh            (from anywhere)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
fixtures="$root/fixtures"
regressions="$root/fuzz/regressions"

# seed TARGET FILE...: copies each existing FILE into the TARGET corpus,
# named after its folder and file so that names from different folders never clash.
seed() {
    target=$1
    shift
    dir="$root/fuzz/corpus/$target"
    mkdir -p "$dir"
    count=0
    for file in "$@"; do
        [ -f "$file" ] || continue
        name=$(echo "${file#"$root"/}" | tr '/' '_')
        cp "$file" "$dir/$name"
        count=$((count + 1))
    done
    echo "$target: $count seed files in fuzz/corpus/$target"
}

seed report_csv "$fixtures"/report/*.csv "$fixtures"/report/invalid/* \
    "$regressions"/report_csv-*
seed subaccount_page "$fixtures"/subaccount_orders/*.json "$fixtures"/subaccount_orders/invalid/* \
    "$regressions"/subaccount_page-*
seed order_info "$fixtures"/order_info/*.json "$fixtures"/order_info/invalid/* \
    "$regressions"/order_info-*
seed reissues "$fixtures"/reissues/*.json "$fixtures"/reissues/invalid/* \
    "$regressions"/reissues-*
seed status_changes "$fixtures"/status_changes/*.json "$fixtures"/status_changes/invalid/* \
    "$regressions"/status_changes-*
# Error bodies come from every endpoint.
seed error_body "$fixtures"/*/error_*.json "$regressions"/error_body-*
