#!/usr/bin/env bash
# Structure metrics for the typed-core redesign (issue 18), measured before and after.
#
# Run from a tree's root:   scripts/structure-metrics.sh            (table and lists)
#                           scripts/structure-metrics.sh --table    (table only)
# Environment: DUPLICATES_SECONDS (default 120), SKIP_DUPLICATES=1 (leave row 6 out).
#
# Every count is a text heuristic over the working tree, not a parse of Rust:
#  - Rust files are the *.rs files under src/ (and bench/src/ when it exists).
#  - A function opens at a line matching  ^\s*(pub(\(..\))? )?(async )?fn  and ends at the
#    first later line that is `}` at the same indentation.  A signature that reaches `;`
#    before `{` (a trait method without a body) is not a function; a signature line whose
#    braces balance (`fn f() -> u8 { 1 }`) is a one-line function.  `const fn`, `unsafe fn`
#    and `extern fn` are not seen.  Test modules count here (rows 2, 3).
#  - Arguments: the top-level commas between the parentheses of the signature (up to the
#    first `{`, `where` or `;`), plus one; `self` counts, as in clippy's too_many_arguments.
#  - "Outside tests": a file is read up to its first `#[cfg(test)]` line (in this code base
#    every one opens `mod tests {` at the end of the file).
set -euo pipefail

TABLE_ONLY=0
if [[ "${1:-}" == "--table" ]]; then TABLE_ONLY=1; fi
[[ -d src ]] || { echo "run from a tree's root (no src/ here)" >&2; exit 2; }

WIRE_EDGES=(src/api/expand.rs src/domain/version.rs src/api/schemas.rs src/api/openapi_conventions.rs)
roots=(src)
[[ -d bench/src ]] && roots+=(bench/src)
mapfile -t RS < <(find "${roots[@]}" -type f -name '*.rs' | LC_ALL=C sort)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. files over 400 lines
for f in "${RS[@]}"; do
  n=$(wc -l <"$f")
  if (( n > 400 )); then printf '%s (%d)\n' "$f" "$n"; fi
done | sort -t'(' -k2 -rn >"$tmp/files"

# 2, 3, 5. functions: length, argument count, Value in the signature
awk -v sigfile="$tmp/value_sigs" '
function indent_of(s) { match(s, /^[ \t]*/); return substr(s, 1, RLENGTH) }
function count_args(sig,    i, c, d, p, started, n, tok, seen) {
  # sig: text from "fn " on; skip name and generics, then count top-level commas in (...)
  gsub(/->/, "~~", sig)
  i = index(sig, "fn ") + 3
  d = 0
  for (; i <= length(sig); i++) {            # find the "(" at angle depth 0
    c = substr(sig, i, 1)
    if (c == "<") d++
    else if (c == ">") d--
    else if (c == "(" && d == 0) break
  }
  d = 0; n = 0; seen = 0
  for (i++; i <= length(sig); i++) {
    c = substr(sig, i, 1)
    if (c == "(" || c == "[" || c == "<" || c == "{") d++
    else if (c == ")" || c == "]" || c == ">" || c == "}") {
      if (d == 0) break
      d--
    } else if (c == "," && d == 0) { if (seen) n++; seen = 0; continue }
    if (c !~ /[ \t]/) seen = 1
  }
  return n + seen
}
function process(file, n,    i, j, k, ind, sig, opened, oneline, endl, len, name, t, o, cl) {
  for (i = 1; i <= n; i++) {
    if (L[i] !~ /^[ \t]*(pub(\(.*\))? )?(async )?fn /) continue
    ind = indent_of(L[i])
    # the signature: up to the first "{", "where" or ";"
    sig = ""; opened = 0; oneline = 0
    for (j = i; j <= n && j < i + 60; j++) {
      t = L[j]
      if (j > i && t ~ /^[ \t]*where([ \t]|$)/) { opened = 1; break }
      k = index(t, "{"); o = index(t, ";")
      if (k > 0 && (o == 0 || k < o)) {
        sig = sig " " substr(t, 1, k - 1); opened = 1
        if (j == i) {                                 # braces balance on the line: one-liner
          cl = t; o = gsub(/\{/, "{", cl); k = gsub(/\}/, "}", cl)
          if (o == k) oneline = 1
        }
        break
      }
      if (o > 0) { sig = sig " " substr(t, 1, o - 1); break }
      sig = sig " " t
    }
    if (!opened) continue                             # a declaration without a body
    name = L[i]; sub(/^.*fn /, "", name); sub(/[^A-Za-z0-9_].*$/, "", name)
    where = file ":" i " " name
    if (oneline) endl = i
    else {
      endl = 0
      for (k = i + 1; k <= n; k++) if (L[k] ~ /^[ \t]*\}[ \t]*$/ && indent_of(L[k]) == ind) { endl = k; break }
      if (!endl) continue
    }
    len = endl - i + 1
    if (len > 80) printf "LONG\t%d\t%s (%d lines)\n", len, where, len
    k = count_args(sig)
    if (k > 5) printf "ARGS\t%d\t%s (%d args)\n", k, where, k
    if (file ~ /^src\/(domain|engine)\//) {
      # row 5: the fn line and its continuation until "{" (the brief: not "where"/";")
      sig = ""
      for (j = i; j <= n && j < i + 60; j++) { t = L[j]; k = index(t, "{"); if (k) { sig = sig " " substr(t, 1, k - 1); break } sig = sig " " t }
      if (sig ~ /(^|[^A-Za-z0-9_])Value([^A-Za-z0-9_]|$)/)
        printf "VALUE\t%d\t%s%s\n", (i > T ? 1 : 0), where, (i > T ? " [test]" : "")
    }
  }
}
FNR == 1 { if (NR > 1) process(prev, n); n = 0; T = 1e9; prev = FILENAME }
{ L[++n] = $0; if (T == 1e9 && $0 ~ /^[ \t]*#\[cfg\(test\)\]/) T = FNR }
END { if (NR > 0) process(prev, n) }
' "${RS[@]}" >"$tmp/fns"
grep -P '^LONG\t' "$tmp/fns" | sort -t$'\t' -k2,2rn | cut -f3 >"$tmp/long" || true
grep -P '^ARGS\t' "$tmp/fns" | sort -t$'\t' -k2,2rn | cut -f3 >"$tmp/args" || true
grep -P '^VALUE\t' "$tmp/fns" | cut -f3 >"$tmp/value" || true
value_all=$(wc -l <"$tmp/value")
value_test=$(grep -c ' \[test\]$' "$tmp/value" || true)

# 4, 8. occurrences outside tests (src/ only; file read up to its first #[cfg(test)])
nontest() { awk '/^[ \t]*#\[cfg\(test\)\]/ { exit } { print }' "$1"; }
count_in() { awk -v p="$1" '{ while ((i = index($0, p)) > 0) { c++; $0 = substr($0, i + length(p)) } } END { print c + 0 }'; }
json_total=0; unwrap_total=0
: >"$tmp/json"; : >"$tmp/unwrap"
for f in "${RS[@]}"; do
  [[ "$f" == src/* ]] || continue
  body=$(nontest "$f")
  u=$(count_in 'unwrap_or(' <<<"$body")
  if (( u > 0 )); then unwrap_total=$((unwrap_total + u)); printf '%s (%d)\n' "$f" "$u" >>"$tmp/unwrap"; fi
  edge=0
  for e in "${WIRE_EDGES[@]}"; do if [[ "$f" == "$e" ]]; then edge=1; fi; done
  if (( edge )); then continue; fi
  j=$(count_in 'json!(' <<<"$body")
  if (( j > 0 )); then json_total=$((json_total + j)); printf '%s (%d)\n' "$f" "$j" >>"$tmp/json"; fi
done
sort -t'(' -k2 -rn -o "$tmp/json" "$tmp/json"
sort -t'(' -k2 -rn -o "$tmp/unwrap" "$tmp/unwrap"

# 6. duplicates
dup="(skipped)"
if [[ "${SKIP_DUPLICATES:-0}" != 1 ]]; then
  duplicates --repo . --most 200 --seconds "${DUPLICATES_SECONDS:-120}" >"$tmp/dups" 2>&1 || true
  first=$(head -n1 "$tmp/dups")
  rows=$(grep -cE '^D[0-9]+ ' "$tmp/dups" || true)
  more=$(grep -oE '\(\+[0-9]+ more pairs\)' "$tmp/dups" | grep -oE '[0-9]+' || true)
  short=$(sed -nE 's/^([0-9]+) pairs? of places \(([0-9]+) files read\).*\(([0-9]+) by shape alone, ([0-9]+) of those marked boilerplate\).*/\1 pairs (\3 by shape, \4 boilerplate; \2 files read)/p' <<<"$first")
  dup="${short:-$first}; rows: $rows${more:+ (+$more more)}"
  if grep -q '^incomplete:' "$tmp/dups"; then dup="$dup; $(grep '^incomplete:' "$tmp/dups" | head -n1)"; fi
fi

# 7. openapi.json
schemas=0; ops=0
if [[ -f openapi.json ]]; then
  schemas=$(jq '(.components.schemas // {}) | length' openapi.json)
  ops=$(jq '[(.paths // {})[] | keys[] | select(IN("get","put","post","delete","options","head","patch","trace"))] | length' openapi.json)
fi

rev=$(git rev-parse --short HEAD 2>/dev/null || echo '?')
echo "| metric ($rev) | value |"
echo "|---|---|"
echo "| 1. Rust files under ${roots[*]} over 400 lines | $(wc -l <"$tmp/files") (of ${#RS[@]}) |"
echo "| 2. functions over 80 lines (heuristic) | $(wc -l <"$tmp/long") |"
echo "| 3. functions with more than 5 arguments (heuristic) | $(wc -l <"$tmp/args") |"
echo "| 4. \`json!(\` in src/ outside wire edges and tests | $json_total |"
echo "| 5. signatures with \`Value\` in src/domain, src/engine (of them in tests) | $value_all ($value_test) |"
echo "| 6. \`duplicates --most 200 --seconds ${DUPLICATES_SECONDS:-120}\` | $dup |"
echo "| 7. openapi.json component schemas / operations | $schemas / $ops |"
echo "| 8. \`unwrap_or(\` in src/ outside tests | $unwrap_total |"

if (( ! TABLE_ONLY )); then
  for sec in "files:1. files over 400 lines" "long:2. functions over 80 lines" "args:3. functions with more than 5 arguments" \
             "json:4. json!( outside wire edges (per file)" "value:5. Value in signatures (domain, engine)" \
             "unwrap:8. unwrap_or( outside tests (per file)"; do
    echo; echo "### ${sec#*:}"; echo
    sed 's/^/- /' "$tmp/${sec%%:*}"
  done
fi
