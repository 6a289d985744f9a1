#compdef lease-bid
# zsh completion for lease-bid(1)

_lease-bid() {
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
        'order:turn tasks (from job-split) into signed orders'
        'bid:bid on orders as a provider (from cron)'
        'award:award each order to its best valid bid; exit 1 if any is unfilled'
      )
      _describe -t subcommands 'lease-bid subcommand' subcommands && ret=0
      ;;
    args)
      curcontext=${curcontext%:*:*}:lease-bid-$words[1]:
      local -a shared
      shared=(
        '--key=[Ed25519 key file made by grid-key gen (default $GRID_KEY)]:key file:_files'
        '--now=[act as if it were this time (RFC 3339 or epoch seconds)]:time:'
        '--publish=[also PUT the output to this URL]:URL:_urls'
        '--pass[pass messages of other kinds through untouched]'
        '--keep-going[report each bad input line and carry on; exit 65 at the end]'
        '*:input file or URL (JSON Lines):_files'
      )
      case $words[1] in
        order)
          _arguments $common $shared \
            '--max-price=[most the buyer pays for the task, in micro-units]:micro-units:' \
            '--need=[requirement expression on the provider profile]:expression:' \
            '--deadline=[RFC 3339 time or duration after now]:deadline:(30m 1h 2h 1d)' \
            '--min-reputation=[lowest reputation score accepted (0 to 1)]:score:' \
            '--bid-deposit=[micro-units a bidder must stake]:micro-units:' && ret=0
          ;;
        bid)
          _arguments $common $shared \
            '--profile=[own signed gpu-bench profile]:profile:_files' \
            '(--price-script)--policy=[price policy JSON file]:policy:_files' \
            '(--policy)--price-script=[command printing a price for an order]:command:_command_names -e' \
            '--script-timeout=[kill a price script after this long]:duration:(1s 5s 10s 30s)' \
            '--script-jobs=[price scripts run at once]:count:' \
            '--max-leases=[leases held at once; 0 for no limit]:count:' \
            '--leases=[leases already awarded]:leases:_files' \
            '--expires=[how long bids stay valid]:duration:(10m 1h 6h)' \
            '--explain[say on stderr why each skipped order got no bid]' && ret=0
          ;;
        award)
          _arguments $common $shared \
            '--rule=[what the winner is paid]:rule:(first-price second-price)' \
            '*--profiles=[more gpu-bench profiles]:profiles:_files' \
            '*--reputation-by=[trust reputation signed by this key]:public key (ed25519\:<hex>):' && ret=0
          ;;
      esac
      ;;
  esac
  return ret
}

_lease-bid "$@"
