# bash completion for job-run(1)                           -*- shell-script -*-
# Self-contained: works with or without the bash-completion package.

_job_run() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local prev=${COMP_WORDS[COMP_CWORD - 1]}
    local flags="-h --help --version -q --quiet --task-index --mode --device
        --store --publish --threads --force --resume --pass --key --keep-going"

    case $prev in
        --key)
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -f -- "$cur"))
            return
            ;;
        --store)
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -d -- "$cur"))
            return
            ;;
        --publish)
            # A URL: offer its schemes.
            compopt -o nospace 2>/dev/null
            COMPREPLY=($(compgen -W "http:// https:// file://" -- "$cur"))
            return
            ;;
        --task-index)
            COMPREPLY=($(compgen -W "env 0 1 2 3" -- "$cur"))
            return
            ;;
        --mode)
            COMPREPLY=($(compgen -W "exact fast" -- "$cur"))
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
        --threads)
            COMPREPLY=($(compgen -W "0 1 $(nproc 2>/dev/null)" -- "$cur"))
            return
            ;;
    esac

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$flags" -- "$cur"))
    else
        # Task or lease files: JSON Lines.
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
} && complete -F _job_run job-run

# ex: filetype=sh
