#!/bin/sh
# One provider's market chores, one step per cron line (see ./crontab):
#   provider.sh bench       measure this machine: a signed gpu-bench profile
#   provider.sh bid         bid on the open orders with the price policy
#   provider.sh run         run the leases won, publish the results
#   provider.sh statement   the night's ledger statement for this provider
# Settings come from the environment (./provider.env). Each step holds its
# own lock (./tick.sh): a run that finds it taken exits 75 (EX_TEMPFAIL)
# at once, and the next tick retries; so does one that finds the board
# down. Messages go to stderr as "gridutils-provider: STEP: text", ready
# for logger(1).
set -eu

step=${1:-}
case $step in
bench | bid | run | statement) ;;
*)
    echo "usage: provider.sh bench|bid|run|statement" >&2
    exit 64
    ;;
esac

: "${GRID_KEY:?set GRID_KEY to the provider key file}"
. "$(dirname "$0")/tick.sh"
tick_start provider "$step"

case $step in
bench)
    write_new profile.json gpu-bench ${GRID_BENCH_FLAGS:-} --key "$GRID_KEY"
    log "profile $(jq -r .id profile.json): exact GEMM $(jq -r .summary.exact_gemm_tflops profile.json) TFLOP/s"
    ;;
bid)
    [ -s profile.json ] || { log "no profile yet: run the bench step first"; exit 75; }
    : "${GRID_BOARD:?set GRID_BOARD to the market board URL}"
    # open-leases.jsonl (kept by the run step): leases won and not yet
    # done, which count against GRID_MAX_LEASES.
    touch open-leases.jsonl
    # The orders new since the last bid run. The cursor moves on only once
    # the bids are posted, so a run that fails is done again whole.
    board_new orders orders.jsonl
    write_new bids.jsonl lease-bid bid --profile profile.json --key "$GRID_KEY" --policy "$GRID_POLICY" \
        --leases open-leases.jsonl --max-leases "${GRID_MAX_LEASES:-4}" --explain orders.jsonl
    log "$(grep -c '"kind":"bid"' bids.jsonl || true) bid(s)"
    board post -q "$GRID_BOARD" bids.jsonl
    board_done orders
    ;;
run)
    : "${GRID_BOARD:?set GRID_BOARD to the market board URL}"
    me=$(grid-key pub --key "$GRID_KEY")
    # The leases awarded to this provider. job-run keeps each result in the
    # store under its lease, so leases already run cost nothing again.
    write_new mine.jsonl board get -q "$GRID_BOARD" leases --for "$me"
    touch results.jsonl
    not_done() {
        jq -c 'select(.kind == "result") | .lease' results.jsonl >done.jsonl
        jq -c --slurpfile done done.jsonl 'select(.id as $i | $done | index($i) | not)' mine.jsonl
    }
    write_new open-leases.jsonl not_done
    write_new results.jsonl job-run --key "$GRID_KEY" --store "$GRID_STATE/store" \
        ${GRID_PUBLISH:+--publish "$GRID_PUBLISH"} mine.jsonl
    write_new open-leases.jsonl not_done
    log "$(wc -l <results.jsonl) result(s), $(wc -l <open-leases.jsonl) lease(s) open"
    jq -c 'select(.kind == "result")' results.jsonl | board post -q "$GRID_BOARD"
    ;;
statement)
    me=$(grid-key pub --key "$GRID_KEY")
    write_new "statement-$(date -u +%F).jsonl" pay-settle statement --ledger "${GRID_LEDGER:?}" --account "$me" --since 1d
    log "statement-$(date -u +%F).jsonl written"
    ;;
esac
