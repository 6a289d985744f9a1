# fish completion for gpu-bench(1)

# No file names unless a flag below asks for them.
complete -c gpu-bench -f

function __gpu_bench_devices
    printf '%s\t%s\n' auto 'CUDA device 0 when a GPU answers, else the CPU' cpu 'The CPU' cuda 'CUDA device 0; exit 69 without a GPU'
    set -l gpus 0
    if command -q nvidia-smi
        set gpus (nvidia-smi -L 2>/dev/null | string match -r '^GPU ' | count)
    end
    test "$gpus" -gt 0; or set gpus 1
    for i in (seq 0 (math $gpus - 1))
        printf 'cuda:%s\tCUDA device %s\n' $i $i
    end
end

complete -c gpu-bench -s h -l help -d 'Print the help text and exit'
complete -c gpu-bench -l version -d 'Print the version and exit'
complete -c gpu-bench -s q -l quiet -d 'Print nothing for humans on stderr, errors excepted'
complete -c gpu-bench -l device -x -a '(__gpu_bench_devices)' -d 'Backend: auto, cpu, cuda or cuda:N (default auto)'
complete -c gpu-bench -l quick -d 'Small sizes and few repetitions: seconds, not minutes'
complete -c gpu-bench -l only -x -a '(__fish_complete_list , "printf %s\n gemm mem pcie nccl")' -d 'Run only these sections (comma-separated)'
complete -c gpu-bench -l threads -x -d 'CPU threads (default 0: every core)'
complete -c gpu-bench -l sign -d 'Insist on signing the output (a key is required)'
complete -c gpu-bench -l challenge -r -F -d 'Answer the challenge messages in FILE (- for stdin)'
complete -c gpu-bench -l key -r -F -d 'Ed25519 key file made by grid-key gen (default $GRID_KEY)'
complete -c gpu-bench -l format -x -a 'json table' -d 'Output form of the profile: json or table'
complete -c gpu-bench -l keep-going -d 'Report each bad challenge line and carry on; exit 65 at the end'
