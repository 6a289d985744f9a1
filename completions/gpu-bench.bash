# bash completion for gpu-bench(1)                         -*- shell-script -*-
# Self-contained: works with or without the bash-completion package.

_gpu_bench() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local prev=${COMP_WORDS[COMP_CWORD - 1]}
    local flags="-h --help --version -q --quiet --device --quick --only --threads
        --sign --challenge --key --format --keep-going"

    case $prev in
        --key | --challenge)
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -f -- "$cur"))
            return
            ;;
        --device)
            # cuda:N for each GPU nvidia-smi lists; cuda:0 when it lists none.
            local gpus=0 i devices="auto cpu cuda"
            command -v nvidia-smi >/dev/null 2>&1 &&
                gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU ')
            ((gpus > 0)) || gpus=1
            for ((i = 0; i < gpus; i++)); do devices+=" cuda:$i"; done
            COMPREPLY=($(compgen -W "$devices" -- "$cur"))
            return
            ;;
        --only)
            # A comma-separated list: complete the part after the last comma.
            local done_part="" last=$cur
            if [[ $cur == *,* ]]; then
                done_part=${cur%,*},
                last=${cur##*,}
            fi
            COMPREPLY=($(compgen -P "$done_part" -W "gemm mem pcie nccl" -- "$last"))
            compopt -o nospace 2>/dev/null
            return
            ;;
        --format)
            COMPREPLY=($(compgen -W "json table" -- "$cur"))
            return
            ;;
        --threads)
            COMPREPLY=($(compgen -W "0 1 $(nproc 2>/dev/null)" -- "$cur"))
            return
            ;;
    esac

    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
} && complete -F _gpu_bench gpu-bench

# ex: filetype=sh
