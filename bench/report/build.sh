#!/usr/bin/env bash
# Writes bench/REPORT.md and its charts (bench/charts/*.png, gnuplot) from the result files
# the benchmark runners leave in bench/results/. `make bench` and `make bench-http` call it
# last; it can be run alone at any time and only reads what is there.
#
# The result files, for any runner <name>:
#   <name>.md          a Markdown section that starts with "## "; included as it is. Or:
#   <name>.txt         what the runner printed; its first line becomes the "## " heading,
#                      the rest a code block. extract-<name>.php, when it exists, turns it
#                      into chart data (find and queries have one).
#   <name>.<chart>.tsv optional charts, drawn after the section in file-name order: lines
#                      "# title: …", "# ylabel: …", optionally "# scale: log"; then a
#                      header row "label<TAB>series 1<TAB>series 2…"; then one row per group
#                      of bars, "group<TAB>value<TAB>value…" ("?" for a missing value).
# Sections come in this order: http, find, queries, commit, restart, then any other name.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bench=$(cd "$here/.." && pwd)
results=$bench/results
charts=$bench/charts
command -v gnuplot >/dev/null || { echo "gnuplot is missing (gnuplot-nox: make bench-http-deps installs it)" >&2; exit 1; }
mkdir -p "$results" "$charts"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -f "$charts"/*.png # every chart is drawn again from the results; none is left stale

# draw TSV: the chart as charts/<file>.png, and the Markdown that shows it.
draw() {
    local tsv=$1 name title ylabel scale series groups width
    name=$(basename "$tsv" .tsv)
    title=$(sed -n 's/^# title: //p' "$tsv" | head -n 1)
    ylabel=$(sed -n 's/^# ylabel: //p' "$tsv" | head -n 1)
    scale=$(sed -n 's/^# scale: //p' "$tsv" | head -n 1)
    series=$(grep -v '^#' "$tsv" | head -n 1 | awk -F'\t' '{ print NF - 1 }')
    # Wide enough for every bar and its value: 34 px a bar, a gap of one bar between groups.
    groups=$(grep -vc '^#' "$tsv")
    width=$(((groups - 1) * (series + 1) * 34 + 200))
    [ "$width" -ge 960 ] || width=960
    if [ -z "$title" ] || [ "${series:-0}" -lt 1 ]; then
        echo "build.sh: $tsv has no '# title:' line or no series; not drawn" >&2
        return 0
    fi
    gnuplot -c "$here/bars.gp" "$tsv" "$charts/$name.png" "$title" "$ylabel" "${scale:-linear}" "$series" "$width"
    printf '![%s](charts/%s.png)\n\n' "$title" "$name"
}

# heading NAME: the section's "## " heading, without the hashes.
heading() {
    if [ -f "$results/$1.md" ]; then
        grep -m 1 '^## ' "$results/$1.md" | sed 's/^## //'
    else
        head -n 1 "$results/$1.txt"
    fi
}

# anchor TEXT: the link target GitHub gives a heading.
anchor() {
    tr 'A-Z' 'a-z' <<<"$1" | sed 's/[^a-z0-9 _-]//g; s/ /-/g'
}

section() {
    local name=$1 file
    if [ -f "$results/$name.md" ]; then
        cat "$results/$name.md"
        echo
    else
        file=$results/$name.txt
        printf '## %s\n\n`bench/%s`, measured %s; as it printed:\n\n```\n' \
            "$(heading "$name")" "$name" "$(date -u -r "$file" '+%Y-%m-%d %H:%M UTC')"
        tail -n +2 "$file" | sed '/./,$!d' # without the blank lines at the top
        printf '```\n\n'
        [ -f "$here/extract-$name.php" ] && php "$here/extract-$name.php" "$file" "$tmp"
    fi
    local tsv
    for tsv in "$results/$name".*.tsv "$tmp/$name".*.tsv; do
        [ -f "$tsv" ] && draw "$tsv"
    done
    return 0
}

names=()
for name in http find queries commit restart; do
    [ -f "$results/$name.md" ] || [ -f "$results/$name.txt" ] && names+=("$name")
done
for file in "$results"/*.md "$results"/*.txt; do
    [ -f "$file" ] || continue
    name=$(basename "$file"); name=${name%%.*}
    [[ " ${names[*]} " == *" $name "* ]] || names+=("$name")
done

{
    echo "# Resident benchmarks"
    echo
    echo "Written by \`bench/report/build.sh\` from the result files in [results/](results): \`make bench\`"
    echo "runs every benchmark again and rewrites this file, \`make bench-http\` the HTTP one; edits"
    echo "made here by hand are lost. Each benchmark measures Resident and its peers in the same run"
    echo "and prints what it saw; nothing is asserted."
    echo
    "$here/machine.sh"
    echo
    echo "## Durability"
    echo
    echo "Every write these benchmarks make is durable before it is acknowledged: residentd runs"
    echo "with \`--fsync always\` (its default), PostgreSQL with \`fsync = on\` and"
    echo "\`synchronous_commit = on\`, Redis in bench/commit with \`appendfsync always\`. The"
    echo "benchmarks that write keep their data under \`BENCH_TMPDIR\` (default \`/var/tmp\`, on"
    echo "disk, not a tmpfs). bench/find and bench/queries only read."
    echo
    if [ ${#names[@]} -eq 0 ]; then
        echo "No results yet: run \`make bench\`."
    else
        for name in "${names[@]}"; do
            title=$(heading "$name")
            echo "- [$title](#$(anchor "$title"))"
        done
        echo
    fi
    for name in "${names[@]}"; do
        section "$name"
    done
} >"$tmp/REPORT.md"
mv "$tmp/REPORT.md" "$bench/REPORT.md"
echo "wrote $bench/REPORT.md with $(ls "$charts"/*.png 2>/dev/null | wc -l) charts in $charts"
