#compdef pay-settle
# zsh completion for pay-settle(1)

_pay-settle() {
  local curcontext=$curcontext state line ret=1
  typeset -A opt_args

  local -a common
  common=(
    '(- *)'{-h,--help}'[print the help text and exit]'
    '(-q --quiet)'{-q,--quiet}'[print nothing for humans on stderr, errors excepted]'
  )

  _arguments -C $common \
    '(- *)--version[print the version and exit]' \
    '1: :->subcommand' \
    '*:: :->args' && ret=0

  case $state in
    subcommand)
      local -a subcommands
      subcommands=(
        'init:create a ledger for one currency, run by the --key'\''s owner'
        'deposit:write a deposit message signed by the operator'
        'stake:write a stake message: the --key'\''s owner locks collateral'
        'apply:apply leases, verdicts, deposits and stakes to the ledger'
        'balance:print account balances'
        'statement:print the transfers of one account'
        'reputation:print one signed reputation message per provider'
        'check:check the ledger'\''s consistency; exit 1 on any violation'
      )
      _describe -t subcommands 'pay-settle subcommand' subcommands && ret=0
      ;;
    args)
      curcontext=${curcontext%:*:*}:pay-settle-$words[1]:
      local ledger='--ledger=[ledger file (default $GRID_LEDGER)]:ledger file:_files'
      local key='--key=[Ed25519 key file made by grid-key gen (default $GRID_KEY)]:key file:_files'
      local now='--now=[the time to use instead of the clock (RFC 3339 or epoch seconds)]:time:'
      local amount='--amount=[amount in micro-units]:micro-units:'
      case $words[1] in
        init)
          _arguments $common $ledger $key \
            '--currency=[currency of every amount (USD, EUR...)]:currency:(USD EUR GBP JPY CHF)' && ret=0
          ;;
        deposit)
          _arguments $common $ledger $key $now $amount \
            '--account=[account credited (ed25519\:<hex>)]:account:' && ret=0
          ;;
        stake)
          _arguments $common $ledger $key $now $amount && ret=0
          ;;
        apply)
          _arguments $common $ledger $now \
            '--trust=[file of trusted verifier keys]:trust file:_files' \
            '--batch=[messages per transaction]:messages:' \
            '--slash-multiple=[a rejected provider'\''s stake loses this times the price]:multiple:' \
            '--verifier-fee-bp=[verifier'\''s fee on an accepted price, in 1/10000]:basis points:' \
            '--fee-bp=[operator'\''s fee on an accepted price, in 1/10000]:basis points:' \
            '--busy-timeout=[milliseconds to wait for another run'\''s lock]:milliseconds:' \
            '--threads=[threads checking signatures]:threads:' \
            '--pass[pass messages of other kinds through untouched]' \
            '--keep-going[report each bad input line and carry on; exit 65 at the end]' \
            '*:input file (JSON Lines):_files' && ret=0
          ;;
        balance)
          _arguments $common $ledger \
            '--account=[only this account]:account:(system\:deposits system\:fees)' \
            '--format=[output form]:format:(json table)' && ret=0
          ;;
        statement)
          _arguments $common $ledger \
            '--account=[the account]:account:(system\:deposits system\:fees)' \
            '--since=[only transfers applied at or after this time]:time:' \
            '--format=[output form]:format:(json csv)' && ret=0
          ;;
        reputation)
          _arguments $common $ledger $key $now && ret=0
          ;;
        check)
          _arguments $common $ledger \
            '*--head=[a head an earlier check printed; exit 1 unless the chain still holds it]:head hash:' && ret=0
          ;;
      esac
      ;;
  esac
  return ret
}

_pay-settle "$@"
