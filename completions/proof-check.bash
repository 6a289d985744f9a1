# bash completion for proof-check(1)                       -*- shell-script -*-
# Self-contained: works with or without the bash-completion package.

_proof_check() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local prev=${COMP_WORDS[COMP_CWORD - 1]}
    local flags="-h --help --version -q --quiet --mode --tasks --leases --seals --profile
        --challenges --store --store-url --samples --detect --cheat-fraction --budget
        --k --slow-factor --device --threads --pass --format --key --keep-going"

    case $prev in
        --key | --tasks | --leases | --seals | --profile | --challenges)
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -f -- "$cur"))
            return
            ;;
        --store)
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -d -- "$cur"))
            return
            ;;
        --store-url)
            COMPREPLY=($(compgen -W "file:// http:// https://" -- "$cur"))
            compopt -o nospace 2>/dev/null
            return
            ;;
        --mode)
            # A comma-separated list: complete the part after the last comma.
            local done_part="" last=$cur
            if [[ $cur == *,* ]]; then
                done_part=${cur%,*},
                last=${cur##*,}
            fi
            COMPREPLY=($(compgen -P "$done_part" -W "sig trace spot rows freivalds pinpoint quorum challenge" -- "$last"))
            compopt -o nospace 2>/dev/null
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
        --detect)
            COMPREPLY=($(compgen -W "0.9 0.99 0.999" -- "$cur"))
            return
            ;;
        --cheat-fraction)
            COMPREPLY=($(compgen -W "0.01 0.05 0.1 0.5" -- "$cur"))
            return
            ;;
        --budget)
            COMPREPLY=($(compgen -W "0.01 0.1 0.5 1" -- "$cur"))
            return
            ;;
        --k)
            COMPREPLY=($(compgen -W "2 3 5" -- "$cur"))
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
        --samples | --slow-factor)
            return
            ;;
    esac

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$flags" -- "$cur"))
    else
        # Result or challenge answer files: JSON Lines.
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
} && complete -F _proof_check proof-check

# ex: filetype=sh
