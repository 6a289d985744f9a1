# bash completion for pay-settle(1)                        -*- shell-script -*-
# Self-contained: works with or without the bash-completion package.

_pay_settle() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local prev=${COMP_WORDS[COMP_CWORD - 1]}
    local global_flags="-h --help --version -q --quiet"
    local subcommands="init deposit stake apply balance statement reputation check"
    local sub="" i

    # The subcommand is the first word that is neither a flag nor a flag's value.
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            --ledger | --key | --currency | --account | --amount | --now | --trust | --batch | \
                --slash-multiple | --verifier-fee-bp | --fee-bp | --busy-timeout | --threads | --since | --format)
                ((i++))
                ;;
            init | deposit | stake | apply | balance | statement | reputation | check)
                sub=${COMP_WORDS[i]}
                break
                ;;
        esac
    done

    case $prev in
        --ledger | --key | --trust)
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -f -- "$cur"))
            return
            ;;
        --format)
            if [[ $sub == statement ]]; then
                COMPREPLY=($(compgen -W "json csv" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "json table" -- "$cur"))
            fi
            return
            ;;
        --account)
            COMPREPLY=($(compgen -W "system:deposits system:fees" -- "$cur"))
            return
            ;;
        --currency)
            COMPREPLY=($(compgen -W "USD EUR GBP JPY CHF" -- "$cur"))
            return
            ;;
        --amount | --now | --since | --batch | --slash-multiple | --verifier-fee-bp | --fee-bp | --busy-timeout | --threads)
            return
            ;;
    esac

    local flags
    case $sub in
        "")
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "$global_flags" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "$subcommands" -- "$cur"))
            fi
            return
            ;;
        init) flags="--ledger --currency --key" ;;
        deposit) flags="--ledger --key --account --amount --now" ;;
        stake) flags="--ledger --key --amount --now" ;;
        apply) flags="--ledger --trust --batch --now --slash-multiple --verifier-fee-bp --fee-bp --busy-timeout --threads --pass --keep-going" ;;
        balance) flags="--ledger --account --format" ;;
        statement) flags="--ledger --account --since --format" ;;
        reputation) flags="--ledger --key --now" ;;
        check) flags="--ledger --head" ;;
    esac

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$flags -h --help -q --quiet" -- "$cur"))
    elif [[ $sub == apply ]]; then
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
} && complete -F _pay_settle pay-settle

# ex: filetype=sh
