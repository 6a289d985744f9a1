#!/bin/sh
# A ledger operator's market chore, one cron line (see ./crontab):
#   ledger.sh settle   the leases new on the board hold their buyers'
#                      money; the verdicts new on it, from verifiers in
#                      GRID_TRUST, pay the providers or slash them
#                      (pay-settle apply)
# Settings come from the environment (./ledger.env). The step holds a lock
# (./tick.sh); a run that finds it taken, or the board down, exits 75
# (EX_TEMPFAIL), and the next tick retries. A cursor moves on only once
# its messages are applied or kept to retry (below), and applying a
# message again changes nothing, so no payment is lost or made twice.
# Messages go to stderr as "gridutils-ledger: settle: text", ready for
# logger(1).
set -eu

step=${1:-}
case $step in
settle) ;;
*)
    echo "usage: ledger.sh settle" >&2
    exit 64
    ;;
esac

. "$(dirname "$0")/tick.sh"
tick_start ledger "$step"
: "${GRID_BOARD:?set GRID_BOARD to the market board URL}"
: "${GRID_LEDGER:?set GRID_LEDGER to the ledger database}"
: "${GRID_TRUST:?set GRID_TRUST to the file of trusted verifier keys}"

# A message pay-settle refuses now may apply later: a lease whose buyer's
# deposit has not come in yet, a verdict whose lease was refused or is not
# on the board yet. So the refused ones are kept in KIND.pending and offered
# again at every tick, before the new ones, until they apply (or come back
# as applied already, or expired), or until they have been refused for
# GRID_SETTLE_RETRY_SECONDS (default 7 days): then they are dropped, each
# id named in the log. One without an id (never applicable) is not kept.
retry=${GRID_SETTLE_RETRY_SECONDS:-604800}
case $retry in '' | *[!0-9]*)
    log "GRID_SETTLE_RETRY_SECONDS must be whole seconds, not '$retry'"
    exit 64
    ;;
esac
now=$(date +%s)

# pending_after KIND: KIND.pending's entries and KIND.new's messages that
# KIND.applied does not name, as {"since": first refused, "message": ...}
# lines, each id once; those refused for longer than $retry get
# "dropped": true.
pending_after() {
    jq -n -c --argjson now "$now" --argjson retry "$retry" \
        --slurpfile applied "$1.applied" --slurpfile old "$1.pending" --rawfile new "$1.new" '
      ($applied | map({key: .id, value: true}) | from_entries) as $done
      | ($old | map({key: .message.id, value: .since}) | from_entries) as $since
      | [($old[] | .message), ($new | split("\n")[] | fromjson? // empty)]
      | map(select(type == "object" and (.id | type) == "string" and ($done[.id] | not)))
      | unique_by(.id)[]
      | {since: ($since[.id] // $now), message: .}
      | if $now - .since >= $retry then .dropped = true else . end'
}

# Leases before verdicts: a verdict pays from its lease's hold.
for kind in leases verdicts; do
    board_new "$kind" "$kind.new"
    touch "$kind.pending"
    jq -c .message "$kind.pending" >"$kind.input"
    cat "$kind.new" >>"$kind.input"
    # Refused messages are 65 with --keep-going (each reported on stderr);
    # 75 (the ledger busy) or worse leaves the cursor and the pending ones
    # as they were, for the next tick.
    rc=0
    # shellcheck disable=SC2086 # GRID_SETTLE_FLAGS is flags, split on purpose
    pay-settle -q apply --ledger "$GRID_LEDGER" --trust "$GRID_TRUST" --keep-going ${GRID_SETTLE_FLAGS:-} \
        "$kind.input" >"$kind.applied" || rc=$?
    case $rc in 0 | 65) ;; *) exit "$rc" ;; esac
    # The refused ones are kept before the cursor moves past them: a run
    # stopped in between reads them again (applying twice changes nothing).
    write_new "$kind.after" pending_after "$kind"
    jq -r 'select(.dropped) | .message.id' "$kind.after" >"$kind.dropped"
    write_new "$kind.pending" jq -c 'select(.dropped | not)' "$kind.after"
    board_done "$kind"
    summary=$(jq -r .outcome "$kind.applied" | sort | uniq -c | awk '{printf "%s%s %s", sep, $1, $2; sep = ", "} END { if (!NR) printf "nothing new" }')
    kept=$(wc -l <"$kind.pending")
    [ "$kept" -eq 0 ] || summary="$summary; $kept refused, kept to retry"
    log "$kind: $summary"
    while read -r id; do
        log "$kind: dropped $id, refused for ${retry}s"
    done <"$kind.dropped"
done
