# fish completion for pay-settle(1)

set -l subcommands init deposit stake apply balance statement reputation check

# No file names unless a flag or subcommand below asks for them.
complete -c pay-settle -f

# Subcommands
complete -c pay-settle -n "not __fish_seen_subcommand_from $subcommands" -a init -d "Create a ledger for one currency, run by the --key's owner"
complete -c pay-settle -n "not __fish_seen_subcommand_from $subcommands" -a deposit -d 'Write a deposit message signed by the operator'
complete -c pay-settle -n "not __fish_seen_subcommand_from $subcommands" -a stake -d "Write a stake message: the --key's owner locks collateral"
complete -c pay-settle -n "not __fish_seen_subcommand_from $subcommands" -a apply -d 'Apply leases, verdicts, deposits and stakes to the ledger'
complete -c pay-settle -n "not __fish_seen_subcommand_from $subcommands" -a balance -d 'Print account balances'
complete -c pay-settle -n "not __fish_seen_subcommand_from $subcommands" -a statement -d 'Print the transfers of one account'
complete -c pay-settle -n "not __fish_seen_subcommand_from $subcommands" -a reputation -d 'Print one signed reputation message per provider'
complete -c pay-settle -n "not __fish_seen_subcommand_from $subcommands" -a check -d "Check the ledger's consistency; exit 1 on any violation"

# Flags everywhere
complete -c pay-settle -s h -l help -d 'Print the help text and exit'
complete -c pay-settle -s q -l quiet -d 'Print nothing for humans on stderr, errors excepted'
complete -c pay-settle -n "not __fish_seen_subcommand_from $subcommands" -l version -d 'Print the version and exit'
complete -c pay-settle -n "__fish_seen_subcommand_from $subcommands" -l ledger -r -F -d 'Ledger file (default $GRID_LEDGER)'

complete -c pay-settle -n '__fish_seen_subcommand_from init deposit stake reputation' -l key -r -F -d 'Ed25519 key file made by grid-key gen (default $GRID_KEY)'
complete -c pay-settle -n '__fish_seen_subcommand_from deposit stake apply reputation' -l now -x -d 'The time to use instead of the clock (RFC 3339 or epoch seconds)'
complete -c pay-settle -n '__fish_seen_subcommand_from init' -l currency -x -a 'USD EUR GBP JPY CHF' -d 'Currency of every amount, in micro-units'
complete -c pay-settle -n '__fish_seen_subcommand_from deposit stake' -l amount -x -d 'Amount in micro-units'
complete -c pay-settle -n '__fish_seen_subcommand_from deposit balance statement' -l account -x -a 'system:deposits system:fees' -d 'Account (ed25519:<hex> or system:...)'

# apply
complete -c pay-settle -n '__fish_seen_subcommand_from apply' -l trust -r -F -d 'File of trusted verifier keys, one ed25519:<hex> a line'
complete -c pay-settle -n '__fish_seen_subcommand_from apply' -l batch -x -d 'Messages per transaction'
complete -c pay-settle -n '__fish_seen_subcommand_from apply' -l slash-multiple -x -d "A rejected provider's stake loses this times the price"
complete -c pay-settle -n '__fish_seen_subcommand_from apply' -l verifier-fee-bp -x -d "Verifier's fee on an accepted price, in 1/10000"
complete -c pay-settle -n '__fish_seen_subcommand_from apply' -l fee-bp -x -d "Operator's fee on an accepted price, in 1/10000, to system:fees"
complete -c pay-settle -n '__fish_seen_subcommand_from apply' -l busy-timeout -x -d "Milliseconds to wait for another run's lock; then exit 75"
complete -c pay-settle -n '__fish_seen_subcommand_from apply' -l threads -x -d 'Threads checking signatures'
complete -c pay-settle -n '__fish_seen_subcommand_from apply' -l pass -d 'Pass messages that are not leases, verdicts or transfers through untouched'
complete -c pay-settle -n '__fish_seen_subcommand_from apply' -l keep-going -d 'Report each bad input line and carry on; exit 65 at the end'
complete -c pay-settle -n '__fish_seen_subcommand_from apply' -F

# balance, statement
complete -c pay-settle -n '__fish_seen_subcommand_from balance' -l format -x -a 'json table' -d 'Output form: json or table'
complete -c pay-settle -n '__fish_seen_subcommand_from statement' -l format -x -a 'json csv' -d 'Output form: json or csv'
complete -c pay-settle -n '__fish_seen_subcommand_from statement' -l since -x -d 'Only transfers applied at or after this time'
complete -c pay-settle -n '__fish_seen_subcommand_from check' -l head -x -d 'A head an earlier check printed: exit 1 unless the chain still holds it'
