# fish completion for lease-bid(1)

set -l subcommands order bid award

# No file names unless a flag or subcommand below asks for them.
complete -c lease-bid -f

# Subcommands
complete -c lease-bid -n "not __fish_seen_subcommand_from $subcommands" -a order -d 'Turn tasks (from job-split) into signed orders'
complete -c lease-bid -n "not __fish_seen_subcommand_from $subcommands" -a bid -d 'Bid on orders as a provider (from cron)'
complete -c lease-bid -n "not __fish_seen_subcommand_from $subcommands" -a award -d 'Award each order to its best valid bid; exit 1 if any is unfilled'

# Flags everywhere
complete -c lease-bid -s h -l help -d 'Print the help text and exit'
complete -c lease-bid -s q -l quiet -d 'Print nothing for humans on stderr, errors excepted'
complete -c lease-bid -n "not __fish_seen_subcommand_from $subcommands" -l version -d 'Print the version and exit'

# Every subcommand: inputs and the shared flags
complete -c lease-bid -n "__fish_seen_subcommand_from $subcommands" -F
complete -c lease-bid -n "__fish_seen_subcommand_from $subcommands" -l key -r -F -d 'Ed25519 key file made by grid-key gen (default $GRID_KEY)'
complete -c lease-bid -n "__fish_seen_subcommand_from $subcommands" -l now -x -d 'Act as if it were this time (RFC 3339 or epoch seconds)'
complete -c lease-bid -n "__fish_seen_subcommand_from $subcommands" -l publish -x -d 'Also PUT the output to this URL'
complete -c lease-bid -n "__fish_seen_subcommand_from $subcommands" -l pass -d 'Pass messages of other kinds through untouched'
complete -c lease-bid -n "__fish_seen_subcommand_from $subcommands" -l keep-going -d 'Report each bad input line and carry on; exit 65 at the end'

# order
complete -c lease-bid -n '__fish_seen_subcommand_from order' -l max-price -x -d 'Most the buyer pays for the task, in micro-units'
complete -c lease-bid -n '__fish_seen_subcommand_from order' -l need -x -d 'Requirement expression on the provider profile'
complete -c lease-bid -n '__fish_seen_subcommand_from order' -l deadline -x -a '30m 1h 2h 1d' -d 'RFC 3339 time or duration after now'
complete -c lease-bid -n '__fish_seen_subcommand_from order' -l min-reputation -x -d 'Lowest reputation score accepted (0 to 1)'
complete -c lease-bid -n '__fish_seen_subcommand_from order' -l bid-deposit -x -d 'Micro-units a bidder must stake'

# bid
complete -c lease-bid -n '__fish_seen_subcommand_from bid' -l profile -r -F -d 'Own signed gpu-bench profile'
complete -c lease-bid -n '__fish_seen_subcommand_from bid' -l policy -r -F -d 'Price policy JSON file'
complete -c lease-bid -n '__fish_seen_subcommand_from bid' -l price-script -r -F -d 'Command printing a price for an order'
complete -c lease-bid -n '__fish_seen_subcommand_from bid' -l script-timeout -x -a '1s 5s 10s 30s' -d 'Kill a price script after this long'
complete -c lease-bid -n '__fish_seen_subcommand_from bid' -l script-jobs -x -d 'Price scripts run at once'
complete -c lease-bid -n '__fish_seen_subcommand_from bid' -l max-leases -x -d 'Leases held at once; 0 for no limit'
complete -c lease-bid -n '__fish_seen_subcommand_from bid' -l leases -r -F -d 'Leases already awarded'
complete -c lease-bid -n '__fish_seen_subcommand_from bid' -l expires -x -a '10m 1h 6h' -d 'How long bids stay valid'
complete -c lease-bid -n '__fish_seen_subcommand_from bid' -l explain -d 'Say on stderr why each skipped order got no bid'

# award
complete -c lease-bid -n '__fish_seen_subcommand_from award' -l rule -x -a 'first-price second-price' -d 'What the winner is paid'
complete -c lease-bid -n '__fish_seen_subcommand_from award' -l profiles -r -F -d 'More gpu-bench profiles'
complete -c lease-bid -n '__fish_seen_subcommand_from award' -l reputation-by -x -a '(grid-key pub 2>/dev/null)' -d 'Trust reputation signed by this key'
