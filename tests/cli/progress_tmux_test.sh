#!/usr/bin/env bash
# The progress display of `pgasio copy-in` on a real terminal (a tmux pane): while the copy runs
# it shows rows, bytes, rate, the fraction done and an ETA, redrawn in place on one line; at the
# end one final line stays. (Off a terminal it prints plain lines: cli_test.sh checks those.)
#   progress_tmux_test.sh <path to the pgasio program>
# Needs PGASIO_PG_DIR (the ctest fixture's environment) and tmux.
set -euo pipefail
pgasio=$1
. "$PGASIO_PG_DIR/env"
url=$PGASIO_TEST_PRIMARY_URL
work=$(mktemp -d)
socket=pgasio-progress-$$
trap 'tmux -L "$socket" kill-server 2>/dev/null || true; "$pgasio" query "$url" "DROP TABLE IF EXISTS cli_progress" >/dev/null; rm -rf "$work"' EXIT

rows=3000000 # enough for the copy to take a few seconds, so that the pane is caught mid-copy
awk -v n=$rows 'BEGIN { for (i = 1; i <= n; i++) printf "%d,row %d\n", i, i }' >"$work/rows.csv"
"$pgasio" query "$url" "DROP TABLE IF EXISTS cli_progress" >/dev/null
"$pgasio" query "$url" "CREATE UNLOGGED TABLE cli_progress (id int8, name text)" >/dev/null

tmux -L "$socket" new-session -d -x 160 -y 20 \
  "'$pgasio' copy-in '$url' cli_progress '$work/rows.csv'; echo EXIT=\$?; sleep 60"
seen_eta=
for _ in $(seq 1 600); do # at most 60 s
  pane=$(tmux -L "$socket" capture-pane -p)
  if grep -Eq '^copy-in: [0-9]+ rows, .*/s, [0-9]+%, ETA [0-9]+:[0-9]{2}$' <<<"$pane"; then seen_eta=yes; fi
  if grep -q '^EXIT=' <<<"$pane"; then break; fi
  sleep 0.1
done
echo "--- the pane at the end:"
echo "$pane"
echo "---"
status=0
if [ -z "$seen_eta" ]; then
  echo "FAIL: no in-progress line with rows, bytes, rate, % and ETA was seen"; status=1
fi
if ! grep -q '^EXIT=0$' <<<"$pane"; then echo "FAIL: copy-in did not exit with 0"; status=1; fi
if [ "$(grep -c '^copy-in:' <<<"$pane")" != 1 ]; then
  echo "FAIL: the progress was not redrawn in place (one copy-in line expected)"; status=1
fi
if ! grep -Eq "^copy-in: $rows rows, [0-9.]+ MiB, [0-9.]+ [KM]iB/s, [0-9]+:[0-9]{2} elapsed$" <<<"$pane"; then
  echo "FAIL: the final line does not show the rows copied, bytes, rate and time"; status=1
fi
[ "$status" = 0 ] && echo "ok: copy-in's progress on a terminal"
exit "$status"
