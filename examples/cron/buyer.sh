#!/bin/sh
# A buyer's market chores, one step per cron line (see ./crontab):
#   buyer.sh order   each new job in $GRID_JOBS split into tasks, one
#                    order a task, posted to the board
#   buyer.sh award   the bids on this buyer's open orders gathered from
#                    the board, the best valid one awarded, the leases
#                    posted to the board
# Settings come from the environment (./buyer.env). Each step holds its own
# lock (./tick.sh); a run that finds it taken, or the board down, exits 75
# (EX_TEMPFAIL), and the next tick retries. Every file is written whole or
# not at all, and posting again is a no-op, so a tick cut short anywhere is
# finished by the next one: no order posted twice, no order awarded twice.
# Messages go to stderr as "gridutils-buyer: STEP: text", ready for
# logger(1).
set -eu

step=${1:-}
case $step in
order | award) ;;
*)
    echo "usage: buyer.sh order|award" >&2
    exit 64
    ;;
esac

: "${GRID_KEY:?set GRID_KEY to the buyer key file}"
. "$(dirname "$0")/tick.sh"
tick_start buyer "$step"
: "${GRID_BOARD:?set GRID_BOARD to the market board URL}"
mkdir -p orders awards

case $step in
order)
    : "${GRID_JOBS:?set GRID_JOBS to the folder where new jobs are dropped}"
    : "${GRID_MAX_PRICE:?set GRID_MAX_PRICE to the most paid for a task, in micros}"
    # orders/JOB.jsonl, once written, is the job's orders for good: a job is
    # ordered once, whatever happens to the posts.
    for job in "$GRID_JOBS"/*.json "$GRID_JOBS"/*.jsonl; do
        [ -e "$job" ] || continue
        name=$(basename "$job")
        name=${name%.json*}
        [ -e "orders/$name.jsonl" ] && continue
        write_new "orders/$name.tasks" job-split --key "$GRID_KEY" "$job"
        # shellcheck disable=SC2086 # GRID_NEED_FLAGS is flags, split on purpose
        write_new "orders/$name.jsonl" lease-bid order --key "$GRID_KEY" --max-price "$GRID_MAX_PRICE" \
            --deadline "${GRID_DEADLINE:-2h}" ${GRID_ORDER_FLAGS:-} "orders/$name.tasks"
        log "$name: $(wc -l <"orders/$name.jsonl") order(s)"
    done
    post_outbox orders
    ;;
award)
    # Orders awarded so far, and the open ones old enough to have had their
    # bids (GRID_BID_WINDOW seconds, 60 by default).
    cat awards/*.jsonl 2>/dev/null | jq -c '.order.id' >awarded.jsonl
    cat orders/*.jsonl 2>/dev/null | jq -c --slurpfile awarded awarded.jsonl --argjson window "${GRID_BID_WINDOW:-60}" \
        'select(.kind == "order" and (.id as $i | $awarded | index($i) | not)
                and (.created | fromdateiso8601) <= now - $window)' >open.jsonl
    if [ -s open.jsonl ]; then
        # The bidders' profiles and the bids on each open order.
        write_new profiles.jsonl board get "$GRID_BOARD" profiles
        : >bids.jsonl.all
        for order in $(jq -r .id open.jsonl); do
            board get "$GRID_BOARD" bids --order "$order" >>bids.jsonl.all
        done
        mv bids.jsonl.all bids.jsonl
        # Exit 1 is orders left unfilled: they stay open for the next tick.
        rc=0
        # shellcheck disable=SC2086 # GRID_AWARD_FLAGS is flags, split on purpose
        lease-bid award --key "$GRID_KEY" ${GRID_AWARD_FLAGS:-} open.jsonl profiles.jsonl bids.jsonl \
            >awards/new.jsonl.new || rc=$?
        [ "$rc" -le 1 ] || exit "$rc"
        log "$(wc -l <open.jsonl) open order(s), $(grep -c . bids.jsonl || true) bid(s), $(wc -l <awards/new.jsonl.new) lease(s) awarded"
        # The leases' file, once in awards/, is this tick's awards for good.
        if [ -s awards/new.jsonl.new ]; then
            mv awards/new.jsonl.new "awards/$(date -u +%Y%m%dT%H%M%SZ)-$$.jsonl"
        else
            rm awards/new.jsonl.new
        fi
    fi
    post_outbox awards
    ;;
esac
