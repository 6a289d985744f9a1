# bash completion for grid-key(1)                          -*- shell-script -*-
# Self-contained: works with or without the bash-completion package.

_grid_key() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local prev=${COMP_WORDS[COMP_CWORD - 1]}
    local global_flags="-h --help --version -q --quiet"
    local sub="" i

    # The subcommand is the first word that is neither a flag nor a flag's value.
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            --key | --out | --by | --format) ((i++)) ;;
            gen | pub | sign | id | verify)
                sub=${COMP_WORDS[i]}
                break
                ;;
        esac
    done

    case $prev in
        --key | --out)
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -f -- "$cur"))
            return
            ;;
        --format)
            COMPREPLY=($(compgen -W "json table" -- "$cur"))
            return
            ;;
        --by)
            # A public key, ed25519:<hex>; offer the one of $GRID_KEY if any.
            local mine
            mine=$(grid-key pub 2>/dev/null)
            [[ -n $mine && $mine == "$cur"* ]] && COMPREPLY=("$mine")
            return
            ;;
    esac

    local flags
    case $sub in
        "")
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "$global_flags" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "gen pub sign id verify" -- "$cur"))
            fi
            return
            ;;
        gen) flags="--out --force" ;;
        pub) flags="--key" ;;
        sign) flags="--key --keep-going" ;;
        id) flags="--keep-going" ;;
        verify) flags="--by --format --keep-going" ;;
    esac

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$flags -h --help -q --quiet" -- "$cur"))
    elif [[ $sub == sign || $sub == id || $sub == verify ]]; then
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
} && complete -F _grid_key grid-key

# ex: filetype=sh
