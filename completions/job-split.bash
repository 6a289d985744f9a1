# bash completion for job-split(1)                         -*- shell-script -*-
# Self-contained: works with or without the bash-completion package.

_job_split() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local prev=${COMP_WORDS[COMP_CWORD - 1]}
    local flags="-h --help --version -q --quiet --weights --shard-rows --tasks
        --pass --key --keep-going"

    case $prev in
        --key | --weights)
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -f -- "$cur"))
            return
            ;;
        --shard-rows)
            COMPREPLY=($(compgen -W "256 1024 4096" -- "$cur"))
            return
            ;;
        --tasks)
            COMPREPLY=($(compgen -W "1 2 4 8 $(nproc 2>/dev/null)" -- "$cur"))
            return
            ;;
    esac

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$flags" -- "$cur"))
    else
        # Job files: JSON Lines.
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
} && complete -F _job_split job-split

# ex: filetype=sh
