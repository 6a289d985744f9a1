# What every cron script here shares (sourced, not run): one step's lock,
# its log line, atomic writes, the board's cursors and outboxes.
#   tick_start ROLE STEP   cd to $GRID_STATE, hold STEP's lock or exit 75
# Settings come from the environment (ROLE.env beside this file). Messages
# go to stderr as "gridutils-ROLE: STEP: text", ready for logger(1).

log() { echo "gridutils-$tick_role: $tick_step: $*" >&2; }

# Each step holds its own lock, so cron never stacks two runs of one step:
# a run that finds the lock taken exits 75 (EX_TEMPFAIL) at once, and the
# next tick retries.
tick_start() {
    tick_role=$1 tick_step=$2
    : "${GRID_STATE:?set GRID_STATE to a folder for the $tick_role state}"
    mkdir -p "$GRID_STATE"
    cd "$GRID_STATE" || exit 74
    exec 9>"$GRID_STATE/$tick_step.lock"
    if ! flock -n 9; then
        log "another $tick_step run holds $GRID_STATE/$tick_step.lock; exiting 75, cron retries"
        exit 75
    fi
}

# board SUBCOMMAND ARGS...: grid-board, retrying a transient failure
# GRID_BOARD_RETRIES times (grid-board's default when unset) before it exits
# 75; the next cron tick is one more retry.
board() {
    sub=$1
    shift
    grid-board "$sub" ${GRID_BOARD_RETRIES:+--retries "$GRID_BOARD_RETRIES"} "$@"
}

# write_new FILE CMD...: CMD's stdout replaces FILE only when CMD succeeds,
# so a failed run never leaves a half-written file behind.
write_new() {
    out=$1
    shift
    "$@" >"$out.new" && mv "$out.new" "$out"
}

# board_new KIND FILE [GET FLAGS...]: the KIND messages new on $GRID_BOARD
# since the last board_done KIND, into FILE. The cursor moves on only at
# board_done, once they are used, so a run that fails reads them again.
board_new() {
    kind=$1 file=$2
    shift 2
    if [ -e "$kind.cursor" ]; then cp "$kind.cursor" "$kind.cursor.next"; else rm -f "$kind.cursor.next"; fi
    write_new "$file" board get "$GRID_BOARD" "$kind" --cursor-file "$kind.cursor.next" "$@"
}
board_done() { mv "$1.cursor.next" "$1.cursor"; }

# keep_unique FILE NEW: FILE becomes FILE and NEW's messages, each id once.
keep_unique() {
    touch "$1"
    write_new "$1" jq -c -s 'unique_by(.id) | .[]' "$1" "$2"
}

# post_outbox DIR: posts each DIR/*.jsonl not yet marked posted, then marks
# it. Posting again what the board holds is a no-op, so a post that failed
# half way is simply done again at the next tick.
post_outbox() {
    for f in "$1"/*.jsonl; do
        [ -e "$f" ] || continue
        [ -e "$f.posted" ] && continue
        board post -q "$GRID_BOARD" "$f"
        touch "$f.posted"
    done
}
