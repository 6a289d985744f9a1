#compdef job-run
# zsh completion for job-run(1)

_job-run_devices() {
  local -a devices
  local i gpus=0
  (( $+commands[nvidia-smi] )) && gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU ')
  (( gpus > 0 )) || gpus=1
  devices=(
    'auto:CUDA device 0 when a GPU answers, else the CPU'
    'cpu:the CPU'
    'cuda:CUDA device 0; exit 69 without a GPU'
  )
  for (( i = 0; i < gpus; i++ )); do
    devices+=("cuda\\:$i:CUDA device $i")
  done
  _describe -t devices 'device' devices
}

_job-run() {
  _arguments -s \
    '(- *)'{-h,--help}'[print the help text and exit]' \
    '(- *)--version[print the version and exit]' \
    '(-q --quiet)'{-q,--quiet}'[print nothing for humans on stderr, errors excepted]' \
    '--task-index=[run only task N (0-based); env reads SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX]:task index:(env 0 1 2 3)' \
    '--mode=[override the task'"'"'s numeric mode]:mode:((exact\:"bit-reproducible" fast\:"checked by tolerance"))' \
    '--device=[backend: auto, cpu, cuda or cuda:N (default auto)]:device:_job-run_devices' \
    '--store=[content store folder (default $XDG_DATA_HOME/gridutils/store)]:store folder:_directories' \
    '--publish=[PUT each result and the store objects it names to this URL]:URL:_urls' \
    '--threads=[CPU threads (default 0: every core)]:threads:' \
    '--force[recompute even when the store holds the task'"'"'s result]' \
    '--resume[continue an interrupted training run from its last checkpoint]' \
    '--pass[pass messages that are not tasks or leases through untouched]' \
    '--key=[Ed25519 key file made by grid-key gen (default $GRID_KEY)]:key file:_files' \
    '--keep-going[report each bad input line and carry on; exit 65 at the end]' \
    '*:task or lease file (JSON Lines):_files'
}

_job-run "$@"
