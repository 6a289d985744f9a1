#compdef job-split
# zsh completion for job-split(1)

_job-split() {
  _arguments -s \
    '(- *)'{-h,--help}'[print the help text and exit]' \
    '(- *)--version[print the version and exit]' \
    '(-q --quiet)'{-q,--quiet}'[print nothing for humans on stderr, errors excepted]' \
    '(--shard-rows --tasks)--weights=[signed gpu-bench profiles: shard in proportion to their exact GEMM rate]:profiles (JSON Lines):_files' \
    '(--weights --tasks)--shard-rows=[rows per task for infer and gemm jobs]:rows:' \
    '(--weights --shard-rows)--tasks=[number of tasks for infer and gemm jobs]:tasks:' \
    '--pass[pass messages that are not jobs through untouched]' \
    '--key=[Ed25519 key file made by grid-key gen (default $GRID_KEY)]:key file:_files' \
    '--keep-going[report each bad input line and carry on; exit 65 at the end]' \
    '*:job file (JSON Lines):_files'
}

_job-split "$@"
