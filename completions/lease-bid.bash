# bash completion for lease-bid(1)                         -*- shell-script -*-
# Self-contained: works with or without the bash-completion package.

_lease_bid() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local prev=${COMP_WORDS[COMP_CWORD - 1]}
    local global_flags="-h --help --version -q --quiet"
    local common="--key --now --publish --pass --keep-going"
    local sub="" i

    # The subcommand is the first word that is neither a flag nor a flag's value.
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            --key | --now | --publish | --max-price | --need | --deadline | --min-reputation | --bid-deposit | \
                --profile | --policy | --price-script | --script-timeout | --script-jobs | --max-leases | \
                --leases | --expires | --rule | --profiles | --reputation-by) ((i++)) ;;
            order | bid | award)
                sub=${COMP_WORDS[i]}
                break
                ;;
        esac
    done

    case $prev in
        --key | --profile | --policy | --leases | --profiles)
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -f -- "$cur"))
            return
            ;;
        --price-script)
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -c -f -- "$cur"))
            return
            ;;
        --rule)
            COMPREPLY=($(compgen -W "first-price second-price" -- "$cur"))
            return
            ;;
        --deadline | --expires | --script-timeout)
            COMPREPLY=($(compgen -W "30s 10m 1h 2h 1d" -- "$cur"))
            return
            ;;
        --reputation-by)
            local mine
            mine=$(grid-key pub 2>/dev/null)
            [[ -n $mine && $mine == "$cur"* ]] && COMPREPLY=("$mine")
            return
            ;;
        --now | --publish | --max-price | --need | --min-reputation | --bid-deposit | --script-jobs | --max-leases)
            return
            ;;
    esac

    local flags
    case $sub in
        "")
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "$global_flags" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "order bid award" -- "$cur"))
            fi
            return
            ;;
        order) flags="--max-price --need --deadline --min-reputation --bid-deposit $common" ;;
        bid) flags="--profile --policy --price-script --script-timeout --script-jobs --max-leases --leases --expires --explain $common" ;;
        award) flags="--rule --profiles --reputation-by $common" ;;
    esac

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$flags -h --help -q --quiet" -- "$cur"))
    else
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
} && complete -F _lease_bid lease-bid

# ex: filetype=sh
