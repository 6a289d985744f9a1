#compdef proof-check
# zsh completion for proof-check(1)

_proof-check_devices() {
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

_proof-check() {
  _arguments -s \
    '(- *)'{-h,--help}'[print the help text and exit]' \
    '(- *)--version[print the version and exit]' \
    '(-q --quiet)'{-q,--quiet}'[print nothing for humans on stderr, errors excepted]' \
    '*--mode=[modes to run (default sig,trace,spot)]:modes:_values -s , mode sig trace spot rows freivalds pinpoint quorum challenge' \
    '*--tasks=[task messages the results answer]:task file:_files' \
    '*--leases=[lease messages: the signer must be the lease'"'"'s provider]:lease file:_files' \
    '*--seals=[quorum: seal messages committed before results were revealed]:seal file:_files' \
    '*--profile=[signed gpu-bench profiles for challenge speed]:profile file:_files' \
    '*--challenges=[the challenge requests answers must answer]:request file:_files' \
    '--store=[content store with the provider'"'"'s checkpoints and outputs]:store folder:_directories' \
    '--store-url=[the provider'"'"'s store by URL]:URL:(file:// http:// https://)' \
    '(--detect)--samples=[re-execute this many segments or rows]:count:' \
    '(--samples)--detect=[sample enough to catch a cheat with this probability (default 0.99)]:probability:(0.9 0.99 0.999)' \
    '--cheat-fraction=[the fraction of faked work --detect is for (default 0.1)]:fraction:(0.01 0.05 0.1 0.5)' \
    '--budget=[re-execute at most this fraction of each task'"'"'s compute]:fraction:(0.01 0.1 0.5 1)' \
    '--k=[quorum: distinct providers that must agree (default 2)]:k:(2 3 5)' \
    '--slow-factor=[challenge: the least share of the profile'"'"'s rate (default 0.5)]:factor:' \
    '--device=[backend for re-execution: auto, cpu, cuda or cuda:N (default auto)]:device:_proof-check_devices' \
    '--threads=[CPU threads (default 0: every core)]:threads:' \
    '--pass[pass messages that are not results or challenge answers through untouched]' \
    '--format=[output form of the verdicts]:format:(json table)' \
    '--key=[Ed25519 key file made by grid-key gen (default $GRID_KEY)]:key file:_files' \
    '--keep-going[report each bad input line and carry on; exit 65 at the end]' \
    '*:result or challenge answer file (JSON Lines):_files'
}

_proof-check "$@"
