#!/bin/sh
# A verifier's market chore, one cron line (see ./crontab):
#   verifier.sh check   the results new on the board checked against their
#                       leases and the providers' published stores
#                       (proof-check), the verdicts posted to the board
# Settings come from the environment (./verifier.env): GRID_STORES names a
# file of "PROVIDER-KEY STORE-URL" lines, where each provider publishes its
# results' objects (job-run --publish). The step holds a lock (./tick.sh);
# a run that finds it taken, or the board or a store down, exits 75
# (EX_TEMPFAIL), and the next tick retries. A result is checked until its
# verdict is written, and a verdict written is posted until the board has
# it: none lost, none made twice. Messages go to stderr as
# "gridutils-verifier: check: text", ready for logger(1).
set -eu

step=${1:-}
case $step in
check) ;;
*)
    echo "usage: verifier.sh check" >&2
    exit 64
    ;;
esac

: "${GRID_KEY:?set GRID_KEY to the verifier key file}"
. "$(dirname "$0")/tick.sh"
tick_start verifier "$step"
: "${GRID_BOARD:?set GRID_BOARD to the market board URL}"
: "${GRID_STORES:?set GRID_STORES to the file of providers and their store URLs}"
mkdir -p verdicts empty-store

# The leases first: a result's lease is on the board before the result.
board_new leases leases.new
keep_unique leases.jsonl leases.new
board_done leases
board_new results results.new
keep_unique results.jsonl results.new
board_done results

# The results with no verdict yet, one provider at a time (each has its own
# store URL).
cat verdicts/*.jsonl 2>/dev/null | jq -c '.result' >checked.jsonl
jq -c --slurpfile checked checked.jsonl 'select(.id as $i | $checked | index($i) | not)' results.jsonl >pending.jsonl
for provider in $(jq -r '.sig.by' pending.jsonl | sort -u); do
    url=$(awk -v p="$provider" '$1 == p { print $2; exit }' "$GRID_STORES")
    if [ -z "$url" ]; then
        log "no store URL for $provider in $GRID_STORES: its results wait"
        continue
    fi
    jq -c --arg p "$provider" 'select(.sig.by == $p)' pending.jsonl >mine.jsonl
    # Exit 1 is a result rejected and 3 one inconclusive: verdicts all the
    # same; 65 is a result proof-check cannot read (named on stderr; the
    # others get their verdicts, it stays pending). Anything else (75: the
    # store is down) keeps them all pending.
    rc=0
    # shellcheck disable=SC2086 # GRID_CHECK_FLAGS is flags, split on purpose
    proof-check --key "$GRID_KEY" --leases leases.jsonl --store empty-store --store-url "$url" --keep-going \
        ${GRID_CHECK_FLAGS:-} mine.jsonl >verdicts/new.jsonl.new || rc=$?
    case $rc in 0 | 1 | 3 | 65) ;; *) exit "$rc" ;; esac
    if [ ! -s verdicts/new.jsonl.new ]; then
        rm verdicts/new.jsonl.new
        continue
    fi
    log "$provider: $(jq -r .status verdicts/new.jsonl.new | sort | uniq -c | awk '{printf "%s%s %s", sep, $1, $2; sep = ", "}')"
    mv verdicts/new.jsonl.new "verdicts/$(date -u +%Y%m%dT%H%M%SZ)-${provider#ed25519:}.jsonl"
done
post_outbox verdicts
