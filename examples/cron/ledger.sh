#!/bin/sh
# A ledger operator's market chore, one cron line (see ./crontab):
#   ledger.sh settle   the leases new on the board hold their buyers'
#                      money; the verdicts new on it, from verifiers in
#                      GRID_TRUST, pay the providers or slash them
#                      (pay-settle apply)
# Settings come from the environment (./ledger.env). The step holds a lock
# (./tick.sh); a run that finds it taken, or the board down, exits 75
# (EX_TEMPFAIL), and the next tick retries. A cursor moves on only once
# its messages are applied, and applying a message again changes nothing,
# so no payment is lost or made twice. Messages go to stderr as
# "gridutils-ledger: settle: text", ready for logger(1).
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

# Leases before verdicts: a verdict pays from its lease's hold.
for kind in leases verdicts; do
    board_new "$kind" "$kind.new"
    # A message refused (65 with --keep-going: reported on stderr) would be
    # refused again, so the cursor moves past it; only 75 (the ledger busy)
    # or worse reads them again at the next tick.
    rc=0
    # shellcheck disable=SC2086 # GRID_SETTLE_FLAGS is flags, split on purpose
    pay-settle -q apply --ledger "$GRID_LEDGER" --trust "$GRID_TRUST" --keep-going ${GRID_SETTLE_FLAGS:-} \
        "$kind.new" >"$kind.applied" || rc=$?
    case $rc in 0 | 65) ;; *) exit "$rc" ;; esac
    board_done "$kind"
    log "$kind: $(jq -r .outcome "$kind.applied" | sort | uniq -c | awk '{printf "%s%s %s", sep, $1, $2; sep = ", "} END { if (!NR) printf "nothing new" }')"
done
