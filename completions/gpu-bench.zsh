#compdef gpu-bench
# zsh completion for gpu-bench(1)

_gpu-bench_devices() {
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

_gpu-bench() {
  _arguments -s \
    '(- *)'{-h,--help}'[print the help text and exit]' \
    '(- *)--version[print the version and exit]' \
    '(-q --quiet)'{-q,--quiet}'[print nothing for humans on stderr, errors excepted]' \
    '--device=[backend: auto, cpu, cuda or cuda:N (default auto)]:device:_gpu-bench_devices' \
    '--quick[small sizes and few repetitions: seconds, not minutes]' \
    '*--only=[run only these sections]:section:_values -s , section gemm mem pcie nccl' \
    '--threads=[CPU threads (default 0: every core)]:threads:' \
    '--sign[insist on signing the output (a key is required)]' \
    '--challenge=[answer the challenge messages in FILE (- for stdin)]:challenge file (JSON Lines):_files' \
    '--key=[Ed25519 key file made by grid-key gen (default $GRID_KEY)]:key file:_files' \
    '--format=[output form of the profile]:format:(json table)' \
    '--keep-going[report each bad challenge line and carry on; exit 65 at the end]'
}

_gpu-bench "$@"
